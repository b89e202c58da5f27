package firewall

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// NftTable is the name of the inet table the nftables output defines (and replaces on reload).
const NftTable = "mockdirector"

// nftables writes an nft -f script: an inet table with a forward chain, policy drop, replies
// accepted by conntrack, one accept per rule with the row ID as its comment. Loading it again
// replaces the table in one transaction.
type nftables struct{}

func (nftables) Describe() string {
	return "nft -f script: inet table " + NftTable + ", forward chain, policy drop"
}

func (nftables) Binary() bool { return false }

func (nftables) Write(w io.Writer, rs *RuleSet) error {
	var b strings.Builder
	b.WriteString("#!/usr/sbin/nft -f\n")
	b.WriteString(header(rs, "#", "nftables"))
	b.WriteString("# Check: nft -c -f FILE. Load: nft -f FILE (replaces the table " + NftTable + " atomically).\n\n")
	fmt.Fprintf(&b, "table inet %s\ndelete table inet %s\n\n", NftTable, NftTable)
	fmt.Fprintf(&b, "table inet %s {\n\tchain forward {\n", NftTable)
	b.WriteString("\t\ttype filter hook forward priority filter; policy drop;\n\n")
	b.WriteString("\t\t# replies of the accepted paths\n")
	b.WriteString("\t\tct state established,related accept\n")
	b.WriteString("\t\tct state invalid drop\n")
	for _, r := range rs.Rules {
		b.WriteString("\n")
		writeRuleComment(&b, "\t\t# ", r)
		v4, v6 := r.Families()
		s4, s6 := split(r.Source.Addrs)
		d4, d6 := split(r.Dest.Addrs)
		if v4 {
			fmt.Fprintf(&b, "\t\tip saddr %s ip daddr %s %s dport %d accept comment \"%s\"\n", nftSet(s4), nftSet(d4), r.Transport, r.Port, comment(r.RowID))
		}
		if v6 {
			fmt.Fprintf(&b, "\t\tip6 saddr %s ip6 daddr %s %s dport %d accept comment \"%s\"\n", nftSet(s6), nftSet(d6), r.Transport, r.Port, comment(r.RowID))
		}
	}
	b.WriteString("\t}\n}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// nftSet writes one address bare, several as an anonymous set.
func nftSet(ps []netip.Prefix) string {
	if len(ps) == 1 {
		return addrText(ps[0])
	}
	return "{ " + addrList(ps, ", ") + " }"
}

// writeRuleComment writes the lines a person reads above a rule: the row, its origin and its note.
func writeRuleComment(b *strings.Builder, prefix string, r Rule) {
	fmt.Fprintf(b, "%srule %d: %s -> %s %s/%d %s, origin %s\n", prefix, r.N, r.Source.Label(), r.Dest.Label(), r.Transport, r.Port, r.Service, orDash(r.Origin))
	if r.Justification != "" {
		fmt.Fprintf(b, "%s%s\n", prefix, oneLine(r.Justification))
	}
}

// comment makes text safe inside a quoted firewall comment: one line, no double quotes, at most
// 128 bytes (the nftables limit).
func comment(s string) string {
	s = strings.ReplaceAll(oneLine(s), `"`, "'")
	if len(s) > 128 {
		s = s[:128]
	}
	return s
}

// oneLine folds whitespace runs (newlines included) into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
