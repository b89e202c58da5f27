package hostfw

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// nftables through netlink (github.com/google/nftables, no `nft` text to parse): the input
// base chains of every table read into chains, the accept rules inserted at their top, and
// mockdirector's own table.

// nftChain is one base chain on the input hook, read into a chain of the evaluator.
type nftChain struct {
	table  *nftables.Table
	chain  *nftables.Chain
	model  *chain
	chains map[string]*chain // the regular chains of the same table
}

func familyName(f nftables.TableFamily) string {
	switch f {
	case nftables.TableFamilyINet:
		return "inet"
	case nftables.TableFamilyIPv4:
		return "ip"
	case nftables.TableFamilyIPv6:
		return "ip6"
	}
	return fmt.Sprintf("family-%d", f)
}

func (c nftChain) name() string {
	return familyName(c.table.Family) + " " + c.table.Name + " " + c.chain.Name
}

// takes says whether connections of the packet's family pass through the chain.
func (c nftChain) takes(p packet) bool {
	switch c.table.Family {
	case nftables.TableFamilyIPv4:
		return !p.v6
	case nftables.TableFamilyIPv6:
		return p.v6
	}
	return true
}

// nftInputChains reads every filter base chain on the input hook of ip, ip6 and inet, except
// mockdirector's own and those of the tables skip names (the ones firewalld or ufw manage).
func nftInputChains(c *nftables.Conn, skip func(*nftables.Table, []*nftables.Chain) bool) ([]nftChain, error) {
	all, err := c.ListChains()
	if err != nil {
		return nil, fmt.Errorf("nftables: list chains: %w", err)
	}
	byTable := map[*nftables.Table][]*nftables.Chain{}
	var tables []*nftables.Table
	key := map[string]*nftables.Table{}
	for _, ch := range all {
		k := familyName(ch.Table.Family) + " " + ch.Table.Name
		t, ok := key[k]
		if !ok {
			t = ch.Table
			key[k] = t
			tables = append(tables, t)
		}
		byTable[t] = append(byTable[t], ch)
	}
	var out []nftChain
	for _, t := range tables {
		switch t.Family {
		case nftables.TableFamilyINet, nftables.TableFamilyIPv4, nftables.TableFamilyIPv6:
		default:
			continue
		}
		chs := byTable[t]
		if (t.Name == OwnTable && t.Family == nftables.TableFamilyINet) || (skip != nil && skip(t, chs)) {
			continue
		}
		var bases []*nftables.Chain
		regular := map[string]*chain{}
		for _, ch := range chs {
			isInput := ch.Hooknum != nil && *ch.Hooknum == *nftables.ChainHookInput && ch.Type == nftables.ChainTypeFilter
			if ch.Hooknum != nil && !isInput {
				continue
			}
			m, err := nftModel(c, t, ch)
			if err != nil {
				return nil, err
			}
			if isInput {
				bases = append(bases, ch)
			}
			regular[ch.Name] = m
		}
		for _, b := range bases {
			out = append(out, nftChain{table: t, chain: b, model: regular[b.Name], chains: regular})
		}
	}
	return out, nil
}

// nftModel reads a chain's rules.
func nftModel(c *nftables.Conn, t *nftables.Table, ch *nftables.Chain) (*chain, error) {
	rules, err := c.GetRules(t, ch)
	if err != nil {
		return nil, fmt.Errorf("nftables: rules of %s %s %s: %w", familyName(t.Family), t.Name, ch.Name, err)
	}
	m := &chain{name: familyName(t.Family) + " " + t.Name + " " + ch.Name}
	if ch.Policy != nil {
		m.policy = vAccept
		if *ch.Policy == nftables.ChainPolicyDrop {
			m.policy = vDrop
		}
	}
	sets := setReader{c: c, t: t, cache: map[string]*portSet{}}
	for _, r := range rules {
		m.rules = append(m.rules, nftRule(t.Family, r, &sets))
	}
	return m, nil
}

// register values the evaluator understands.
type regKind int8

const (
	rUnknown regKind = iota
	rL4proto
	rDport
	rNfproto
	rCtState
	rDaddr4
	rDaddr6
	rIif     // meta iif: the interface index (lo is 1 in every network namespace)
	rIifname // meta iifname
)

type regVal struct {
	kind regKind
	mask uint32 // rCtState after a bitwise: the state bits kept
}

// ctNew is the conntrack state bit of a new connection (NF_CT_STATE_BIT(IP_CT_NEW)).
const ctNew = 1 << 3

// nftRule reads one rule's expressions into a match and a verdict.
func nftRule(fam nftables.TableFamily, r *nftables.Rule, sets *setReader) rule {
	out := rule{what: fmt.Sprintf("the rule with handle %d", r.Handle)}
	if c, ok := userdata.GetString(r.UserData, userdata.TypeComment); ok {
		out.what += fmt.Sprintf(" (comment %q)", c)
	}
	regs := map[uint32]regVal{}
	var conds []func(packet) tri
	for _, e := range r.Exprs {
		switch e := e.(type) {
		case *expr.Meta:
			if e.SourceRegister {
				continue
			}
			k := rUnknown
			switch e.Key {
			case expr.MetaKeyL4PROTO:
				k = rL4proto
			case expr.MetaKeyNFPROTO:
				k = rNfproto
			case expr.MetaKeyIIF:
				k = rIif
			case expr.MetaKeyIIFNAME:
				k = rIifname
			}
			regs[e.Register] = regVal{kind: k}
		case *expr.Payload:
			if e.OperationType != expr.PayloadLoad {
				continue
			}
			regs[e.DestRegister] = regVal{kind: payloadKind(fam, e)}
		case *expr.Ct:
			if e.SourceRegister {
				continue
			}
			k := rUnknown
			if e.Key == expr.CtKeySTATE {
				k = rCtState
			}
			regs[e.Register] = regVal{kind: k, mask: ^uint32(0)}
		case *expr.Bitwise:
			v := regs[e.SourceRegister]
			if v.kind == rCtState && len(e.Mask) == 4 && isZero(e.Xor) {
				v.mask &= binary.NativeEndian.Uint32(e.Mask)
			} else {
				v.kind = rUnknown
			}
			regs[e.DestRegister] = v
		case *expr.Cmp:
			v, data, op := regs[e.Register], slices.Clone(e.Data), e.Op
			conds = append(conds, func(p packet) tri { return cmpMatch(v, op, data, p) })
		case *expr.Lookup:
			v := regs[e.SourceRegister]
			set := sets.get(e.SetName)
			inv := e.Invert
			conds = append(conds, func(p packet) tri {
				t := maybe
				if v.kind == rDport && set != nil {
					t = set.has(p.port)
				} else if v.kind == rL4proto && set != nil {
					t = set.has(l4num(p))
				}
				if inv {
					t = 2 - t
				}
				return t
			})
			if e.IsDestRegSet {
				regs[e.DestRegister] = regVal{}
			}
		case *expr.Verdict:
			switch e.Kind {
			case expr.VerdictAccept:
				out.verdict = vAccept
			case expr.VerdictDrop:
				out.verdict = vDrop
			case expr.VerdictJump:
				out.verdict, out.target = vJump, e.Chain
			case expr.VerdictGoto:
				out.verdict, out.target = vGoto, e.Chain
			case expr.VerdictReturn:
				out.verdict = vReturn
			}
		case *expr.Reject:
			out.verdict = vDrop
		case *expr.Target:
			switch e.Name {
			case "REJECT", "DROP":
				out.verdict = vDrop
			case "LOG", "NFLOG", "MARK", "CONNMARK", "TRACE", "AUDIT", "CT", "NOTRACK":
			default:
				out.verdict = vMaybe
			}
		case *expr.Match:
			if e.Name != "comment" && e.Name != "tcp" && e.Name != "udp" {
				conds = append(conds, func(packet) tri { return maybe })
			}
		case *expr.Counter, *expr.Log, *expr.Objref, *expr.Immediate:
			// statements that do not decide whether the rule matches
		case *expr.Queue:
			out.verdict = vMaybe
		default:
			conds = append(conds, func(packet) tri { return maybe })
		}
	}
	out.match = allOf(conds)
	return out
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func payloadKind(fam nftables.TableFamily, e *expr.Payload) regKind {
	switch {
	case e.Base == expr.PayloadBaseTransportHeader && e.Offset == 2 && e.Len == 2:
		return rDport // tcp dport, udp dport, th dport
	case e.Base == expr.PayloadBaseNetworkHeader && fam == nftables.TableFamilyIPv4 && e.Offset == 9 && e.Len == 1:
		return rL4proto // ip protocol (iptables-nft's -p)
	case e.Base == expr.PayloadBaseNetworkHeader && e.Offset == 16 && e.Len == 4:
		return rDaddr4
	case e.Base == expr.PayloadBaseNetworkHeader && e.Offset == 24 && e.Len == 16:
		return rDaddr6
	}
	return rUnknown
}

func l4num(p packet) int {
	if p.udp {
		return unix.IPPROTO_UDP
	}
	return unix.IPPROTO_TCP
}

// cmpMatch compares what a register holds for the packet with data.
func cmpMatch(v regVal, op expr.CmpOp, data []byte, p packet) tri {
	var have, want uint64
	switch v.kind {
	case rL4proto:
		if len(data) != 1 {
			return maybe
		}
		have, want = uint64(l4num(p)), uint64(data[0])
	case rNfproto:
		if len(data) != 1 {
			return maybe
		}
		have, want = unix.NFPROTO_IPV4, uint64(data[0])
		if p.v6 {
			have = unix.NFPROTO_IPV6
		}
	case rDport:
		if len(data) != 2 {
			return maybe
		}
		have, want = uint64(p.port), uint64(binary.BigEndian.Uint16(data))
	case rCtState:
		if len(data) != 4 {
			return maybe
		}
		have, want = uint64(ctNew&v.mask), uint64(binary.NativeEndian.Uint32(data))
	case rIif, rIifname:
		// A connection to a loopback address comes in on lo; to another address, from a peer on
		// another interface or from this host on lo: it cannot be told.
		if !p.addr.IsLoopback() || (op != expr.CmpOpEq && op != expr.CmpOpNeq) {
			return maybe
		}
		isLo := len(data) == 4 && binary.NativeEndian.Uint32(data) == 1
		if v.kind == rIifname {
			isLo = strings.TrimRight(string(data), "\x00") == "lo"
		}
		return boolTri(isLo == (op == expr.CmpOpEq))
	case rDaddr4, rDaddr6:
		a, ok := netip.AddrFromSlice(data)
		if !ok || (op != expr.CmpOpEq && op != expr.CmpOpNeq) {
			return maybe
		}
		if !p.addr.IsValid() {
			return maybe // bound to every address: a connection may go to this one or not
		}
		eq := p.addr.Unmap() == a.Unmap()
		return boolTri(eq == (op == expr.CmpOpEq))
	default:
		return maybe
	}
	var r bool
	switch op {
	case expr.CmpOpEq:
		r = have == want
	case expr.CmpOpNeq:
		r = have != want
	case expr.CmpOpLt:
		r = have < want
	case expr.CmpOpLte:
		r = have <= want
	case expr.CmpOpGt:
		r = have > want
	case expr.CmpOpGte:
		r = have >= want
	default:
		return maybe
	}
	return boolTri(r)
}

// portSet is a set of ports or protocols; nil elements with maybe: it could not be read.
type portSet struct {
	single   map[int]bool
	interval [][2]int
	unsure   bool
}

func (s *portSet) has(n int) tri {
	if s.single[n] {
		return yes
	}
	for _, iv := range s.interval {
		if n >= iv[0] && n < iv[1] {
			return yes
		}
	}
	if s.unsure {
		return maybe
	}
	return no
}

type setReader struct {
	c     *nftables.Conn
	t     *nftables.Table
	cache map[string]*portSet
}

// get reads a set of ports (inet_service) or protocols (inet_proto), anonymous or named.
func (r *setReader) get(name string) *portSet {
	if s, ok := r.cache[name]; ok {
		return s
	}
	var out *portSet
	defer func() { r.cache[name] = out }()
	set, err := r.c.GetSetByName(r.t, name)
	if err != nil || set.Concatenation || (set.KeyType.Bytes != 2 && set.KeyType.Bytes != 1) {
		return nil
	}
	elems, err := r.c.GetSetElements(set)
	if err != nil {
		return nil
	}
	out = &portSet{single: map[int]bool{}}
	num := func(b []byte) int {
		switch len(b) {
		case 1:
			return int(b[0])
		case 2:
			return int(binary.BigEndian.Uint16(b))
		}
		out.unsure = true
		return -1
	}
	if !set.Interval {
		for _, e := range elems {
			out.single[num(e.Key)] = true
		}
		return out
	}
	// An interval set holds each range as its start and, flagged IntervalEnd, the first value
	// after it; sorted by key, the starts and ends alternate.
	slices.SortFunc(elems, func(a, b nftables.SetElement) int { return num(a.Key) - num(b.Key) })
	start := -1
	for _, e := range elems {
		n := num(e.Key)
		switch {
		case !e.IntervalEnd:
			if start >= 0 {
				out.interval = append(out.interval, [2]int{start, 1 << 16})
			}
			start = n
		case start >= 0:
			out.interval = append(out.interval, [2]int{start, n})
			start = -1
		}
	}
	if start >= 0 {
		out.interval = append(out.interval, [2]int{start, 1 << 16})
	}
	return out
}

// acceptExprs is the rule `[ip|ip6 daddr ADDR] tcp|udp dport PORT accept` for a chain of the
// family (what `nft` itself writes for that text, so `nft list ruleset` shows it so).
func acceptExprs(fam nftables.TableFamily, p Port, v6 bool) []expr.Any {
	var e []expr.Any
	if !p.anyAddr() {
		a := addrIf(p, v6)
		if fam == nftables.TableFamilyINet {
			nf := byte(unix.NFPROTO_IPV4)
			if v6 {
				nf = unix.NFPROTO_IPV6
			}
			e = append(e, &expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{nf}})
		}
		off, n := uint32(16), uint32(4)
		if v6 {
			off, n = 24, 16
		}
		e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a.AsSlice()})
	}
	proto := byte(unix.IPPROTO_TCP)
	if p.UDP {
		proto = unix.IPPROTO_UDP
	}
	port := binary.BigEndian.AppendUint16(nil, uint16(p.Port))
	return append(e,
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: port},
		&expr.Verdict{Kind: expr.VerdictAccept})
}

// commentOf is a rule's comment ("" without one).
func commentOf(r *nftables.Rule) string {
	c, _ := userdata.GetString(r.UserData, userdata.TypeComment)
	return c
}

func ours(r *nftables.Rule) bool { return strings.HasPrefix(commentOf(r), Prefix) }
