package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/scenarios"
)

func init() {
	cmd := &cobra.Command{
		Use:   "scenarios",
		Short: "List, show and validate scenario files (the port table as data)",
		Long: `A scenario is a YAML list of rows: from (source role), to (destination role), port, protocol,
expect (allow, deny, deny-refused, deny-filtered, handshake-fails) and optional transport (tcp,
or udp for the QUIC checks udp-quic and h3), check, path, source_seen_as, xff, member, target,
server_name, timeout, retries, lint (tls/mtls: "pass" or [CODE, ...]) and hold (check hold: how
long to keep the connection idle, default 1800s). Start from the built-in one:
  mockdirector scenarios show --yaml > site.yaml
  mockdirector scenarios validate site.yaml
  mockdirector probe --scenario site.yaml`,
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROWS\tDESCRIPTION")
			for _, n := range scenarios.Builtin() {
				s, err := scenarios.Load(n)
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\n", n, len(s.Rows), s.Description)
			}
			return tw.Flush()
		},
	}
	var asYAML bool
	show := &cobra.Command{
		Use:   "show [NAME|FILE]",
		Short: "Print a scenario's rows (default: the built-in seed table)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := scenarios.BuiltinName
			if len(args) == 1 {
				name = args[0]
			}
			if asYAML {
				data, err := scenarios.Source(name)
				if err != nil {
					return usageErr(err)
				}
				_, err = cmd.OutOrStdout().Write(data)
				return err
			}
			s, err := scenarios.Load(name)
			if err != nil {
				return usageErr(err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s (%s): %s\n\n", s.Name, s.File, strings.TrimSpace(s.Description))
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "FROM\tTO\tPORT\tPROTOCOL\tCHECK\tEXPECT\tORIGIN\tNOTE")
			for _, r := range s.Rows {
				fmt.Fprintf(tw, "%s\t%s\t%s/%d\t%s\t%s\t%s\t%s\t%s\n", r.From, r.To, r.Transport, r.Port, r.Protocol, r.CheckKind(), expectShown(r), r.Origin, truncateNote(r.Note, 70))
			}
			return tw.Flush()
		},
	}
	show.Flags().BoolVar(&asYAML, "yaml", false, "print the scenario file itself (a starting point for your own)")
	validate := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files strictly: unknown fields, wrong types and bad values, with file:line",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var bad []string
			for _, f := range args {
				s, err := scenarios.Load(f)
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					bad = append(bad, f)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok, scenario %s, %d rows\n", f, s.Name, len(s.Rows))
			}
			if len(bad) > 0 {
				return usageErr(fmt.Errorf("%d of %d scenario files invalid: %s", len(bad), len(args), strings.Join(bad, ", ")))
			}
			return nil
		},
	}
	cmd.AddCommand(list, show, validate)
	rootCmd.AddCommand(cmd)
}

// expectShown is the row's expect with its lint and hold, when it has them.
func expectShown(r scenarios.Row) string {
	s := r.Expect
	if r.Lint != nil {
		s += ", lint " + r.Lint.String()
	}
	if r.CheckKind() == scenarios.CheckHold {
		s += ", hold " + r.HoldFor().String()
	}
	return s
}

func truncateNote(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
