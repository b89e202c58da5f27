package firewall

import (
	"fmt"
	"io"
	"strings"
)

// PANTag tags every object and rule of the paloalto output, so they can be found and removed.
const PANTag = "mockdirector"

// paloAlto writes PAN-OS configure-mode set commands: address objects and groups per role and
// side, one service per transport and port, one security rule per row (the row ID leads its
// description) and a final deny. PAN-OS set commands take no comments, so where the rules came from
// is the tag's comment. No parser for it exists here: its tests compare the text with stored
// expected output.
type paloAlto struct{}

func (paloAlto) Describe() string {
	return "PAN-OS set commands: groups, services, rules tagged " + PANTag + " (zones any: set yours)"
}

func (paloAlto) Binary() bool { return false }

func (paloAlto) Write(w io.Writer, rs *RuleSet) error {
	var b strings.Builder
	fmt.Fprintf(&b, "set tag %s comments \"%s\"\n", PANTag, panText(fmt.Sprintf(
		"mockdirector firewall export: table %s, topology %s, %d rules, one per allow row; everything else denied (rule md-deny-all)",
		rs.Scenario, rs.Topology, len(rs.Rules))))
	groups := map[string]bool{}
	group := func(side string, e Endpoint) string {
		name := "md-" + side + "-" + e.Role
		if groups[name] {
			return name
		}
		groups[name] = true
		var members []string
		for i, p := range e.Addrs {
			obj := fmt.Sprintf("%s-%d", name, i+1)
			fmt.Fprintf(&b, "set address %s ip-netmask %s tag %s\n", obj, p, PANTag)
			members = append(members, obj)
		}
		fmt.Fprintf(&b, "set address-group %s static [ %s ] tag %s description \"%s\"\n", name, strings.Join(members, " "), PANTag, panText(e.Label()))
		return name
	}
	services := map[string]bool{}
	var rules strings.Builder
	for _, r := range rs.Rules {
		src, dst := group("src", r.Source), group("dst", r.Dest)
		svc := fmt.Sprintf("md-%s-%d", r.Transport, r.Port)
		if !services[svc] {
			services[svc] = true
			fmt.Fprintf(&b, "set service %s protocol %s port %d tag %s\n", svc, r.Transport, r.Port, PANTag)
		}
		desc := r.RowID
		if r.Justification != "" {
			desc += ": " + r.Justification
		}
		fmt.Fprintf(&rules, "set rulebase security rules md-%03d-%s-%d from any to any source %s destination %s source-user any category any application any service %s action allow tag %s description \"%s\"\n",
			r.N, r.Transport, r.Port, src, dst, svc, PANTag, panText(desc))
	}
	b.WriteString(rules.String())
	fmt.Fprintf(&b, "set rulebase security rules md-deny-all from any to any source any destination any source-user any category any application any service any action deny log-end yes tag %s description \"default deny: everything the table does not allow\"\n", PANTag)
	b.WriteString("move rulebase security rules md-deny-all bottom\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// panText makes text safe in a double-quoted PAN-OS value: one line, no double quotes, at most
// 1023 characters (the description limit).
func panText(s string) string {
	s = strings.ReplaceAll(oneLine(s), `"`, "'")
	if len(s) > 1023 {
		s = s[:1023]
	}
	return s
}
