package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/topology"
)

func init() {
	var o certs.ExportOptions
	var format, passwordFile, config string
	exportCmd := &cobra.Command{
		Use:   "export --dir DIR --name NAME --password-file F",
		Short: "Export an identity as PFX/PKCS#12 (for Windows, an HLB, a reverse proxy), DER/CER and a CA bundle",
		Long: `export writes, into --out (default DIR):
  NAME.pfx        key + leaf + intermediates (+ root with --include-root), password-protected, 0600
  NAME.der/.cer   the leaf certificate, DER and PEM
  ca-bundle.crt   intermediates and root, PEM: what peers must trust
and prints the PowerShell lines that trust the CA on a Windows host (LocalMachine\Root, and
LocalMachine\CA for an intermediate), import the PFX into LocalMachine\My (the password is asked
for, never on the command line), the thumbprint the certificate will have there, and the serve
line that serves it from the store (--cert-store My --thumbprint; the member's role comes from
--config).

--pfx-format legacy (default) encrypts with PBE-SHA1-3DES and a SHA-1 MAC: the form Windows
Server 2012 R2 and 2016 (Lync 2013, Skype for Business 2015) can import. modern uses AES-256 and
SHA-256 (Windows Server 2019+, OpenSSL 1.1.1+). The legacy encryption is weak: move the file
over a protected channel either way. No PFX is written without a password.

Examples:
  mockdirector certs export --dir ./c --name edge01-int.contoso.local --password-file pw.txt
  openssl pkcs12 -info -in ./c/edge01-int.contoso.local.pfx -passin file:pw.txt -noout`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch certs.PFXFormat(format) {
			case certs.PFXLegacy, certs.PFXModern:
				o.Format = certs.PFXFormat(format)
			default:
				return usageErr(fmt.Errorf("--pfx-format %q: use legacy or modern", format))
			}
			if o.Name == "" {
				return usageErr(errors.New("--name: which identity (a member FQDN or probe; see the .crt files in --dir)"))
			}
			if passwordFile != "" {
				b, err := os.ReadFile(passwordFile)
				if err != nil {
					return usageErr(fmt.Errorf("--password-file: %w", err))
				}
				o.Password = strings.TrimRight(string(b), "\r\n")
				if o.Password == "" {
					return usageErr(fmt.Errorf("--password-file %s is empty", passwordFile))
				}
			}
			topo, err := topology.Load(config)
			if err != nil {
				return usageErr(err)
			}
			written, err := certs.Export(o)
			if err != nil {
				return err
			}
			for _, w := range written {
				fmt.Fprintln(cmd.OutOrStdout(), "wrote", w)
			}
			if o.Password == "" {
				fmt.Fprintln(cmd.OutOrStdout(), "no PFX written: pass --password or --password-file for one")
			}
			return printWindowsImport(cmd.OutOrStdout(), o, written, topo)
		},
	}
	f := exportCmd.Flags()
	f.StringVar(&o.Dir, "dir", "mockdirector-certs", "certificate directory")
	f.StringVar(&o.Name, "name", "", "identity to export: NAME.crt/NAME.key in --dir")
	f.StringVar(&o.Out, "out", "", "directory to write into (default --dir)")
	f.StringVar(&o.Password, "password", "", "PFX password (visible to other users in ps: prefer --password-file)")
	f.StringVar(&passwordFile, "password-file", "", "file whose first line is the PFX password")
	f.StringVar(&format, "pfx-format", string(certs.PFXLegacy), "legacy (3DES/SHA-1: Windows Server 2012 R2/2016) or modern (AES-256/SHA-256: Server 2019+)")
	f.BoolVar(&o.IncludeRoot, "include-root", false, "put the root CA into the PFX too")
	f.BoolVar(&o.Force, "force", false, "replace existing output files")
	f.StringVar(&config, "config", "", "topology YAML, for the role of --name in the serve line it prints (default: built-in contoso)")
	certsCmd.AddCommand(exportCmd)

	var dir, name, certFile, keyFile, password string
	var force bool
	importCmd := &cobra.Command{
		Use:   "import --dir DIR --name NAME --cert FILE [--key-file FILE | --cert-password P]",
		Short: "Copy the site's own certificate (PEM chain + key, or PFX) into a certificate directory",
		Long: `import checks the site's certificate (the key matches, the PFX password is right) and writes
DIR/NAME.crt (leaf + intermediates) and DIR/NAME.key (0600). Serve it with
  mockdirector serve --role R --cert DIR/NAME.crt --key-file DIR/NAME.key --ca SITE-CA.pem
or serve a PFX directly: mockdirector serve --role R --cert site.pfx --cert-password P [--ca ...].`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" || certFile == "" {
				return usageErr(errors.New("--name and --cert are required"))
			}
			written, err := certs.Import(dir, name, certFile, keyFile, password, force)
			if err != nil {
				return err
			}
			for _, w := range written {
				fmt.Fprintln(cmd.OutOrStdout(), "wrote", w)
			}
			return nil
		},
	}
	f = importCmd.Flags()
	f.StringVar(&dir, "dir", "mockdirector-certs", "certificate directory to write into")
	f.StringVar(&name, "name", "", "file stem to write (e.g. the member FQDN)")
	f.StringVar(&certFile, "cert", "", "PEM chain, or .pfx/.p12")
	f.StringVar(&keyFile, "key-file", "", "PEM private key (not with a PFX)")
	f.StringVar(&password, "cert-password", "", "PFX password")
	f.BoolVar(&force, "force", false, "replace existing files")
	certsCmd.AddCommand(importCmd)
}
