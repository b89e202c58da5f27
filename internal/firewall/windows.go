package firewall

import (
	"fmt"
	"github.com/mockdirector/mockdirector/scenarios"
	"io"
	"net/netip"
	"strings"
)

// windows writes a PowerShell script for the host firewall of each server role: inbound allow
// rules scoped to the row's sources (New-NetFirewallRule), inbound default block, and the same
// rules as netsh advfirewall commands in a comment block, for cmd.exe or older tooling.
type windows struct{}

func (windows) Describe() string {
	return "PowerShell per server role: inbound New-NetFirewallRule, netsh equivalent inside"
}

func (windows) Binary() bool { return false }

func (windows) Write(w io.Writer, rs *RuleSet) error {
	roles := rs.Roles()
	var names []string
	for _, e := range roles {
		names = append(names, psQuote(e.Role))
	}
	var b strings.Builder
	b.WriteString(header(rs, "#", "windows"))
	b.WriteString("# The host firewall of each server role: run elevated on every server of the role, e.g.\n")
	b.WriteString("#   powershell -ExecutionPolicy Bypass -File .\\mockdirector-firewall.ps1 -Role director\n")
	b.WriteString("# It removes the rules of its group from an earlier run, adds one inbound allow rule per row,\n")
	b.WriteString("# and sets the default inbound action to Block. Lync/Skype setup adds inbound rules of its own\n")
	b.WriteString("# that may allow from any address: review them (Get-NetFirewallRule -Direction Inbound\n")
	b.WriteString("# -Enabled True -Action Allow), or the host stays wider than the table.\n")
	fmt.Fprintf(&b, "param([Parameter(Mandatory = $true)][ValidateSet(%s)][string]$Role)\n", strings.Join(names, ", "))
	b.WriteString("$ErrorActionPreference = 'Stop'\n")
	for _, e := range roles {
		group := "mockdirector " + e.Role
		fmt.Fprintf(&b, "\n# ===== %s: on %s =====\n", e.Label(), strings.Join(e.Hosts, ", "))
		fmt.Fprintf(&b, "if ($Role -eq %s) {\n", psQuote(e.Role))
		fmt.Fprintf(&b, "    Get-NetFirewallRule -Group %s -ErrorAction SilentlyContinue | Remove-NetFirewallRule\n", psQuote(group))
		for _, r := range rs.Rules {
			if r.Dest.Role != e.Role {
				continue
			}
			writeRuleComment(&b, "    # ", r)
			fmt.Fprintf(&b, "    New-NetFirewallRule -Group %s -DisplayName %s -Description %s -Direction Inbound -Action Allow -Profile Any -Protocol %s -LocalPort %d -RemoteAddress %s | Out-Null\n",
				psQuote(group), psQuote(r.RowID), psQuote(description(r)), r.Proto(), r.Port, winRemote(r.Source.Addrs, ","))
		}
		if e.Role == scenarios.RolePKI {
			b.WriteString("    # " + pkiKeepsDefault + "\n")
		} else {
			b.WriteString("    Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True -DefaultInboundAction Block\n")
		}
		fmt.Fprintf(&b, "    Write-Host \"mockdirector: inbound rules of the table set for role %s\"\n}\n", e.Role)
	}
	b.WriteString("\n<#\nThe same with netsh advfirewall (cmd.exe, elevated), per role:\n")
	for _, e := range roles {
		fmt.Fprintf(&b, "\n:: %s: on %s\n", e.Label(), strings.Join(e.Hosts, ", "))
		for _, r := range rs.Rules {
			if r.Dest.Role != e.Role {
				continue
			}
			fmt.Fprintf(&b, "netsh advfirewall firewall delete rule name=\"%s\"\n", cmdText(r.RowID))
			fmt.Fprintf(&b, "netsh advfirewall firewall add rule name=\"%s\" dir=in action=allow profile=any protocol=%s localport=%d remoteip=%s description=\"%s\"\n",
				cmdText(r.RowID), r.Proto(), r.Port, winRemote(r.Source.Addrs, ","), cmdText(description(r)))
		}
		if e.Role == scenarios.RolePKI {
			b.WriteString(":: " + pkiKeepsDefault + "\n")
			continue
		}
		b.WriteString("netsh advfirewall set allprofiles state on\n")
		b.WriteString("netsh advfirewall set allprofiles firewallpolicy blockinbound,allowoutbound\n")
	}
	b.WriteString("#>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// pkiKeepsDefault is why the PKI web server's host firewall keeps its default inbound action: the
// table opens only its CDP/AIA path, and a CA's web server serves more (enrollment, other CAs).
const pkiKeepsDefault = "The PKI web server serves more than the table's CDP/AIA path: its default inbound action is left as it is (the rules above only make sure the MTLS peers reach its CRL)."

// description is the rule's description on Windows: the justification and the row it implements.
func description(r Rule) string {
	d := "mockdirector rule " + fmt.Sprint(r.N) + ", origin " + orDash(r.Origin)
	if r.Justification != "" {
		d = oneLine(r.Justification) + " (" + d + ")"
	}
	return d
}

// winRemote writes sources as Windows firewall remote addresses: CIDRs and hosts, with the /0
// prefixes (which Windows does not take as CIDRs) as the keyword Any or a full range.
func winRemote(ps []netip.Prefix, sep string) string {
	var all4, all6 bool
	var out []string
	for _, p := range ps {
		switch {
		case p.Bits() == 0 && p.Addr().Is4():
			all4 = true
		case p.Bits() == 0:
			all6 = true
		default:
			out = append(out, addrText(p))
		}
	}
	switch {
	case all4 && all6:
		return "Any"
	case all4:
		out = append(out, "0.0.0.0-255.255.255.255")
	case all6:
		out = append(out, "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
	}
	return strings.Join(out, sep)
}

// psQuote quotes a PowerShell string literal (single quotes, doubled inside).
func psQuote(s string) string { return "'" + strings.ReplaceAll(oneLine(s), "'", "''") + "'" }

// cmdText makes text safe inside a double-quoted cmd.exe argument and inside the <# #> comment
// block that holds the netsh lines.
func cmdText(s string) string { return strings.NewReplacer(`"`, "'", "#>", "# >").Replace(oneLine(s)) }
