package firewall

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
)

// ASAACL is the name of the access list the cisco-asa output defines.
const ASAACL = "MOCKDIRECTOR"

// ciscoASA writes Cisco ASA configuration (9.x, unified IPv4/IPv6 ACLs): one network object-group
// per role and side, one remark and one permit per rule, a final deny with log. No parser for it
// exists here: its tests compare the text with stored expected output.
type ciscoASA struct{}

func (ciscoASA) Describe() string {
	return "Cisco ASA 9.x: object-groups, access-list " + ASAACL + ", final deny (then access-group)"
}

func (ciscoASA) Binary() bool { return false }

func (ciscoASA) Write(w io.Writer, rs *RuleSet) error {
	var b strings.Builder
	b.WriteString(header(rs, "!", "cisco-asa"))
	b.WriteString("! Paste in configure terminal. Then bind it, e.g. access-group " + ASAACL + " global\n")
	b.WriteString("! (or in interface NAME per ingress interface), and check: show access-list " + ASAACL + "\n")
	groups := map[string]bool{}
	group := func(side string, e Endpoint) string {
		name := "MD-" + side + "-" + e.Role
		if groups[name] {
			return name
		}
		groups[name] = true
		fmt.Fprintf(&b, "object-group network %s\n description %s\n", name, asaText(e.Label(), 200))
		for _, p := range e.Addrs {
			fmt.Fprintf(&b, " network-object %s\n", asaObject(p))
		}
		return name
	}
	var acl strings.Builder
	for _, r := range rs.Rules {
		src, dst := group("SRC", r.Source), group("DST", r.Dest)
		fmt.Fprintf(&acl, "access-list %s remark %s\n", ASAACL, asaText(fmt.Sprintf("rule %d: %s", r.N, r.RowID), 100))
		fmt.Fprintf(&acl, "access-list %s extended permit %s object-group %s object-group %s eq %d\n", ASAACL, r.Transport, src, dst, r.Port)
	}
	fmt.Fprintf(&acl, "access-list %s remark default deny: everything the table does not allow\n", ASAACL)
	fmt.Fprintf(&acl, "access-list %s extended deny ip any any log\n", ASAACL)
	b.WriteString(acl.String())
	_, err := io.WriteString(w, b.String())
	return err
}

// asaObject writes a network-object: host A, A MASK for IPv4 networks, A/N for IPv6 networks.
func asaObject(p netip.Prefix) string {
	switch {
	case p.IsSingleIP():
		return "host " + p.Addr().String()
	case p.Addr().Is4():
		return p.Addr().String() + " " + net.IP(net.CIDRMask(p.Bits(), 32)).String()
	}
	return p.String()
}

// asaText folds text to one line of at most n characters (remark 100, description 200).
func asaText(s string, n int) string {
	s = oneLine(s)
	if len(s) > n {
		s = s[:n]
	}
	return s
}
