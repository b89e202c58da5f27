package report

import (
	"fmt"
	"io"
	"strings"
)

// Markdown renders the matrix as a GitHub-flavoured table, for a change ticket or a wiki page.
func Markdown(w io.Writer, res *Result) error {
	fmt.Fprintf(w, "# mockdirector report: %s\n\n", md(res.Scenario))
	fmt.Fprintf(w, "Topology `%s`, roles %s, %d events, generated %s.\n\n", res.Topology, md(strings.Join(res.Roles, ", ")), res.Events, res.Generated.Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintf(w, "**%s**\n\n", md(res.Verdict()))
	for _, n := range res.Notes() {
		fmt.Fprintf(w, "- %s\n", md(n))
	}
	if len(res.Notes()) > 0 {
		fmt.Fprintln(w)
	}
	probe := hasProbe(res)
	head, rule := "| State | Row | Count | Sources | Members | Last seen |", "|:--|:--|--:|:--|:--|:--|"
	if probe {
		head, rule = head+" Probe |", rule+":--|"
	}
	fmt.Fprintln(w, head+" Detail |")
	fmt.Fprintln(w, rule+":--|")
	for _, r := range res.Rows {
		line := fmt.Sprintf("| %s %s | `%s` | %d | %s | %s | %s |", stateMark(r.State), r.State, r.ID, r.Count, md(sourcesText(r)), md(listText(r.Members)), timeText(r.LastSeen))
		if probe {
			line += " " + md(probeText(r.Probe)) + " |"
		}
		fmt.Fprintln(w, line+" "+md(r.Detail())+" |")
	}
	if len(res.Unexpected) > 0 {
		fmt.Fprint(w, "\n## Unexpected traffic\n\n")
		fmt.Fprintln(w, "| Kind | Source | To | Count | Members | Last seen | Detail |")
		fmt.Fprintln(w, "|:--|:--|:--|--:|:--|:--|:--|")
		for _, u := range res.Unexpected {
			last := u.LastSeen
			fmt.Fprintf(w, "| ❌ %s | %s | `%s %s/%d %s` | %d | %s | %s | %s |\n", u.Kind, u.Source, u.To, u.Transport, u.Port, u.Protocol, u.Count, md(listText(u.Members)), timeText(&last), md(u.Detail()))
		}
	}
	if len(res.ProbeOnly) > 0 {
		fmt.Fprint(w, "\n## Probed rows not in the matrix\n\n")
		for _, p := range res.ProbeOnly {
			fmt.Fprintf(w, "- `%s`: %s %s\n", p.ID, md(probeText(&p)), md(p.Reason))
		}
	}
	return nil
}

func stateMark(s string) string {
	switch s {
	case StateSeenOK:
		return "✅"
	case StateFailed, StateFailingNow:
		return "❌"
	}
	return "⏳"
}

// md escapes what would break a table cell.
func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;").Replace(s)
}
