package main

// serveCertPassword is serve's --cert-password: it opens a --cert ending .pfx or .p12.
var serveCertPassword string

// init adds --cert-password to serve. It runs after serve.go's init (the go tool initializes a
// package's files in file name order, and "serve.go" sorts before "serve_pfx.go").
func init() {
	serve, _, err := rootCmd.Find([]string{"serve"})
	if err != nil || serve == rootCmd {
		panic("serve_pfx.go: the serve command is not registered yet")
	}
	serve.Flags().StringVar(&serveCertPassword, "cert-password", "",
		"password of a --cert .pfx/.p12 (the key is inside: no --key-file; without --ca the PFX's root CAs are trusted for client certificates)")
}
