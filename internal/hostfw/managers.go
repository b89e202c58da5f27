package hostfw

import (
	"strconv"
	"strings"
)

// firewalld and ufw manage their own rules: where one runs, mockdirector asks it to open the
// port (and leaves the tables it manages alone), so the manager's next reload does not drop a
// rule it never knew. These are the argv it runs; the running is in the Linux files.

// FirewalldAdd opens p in firewalld's default zone until firewalld reloads or mockdirector
// removes it (a runtime port, never --permanent).
func FirewalldAdd(p Port) []string {
	return []string{"firewall-cmd", "--add-port=" + FirewalldPort(p)}
}

// FirewalldRemove closes the runtime port FirewalldAdd opened.
func FirewalldRemove(p Port) []string {
	return []string{"firewall-cmd", "--remove-port=" + FirewalldPort(p)}
}

// FirewalldPort is p as firewalld names a port: "443/tcp".
func FirewalldPort(p Port) string { return strconv.Itoa(p.Port) + "/" + p.l4() }

// FirewalldOpen reads `firewall-cmd --list-ports` ("443/tcp 5061/tcp 3478/udp").
func FirewalldOpen(out string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(out) {
		m[f] = true
	}
	return m
}

// ufwSpec is p's rule for ufw: proto, the bound address, the port.
func ufwSpec(p Port) []string {
	to := "any"
	if !p.anyAddr() {
		to = p.Addr.Unmap().String()
	}
	return []string{"allow", "proto", p.l4(), "to", to, "port", strconv.Itoa(p.Port)}
}

// UfwAdd is the argv that lets p in through ufw, with the rule's comment.
func UfwAdd(p Port) []string {
	return append(append([]string{"ufw"}, ufwSpec(p)...), "comment", p.Comment())
}

// UfwDelete removes the rule UfwAdd added (ufw matches a rule without its comment).
func UfwDelete(p Port) []string {
	return append([]string{"ufw", "--force", "delete"}, ufwSpec(p)...)
}

// ufwLeftovers turns the mockdirector rules of `ufw show added` ("ufw allow proto tcp to any
// port 443 comment 'mockdirector ...'") into the argv that delete them.
func ufwLeftovers(added string) [][]string {
	var out [][]string
	for line := range strings.SplitSeq(added, "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "ufw ")
		if !ok {
			continue
		}
		spec, comment, ok := strings.Cut(rest, " comment ")
		if !ok || !strings.HasPrefix(strings.Trim(comment, `'"`), Prefix) {
			continue
		}
		out = append(out, append([]string{"ufw", "--force", "delete"}, strings.Fields(spec)...))
	}
	return out
}

// ufwStatus reads `ufw status verbose`: active, and denying incoming by default.
func ufwStatus(out string) (active, deny bool) {
	active = strings.Contains(out, "Status: active")
	for l := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(l, "Default:") && (strings.Contains(l, "deny (incoming)") || strings.Contains(l, "reject (incoming)")) {
			deny = true
		}
	}
	return active, deny
}
