package hostfw

import (
	"fmt"
	"net/netip"
)

// The rules of a host firewall as this package reads them: enough to say whether a new inbound
// connection to one bound port is accepted, dropped, or maybe dropped (a match it cannot read),
// whatever the firewall (nftables through netlink, iptables-legacy from `iptables -S`).

// tri is the answer to "does this rule match the packet": no, maybe (a match it cannot read), yes.
type tri int8

const (
	no tri = iota
	maybe
	yes
)

func (a tri) and(b tri) tri { return min(a, b) }

// allOf is a rule's match: every one of its conditions (a rule without any matches all).
func allOf(conds []func(packet) tri) func(packet) tri {
	return func(p packet) tri {
		t := yes
		for _, c := range conds {
			t = t.and(c(p))
		}
		return t
	}
}

// packet is a new inbound connection to one bound port, as an input chain sees it.
type packet struct {
	v6   bool
	udp  bool
	port int
	addr netip.Addr // the address the port is bound to; zero: any local address
}

func (p Port) packets() []packet {
	var out []packet
	if p.v4() {
		out = append(out, packet{udp: p.UDP, port: p.Port, addr: addrIf(p, false)})
	}
	if p.v6() {
		out = append(out, packet{v6: true, udp: p.UDP, port: p.Port, addr: addrIf(p, true)})
	}
	return out
}

func addrIf(p Port, v6 bool) netip.Addr {
	if p.anyAddr() {
		return netip.Addr{}
	}
	if v6 {
		return p.Addr
	}
	return p.Addr.Unmap()
}

// verdict is what a rule does when it matches.
type verdict int8

const (
	vNone   verdict = iota // a rule without a verdict (counter, log)
	vAccept                // accept
	vDrop                  // drop, reject
	vJump                  // jump: the target chain, then back
	vGoto                  // goto: the target chain, not back
	vReturn                // return to the calling chain
	vMaybe                 // queue and the like: the packet may not pass
)

// rule is one rule: whether it matches a packet, and what it does then.
type rule struct {
	match   func(packet) tri
	verdict verdict
	target  string // the chain of a jump or goto
	what    string // how a person finds it: "handle 7", "-A INPUT -j DROP"
}

// chain is one chain; a base chain has a policy (vAccept or vDrop).
type chain struct {
	name   string // "inet filter input", "iptables-legacy INPUT"
	policy verdict
	rules  []rule
}

// outcome is what one base chain does with a packet.
type outcome int8

const (
	passes   outcome = iota // no rule decides and the policy accepts
	accepted                // a rule accepts it
	dropped                 // a rule or the policy drops it
	mayDrop                 // a rule that may match drops it
)

// decision is an outcome and the rule or policy behind it.
type decision struct {
	outcome outcome
	why     string
}

func (d decision) blocks() bool { return d.outcome == dropped || d.outcome == mayDrop }

// decide runs a packet through a base chain, into the regular chains it jumps to (looked up in
// chains, the chains of the same table).
func decide(base *chain, chains map[string]*chain, p packet) decision {
	d, done, unsure := walk(base, chains, p, 0)
	if done {
		return d
	}
	if base.policy == vDrop {
		if unsure != nil {
			return decision{mayDrop, "policy drop (unless " + unsure.what + " accepts it first)"}
		}
		return decision{dropped, "policy drop"}
	}
	return decision{passes, ""}
}

// walk returns the decision of the first rule that ends the packet's way through c (accept,
// drop, a goto), or done=false when it falls off the end or returns; unsure is an accept on the
// way that may have matched (a source address, an interface: the packet may not get that far).
func walk(c *chain, chains map[string]*chain, p packet, depth int) (d decision, done bool, unsure *rule) {
	if depth > 16 {
		return decision{mayDrop, "chains nested deeper than 16 in " + c.name}, true, nil
	}
	for i := range c.rules {
		r := &c.rules[i]
		m := r.match(p)
		if m == no {
			continue
		}
		switch r.verdict {
		case vAccept:
			if m == yes {
				return decision{accepted, "accepted by " + r.what + " in " + c.name}, true, nil
			}
			unsure = r
		case vDrop, vMaybe:
			if m == yes && r.verdict == vDrop {
				return decision{dropped, "dropped by " + r.what + " in " + c.name}, true, nil
			}
			why := "may be dropped by " + r.what + " in " + c.name
			if unsure != nil {
				why += " (unless " + unsure.what + " accepts it first)"
			}
			return decision{mayDrop, why}, true, nil
		case vJump, vGoto:
			sub, ok := chains[r.target]
			if !ok {
				return decision{mayDrop, fmt.Sprintf("%s jumps to %s, which cannot be read", r.what, r.target)}, true, nil
			}
			d, done, u := walk(sub, chains, p, depth+1)
			if u != nil && unsure == nil {
				unsure = u
			}
			if done {
				if m == maybe && d.outcome == dropped {
					d.outcome = mayDrop
				}
				if m == maybe && d.outcome == accepted {
					unsure = r
					continue // it may not have gone there: the rest of this chain still counts
				}
				return d, true, nil
			}
			if r.verdict == vGoto && m == yes {
				return decision{}, false, unsure
			}
		case vReturn:
			if m == yes {
				return decision{}, false, unsure
			}
		}
	}
	return decision{}, false, unsure
}

// blockOf decides every port's packets in one base chain.
func blockOf(name string, ports []Port, takes func(packet) bool, base *chain, chains map[string]*chain) (Block, bool) {
	b := Block{Firewall: name, Certain: true}
	if base == nil {
		return b, false
	}
	for _, p := range ports {
		for _, pk := range p.packets() {
			if !takes(pk) {
				continue
			}
			if d := decide(base, chains, pk); d.blocks() {
				if len(b.Ports) == 0 {
					b.Why = d.why
				}
				b.Certain = b.Certain && d.outcome == dropped
				b.Ports = append(b.Ports, p)
				break
			}
		}
	}
	return b, len(b.Ports) > 0
}
