package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/topology"
)

func init() {
	var dir, config, role, member string
	var force bool
	cmd := &cobra.Command{
		Use:   "faults --dir DIR",
		Short: "Generate the documented set of bad certificates for negative tests of the MTLS hops",
		Long: `faults writes into DIR a root CA (ca.crt, the one to trust), an intermediate, an untrusted root (untrusted-root.crt),
and one identity per fault (NAME.crt with its chain, NAME.key), each wrong in exactly one way and
otherwise what --role's member needs:

  good                  nothing wrong (the reference)
  expired               expired 30 days ago                  peers refuse: expired
  not-yet-valid         valid from 30 days from now          peers refuse: not yet valid
  wrong-san             names wrong.mockdirector.invalid     clients refuse: name mismatch
  no-client-auth        EKU serverAuth only                  MTLS servers refuse: bad EKU
  untrusted-ca          issued by untrusted-root.crt         peers refuse: unknown authority
  self-signed           the leaf signs itself                peers refuse: unknown authority
  rsa1024               RSA 1024-bit key                     Lync accepts (documented minimum),
                                                             OpenSSL level 2 refuses; lint warns
  sha1                  signed with SHA-1                    peers refuse: insecure algorithm
  missing-intermediate  served without its intermediate     peers refuse: unknown authority

Serve one with: mockdirector serve --role director --cert DIR/expired.crt --key-file DIR/expired.key --ca DIR/ca.crt
Present one:    openssl s_client -connect HOST:5061 -cert DIR/expired.crt -key DIR/expired.key -CAfile DIR/ca.crt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			topo, err := topology.Load(config)
			if err != nil {
				return usageErr(err)
			}
			_, m, err := topo.Member(role, member)
			if err != nil {
				return usageErr(err)
			}
			written, err := certs.GenerateFaults(dir, certs.Plan(topo)[m.Name], force)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "wrote %d files in %s for %s %s (trust %s/%s)\n", len(written), dir, role, m.Name, dir, certs.CACertFile)
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "FAULT\tWHAT\tLINT")
			for _, f := range certs.Faults {
				codes := "-"
				if len(f.LintCodes) > 0 {
					codes = fmt.Sprint(f.LintCodes)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, f.What, codes)
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "mockdirector-faults", "directory to write into (refused if it holds a fault set, unless --force)")
	f.StringVar(&config, "config", "", "topology YAML (default: built-in contoso)")
	f.StringVar(&role, "role", "director", "role whose member the certificates name")
	f.StringVar(&member, "member", "", "member of the pool (default the first)")
	f.BoolVar(&force, "force", false, "replace an existing fault set")
	certsCmd.AddCommand(cmd)
}
