package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/internal/firewall"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

func init() {
	fwCmd := &cobra.Command{
		Use:   "firewall",
		Short: "Turn the port table and the site's addresses into firewall rules",
	}
	var config, scenario, format, output string
	var force bool
	var list strings.Builder
	for _, n := range firewall.Formats() {
		f, _ := firewall.Lookup(n)
		fmt.Fprintf(&list, "  %-10s %s\n", n, f.Describe())
	}
	export := &cobra.Command{
		Use:   "export --config site.yaml --format F [-o FILE] [--force]",
		Short: "Write the rules that implement the table for a site: default deny, one rule per allow row",
		Long: `export writes the firewall rules that implement the port table (--scenario, default the built-in
seed table) for the addresses of a site (--config): everything is denied except one rule per allow
row, TCP (and UDP where the table allows UDP). Each rule carries its row ID, e.g.
"edge-internal->director tcp/5061 sip-mtls", the name the row has in probe and report, so a row
that fails there points at its rule here.

Where the addresses come from (the topology, --config):
  source of a row       sources.<role> (a server role without one: its pool members' addresses)
  destination of a row  pools.<role>.vip and every pools.<role>.members[].address
A role the table needs and the topology does not address is an error naming the key to fill in.
The built-in contoso topology has no addresses: copy lab/topology.yaml and put in your own.

Formats (--format):
` + list.String() + `
The workflow: export, review (the csv/xlsx sheet is what the firewall team receives; the row IDs
and justifications come from the table), push, then prove it on the staging network with
mockdirector probe --as ROLE --config site.yaml from where each source stands.

Exit codes: 0 written, 2 it could not (bad flags, scenario or topology, a role without
addresses, an existing file without --force).

Examples:
  mockdirector firewall export --config site.yaml --format nftables -o site.nft && nft -c -f site.nft
  mockdirector firewall export --config site.yaml --format xlsx -o change-request.xlsx
  mockdirector firewall export --config lab/topology.yaml --format windows -o fw.ps1   # .\fw.ps1 -Role director
  mockdirector firewall export --config site.yaml --format cisco-asa`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format == "" {
				return usageErr(fmt.Errorf("--format: choose one of %s", strings.Join(firewall.Formats(), ", ")))
			}
			f, err := firewall.Lookup(format)
			if err != nil {
				return usageErr(fmt.Errorf("--format: %w", err))
			}
			if f.Binary() && output == "" {
				return usageErr(fmt.Errorf("--format %s writes a binary file: give -o FILE", format))
			}
			scn, err := scenarios.Load(scenario)
			if err != nil {
				return usageErr(err)
			}
			topo, err := topology.Load(config)
			if err != nil {
				return usageErr(err)
			}
			rs, err := firewall.Build(scn, topo)
			if err != nil {
				return usageErr(err)
			}
			for _, w := range rs.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "mockdirector: warning:", w)
			}
			if output == "" || output == "-" {
				var buf bytes.Buffer
				if err := f.Write(&buf, rs); err != nil {
					return usageErr(err)
				}
				_, err := cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			if err := firewall.WriteFile(output, f, rs, force); err != nil {
				return usageErr(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s, %d rules (one per allow row of %s), everything else denied\n", output, format, len(rs.Rules), scn.File)
			return nil
		},
	}
	fl := export.Flags()
	fl.StringVar(&config, "config", "", "topology YAML: pool VIPs and member addresses, source addresses (default: built-in contoso, which has none)")
	fl.StringVar(&scenario, "scenario", scenarios.BuiltinName, "scenario: a built-in name or a YAML file")
	fl.StringVar(&format, "format", "", "output format: "+strings.Join(firewall.Formats(), ", "))
	fl.StringVarP(&output, "output", "o", "", "write to FILE instead of stdout")
	fl.BoolVar(&force, "force", false, "replace FILE if it exists")
	fwCmd.AddCommand(export)
	rootCmd.AddCommand(fwCmd)
}
