package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/report"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

type reportFlags struct {
	journals      []string
	topology, scn string
	format, probe string
	roles         []string
}

func init() {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report --journal FILE [--journal FILE2] [--topology FILE]",
		Short: "Hold the journal against the port table: which rows were seen working, which not, what arrived unexpected",
		Long: `report reads the journal of one or more members (an HLB or DNS pool: pass --journal once per
member), joins it with the port table and the topology's source addresses, and prints one line per
allow row of the roles under test:
  seen ok                     traffic from the row's source role was answered
  not seen yet                nothing arrived for the row
  seen but handshake failed   traffic arrived, every TLS handshake failed (the last reason shown)
and the traffic the table does not allow:
  unexpected source           a table port reached from an address outside the row's source role
                              (for example an internal client reaching 8080 directly)
  unexpected port             a role and port the table has no allow row for
Source roles come from the topology's "sources" (addresses or CIDRs); a role it names no address
for accepts every source. A journal still being written is fine: its unfinished last line is skipped.

Exit code: 0 when every row was seen ok and nothing unexpected arrived, 1 otherwise, 2 bad input.

Examples:
  mockdirector report --journal mockdirector-journal.jsonl --topology site.yaml
  mockdirector report --journal dir01.jsonl --journal dir02.jsonl --format markdown > matrix.md
  mockdirector report --journal dir01.jsonl --probe probe.json --format junit > report.xml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReport(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.journals, "journal", nil, "journal file (repeat for each member of a pool)")
	fl.StringVar(&f.topology, "topology", "", "topology YAML whose sources name each source role's addresses (default: built-in contoso, where any source counts)")
	fl.StringVar(&f.scn, "scenario", scenarios.BuiltinName, "port table: a built-in scenario name or a YAML file")
	fl.StringVar(&f.format, "format", "table", "output: "+strings.Join(report.FormatNames(), ", "))
	fl.StringVar(&f.probe, "probe", "", "the prober's JSON results (probe --format json), shown beside each row")
	fl.StringArrayVar(&f.roles, "role", nil, "destination role held to the table (repeatable; default: the roles the journal has events for)")
	cmd.MarkFlagRequired("journal")
	rootCmd.AddCommand(cmd)
}

func runReport(cmd *cobra.Command, f reportFlags) error {
	if _, ok := report.Formats[f.format]; !ok {
		return usageErr(fmt.Errorf("--format %q: use one of %s", f.format, strings.Join(report.FormatNames(), ", ")))
	}
	for _, r := range f.roles {
		if !containsStr(scenarios.ServerRoles, r) {
			return usageErr(fmt.Errorf("--role %q: the table's destination roles are %s", r, strings.Join(scenarios.ServerRoles, ", ")))
		}
	}
	scn, err := scenarios.Load(f.scn)
	if err != nil {
		return usageErr(err)
	}
	topo, err := topology.Load(f.topology)
	if err != nil {
		return usageErr(err)
	}
	b := report.NewBuilder(scn, topo, report.Options{Roles: f.roles})
	st, err := journal.Scan(f.journals, func(e journal.Event) error { b.Add(e); return nil })
	if err != nil {
		return usageErr(fmt.Errorf("%w (pass the file serve --journal wrote)", err))
	}
	for _, bl := range st.Bad {
		fmt.Fprintf(cmd.ErrOrStderr(), "report: skipped %s\n", bl)
	}
	if more := st.BadCount - len(st.Bad); more > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "report: ... and %d more corrupt journal lines skipped\n", more)
	}
	res := b.Result()
	if f.probe != "" {
		pf, err := report.LoadProbe(f.probe)
		if err != nil {
			return usageErr(err)
		}
		res.AttachProbe(pf.Results)
	}
	if err := report.Write(cmd.OutOrStdout(), f.format, res); err != nil {
		return err
	}
	if !res.OK {
		return errFailed
	}
	return nil
}
