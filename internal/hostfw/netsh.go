package hostfw

import (
	"fmt"
	"strconv"
	"strings"
)

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

// NetshShow is the argv that lists p's rule: serve checks that the rule it added is there (Wine's
// netsh, for one, says Ok to everything and adds nothing).
func NetshShow(p Port) []string {
	return []string{"netsh", "advfirewall", "firewall", "show", "rule", "name=" + p.RuleName(), "dir=in"}
}

// PowerShellAdd is the NetSecurity cmdlet line that adds p's rule, in the group "mockdirector".
func PowerShellAdd(p Port) string {
	return fmt.Sprintf("New-NetFirewallRule -DisplayName %s -Group %s -Direction Inbound -Action Allow -Protocol %s -LocalPort %d -LocalAddress %s -Profile Any",
		psQuote(p.RuleName()), psQuote(Group), p.proto(), p.Port, psLocal(p))
}

// PowerShellClean removes every rule mockdirector added, whatever process added it. It goes by
// the display name, not the group: netsh (what serve runs) cannot set a group, and a rule netsh
// adds shows its name as the display name.
func PowerShellClean() string {
	return "Get-NetFirewallRule -DisplayName " + psQuote(Prefix+"*") + " -ErrorAction SilentlyContinue | Remove-NetFirewallRule"
}

// PowerShellCleanCounted is PowerShellClean that says how many rules it removed ("removed N"),
// so that a PowerShell that does nothing (Wine's) is not read as a clean host.
func PowerShellCleanCounted() string {
	return "$r = @(Get-NetFirewallRule -DisplayName " + psQuote(Prefix+"*") + " -ErrorAction SilentlyContinue); $r | Remove-NetFirewallRule; 'removed ' + $r.Count"
}

// PowerShellArgv runs one PowerShell line, without a profile or a prompt.
func PowerShellArgv(line string) []string {
	return []string{"powershell.exe", "-NoProfile", "-NonInteractive", "-Command", line}
}

// NetshShowProfile is the argv that prints the active profiles' state and inbound policy.
func NetshShowProfile() []string {
	return []string{"netsh", "advfirewall", "show", "currentprofile"}
}

// WindowsProfile is one active Windows Firewall profile as `netsh advfirewall show
// currentprofile` prints it.
type WindowsProfile struct {
	Name         string // "Domain", "Private", "Public"
	On           bool   // State ON
	BlockInbound bool   // Firewall Policy BlockInbound or BlockInboundAlways
}

// ParseNetshProfile reads `netsh advfirewall show currentprofile`: one profile a section
// ("Domain Profile Settings:"), its State and its Firewall Policy. The labels are translated on
// a localized Windows, the values ON and BlockInbound are not: a line is read by its value.
func ParseNetshProfile(out string) []WindowsProfile {
	var ps []WindowsProfile
	for line := range strings.SplitSeq(out, "\n") {
		line = strings.TrimSpace(line)
		f := strings.Fields(line)
		switch {
		case strings.HasSuffix(line, ":") && len(f) >= 2 && !strings.HasPrefix(line, "-"):
			ps = append(ps, WindowsProfile{Name: f[0]})
		case len(ps) == 0 || len(f) < 2:
		case f[len(f)-1] == "ON":
			ps[len(ps)-1].On = true
		case strings.HasPrefix(f[len(f)-1], "BlockInbound"):
			ps[len(ps)-1].BlockInbound = true
		}
	}
	return ps
}

// WindowsBlocks turns the active profiles into the blocks of ports: a profile that is on and
// blocks inbound drops every port no allow rule lets in (the rules are not read: maybe).
func WindowsBlocks(profiles []WindowsProfile, ports []Port) []Block {
	var out []Block
	for _, pr := range profiles {
		if !pr.On || !pr.BlockInbound {
			continue
		}
		b := Block{Firewall: "Windows Defender Firewall (" + pr.Name + " profile)",
			Why: "the profile is on and blocks inbound connections that no allow rule lets in", Ports: ports}
		for _, p := range ports {
			b.Commands = append(b.Commands, Argv(NetshAdd(p)))
		}
		out = append(out, b)
	}
	return out
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
