package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mockdirector/mockdirector/internal/hostfw"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/server"
)

// serve --host-firewall: check (the default) warns when the host's own firewall would drop a
// port serve bound, open lets them in for as long as serve runs, off does neither.

const (
	hostFWCheck = "check"
	hostFWOpen  = "open"
	hostFWOff   = "off"
)

// hostFWMode is the value of --host-firewall, checked when the flag is parsed.
type hostFWMode string

func (m *hostFWMode) String() string { return string(*m) }
func (m *hostFWMode) Type() string   { return "MODE" }
func (m *hostFWMode) Set(s string) error {
	switch s {
	case hostFWCheck, hostFWOpen, hostFWOff:
		*m = hostFWMode(s)
		return nil
	}
	return fmt.Errorf("%q: check, open or off", s)
}

func addHostFirewallFlag(fl *pflag.FlagSet, m *hostFWMode) {
	*m = hostFWCheck
	fl.Var(m, "host-firewall", "the host's own firewall: check (warn when it would drop a bound port, naming the command that opens it), open (let in exactly the bound ports, listeners and guards, until serve stops; as root or from an elevated prompt; leftovers of a killed serve: mockdirector host-firewall clean), off")
}

// hostFirewall is what --host-firewall did on start; close undoes it.
type hostFirewall struct {
	opened     *hostfw.Opened
	out        io.Writer
	stopHangup func()
}

// startHostFirewall checks or opens the host firewall for every port inst bound. It runs after
// every listener is bound (so no bind error can follow a rule) and before serve says ready.
// stopped is serve's signal context: a signal while the rules go in is held until they are
// in (ctx, not stopped, runs the change), then undoes them.
func startHostFirewall(ctx, stopped context.Context, mode hostFWMode, inst *server.Instance, out io.Writer) (*hostFirewall, error) {
	h := &hostFirewall{out: out}
	ports := boundPorts(inst)
	switch mode {
	case hostFWOff:
		return h, nil
	case hostFWOpen:
		o, err := hostfw.Open(ctx, ports)
		if stopped.Err() != nil {
			if err == nil {
				h.opened = o
				h.close()
			}
			return nil, fmt.Errorf("stopped while opening the host firewall (%v); the rules it added are removed", context.Cause(stopped))
		}
		if errors.Is(err, hostfw.ErrUnsupported) {
			return nil, usageErr(fmt.Errorf("--host-firewall=open: %w (use --host-firewall=off and open the ports by hand)", err))
		}
		if err != nil {
			return nil, fmt.Errorf("--host-firewall=open: %w (run as root, or from an elevated prompt on Windows; --host-firewall=check only warns)", err)
		}
		h.opened = o
		h.stopHangup = stopOnHangup()
		for _, a := range o.Added {
			fmt.Fprintln(out, "host firewall: added", a)
		}
		for _, n := range o.Notes {
			fmt.Fprintln(out, "note: host firewall:", n)
		}
		return h, nil
	}
	blocks, err := hostfw.Check(ctx, ports)
	warnBlocks(out, blocks, len(ports))
	if err != nil {
		fmt.Fprintf(out, "note: host firewall not fully checked: %v (--host-firewall=off skips the check)\n", err)
	}
	return h, nil
}

// warnBlocks names each host firewall that would drop bound ports, and the commands that open
// them: a mock its own host blocks reads, from the prober's side, as a filtered staging firewall.
func warnBlocks(out io.Writer, blocks []hostfw.Block, bound int) {
	for _, b := range blocks {
		verb := "drops"
		if !b.Certain {
			verb = "may drop"
		}
		fmt.Fprintf(out, "warning: the host firewall %s new connections to %d of the %d ports serve bound: %s: %s.\n", verb, len(b.Ports), bound, b.Firewall, b.Why)
		fmt.Fprintln(out, "  A probe would read those ports as filtered by the staging firewall. Let them in while serve runs:")
		fmt.Fprintf(out, "    %s --host-firewall=open\n", rerun())
		fmt.Fprintln(out, "  or by hand:")
		for _, c := range b.Commands {
			fmt.Fprintln(out, "    "+c)
		}
	}
}

// rerun is this serve's own command line, to repeat with --host-firewall=open.
func rerun() string {
	args := []string{"mockdirector"}
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "--host-firewall") {
			continue
		}
		if a == "" || strings.ContainsAny(a, " \t'\"$\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		args = append(args, a)
	}
	return strings.Join(args, " ")
}

// close removes what open added; a failure names the clean command.
func (h *hostFirewall) close() {
	if h == nil || h.opened == nil {
		return
	}
	if h.stopHangup != nil {
		h.stopHangup()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.opened.Close(ctx); err != nil {
		fmt.Fprintf(h.out, "warning: host firewall: could not remove every rule serve added: %v (run: mockdirector host-firewall clean)\n", err)
		return
	}
	fmt.Fprintln(h.out, "host firewall: removed the rules serve added")
	h.opened = nil
}

// boundPorts is every port inst bound: each listener and guard, TCP, and UDP for QUIC and the
// UDP side of an HTTP/3 listener.
func boundPorts(inst *server.Instance) []hostfw.Port {
	var out []hostfw.Port
	for _, l := range inst.Group.Listeners {
		out = append(out, specPorts(l.Spec(), l.Addr().String())...)
	}
	return out
}

// specPorts is what a listener binds at addr ("host:port").
func specPorts(s listeners.Spec, addr string) []hostfw.Port {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	var port int
	if _, err := fmt.Sscan(portStr, &port); err != nil {
		return nil
	}
	a, _ := netip.ParseAddr(host)
	p := hostfw.Port{Role: s.Role, Listener: s.Name, Addr: a, Port: port}
	if s.Transport() == wire.TransportUDP {
		p.UDP = true
		return []hostfw.Port{p}
	}
	out := []hostfw.Port{p}
	if s.HTTP3 {
		p.UDP = true
		out = append(out, p)
	}
	return out
}
