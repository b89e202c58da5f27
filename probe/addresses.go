package probe

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/mockdirector/mockdirector/scenarios"
)

// Dest names one port of a destination role: the key of an AddressBook.
type Dest struct {
	Role      string
	Transport string
	Port      int
}

// String is "director tcp/5061".
func (d Dest) String() string { return fmt.Sprintf("%s %s/%d", d.Role, d.Transport, d.Port) }

// AddressBook maps a destination role's table port to the exact host:port to dial, for
// destinations that do not listen on the table's ports: an in-process server bound to port 0
// (tests, benchmarks, the lab) or a port forward. A row whose port is in the book dials that
// address; every other row dials the role's host at the table port (plus --port-offset).
type AddressBook map[Dest]string

// Add records addr for the role's port; transport "" means tcp.
func (b AddressBook) Add(role, transport string, port int, addr string) {
	if transport == "" {
		transport = scenarios.TransportTCP
	}
	b[Dest{Role: role, Transport: transport, Port: port}] = addr
}

// ParseTarget reads a --target value: ROLE=HOST (every row to the role goes to HOST, at the
// table's ports) or ROLE/PORT=HOST:PORT and ROLE/udp/PORT=HOST:PORT (one port of the role goes
// to exactly that address). dest is nil for the first form.
func ParseTarget(s string) (role string, dest *Dest, addr string, err error) {
	key, addr, ok := strings.Cut(s, "=")
	if !ok || key == "" || addr == "" {
		return "", nil, "", fmt.Errorf("--target %q: write ROLE=HOST (e.g. director=192.0.2.10) or ROLE/PORT=HOST:PORT (e.g. director/5061=192.0.2.10:15061, director/udp/443=...)", s)
	}
	parts := strings.Split(key, "/")
	role = parts[0]
	if !slices.Contains(scenarios.ServerRoles, role) {
		return "", nil, "", fmt.Errorf("--target %s: %q is not a destination role (one of %s)", s, role, strings.Join(scenarios.ServerRoles, ", "))
	}
	if len(parts) == 1 {
		if _, _, err := net.SplitHostPort(addr); err == nil {
			return "", nil, "", fmt.Errorf("--target %s: give a host without a port for the whole role (ports come from the table), or name the port: %s/PORT=%s", s, role, addr)
		}
		return role, nil, addr, nil
	}
	d := Dest{Role: role, Transport: scenarios.TransportTCP}
	portStr := parts[len(parts)-1]
	switch len(parts) {
	case 2:
	case 3:
		d.Transport = parts[1]
		if !slices.Contains(scenarios.Transports, d.Transport) {
			return "", nil, "", fmt.Errorf("--target %s: transport %q is not one of %s", s, d.Transport, strings.Join(scenarios.Transports, ", "))
		}
	default:
		return "", nil, "", fmt.Errorf("--target %s: write ROLE/PORT=HOST:PORT or ROLE/TRANSPORT/PORT=HOST:PORT", s)
	}
	if d.Port, err = strconv.Atoi(portStr); err != nil || d.Port < 1 || d.Port > 65535 {
		return "", nil, "", fmt.Errorf("--target %s: %q is not a table port (1-65535)", s, portStr)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", nil, "", fmt.Errorf("--target %s: %s/%d needs HOST:PORT, the exact address to dial", s, role, d.Port)
	}
	return role, &d, addr, nil
}

// validate checks the book's roles and addresses.
func (b AddressBook) validate() error {
	for d, addr := range b {
		if !slices.Contains(scenarios.ServerRoles, d.Role) {
			return fmt.Errorf("address book: %q is not a destination role (one of %s)", d.Role, strings.Join(scenarios.ServerRoles, ", "))
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("address book: %s -> %q is not HOST:PORT", d, addr)
		}
	}
	return nil
}
