package quicprobe_test

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/topology"
)

func TestQuicprobe(t *testing.T) {
	// quic-go warns once when it cannot grow the UDP buffers; that is noise here.
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	RegisterFailHandler(Fail)
	RunSpecs(t, "quicprobe")
}

// This suite binds only 127.0.60.0/24 on loopback (the block given to these tests), on
// ephemeral ports, and 198.51.100.0/24 inside network namespaces it makes itself.
const (
	poolFQDN = "dir-pool.contoso.local"
	member   = "dir01.contoso.local"
)

var (
	certDir  string
	serverID *certs.Identity
	probeID  *certs.Identity
)

var _ = BeforeSuite(func() {
	certDir = GinkgoT().TempDir()
	_, err := certs.Ensure(topology.Default(), certs.Options{Dir: certDir})
	Expect(err).NotTo(HaveOccurred())
	serverID, err = certs.LoadFromDir(certDir, member)
	Expect(err).NotTo(HaveOccurred())
	probeID, err = certs.LoadFromDir(certDir, certs.ProbeName)
	Expect(err).NotTo(HaveOccurred())
})

// events collects journal events.
type events struct {
	mu  sync.Mutex
	all []journal.Event
}

func (e *events) Record(ev journal.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
	return nil
}

func (e *events) List() []journal.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]journal.Event(nil), e.all...)
}

// serve binds spec and serves it until the spec ends; it returns the listener and its journal.
func serve(spec listeners.Spec) (listeners.Listener, *events) {
	GinkgoHelper()
	rec := &events{}
	if spec.Role == "" {
		spec.Role, spec.Member, spec.Pool = "director", member, poolFQDN
	}
	l, err := listeners.New(spec, listeners.Env{TLS: serverID, Journal: rec})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done).WithTimeout(15 * time.Second).Should(Receive(BeNil()))
	})
	return l, rec
}

// clientTLS trusts the mock CA and names the pool.
func clientTLS() *tls.Config {
	return probeID.ClientConfig(poolFQDN)
}

// closedUDPPort returns a UDP port on host that was just bound and released, so nothing listens.
func closedUDPPort(host string) string {
	GinkgoHelper()
	c, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	Expect(err).NotTo(HaveOccurred())
	addr := c.LocalAddr().String()
	Expect(c.Close()).To(Succeed())
	return addr
}

func timeoutCtx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	DeferCleanup(cancel)
	return ctx
}
