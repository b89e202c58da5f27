package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/server"
)

// writePortsFile writes where each listener of inst is bound (serve --ports-file), one probe
// --target value a line: ROLE/PORT=HOST:PORT for TCP, ROLE/udp/PORT=HOST:PORT for UDP (a QUIC
// responder, the HTTP/3 side of an HTTPS listener). With --ephemeral-ports it is how a test or
// a script learns the ports the kernel picked. An existing file is never overwritten.
func writePortsFile(path string, inst *server.Instance) error {
	var b strings.Builder
	for _, l := range inst.Group.Listeners {
		s := l.Spec()
		if s.Transport() == wire.TransportUDP {
			fmt.Fprintf(&b, "%s/udp/%d=%s\n", s.Role, s.Port, reachable(l.Addr().String()))
			continue
		}
		fmt.Fprintf(&b, "%s/%d=%s\n", s.Role, s.Port, reachable(l.Addr().String()))
		if u, ok := l.(interface{ UDPAddr() net.Addr }); ok {
			fmt.Fprintf(&b, "%s/udp/%d=%s\n", s.Role, s.Port, reachable(u.UDPAddr().String()))
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("--ports-file %s exists: remove it or name another file (serve overwrites nothing)", path)
	}
	if err != nil {
		return fmt.Errorf("--ports-file: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("--ports-file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--ports-file %s: %w", path, err)
	}
	return nil
}
