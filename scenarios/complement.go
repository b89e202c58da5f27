package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// OriginComplement marks a deny row generated from the table: a path the table does not allow.
const OriginComplement = "complement"

// ComplementPath is one entry of a scenario's complement: a destination role and the sources
// whose every path to it the table describes in full, so whatever the table does not allow
// them there must be denied. A path the table only touches (Director and Front End talk over
// more ports than this page lists; internal clients reach their Front End pool directly) is
// left out, or the complement would demand denials that break Lync.
type ComplementPath struct {
	To   string   `yaml:"to"`
	From []string `yaml:"from"`
}

func (c ComplementPath) validate() []string {
	var errs []string
	if !slices.Contains(ServerRoles, c.To) {
		errs = append(errs, fmt.Sprintf("to %q is not a destination role (one of %s)", c.To, strings.Join(ServerRoles, ", ")))
	}
	if len(c.From) == 0 {
		errs = append(errs, "from lists no source role")
	}
	for _, f := range c.From {
		if !slices.Contains(SourceRoles, f) {
			errs = append(errs, fmt.Sprintf("from %q is not a role (one of %s)", f, strings.Join(SourceRoles, ", ")))
		} else if f == c.To {
			errs = append(errs, fmt.Sprintf("from %q is the destination itself", f))
		}
	}
	return errs
}

// Complemented returns the deny rows the scenario's complement implies: for each complement
// path, every table port (TCP, and over UDP the twins of the TLS ports, where HTTP/3 or QUIC
// could run) that no allow row opens from the source to the destination is a deny row with
// origin complement. A row from "any" opens the path for every source; a deny row from "any"
// is about the host in no other role, so it runs only as "any". Paths the scenario already has
// a row for (explicit rows, whatever their check) are not generated again, so row IDs stay
// stable.
func (s *Scenario) Complemented() []Row {
	type path struct {
		from, to, transport string
		port                int
	}
	allowed := map[path]bool{}
	have := map[path]bool{}
	tcpPorts, tlsPorts := map[int]bool{}, map[int]bool{}
	for _, r := range s.Rows {
		have[path{r.From, r.To, r.Transport, r.Port}] = true
		if !r.Allowed() {
			continue
		}
		allowed[path{r.From, r.To, r.Transport, r.Port}] = true
		if r.Transport == TransportTCP {
			tcpPorts[r.Port] = true
			if r.Protocol == ProtoHTTPS || r.Protocol == ProtoSIPMTLS || r.Protocol == ProtoCLSMTLS {
				tlsPorts[r.Port] = true
			}
		}
	}
	open := func(from, to, transport string, port int) bool {
		return allowed[path{from, to, transport, port}] || allowed[path{RoleAny, to, transport, port}]
	}
	var out []Row
	for _, c := range s.Complement {
		to := c.To
		for _, from := range c.From {
			for _, port := range sortedPorts(tcpPorts) {
				if !open(from, to, TransportTCP, port) && !have[path{from, to, TransportTCP, port}] {
					out = append(out, complementRow(s, from, to, TransportTCP, port))
				}
			}
			for _, port := range sortedPorts(tlsPorts) {
				if !open(from, to, TransportUDP, port) && !have[path{from, to, TransportUDP, port}] {
					out = append(out, complementRow(s, from, to, TransportUDP, port))
				}
			}
		}
	}
	return out
}

func complementRow(s *Scenario, from, to, transport string, port int) Row {
	r := Row{From: from, To: to, Port: port, Transport: transport, Protocol: ProtoTCP, Expect: ExpectDeny, Origin: OriginComplement}
	if transport == TransportUDP {
		r.Protocol, r.Check = ProtoUDPQUIC, CheckUDPQUIC
	}
	r.Note = complementNote(s, from, to, transport, port)
	r.normalize()
	return r
}

// complementNote says why the path is denied: who the table does let through on the port.
func complementNote(s *Scenario, from, to, transport string, port int) string {
	var sources []string
	for _, r := range s.Rows {
		if r.Allowed() && r.To == to && r.Port == port && r.Transport == TransportTCP && !slices.Contains(sources, r.From) {
			sources = append(sources, r.From)
		}
	}
	switch {
	case transport == TransportUDP && len(sources) > 0:
		return fmt.Sprintf("The table allows TCP %d to %s only: no UDP (QUIC, HTTP/3) on %d.", port, to, port)
	case transport == TransportUDP:
		return fmt.Sprintf("The table allows nothing to %s on %d, and UDP nowhere.", to, port)
	case len(sources) > 0:
		return fmt.Sprintf("The table allows TCP %d to %s from %s only.", port, to, strings.Join(sources, ", "))
	}
	return fmt.Sprintf("The table allows nothing to %s on TCP %d.", to, port)
}

func sortedPorts(m map[int]bool) []int {
	var ports []int
	for p := range m {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	return ports
}
