package firewall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"

	"github.com/mockdirector/mockdirector/topology"
)

// KernelRule is an accept rule of the nftables table as the kernel holds it, read back with
// nft -j: what a loaded rule set really enforces, to compare with the rule model.
type KernelRule struct {
	// Comment is the rule's comment: the row ID for rules the nftables format wrote.
	Comment string
	// Family is ip or ip6.
	Family string
	// Sources and Dests are the saddr and daddr matches (empty: any).
	Sources, Dests []netip.Prefix
	// Transport and Port are the dport match (tcp or udp; 0: any).
	Transport string
	Port      int
}

// LoadNftables loads an nftables rule set written by the nftables format into the network
// namespace netns (ip netns exec NETNS nft -f PATH), then reads the table back from the kernel and
// returns its accept rules that carry a comment, in order. It never touches the caller's own
// namespace: netns is required.
func LoadNftables(ctx context.Context, netns, path string) ([]KernelRule, error) {
	if netns == "" {
		return nil, errors.New("load nftables: a network namespace is required (the rules would replace this host's forward policy)")
	}
	if out, err := exec.CommandContext(ctx, "ip", "netns", "exec", netns, "nft", "-f", path).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("load nftables %s into netns %s: %w: %s", path, netns, err, strings.TrimSpace(string(out)))
	}
	out, err := exec.CommandContext(ctx, "ip", "netns", "exec", netns, "nft", "-j", "list", "table", "inet", NftTable).Output()
	if err != nil {
		return nil, fmt.Errorf("read back table inet %s in netns %s: %w", NftTable, netns, err)
	}
	return parseNftJSON(out)
}

// Kernel returns what the nftables format's rules for r look like once loaded: one KernelRule per
// IP version the rule joins, IPv4 first.
func (r Rule) Kernel() []KernelRule {
	var out []KernelRule
	v4, v6 := r.Families()
	s4, s6 := split(r.Source.Addrs)
	d4, d6 := split(r.Dest.Addrs)
	if v4 {
		out = append(out, KernelRule{Comment: comment(r.RowID), Family: "ip", Sources: s4, Dests: d4, Transport: r.Transport, Port: r.Port})
	}
	if v6 {
		out = append(out, KernelRule{Comment: comment(r.RowID), Family: "ip6", Sources: s6, Dests: d6, Transport: r.Transport, Port: r.Port})
	}
	return out
}

// nftMatch is one match expression of nft -j output.
type nftMatch struct {
	Op   string `json:"op"`
	Left struct {
		Payload *struct {
			Protocol string `json:"protocol"`
			Field    string `json:"field"`
		} `json:"payload"`
	} `json:"left"`
	Right json.RawMessage `json:"right"`
}

// parseNftJSON returns the commented accept rules of nft -j list output.
func parseNftJSON(data []byte) ([]KernelRule, error) {
	var doc struct {
		Nftables []struct {
			Rule *struct {
				Comment string                       `json:"comment"`
				Expr    []map[string]json.RawMessage `json:"expr"`
			} `json:"rule"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("nft -j output: %w", err)
	}
	var rules []KernelRule
	for _, item := range doc.Nftables {
		if item.Rule == nil || item.Rule.Comment == "" || len(item.Rule.Expr) == 0 {
			continue
		}
		if _, ok := item.Rule.Expr[len(item.Rule.Expr)-1]["accept"]; !ok {
			continue
		}
		kr := KernelRule{Comment: item.Rule.Comment}
		for _, e := range item.Rule.Expr[:len(item.Rule.Expr)-1] {
			raw, ok := e["match"]
			if !ok {
				return nil, fmt.Errorf("rule %q: expression %v is not a match", kr.Comment, keys(e))
			}
			var m nftMatch
			if err := json.Unmarshal(raw, &m); err != nil || m.Left.Payload == nil || m.Op != "==" {
				return nil, fmt.Errorf("rule %q: unexpected match %s", kr.Comment, raw)
			}
			switch p := m.Left.Payload; p.Field {
			case "saddr", "daddr":
				addrs, err := nftAddrs(m.Right)
				if err != nil {
					return nil, fmt.Errorf("rule %q: %s %s: %w", kr.Comment, p.Protocol, p.Field, err)
				}
				kr.Family = p.Protocol
				if p.Field == "saddr" {
					kr.Sources = addrs
				} else {
					kr.Dests = addrs
				}
			case "dport":
				if err := json.Unmarshal(m.Right, &kr.Port); err != nil {
					return nil, fmt.Errorf("rule %q: dport %s: %w", kr.Comment, m.Right, err)
				}
				kr.Transport = p.Protocol
			default:
				return nil, fmt.Errorf("rule %q: unexpected match on %s %s", kr.Comment, p.Protocol, p.Field)
			}
		}
		rules = append(rules, kr)
	}
	return rules, nil
}

// nftAddrs reads an address match's right side: an address, a prefix, or a set of them.
func nftAddrs(raw json.RawMessage) ([]netip.Prefix, error) {
	var set struct {
		Set []json.RawMessage `json:"set"`
	}
	if json.Unmarshal(raw, &set) == nil && set.Set != nil {
		var out []netip.Prefix
		for _, el := range set.Set {
			p, err := nftAddr(el)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	}
	p, err := nftAddr(raw)
	if err != nil {
		return nil, err
	}
	return []netip.Prefix{p}, nil
}

// nftAddr reads "192.0.2.10" or {"prefix": {"addr": "192.0.2.0", "len": 28}}.
func nftAddr(raw json.RawMessage) (netip.Prefix, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return topology.ParsePrefix(s)
	}
	var p struct {
		Prefix *struct {
			Addr string `json:"addr"`
			Len  int    `json:"len"`
		} `json:"prefix"`
	}
	if err := json.Unmarshal(raw, &p); err != nil || p.Prefix == nil {
		return netip.Prefix{}, fmt.Errorf("not an address or prefix: %s", raw)
	}
	a, err := netip.ParseAddr(p.Prefix.Addr)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, p.Prefix.Len), nil
}

func keys(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
