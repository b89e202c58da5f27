package hostfw

import (
	"net/netip"
	"strconv"
	"strings"
)

// iptables-legacy (the x_tables of old, not the iptables-nft that writes nftables tables,
// which this package reads as nftables): its INPUT chain read from `iptables-legacy -S`, and
// the argv that insert, delete and clean mockdirector's rules there.

// iptablesBin is the legacy command of an address family.
func iptablesBin(v6 bool) string {
	if v6 {
		return "ip6tables-legacy"
	}
	return "iptables-legacy"
}

// iptablesSpec is the rule that accepts p, after the chain (-I INPUT, -D INPUT).
func iptablesSpec(p Port, v6 bool) []string {
	var s []string
	if !p.anyAddr() {
		s = append(s, "-d", addrIf(p, v6).String())
	}
	return append(s, "-p", p.l4(), "-m", p.l4(), "--dport", strconv.Itoa(p.Port),
		"-m", "comment", "--comment", p.Comment(), "-j", "ACCEPT")
}

// IptablesInsert is the argv that puts p's accept rule at the top of iptables-legacy's INPUT.
func IptablesInsert(p Port, v6 bool) []string {
	return append([]string{iptablesBin(v6), "-w", "5", "-I", "INPUT", "1"}, iptablesSpec(p, v6)...)
}

// IptablesDelete is the argv that removes exactly the rule IptablesInsert added.
func IptablesDelete(p Port, v6 bool) []string {
	return append([]string{iptablesBin(v6), "-w", "5", "-D", "INPUT"}, iptablesSpec(p, v6)...)
}

// iptablesLeftovers turns the mockdirector rules of `iptables -S` into the argv that delete them.
func iptablesLeftovers(bin, dump string) [][]string {
	var out [][]string
	for line := range strings.SplitSeq(dump, "\n") {
		f := splitQuoted(line)
		if len(f) < 3 || f[0] != "-A" || !hasComment(f, Prefix) {
			continue
		}
		out = append(out, append([]string{bin, "-w", "5", "-D"}, f[1:]...))
	}
	return out
}

func hasComment(f []string, prefix string) bool {
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "--comment" && strings.HasPrefix(f[i+1], prefix) {
			return true
		}
	}
	return false
}

// splitQuoted splits an `iptables -S` line into its words: "..." is one word (\" and \\ inside).
func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	in, have := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && in && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '"':
			in, have = !in, true
		case (c == ' ' || c == '\t' || c == '\r') && !in:
			if have || cur.Len() > 0 {
				out = append(out, cur.String())
			}
			cur.Reset()
			have = false
		default:
			cur.WriteByte(c)
		}
	}
	if have || cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// parseIptables reads `iptables -S` (every chain of the filter table) into chains.
func parseIptables(bin, dump string) map[string]*chain {
	chains := map[string]*chain{}
	get := func(name string) *chain {
		c, ok := chains[name]
		if !ok {
			c = &chain{name: bin + " " + name}
			chains[name] = c
		}
		return c
	}
	var pending [][]string
	for line := range strings.SplitSeq(dump, "\n") {
		f := splitQuoted(line)
		switch {
		case len(f) >= 3 && f[0] == "-P":
			c := get(f[1])
			c.policy = vAccept
			if f[2] == "DROP" {
				c.policy = vDrop
			}
		case len(f) >= 2 && f[0] == "-N":
			get(f[1])
		case len(f) >= 2 && f[0] == "-A":
			get(f[1])
			pending = append(pending, f)
		}
	}
	// The targets are known only once every chain is (a rule may jump to one defined later).
	for _, f := range pending {
		c := chains[f[1]]
		c.rules = append(c.rules, iptablesRule(f, chains))
	}
	return chains
}

// iptablesRule reads one "-A CHAIN ..." line.
func iptablesRule(f []string, chains map[string]*chain) rule {
	r := rule{what: "`" + strings.Join(f, " ") + "`"}
	var conds []func(packet) tri
	neg := false
	add := func(m func(packet) tri) {
		if neg {
			inner := m
			m = func(p packet) tri { return 2 - inner(p) } // yes<->no, maybe stays
		}
		conds = append(conds, m)
		neg = false
	}
	unknown := func(packet) tri { return maybe }
	for i := 2; i < len(f); i++ {
		arg := func() string {
			if i+1 < len(f) {
				i++
				return f[i]
			}
			return ""
		}
		switch f[i] {
		case "!":
			neg = true
		case "-p", "--protocol":
			proto := arg()
			add(func(p packet) tri {
				switch {
				case proto == "all":
					return yes
				case proto == "tcp" || proto == "6":
					return boolTri(!p.udp)
				case proto == "udp" || proto == "17":
					return boolTri(p.udp)
				}
				return no
			})
		case "--dport", "--destination-port", "--dports", "--destination-ports":
			spec := arg()
			add(func(p packet) tri { return portIn(spec, p.port) })
		case "-d", "--destination":
			spec := arg()
			add(func(p packet) tri { return addrIn(spec, p.addr) })
		case "-i", "--in-interface":
			iface := arg()
			add(func(p packet) tri {
				if !p.addr.IsLoopback() {
					return maybe // from a peer on another interface, or from this host on lo
				}
				return boolTri(iface == "lo")
			})
		case "--state", "--ctstate":
			states := arg()
			add(func(packet) tri { return boolTri(containsWord(states, "NEW")) })
		case "-m", "--match":
			if m := arg(); m != "tcp" && m != "udp" && m != "comment" && m != "multiport" && m != "state" && m != "conntrack" {
				add(unknown)
			}
		case "--comment":
			arg()
		case "-j", "--jump", "-g", "--goto":
			opt, t := f[i], arg()
			r.verdict, r.target = iptablesTarget(t, chains)
			if (opt == "-g" || opt == "--goto") && r.verdict == vJump {
				r.verdict = vGoto
			}
			for i+1 < len(f) && strings.HasPrefix(f[i+1], "--") { // the target's own options
				i++
				arg()
			}
		default:
			if strings.HasPrefix(f[i], "-") {
				arg() // -s, -i, --sport, and what this reader does not know: it may not match
				add(unknown)
			}
		}
	}
	r.match = allOf(conds)
	return r
}

func iptablesTarget(t string, chains map[string]*chain) (verdict, string) {
	switch t {
	case "ACCEPT":
		return vAccept, ""
	case "DROP", "REJECT":
		return vDrop, ""
	case "RETURN":
		return vReturn, ""
	case "LOG", "NFLOG", "MARK", "CONNMARK", "TRACE", "AUDIT", "CT", "NOTRACK":
		return vNone, ""
	}
	if _, ok := chains[t]; ok {
		return vJump, t
	}
	return vMaybe, ""
}

func boolTri(b bool) tri {
	if b {
		return yes
	}
	return no
}

func containsWord(list, w string) bool {
	for s := range strings.SplitSeq(list, ",") {
		if s == w {
			return true
		}
	}
	return false
}

// portIn reads "443", "1000:2000" and "80,443,8000:8100".
func portIn(spec string, port int) tri {
	for s := range strings.SplitSeq(spec, ",") {
		lo, hi, isRange := strings.Cut(s, ":")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if lo == "" {
			a, err1 = 0, nil
		}
		if hi == "" {
			b, err2 = 65535, nil
		}
		if err1 != nil || err2 != nil {
			return maybe
		}
		if port >= a && port <= b {
			return yes
		}
	}
	return no
}

// addrIn says whether a connection to a port bound at addr goes to spec ("198.51.100.2/32"):
// for a port bound to every address, maybe.
func addrIn(spec string, addr netip.Addr) tri {
	pfx, err := netip.ParsePrefix(spec)
	if err != nil {
		a, aerr := netip.ParseAddr(spec)
		if aerr != nil {
			return maybe
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	if pfx.Bits() == 0 {
		return yes
	}
	if !addr.IsValid() {
		return maybe
	}
	return boolTri(pfx.Contains(addr))
}

// ShellLine renders argv for a POSIX shell, single-quoting what needs it.
func ShellLine(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = a
		if a == "" || strings.ContainsAny(a, " \t\"'$`\\|&;<>()*?[]{}!#~") {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
