package probetest

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/mockdirector/mockdirector/internal/netns"
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
	if err := netns.LoadRules(name, rules); err != nil {
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
