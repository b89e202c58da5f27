package report

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/mockdirector/mockdirector/internal/firewall"
)

// AttachRules names, on every failing row, the rule of the exported rule set (mockdirector
// firewall export, built from the same table and topology) that should have matched: the accept
// rule carrying the row's ID for an allow row, the default deny for a deny row found open.
func (res *Result) AttachRules(rs *firewall.RuleSet) {
	if rs == nil {
		return
	}
	for i := range res.Rows {
		r := &res.Rows[i]
		if r.Board == BoardFailing {
			r.FirewallRule = ruleText(rs, r.ID)
		}
	}
	for i := range res.ProbeOnly {
		p := &res.ProbeOnly[i]
		if boardOf("", p) == BoardFailing {
			p.FirewallRule = ruleText(rs, p.ID)
		}
	}
}

func ruleText(rs *firewall.RuleSet, id string) string {
	rule, ok := rs.Rule(id)
	if !ok {
		return "no accept rule in the exported rule set: its default deny (the final drop) should have stopped this path"
	}
	return fmt.Sprintf("rule %d, comment %q: accept %s/%d from %s (%s) to %s (%s)", rule.N, rule.RowID, rule.Transport, rule.Port,
		rule.Source.Name, prefixes(rule.Source.Addrs), rule.Dest.Name, prefixes(rule.Dest.Addrs))
}

func prefixes(ps []netip.Prefix) string {
	var out []string
	for _, p := range ps {
		if p.IsSingleIP() {
			out = append(out, p.Addr().String())
		} else {
			out = append(out, p.String())
		}
	}
	if len(out) == 0 {
		return "any"
	}
	return strings.Join(out, ", ")
}
