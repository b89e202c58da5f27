package probetest

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// IdleCutter is a namespace whose nftables firewall tracks connections to Port with a
// conntrack idle timeout of Idle: an established connection idle longer is forgotten, and its
// next segment (not a SYN) is dropped, the way a stateful firewall or an HLB drops an idle flow
// without a word.
type IdleCutter struct {
	Blackhole
	Port int
	Idle time.Duration
}

// NewIdleCutter builds the namespace (see NewBlackhole for name and subnet) with the idle
// timeout on TCP port. idle is whole seconds (conntrack's unit).
func NewIdleCutter(name, subnet string, port int, idle time.Duration) (*IdleCutter, error) {
	if idle < time.Second || idle%time.Second != 0 {
		return nil, fmt.Errorf("idle cutter %s: idle %s is not whole seconds", name, idle)
	}
	bh, err := NewBlackhole(name, subnet, nil, nil)
	if err != nil {
		return nil, err
	}
	c := &IdleCutter{Blackhole: *bh, Port: port, Idle: idle}
	secs := strconv.Itoa(int(idle / time.Second))
	rules := "flush ruleset\n" +
		"table inet mdidle {\n" +
		"  ct timeout idle { protocol tcp; l3proto ip; policy = { established: " + secs + " }; }\n" +
		"  chain pre { type filter hook prerouting priority filter; policy accept; tcp dport " + strconv.Itoa(port) + " ct timeout set \"idle\"; }\n" +
		"  chain input { type filter hook input priority filter; policy drop;\n" +
		"    iif lo accept\n" +
		"    ct state established,related accept\n" +
		"    tcp dport " + strconv.Itoa(port) + " tcp flags & (syn | ack) == syn ct state new accept\n" +
		"  }\n}\n"
	if err := run([]byte(rules), "ip", "netns", "exec", name, "nft", "-f", "-"); err != nil {
		c.Close()
		return nil, fmt.Errorf("idle cutter %s: nft: %w", name, err)
	}
	return c, nil
}

// Listen opens a TCP listener on the namespace side's address and port (keep-alives off, so
// nothing but the test's own traffic touches the idle timer).
func (c *IdleCutter) Listen() (net.Listener, error) {
	return ListenIn(c.Name, netip.AddrPortFrom(c.Addr, uint16(c.Port)).String())
}

// ListenIn opens a TCP listener inside network namespace ns: the socket is made on an OS
// thread switched into it and stays there for its whole life.
func ListenIn(ns, addr string) (net.Listener, error) {
	type result struct {
		ln  net.Listener
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: err}
			return
		}
		defer orig.Close()
		target, err := os.Open("/run/netns/" + ns)
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("setns %s: %w", ns, err)}
			return
		}
		lc := net.ListenConfig{KeepAlive: -1}
		ln, err := lc.Listen(context.Background(), "tcp", addr)
		// Only a thread back in its own namespace goes back to the pool; otherwise it stays
		// locked and the runtime ends it with the goroutine.
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		done <- result{ln, err}
	}()
	r := <-done
	return r.ln, r.err
}
