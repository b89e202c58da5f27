package lab

import (
	"fmt"
	"github.com/mockdirector/mockdirector/scenarios"
	"strings"
)

// mutation is one deliberate fault in the firewall, applied to a fresh copy of firewall.nft.
type mutation struct {
	Name string
	// What describes the fault the way a firewall engineer would.
	What string
	// Apply returns the mutated rule set.
	Apply func(base string) (string, error)
	// Flips maps each case ID that must stop passing to a phrase its reason must contain.
	Flips map[string]string
	// ProbeFlips is the same for mockdirector probe's rows (scenario rows only, run as their
	// own source role); nil means the lab's own flips of scenario rows, with their phrases.
	ProbeFlips map[string]string
	// ProbeFlipsAs adds rows a prober runs as another role than the row's own (rows from any),
	// keyed "ROLE | ROW ID" as probeKeysFor's keys are.
	ProbeFlipsAs map[string]string
	// ProbeGaps are scenario rows the fault touches that mockdirector probe does not (yet)
	// catch; they may pass or fail, and the suite prints which.
	ProbeGaps []string
	// ProbeHold, when set, is the phrase the prober's hold row (holdKey) must fail with.
	ProbeHold string
	// HAProxy, when set, changes the rendered haproxy.cfg (the Director HLB) instead of or
	// besides the firewall; Apply nil leaves the firewall as written.
	HAProxy func(cfg string) (string, error)
	// HLBFlips are the HLB rows (hlbRuns, lab/hlb.yaml) that must fail, by probe key, with the
	// phrase their reason must contain.
	HLBFlips map[string]string
	// Monitors, when set, is what mockdirector report must call out about the HLB's health
	// monitors during the mutation; empty: it calls out nothing.
	Monitors string
}

const afterInvalid = "ct state invalid drop\n"

// insertRule puts a rule right after the conntrack rules at the top of the forward chain.
func insertRule(rule string) func(string) (string, error) {
	return func(base string) (string, error) {
		if !strings.Contains(base, afterInvalid) {
			return "", fmt.Errorf("lab: mutation: firewall.nft has no %q line to insert after", strings.TrimSpace(afterInvalid))
		}
		return strings.Replace(base, afterInvalid, afterInvalid+"\t\t"+rule+"\n", 1), nil
	}
}

func removeRule(comment string) func(string) (string, error) {
	return func(base string) (string, error) {
		var kept []string
		removed := 0
		for _, line := range strings.Split(base, "\n") {
			if strings.Contains(line, `comment "`+comment+`"`) {
				removed++
				continue
			}
			kept = append(kept, line)
		}
		if removed != 1 {
			return "", fmt.Errorf("lab: mutation: %d rules carry comment %q, want 1", removed, comment)
		}
		return strings.Join(kept, "\n"), nil
	}
}

func appendTable(table string) func(string) (string, error) {
	return func(base string) (string, error) { return base + "\n" + table, nil }
}

func chain(fs ...func(string) (string, error)) func(string) (string, error) {
	return func(s string) (string, error) {
		for _, f := range fs {
			var err error
			if s, err = f(s); err != nil {
				return "", err
			}
		}
		return s, nil
	}
}

// Row IDs the mutations flip (scenario rows and the lab's own paths).
const (
	idEdgeDirector  = "edge-internal->director tcp/5061 sip-mtls"
	idRPDir4443     = "reverse-proxy-internal->director tcp/4443 https"
	idRPDir8080     = "reverse-proxy-internal->director tcp/8080 http"
	idRPFe4443      = "reverse-proxy-internal->frontend tcp/4443 https"
	idDirectorEdge  = "director->edge-internal tcp/5061 sip-mtls"
	idPublished443  = "client->rp 443 published -> director 4443"
	idPublished80   = "client->rp 80 published -> director 8080"
	idHold          = "internal-clients->director tcp/80 hold"
	idClients4443   = "internal-clients->director tcp/4443 tcp"
	idClientsUDP443 = "internal-clients->director udp/443 udp-quic"
	snatAddr        = addrFWPerim
	idleTimeoutSecs = 3
)

// mutations is the fault set the e2e suite proves the harness catches.
var mutations = []mutation{
	{
		Name:       "drop 5061 Edge->Director",
		What:       "a drop rule for SIP/MTLS from the Edge internal interface to the Director",
		Apply:      insertRule(`ip saddr $EDGE_INT ip daddr { $DIR_VIP, 203.0.113.21, 203.0.113.22 } tcp dport 5061 drop comment "mutation"`),
		Flips:      map[string]string{idEdgeDirector: "filtered"},
		ProbeFlips: map[string]string{idEdgeDirector: "filtered"},
		HLBFlips:   map[string]string{hlbEdgeDist: "filtered"},
	},
	{
		Name:       "reject 4443 from the reverse proxy",
		What:       "a reject (TCP reset) rule for 4443 from the reverse proxy internal interface",
		Apply:      insertRule(`ip saddr $RP_INT tcp dport 4443 reject with tcp reset comment "mutation"`),
		Flips:      map[string]string{idRPDir4443: "refused", idRPFe4443: "refused", idPublished443: "502"},
		ProbeFlips: map[string]string{idRPDir4443: "refused", idRPFe4443: "refused"},
	},
	{
		Name:       "remove the Director->Edge 5061 return rule",
		What:       "the rule for SIP/MTLS from the Director back to the Edge internal interface is missing",
		Apply:      removeRule("text: director->edge 5061"),
		Flips:      map[string]string{idDirectorEdge: "filtered"},
		ProbeFlips: map[string]string{idDirectorEdge: "filtered"},
	},
	{
		Name: "SNAT on the reverse-proxy path",
		What: "the firewall source-NATs reverse proxy -> Director VIP traffic to its own address",
		Apply: appendTable(`table ip mdlab-nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr ` + addrRPInt + ` ip daddr ` + addrVIP + ` snat to ` + snatAddr + `
	}
}
`),
		Flips: map[string]string{
			idRPDir4443: "source seen as " + snatAddr, idRPDir8080: "source seen as " + snatAddr,
			idPublished443: "source seen as " + snatAddr, idPublished80: "source seen as " + snatAddr,
		},
		ProbeFlips: map[string]string{idRPDir4443: "saw source " + snatAddr, idRPDir8080: "saw source " + snatAddr},
		// The CLS banner names the source the mock saw, so the CLS rows from "any" that the
		// reverse proxy also runs flip too (issue 11: SNAT is seen on every row).
		ProbeFlipsAs: map[string]string{
			scenarios.RoleReverseProxy + " | any->director tcp/50001 cls-mtls": "saw source " + snatAddr,
			scenarios.RoleReverseProxy + " | any->director tcp/50002 cls-mtls": "saw source " + snatAddr,
			scenarios.RoleReverseProxy + " | any->director tcp/50003 cls-mtls": "saw source " + snatAddr,
		},
		HLBFlips: map[string]string{hlbRPDist: "saw source " + snatAddr, hlbRPCookie: "saw source " + snatAddr},
	},
	{
		Name: "DNAT 4443 -> 443",
		What: "a port forward sends the reverse proxy's 4443 to the VIP's 443 (with an accept for it)",
		Apply: chain(
			insertRule(`ip saddr $RP_INT ct status dnat ip daddr $DIR_VIP tcp dport 443 accept comment "mutation: port forward"`),
			appendTable(`table ip mdlab-nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr `+addrVIP+` tcp dport 4443 dnat to `+addrVIP+`:443
	}
}
`)),
		// The forward rule for internal clients' 443 matches after the DNAT too, so the port
		// forward also opens 4443 to internal clients: a guard row flips, which is the truth.
		Flips: map[string]string{idRPDir4443: "listener https-443", idPublished443: "listener https-443",
			idClients4443: "wider than the design"},
		ProbeFlips: map[string]string{idClients4443: "the path is open", idRPDir4443: "listener https-443"},
	},
	{
		Name:  "accept UDP 443 from the clients network",
		What:  "an accept for UDP 443 (HTTP/3, QUIC) from the clients network to the Director VIP, which the table does not list",
		Apply: insertRule(`ip saddr $CLIENTS ip daddr $DIR_VIP udp dport 443 accept comment "mutation: HTTP/3"`),
		// Behind the VIP the HLB forwards UDP to a Director serving HTTP/3 on 443
		// (peers/hlb-udp.nft.tmpl, topology.yaml), so the opened path meets a real QUIC endpoint:
		// the lab's handshake and the prober's both complete with ALPN h3. 4443 and 5061 stay
		// closed, and so does UDP 443 from the reverse proxy and the Edge.
		Flips:      map[string]string{idClientsUDP443: "wider than the design"},
		ProbeFlips: map[string]string{idClientsUDP443: "the path is open (QUIC v1 handshake, ALPN h3"},
	},
	{
		Name: "idle timeout far below the HLB's",
		What: fmt.Sprintf("conntrack forgets idle connections to the VIP after %d s (the HLB keeps 1800 s)", idleTimeoutSecs),
		Apply: appendTable(fmt.Sprintf(`table inet mdlab-idle {
	ct timeout short-idle {
		protocol tcp;
		l3proto ip;
		policy = { established: %d }
	}
	chain prerouting {
		type filter hook prerouting priority filter; policy accept;
		ip daddr %s ct timeout set "short-idle"
	}
}
`, idleTimeoutSecs, addrVIP)),
		Flips: map[string]string{idHold: "cut"},
		// The prober's hold row (lab/hold.yaml) runs when the prober has --hold; see holdKey.
		ProbeFlips: map[string]string{},
		ProbeHold:  "dropped the idle connection",
	},
}
