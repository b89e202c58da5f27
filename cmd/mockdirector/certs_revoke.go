package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/certs"
)

func init() {
	var dir, reason string
	cmd := &cobra.Command{
		Use:   "revoke NAME --dir DIR [--reason R]",
		Short: "Revoke a certificate of the directory's CA: list it in the CRL and re-sign the CRL",
		Long: `revoke lists the certificate DIR/NAME.crt in the CRL of the CA that issued it (DIR/ca.crl or
DIR/intermediate.crl), re-signs that CRL with the next CRL number and a new nextUpdate (7 days),
and prints the serial. NAME is a file stem of DIR (edge01-int.contoso.local, probe), or the
unique one whose first label is NAME or starts with it (edge01).

A running serve on DIR picks the new CRL up on its next handshake: it refuses the certificate as
a client ("revoked on DATE, serial ...", journaled), and its HTTP listeners serve the new CRL at
the CDP URL the certificates name, so peers that check revocation (openssl verify -crl_check,
Windows) refuse it too.

Examples:
  mockdirector certs revoke edge01 --dir ./c
  mockdirector certs revoke probe --dir ./c --reason superseded`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, ok := certs.RevocationReasons[reason]
			if !ok {
				var names []string
				for n := range certs.RevocationReasons {
					names = append(names, n)
				}
				sort.Strings(names)
				return usageErr(fmt.Errorf("--reason %q is not one of %s", reason, strings.Join(names, ", ")))
			}
			res, err := certs.Revoke(dir, args[0], code, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s (%s), serial %s, on %s (reason %s)\n",
				res.Name, res.Subject, certs.SerialHex(res.Serial), res.RevokedAt.Format(time.RFC3339), reason)
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: CRL number %s, next update %s\n", res.CRLFile, res.Number, res.NextUpdate.UTC().Format(time.RFC3339))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "mockdirector-certs", "certificate directory made by certs init (its CA signs the CRL)")
	cmd.Flags().StringVar(&reason, "reason", "unspecified", "RFC 5280 reason: unspecified, keyCompromise, superseded, cessationOfOperation, affiliationChanged, ...")
	certsCmd.AddCommand(cmd)
}
