package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/topology"
)

// certsCmd is the parent of the certificate toolbox; subcommands add themselves to it.
var certsCmd = &cobra.Command{
	Use:   "certs",
	Short: "Make, inspect and export the certificates the mock serves and presents",
}

func init() {
	var dir, config, key, validity string
	var force, intermediate bool
	initCmd := &cobra.Command{
		Use:   "init --dir DIR",
		Short: "Create a private root CA and a certificate for every pool member of the topology",
		Long: `init creates DIR/ca.crt and DIR/ca.key (the root CA peers must trust), and for every member
of every pool in the topology DIR/<member-fqdn>.crt and .key, plus DIR/probe.crt for the prober.
Each certificate has the subject and SANs a Lync deployment uses (pool FQDN, member FQDN,
sip.<domain> and the simple URLs for Director and Front End), EKU serverAuth + clientAuth, an RSA
2048 key (--key-type), SHA-256, at most --validity including the one-hour backdate, and the CRL
Distribution Point and AIA URLs of its CA under the topology's pki base (default
http://pki.<domain>/mockdirector/ca.crl and ca.crt; intermediate.crl/.crt with --intermediate).
Each CA gets its CRL (DIR/ca.crl, DIR/intermediate.crl), which serve publishes at those URLs;
DIR/pki.url records the base. Keys are written 0600; nothing is overwritten without --force.

Examples:
  mockdirector certs init --dir ./c
  mockdirector certs init --dir ./c --config site.yaml --intermediate --key-type rsa2048 --validity 397d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kt, err := certs.ParseKeyType(key)
			if err != nil {
				return usageErr(fmt.Errorf("--key-type: %w", err))
			}
			v, err := parseValidity(validity)
			if err != nil {
				return usageErr(fmt.Errorf("--validity: %w", err))
			}
			topo, err := topology.Load(config)
			if err != nil {
				return usageErr(err)
			}
			written, err := certs.Init(topo, certs.Options{Dir: dir, Key: kt, Force: force, Intermediate: intermediate, Validity: v})
			if err != nil {
				return err
			}
			for _, w := range written {
				fmt.Fprintln(cmd.OutOrStdout(), "wrote", w)
			}
			return nil
		},
	}
	initCmd.Flags().StringVar(&dir, "dir", "mockdirector-certs", "directory to write into")
	initCmd.Flags().StringVar(&config, "config", "", "topology YAML (default: built-in contoso)")
	keyTypeFlag(initCmd.Flags(), &key)
	initCmd.Flags().BoolVar(&force, "force", false, "replace existing files (peers must then trust the new CA)")
	initCmd.Flags().BoolVar(&intermediate, "intermediate", false, "issue the leaves from an intermediate CA under the root; every leaf file then holds the chain (leaf + intermediate), served complete")
	initCmd.Flags().StringVar(&validity, "validity", "825d", "leaf validity: days (90d) or a Go duration (2160h)")
	certsCmd.AddCommand(initCmd)
	rootCmd.AddCommand(certsCmd)
}
