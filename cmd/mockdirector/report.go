package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockdirector/mockdirector/internal/firewall"
	"github.com/mockdirector/mockdirector/internal/report"
	"github.com/mockdirector/mockdirector/internal/report/pdf"
	"github.com/mockdirector/mockdirector/scenarios"
)

type reportFlags struct {
	journals         []string
	config, topology string
	scn, format      string
	probes, roles    []string
	output, paper    string
	chromium         string
	since            time.Duration
	force            bool
}

// reportFormats are report's --format values: the renderers of report.Formats and pdf.
func reportFormats() []string { return append(report.FormatNames(), "pdf") }

func init() {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report --journal FILE [--journal FILE2] [--config site.yaml] [--probe probe.json]",
		Short: "Hold the journal against the port table: which rows were seen working, which not, what arrived unexpected",
		Long: `report reads the journal of one or more members (an HLB or DNS pool: pass --journal once per
member), joins it with the port table and the topology's source addresses, and prints one line per
allow row of the roles under test:
  seen ok                     traffic from the row's source role was answered
  failing now                 seen ok earlier, every event since the last ok failed ("failing now
                              since 14:02:11 (89 failures, last: unknown authority)")
  not seen yet                nothing arrived for the row
  seen but handshake failed   traffic arrived, every TLS handshake failed (the last reason shown)
and the traffic the table does not allow:
  unexpected source           a table port reached from an address outside the row's source role
  unexpected port             a role and port the table has no allow row for
  unexpected: a denied path is open
                              a guard listener (a port the table denies) answered, with the source
TCP connects without a ClientHello (HLB health monitors, scanners) are counted apart: they prove
no row and fail none.

The roles under test are every role of the table the topology has a pool for (or each --role): a
role with no event in the journals is "no journal from ROLE (MEMBERS): its rows cannot be judged"
and the report is not OK. Source roles come from the topology's "sources"; a role it names no
address for accepts every source. A journal still being written is fine (its unfinished last line
is skipped); an unreadable line in the middle is counted and named FILE:LINE; a file that is not a
journal is an error (exit 2). --since 30m judges only the last 30 minutes of events.

--probe (once per source host) puts the prober's results beside each row; a failed result makes
the report not OK, unproven is counted apart.

--format html writes the change board's evidence: one self-contained HTML file (nothing fetched
from any network) with the summary, both sides of every row, certificates, unexpected traffic and
the SHA-256 of every input; --format pdf prints the same document with headless Chromium
(/usr/bin/chromium; --paper a4|letter).

Exit code: 0 when every role has a journal, every row was seen ok and is not failing now, nothing
unexpected arrived and no prober result failed; 1 otherwise; 2 bad input.

Examples:
  mockdirector report --journal mockdirector-journal.jsonl --config site.yaml
  mockdirector report --journal dir01.jsonl --journal dir02.jsonl --role director --format markdown > matrix.md
  mockdirector report --journal dir01.jsonl --probe rp.json --probe edge.json --format html -o evidence.html
  mockdirector report --journal dir01.jsonl --probe probe.json --format pdf --paper letter -o evidence.pdf`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReport(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.journals, "journal", nil, "journal file (repeat for each member of a pool)")
	fl.StringVar(&f.config, "config", "", "topology YAML whose sources name each source role's addresses (default: built-in contoso, where any source counts)")
	fl.StringVar(&f.topology, "topology", "", "the same as --config")
	fl.MarkHidden("topology")
	fl.StringVar(&f.scn, "scenario", scenarios.BuiltinName, "port table: a built-in scenario name or a YAML file")
	fl.StringVar(&f.format, "format", "table", "output: "+strings.Join(reportFormats(), ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write to FILE instead of stdout (required for pdf)")
	fl.BoolVar(&f.force, "force", false, "replace an existing --output file")
	fl.StringArrayVar(&f.probes, "probe", nil, "the prober's JSON results (probe --format json), shown beside each row (repeat: one file per source host)")
	fl.StringArrayVar(&f.roles, "role", nil, "destination role held to the table (repeatable; default: every role of the table the topology has a pool for)")
	fl.DurationVar(&f.since, "since", 0, "judge only the events of the last DURATION (30m, 2h)")
	fl.StringVar(&f.paper, "paper", "a4", "pdf paper: "+strings.Join(pdf.Papers, ", "))
	fl.StringVar(&f.chromium, "chromium", "", "the Chromium binary for pdf (default /usr/bin/chromium, else on PATH)")
	cmd.MarkFlagRequired("journal")
	rootCmd.AddCommand(cmd)
}

func runReport(cmd *cobra.Command, f reportFlags) error {
	if !containsStr(reportFormats(), f.format) {
		return usageErr(fmt.Errorf("--format %q: use one of %s", f.format, strings.Join(reportFormats(), ", ")))
	}
	if f.format == "pdf" && f.output == "" {
		return usageErr(errors.New("--format pdf writes a file: give -o FILE.pdf"))
	}
	if !containsStr(pdf.Papers, f.paper) {
		return usageErr(fmt.Errorf("--paper %q: use one of %s", f.paper, strings.Join(pdf.Papers, ", ")))
	}
	if f.since < 0 {
		return usageErr(fmt.Errorf("--since %s: give a positive duration (30m, 2h)", f.since))
	}
	topoFile := f.config
	if f.topology != "" {
		if topoFile != "" && topoFile != f.topology {
			return usageErr(fmt.Errorf("--config %s and --topology %s: give one (--topology is the old name of --config)", f.config, f.topology))
		}
		topoFile = f.topology
	}
	for _, r := range f.roles {
		if !containsStr(scenarios.ServerRoles, r) {
			return usageErr(fmt.Errorf("--role %q: the table's destination roles are %s", r, strings.Join(scenarios.ServerRoles, ", ")))
		}
	}
	if f.output != "" && !f.force {
		if _, err := os.Stat(f.output); err == nil {
			return usageErr(fmt.Errorf("--output %s exists: pass --force to replace it", f.output))
		}
	}
	scn, topo, err := loadSite(f.scn, topoFile)
	if err != nil {
		return err
	}
	opts := report.Options{Roles: f.roles}
	if f.since > 0 {
		opts.Since = time.Now().Add(-f.since)
	}
	b := report.NewBuilder(scn, topo, opts)
	inputs, err := report.ReadJournals(b.Add, f.journals...)
	if err != nil {
		if errors.Is(err, report.ErrNotJournal) {
			return usageErr(err)
		}
		return usageErr(fmt.Errorf("%w (pass the file serve --journal wrote)", err))
	}
	res := b.Result()
	res.Run = report.CurrentRun(commandLine())
	res.AddInputs(inputs...)
	for _, p := range f.probes {
		pf, err := report.LoadProbe(p)
		if err != nil {
			return usageErr(err)
		}
		in, err := report.HashFile("probe", p)
		if err != nil {
			return usageErr(err)
		}
		in.Events, in.Host = len(pf.Results), pf.Host()
		res.AddInputs(in)
		res.AttachProbe(pf.Results)
	}
	if rs, err := firewall.Build(scn, topo); err == nil {
		res.AttachRules(rs) // the topology addresses every role: name the rule a failing row needed
	}
	for _, extra := range []struct{ kind, path string }{{"scenario", scenarioFile(f.scn)}, {"topology", topoFile}} {
		if extra.path == "" {
			continue
		}
		in, err := report.HashFile(extra.kind, extra.path)
		if err != nil {
			return usageErr(err)
		}
		res.AddInputs(in)
	}
	if err := writeMatrix(cmd, f, res); err != nil {
		return err
	}
	if !res.OK {
		return errFailed
	}
	return nil
}

// writeMatrix renders res to stdout or --output; pdf prints the HTML evidence with Chromium.
func writeMatrix(cmd *cobra.Command, f reportFlags, res *report.Result) error {
	var buf bytes.Buffer
	format := f.format
	if format == "pdf" {
		format = "html"
	}
	if err := report.Write(&buf, format, res); err != nil {
		return err
	}
	out := buf.Bytes()
	if f.format == "pdf" {
		ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
		defer cancel()
		var err error
		if out, err = pdf.Print(ctx, out, pdf.Options{Paper: f.paper, Chromium: f.chromium}); err != nil {
			return usageErr(err)
		}
	}
	if f.output == "" {
		_, err := cmd.OutOrStdout().Write(out)
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if !f.force {
		flags |= os.O_EXCL
	}
	fh, err := os.OpenFile(f.output, flags, 0o644)
	if err != nil {
		return usageErr(fmt.Errorf("--output: %w", err))
	}
	if _, err := io.Copy(fh, bytes.NewReader(out)); err != nil {
		fh.Close()
		return fmt.Errorf("--output %s: %w", f.output, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("--output %s: %w", f.output, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%s)\n%s\n", f.output, f.format, res.Verdict())
	return nil
}

// scenarioFile is the scenario's file for the manifest; a built-in name has none.
func scenarioFile(s string) string {
	if st, err := os.Stat(s); err == nil && !st.IsDir() {
		return s
	}
	return ""
}

// commandLine is how the report was asked for, for the evidence.
func commandLine() string {
	args := append([]string{"mockdirector"}, os.Args[1:]...)
	return strings.Join(args, " ")
}
