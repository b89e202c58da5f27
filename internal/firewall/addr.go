package firewall

import (
	"net/netip"
	"slices"
	"strings"
)

// minimize masks each prefix, drops duplicates and prefixes inside another one, and sorts IPv4
// first. nftables refuses overlapping intervals in one set, and a firewall team reads a short list
// faster.
func minimize(in []netip.Prefix) []netip.Prefix {
	var ps []netip.Prefix
	for _, p := range in {
		ps = append(ps, p.Masked())
	}
	slices.SortFunc(ps, comparePrefix)
	ps = slices.Compact(ps)
	var out []netip.Prefix
	for _, p := range ps {
		if !slices.ContainsFunc(ps, func(q netip.Prefix) bool { return q != p && q.Bits() < p.Bits() && q.Contains(p.Addr()) }) {
			out = append(out, p)
		}
	}
	return out
}

// comparePrefix orders IPv4 before IPv6, then by address, then shorter prefixes first.
func comparePrefix(a, b netip.Prefix) int {
	if a.Addr().Is4() != b.Addr().Is4() {
		if a.Addr().Is4() {
			return -1
		}
		return 1
	}
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// split separates IPv4 and IPv6 prefixes.
func split(ps []netip.Prefix) (v4, v6 []netip.Prefix) {
	for _, p := range ps {
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	return v4, v6
}

// sharesFamily reports whether a rule from src to dst can match anything.
func sharesFamily(src, dst []netip.Prefix) bool {
	s4, s6 := split(src)
	d4, d6 := split(dst)
	return (len(s4) > 0 && len(d4) > 0) || (len(s6) > 0 && len(d6) > 0)
}

// families names the IP versions of a list, for messages.
func families(ps []netip.Prefix) string {
	v4, v6 := split(ps)
	switch {
	case len(v4) > 0 && len(v6) > 0:
		return "IPv4 and IPv6"
	case len(v6) > 0:
		return "IPv6 only"
	}
	return "IPv4 only"
}

// overlap returns the first prefix of a that shares an address with a prefix of b (the smaller of
// the two).
func overlap(a, b []netip.Prefix) (netip.Prefix, bool) {
	for _, p := range a {
		for _, q := range b {
			if p.Overlaps(q) {
				if p.Bits() >= q.Bits() {
					return p, true
				}
				return q, true
			}
		}
	}
	return netip.Prefix{}, false
}

// addrText writes a prefix as a bare address when it is a single host, else as a CIDR.
func addrText(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// addrList joins prefixes with sep, hosts as bare addresses.
func addrList(ps []netip.Prefix, sep string) string {
	var s []string
	for _, p := range ps {
		s = append(s, addrText(p))
	}
	return strings.Join(s, sep)
}
