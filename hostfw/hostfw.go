// Package hostfw writes the host firewall rules that let in exactly the ports serve bound, so a
// mock blocked by its own host (Windows Defender Firewall blocks inbound by default) does not
// read as a filtered staging firewall.
//
// This package only generates the commands, as text and as argv; it runs nothing. Windows rules
// are named "mockdirector <role> <listener>" and grouped "mockdirector", so that one command
// removes every leftover after a crash.
package hostfw

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Group is the Windows Firewall rule group of every rule mockdirector adds.
const Group = "mockdirector"

// Port is one bound port to let in.
type Port struct {
	Role     string     // director, frontend, edge-internal
	Listener string     // https-443, sip-mtls-5061 ...
	UDP      bool       // UDP (HTTP/3, QUIC) rather than TCP
	Addr     netip.Addr // the bound address; the zero Addr (or unspecified) means any local address
	Port     int
}

func (p Port) proto() string {
	if p.UDP {
		return "UDP"
	}
	return "TCP"
}

// RuleName is the rule's name: "mockdirector director https-443", "... udp" for the UDP twin.
func (p Port) RuleName() string {
	n := "mockdirector " + p.Role + " " + p.Listener
	if p.UDP {
		n += " udp"
	}
	return n
}

func (p Port) localIP() string {
	if !p.Addr.IsValid() || p.Addr.IsUnspecified() {
		return "any"
	}
	return p.Addr.String()
}

// NetshAdd is the argv that adds p's inbound allow rule with netsh advfirewall (every Windows
// Server from 2008 on).
func NetshAdd(p Port) []string {
	return []string{"netsh", "advfirewall", "firewall", "add", "rule",
		"name=" + p.RuleName(), "dir=in", "action=allow", "protocol=" + p.proto(),
		"localport=" + strconv.Itoa(p.Port), "localip=" + p.localIP(), "profile=any",
		"description=added by mockdirector serve; removed when it stops (mockdirector host-firewall clean)"}
}

// NetshDelete is the argv that removes exactly p's rule.
func NetshDelete(p Port) []string {
	return []string{"netsh", "advfirewall", "firewall", "delete", "rule",
		"name=" + p.RuleName(), "dir=in", "protocol=" + p.proto(), "localport=" + strconv.Itoa(p.Port)}
}

// PowerShellAdd is the NetSecurity cmdlet line that adds p's rule, in the group "mockdirector".
func PowerShellAdd(p Port) string {
	return fmt.Sprintf("New-NetFirewallRule -DisplayName %s -Group %s -Direction Inbound -Action Allow -Protocol %s -LocalPort %d -LocalAddress %s -Profile Any",
		psQuote(p.RuleName()), psQuote(Group), p.proto(), p.Port, psLocal(p))
}

// PowerShellClean removes every rule mockdirector added, whatever process added it.
func PowerShellClean() string {
	return "Get-NetFirewallRule -Group " + psQuote(Group) + " -ErrorAction SilentlyContinue | Remove-NetFirewallRule"
}

func psLocal(p Port) string {
	if ip := p.localIP(); ip != "any" {
		return ip
	}
	return "Any"
}

// psQuote quotes s as a PowerShell single-quoted string, doubling the quotes inside it.
func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Argv renders an argv as one cmd.exe line, quoting the arguments that hold spaces or quotes
// (netsh reads name="..." as one argument).
func Argv(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = a
		if strings.ContainsAny(a, " \t\"") {
			if k, v, ok := strings.Cut(a, "="); ok && !strings.ContainsAny(k, " \t\"") {
				out[i] = k + "=" + `"` + strings.ReplaceAll(v, `"`, `\"`) + `"`
			} else {
				out[i] = `"` + strings.ReplaceAll(a, `"`, `\"`) + `"`
			}
		}
	}
	return strings.Join(out, " ")
}
