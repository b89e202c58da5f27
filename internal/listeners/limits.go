package listeners

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// Default limits of a serving process (see Limits).
const (
	// DefaultMaxConns bounds the open TCP connections of all listeners of a process, well below
	// the file descriptors a process gets, so the mock keeps answering (and journaling) when a
	// flood of idle connections arrives.
	DefaultMaxConns = 10000
	// DefaultMaxConnsPerSource bounds the open TCP connections from one source address: enough
	// for an HLB that SNATs a whole client network to a few addresses, few enough that one
	// source cannot starve the others.
	DefaultMaxConnsPerSource = 2000
	// DefaultSIPRequestTimeout is how long a SIP request may take to arrive once its first byte
	// has (a slow or partial request is dropped, as HTTP's ReadHeaderTimeout does).
	DefaultSIPRequestTimeout = 30 * time.Second
	// DefaultSIPIdleTimeout closes a SIP connection that sends neither a request nor a CRLF
	// keep-alive for this long: the 1800 s idle timeout the Lync HLB guidance asks for.
	DefaultSIPIdleTimeout = 1800 * time.Second
)

// Limits bound what a serving process accepts. Zero fields take the defaults above; a negative
// connection cap means none.
type Limits struct {
	MaxConns          int
	MaxConnsPerSource int
	SIPRequestTimeout time.Duration
	SIPIdleTimeout    time.Duration
	// HTTPHeaderTimeout is how long an HTTP request's headers may take (net/http
	// ReadHeaderTimeout; default HTTPReadHeaderTimeout).
	HTTPHeaderTimeout time.Duration
	// MinClientRSABits is the smallest RSA key a client certificate may have where client
	// certificates are verified (0: DefaultMinClientRSABits; negative: crypto/tls's own 1024).
	MinClientRSABits int
}

func (l Limits) withDefaults() Limits {
	if l.MaxConns == 0 {
		l.MaxConns = DefaultMaxConns
	}
	if l.MaxConnsPerSource == 0 {
		l.MaxConnsPerSource = DefaultMaxConnsPerSource
	}
	if l.SIPRequestTimeout <= 0 {
		l.SIPRequestTimeout = DefaultSIPRequestTimeout
	}
	if l.SIPIdleTimeout <= 0 {
		l.SIPIdleTimeout = DefaultSIPIdleTimeout
	}
	if l.HTTPHeaderTimeout <= 0 {
		l.HTTPHeaderTimeout = HTTPReadHeaderTimeout
	}
	return l
}

// ConnLimiter counts the open TCP connections of every listener that shares it (Env.Conns), in
// total and per source address, and refuses those over a cap.
type ConnLimiter struct {
	limits Limits
	mu     sync.Mutex
	total  int
	bySrc  map[string]int
	// mem gives memory back to the kernel after a burst of connections (memreturn.go).
	mem *memReturn
}

// NewConnLimiter makes the limiter of one process.
func NewConnLimiter(l Limits) *ConnLimiter {
	return &ConnLimiter{limits: l.withDefaults(), bySrc: map[string]int{}, mem: newMemReturn()}
}

// Limits are the limiter's limits, defaults filled in.
func (c *ConnLimiter) Limits() Limits { return c.limits }

// acquire counts a connection from src, or says why it is refused.
func (c *ConnLimiter) acquire(src string) (release func(), refused string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.limits.MaxConns; m > 0 && c.total >= m {
		return nil, fmt.Sprintf("over-limit: %d connections open in total (the cap is %d)", c.total, m)
	}
	if m := c.limits.MaxConnsPerSource; m > 0 && c.bySrc[src] >= m {
		return nil, fmt.Sprintf("over-limit: %d connections open from %s (the cap per source is %d)", c.bySrc[src], src, m)
	}
	c.total++
	c.bySrc[src]++
	c.mem.note(c.total)
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.total--
			if c.bySrc[src]--; c.bySrc[src] <= 0 {
				delete(c.bySrc, src)
			}
			c.mem.note(c.total)
		})
	}, ""
}

// limitListener refuses connections over the limiter's caps: it journals each refusal (kind
// connect, outcome failed, code over-limit) and closes the connection at once, instead of
// letting accept fail for every listener of the process when file descriptors run out.
type limitListener struct {
	net.Listener
	spec Spec
	env  Env
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		release, refused := l.env.Conns.acquire(wire.HostOnly(c.RemoteAddr().String()))
		if refused == "" {
			return &limitedConn{Conn: c, release: release}, nil
		}
		ev := baseEvent(l.spec, journal.KindConnect, c.LocalAddr(), c.RemoteAddr())
		ev.Outcome, ev.Code, ev.Reason = journal.OutcomeFailed, wire.CodeOverLimit, "refused: "+refused
		c.Close()
		_ = l.env.journal().Record(ev)
	}
}

// limitedConn gives its place back when closed.
type limitedConn struct {
	net.Conn
	release func()
}

func (c *limitedConn) Close() error {
	c.release()
	return c.Conn.Close()
}
