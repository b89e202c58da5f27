package lab

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/scenarios"
)

// hlbRuns are the prober's runs of lab/hlb.yaml: the Director HLB from each source that has rows
// there.
var hlbRuns = []probeRun{
	{Role: scenarios.RoleReverseProxy, NS: nsRP, Scenario: "hlb.yaml"},
	{Role: scenarios.RoleEdgeInternal, NS: nsEdge, Scenario: "hlb.yaml"},
	{Role: scenarios.RoleInternalClient, NS: nsClients, Scenario: "hlb.yaml"},
}

// Probe keys of the HLB rows.
var (
	hlbRPDist       = hlbRuns[0].Tag() + " | reverse-proxy-internal->director tcp/8080 http distribution"
	hlbRPCookie     = hlbRuns[0].Tag() + " | reverse-proxy-internal->director tcp/8080 http affinity-cookie"
	hlbEdgeDist     = hlbRuns[1].Tag() + " | edge-internal->director tcp/5061 sip-mtls distribution"
	hlbClients80    = hlbRuns[2].Tag() + " | internal-clients->director tcp/80 http affinity-source"
	hlbClients443   = hlbRuns[2].Tag() + " | internal-clients->director tcp/443 https affinity-source"
	probeClients80  = scenarios.RoleInternalClient + " | internal-clients->director tcp/80 http"
	probeClients443 = scenarios.RoleInternalClient + " | internal-clients->director tcp/443 https"
)

// hlbIdleSecs is the mutated HAProxy idle timeout (timeout client), below the hold row's 6 s.
const hlbIdleSecs = 3

// replaceLine replaces the one line of the rendered haproxy.cfg that contains old.
func replaceLine(old, with string) func(string) (string, error) {
	return func(cfg string) (string, error) {
		lines := strings.Split(cfg, "\n")
		n := 0
		for i, l := range lines {
			if strings.Contains(l, old) {
				lines[i] = with
				n++
			}
		}
		if n != 1 {
			return "", fmt.Errorf("lab: mutation: %d lines of haproxy.cfg contain %q, want 1", n, old)
		}
		return strings.Join(lines, "\n"), nil
	}
}

// replaceIn replaces old by with in the one line of the rendered haproxy.cfg that contains mark.
func replaceIn(mark, old, with string) func(string) (string, error) {
	return func(cfg string) (string, error) {
		lines := strings.Split(cfg, "\n")
		n := 0
		for i, l := range lines {
			if strings.Contains(l, mark) && strings.Contains(l, old) {
				lines[i] = strings.Replace(l, old, with, 1)
				n++
			}
		}
		if n != 1 {
			return "", fmt.Errorf("lab: mutation: %d lines of haproxy.cfg contain %q and %q, want 1", n, mark, old)
		}
		return strings.Join(lines, "\n"), nil
	}
}

// HAProxy mutations: the Director HLB misconfigured the ways go-live finds it.
func init() {
	mutations = append(mutations,
		mutation{
			Name:     "HLB without source persistence on 80 and 443",
			What:     "HAProxy balances the internal web services round robin (balance roundrobin, no source persistence)",
			HAProxy:  replaceLine("balance source", "\tbalance roundrobin"),
			HLBFlips: map[string]string{hlbClients80: "no persistence", hlbClients443: "no persistence"},
		},
		mutation{
			Name:     "HLB without cookie persistence on 8080",
			What:     "HAProxy keeps no stick table on the MS-WSMAN cookie for the reverse proxy's 8080",
			HAProxy:  chain(replaceLine("stick on req.cook", ""), replaceLine("stick store-response", "")),
			HLBFlips: map[string]string{hlbRPCookie: "no cookie persistence"},
		},
		mutation{
			Name:     "HLB with dir02 missing from the SIP backend",
			What:     "the backend for 444/4443/5061/CLS lists dir01 only",
			HAProxy:  replaceLine("member of the SIP pool", ""),
			HLBFlips: map[string]string{hlbEdgeDist: "member dir02 never answers"},
			Monitors: "no HLB monitor reaches dir02",
		},
		mutation{
			Name:     "HLB health monitor on 443",
			What:     "HAProxy checks the Directors on 443 instead of 5061",
			HAProxy:  replaceIn("the health monitor", "check port 5061", "check port 443"),
			Monitors: "monitor on 443 not 5061",
		},
		mutation{
			Name:    "HLB in SNAT mode on 80 and 443",
			What:    "HAProxy connects to the Directors from its own address for the internal web services (no usesrc clientip)",
			HAProxy: replaceLine("persistent: transparent", ""),
			Flips: map[string]string{
				"internal-clients->director tcp/80 http":   "source seen as " + addrVIP,
				"internal-clients->director tcp/443 https": "source seen as " + addrVIP,
				idHold: "source seen as " + addrVIP,
			},
			ProbeFlipsAs: map[string]string{
				probeClients80: "HLB in SNAT mode", probeClients443: "HLB in SNAT mode",
			},
			HLBFlips:  map[string]string{hlbClients80: "HLB in SNAT mode", hlbClients443: "HLB in SNAT mode"},
			ProbeHold: "HLB in SNAT mode",
		},
		mutation{
			Name:    "HLB timeout client 3s",
			What:    fmt.Sprintf("HAProxy closes client connections idle %d s (timeout client; the guidance asks 1800 s)", hlbIdleSecs),
			HAProxy: replaceLine("timeout client 1800s", fmt.Sprintf("\ttimeout client %ds", hlbIdleSecs)),
			// The lab's own held connection reads HAProxy's close as the end of the stream.
			Flips:     map[string]string{idHold: "unexpected EOF"},
			ProbeHold: fmt.Sprintf("idle cut at %d", hlbIdleSecs),
		},
	)
}

// MonitorReport runs mockdirector report over the Directors' journals for the last since and
// returns its table (its exit code says whether the table holds, which is not asked here).
func (l *testLab) MonitorReport(since time.Duration) (string, error) {
	args := []string{"report", "--config", l.Topology, "--role", scenarios.RoleDirector, "--since", since.Round(time.Second).String()}
	for _, m := range []string{"dir01", "dir02"} {
		args = append(args, "--journal", l.Journals[m])
	}
	var out bytes.Buffer
	cmd := exec.Command(l.Bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		err = nil
	}
	if err != nil {
		return out.String(), fmt.Errorf("lab: mockdirector %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// monitorFindings are the lines of a report that call something out about the HLB's monitors.
func monitorFindings(report string) []string {
	var out []string
	for _, l := range strings.Split(report, "\n") {
		if strings.HasPrefix(l, "! ") {
			out = append(out, strings.TrimPrefix(l, "! "))
		}
	}
	return out
}
