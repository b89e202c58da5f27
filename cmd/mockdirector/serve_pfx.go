package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// serveCertPassword is the password that opens serve's --cert ending .pfx or .p12, from
// --cert-password, --cert-password-file or $MOCKDIRECTOR_CERT_PASSWORD (resolved before
// serve runs).
var serveCertPassword string

// certPasswordEnv names the environment variable serve reads the PFX password from when no
// flag gives it: unlike --cert-password it is not visible to other users in ps.
const certPasswordEnv = "MOCKDIRECTOR_CERT_PASSWORD"

// serveCertPasswordFile is serve's --cert-password-file.
var serveCertPasswordFile string

// init adds the PFX password flags to serve. It runs after serve.go's init (the go tool
// initializes a package's files in file name order, and "serve.go" sorts before "serve_pfx.go").
func init() {
	serve, _, err := rootCmd.Find([]string{"serve"})
	if err != nil || serve == rootCmd {
		panic("serve_pfx.go: the serve command is not registered yet")
	}
	serve.Flags().StringVar(&serveCertPassword, "cert-password", "",
		"password of a --cert .pfx/.p12 (the key is inside: no --key-file; without --ca the PFX's root CAs are trusted for client certificates); visible to other users in ps: prefer --cert-password-file or $"+certPasswordEnv)
	serve.Flags().StringVar(&serveCertPasswordFile, "cert-password-file", "",
		"file whose first line is the password of a --cert .pfx/.p12 (instead of --cert-password)")
	serve.PreRunE = func(cmd *cobra.Command, _ []string) error {
		pw, err := resolveCertPassword(cmd.Flags().Changed("cert-password"), serveCertPassword, serveCertPasswordFile, os.Getenv(certPasswordEnv))
		if err != nil {
			return usageErr(err)
		}
		serveCertPassword = pw
		return nil
	}
}

// resolveCertPassword picks the PFX password: --cert-password (flagSet, flagValue), else the
// first line of --cert-password-file, else the environment variable; both flags at once is
// an error, as is an unreadable or empty password file.
func resolveCertPassword(flagSet bool, flagValue, file, env string) (string, error) {
	switch {
	case flagSet && file != "":
		return "", errors.New("--cert-password and --cert-password-file both give the PFX password: pass one")
	case flagSet:
		return flagValue, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--cert-password-file: %w", err)
		}
		pw, _, _ := strings.Cut(string(b), "\n")
		pw = strings.TrimSuffix(pw, "\r")
		if pw == "" {
			return "", fmt.Errorf("--cert-password-file %s: the first line is empty (write the PFX password there)", file)
		}
		return pw, nil
	}
	return env, nil
}
