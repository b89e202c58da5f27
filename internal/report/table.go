package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Table renders the matrix as aligned text for a terminal.
func Table(w io.Writer, res *Result) error {
	fmt.Fprintf(w, "scenario %s, topology %s, roles %s\n\n", res.Scenario, res.Topology, strings.Join(res.Roles, ", "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	probe := hasProbe(res)
	head := "STATE\tROW\tCOUNT\tSOURCES\tMEMBERS\tLAST SEEN"
	if probe {
		head += "\tPROBE"
	}
	fmt.Fprintln(tw, head+"\tDETAIL")
	for _, r := range res.Rows {
		line := fmt.Sprintf("%s\t%s\t%d\t%s\t%s\t%s", r.State, r.ID, r.Count, sourcesText(r), listText(r.Members), timeText(r.LastSeen))
		if probe {
			line += "\t" + probeText(r.Probe)
		}
		fmt.Fprintln(tw, line+"\t"+r.Detail())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(res.Unexpected) > 0 {
		fmt.Fprintln(w, "\nUNEXPECTED (traffic the table does not allow)")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tSOURCE\tTO\tCOUNT\tMEMBERS\tLAST SEEN\tDETAIL")
		for _, u := range res.Unexpected {
			last := u.LastSeen
			fmt.Fprintf(tw, "%s\t%s\t%s %s/%d %s\t%d\t%s\t%s\t%s\n", u.Kind, u.Source, u.To, u.Transport, u.Port, u.Protocol, u.Count, listText(u.Members), timeText(&last), u.Detail())
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(res.ProbeOnly) > 0 {
		fmt.Fprintln(w, "\nPROBED ROWS NOT IN THE MATRIX")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, p := range res.ProbeOnly {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", probeText(&p), p.ID, p.Reason)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if err := writeMonitors(w, res); err != nil {
		return err
	}
	if notes := res.Notes(); len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
	_, err := fmt.Fprintln(w, "\n"+res.Verdict())
	return err
}
