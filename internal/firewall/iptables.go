package firewall

import (
	"fmt"
	"io"
	"strings"
)

// iptables writes an iptables-restore file for the filter table: FORWARD policy DROP, replies
// accepted by conntrack, one ACCEPT per rule with the row ID in a comment match. It is IPv4 only
// (iptables-restore); a rule set with IPv6 addresses is refused rather than half written.
type iptables struct{}

func (iptables) Describe() string {
	return "iptables-restore file (IPv4 only): filter table, FORWARD policy DROP"
}

func (iptables) Binary() bool { return false }

func (iptables) Write(w io.Writer, rs *RuleSet) error {
	var v6 []string
	for _, r := range rs.Rules {
		if _, has6 := r.Families(); has6 {
			v6 = append(v6, fmt.Sprintf("rule %d (%s)", r.N, r.RowID))
		}
	}
	if len(v6) > 0 {
		return fmt.Errorf("iptables-restore is IPv4 only and %s join IPv6 addresses: use --format nftables (an inet table carries both), or remove the IPv6 entries from the topology", strings.Join(v6, ", "))
	}
	var b strings.Builder
	b.WriteString(header(rs, "#", "iptables"))
	b.WriteString("# Check: iptables-restore --test FILE. Load: iptables-restore FILE. This replaces the whole\n")
	b.WriteString("# filter table (INPUT and OUTPUT are left ACCEPT): merge the router's own INPUT rules first.\n")
	b.WriteString("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n")
	b.WriteString("# replies of the accepted paths\n")
	b.WriteString("-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n")
	b.WriteString("-A FORWARD -m conntrack --ctstate INVALID -j DROP\n")
	for _, r := range rs.Rules {
		// An IPv6 entry on one side only can match nothing here; the IPv4 ones carry the rule.
		s4, _ := split(r.Source.Addrs)
		d4, _ := split(r.Dest.Addrs)
		writeRuleComment(&b, "# ", r)
		fmt.Fprintf(&b, "-A FORWARD -s %s -d %s -p %s -m %s --dport %d -m comment --comment \"%s\" -j ACCEPT\n",
			addrList(s4, ","), addrList(d4, ","), r.Transport, r.Transport, r.Port, comment(r.RowID))
	}
	b.WriteString("COMMIT\n")
	_, err := io.WriteString(w, b.String())
	return err
}
