package mtlsmatrix_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

func TestMTLS(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "mtlsmatrix")
}

// This suite binds only 127.0.40.0/24 (the block given to it), on ephemeral ports.
const (
	mockIP   = "127.0.40.1"
	clientIP = "127.0.40.200"
	poolFQDN = "dir-pool.contoso.local"
	member   = "dir01.contoso.local"
)

// faultDir is the fault set, generated once for the default topology's Director member.
var faultDir string

var _ = BeforeSuite(func() {
	faultDir = filepath.Join(GinkgoT().TempDir(), "faults")
	_, err := certs.GenerateFaults(faultDir, certs.Plan(topology.Default())[member], false)
	Expect(err).NotTo(HaveOccurred())
})

// identity loads fault name from the fault set, trusting the set's root.
func identity(name string) *certs.Identity {
	id, err := certs.LoadIdentity(certs.CertPath(faultDir, name), certs.KeyPath(faultDir, name), filepath.Join(faultDir, certs.CACertFile))
	Expect(err).NotTo(HaveOccurred())
	return id
}

// port is one MTLS listener of the Director, as the seed table has it.
type port struct {
	protocol string
	number   int
	// clientCert is the HTTPS client-certificate mode (444 configured for client certificates).
	clientCert string
}

func (p port) name() string { return listeners.ListenerName(wire.Protocol(p.protocol), p.number) }

// mtlsPorts are the ports the matrix covers: SIP 5061, CLS 50001-50003, and HTTPS 444 when a
// topology override asks for client certificates there.
var mtlsPorts = []port{
	{scenarios.ProtoSIPMTLS, 5061, ""},
	{scenarios.ProtoCLSMTLS, 50001, ""},
	{scenarios.ProtoCLSMTLS, 50002, ""},
	{scenarios.ProtoCLSMTLS, 50003, ""},
	{scenarios.ProtoHTTPS, 444, "require"},
}

// mock is one listener serving id, journaling to a real journal file.
type mock struct {
	addr        string
	journalPath string
	writer      *journal.Writer
}

func startMock(p port, id *certs.Identity) *mock {
	return startMockSpec(p, id, listeners.Limits{}, func(*listeners.Spec) {})
}

// startMockProfile is startMock with the listener's wire profile named.
func startMockProfile(p port, id *certs.Identity, profile string) *mock {
	return startMockSpec(p, id, listeners.Limits{}, func(s *listeners.Spec) { s.Profile = profile })
}

// startMockLimits is startMock with the process limits given (zero fields: the defaults).
func startMockLimits(p port, id *certs.Identity, limits listeners.Limits) *mock {
	return startMockSpec(p, id, limits, func(*listeners.Spec) {})
}

// startMockSpec is startMock with the limits given and the spec changed by edit first.
func startMockSpec(p port, id *certs.Identity, limits listeners.Limits, edit func(*listeners.Spec)) *mock {
	m := &mock{journalPath: filepath.Join(GinkgoT().TempDir(), "journal.jsonl")}
	var err error
	m.writer, err = journal.Open(m.journalPath)
	Expect(err).NotTo(HaveOccurred())
	spec := listeners.Spec{Role: scenarios.RoleDirector, Member: member, Pool: poolFQDN, Name: p.name(),
		Protocol: wire.Protocol(p.protocol), Port: p.number, Addr: net.JoinHostPort(mockIP, "0"), ClientCert: p.clientCert}
	edit(&spec)
	l, err := listeners.New(spec, listeners.Env{TLS: id, Journal: m.writer, Conns: listeners.NewConnLimiter(limits)})
	Expect(err).NotTo(HaveOccurred())
	m.addr = l.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done, 10*time.Second).Should(Receive(BeNil()))
		Expect(m.writer.Close()).To(Succeed())
	})
	return m
}

// handshakes returns the journal's handshake events so far.
func (m *mock) handshakes() []journal.Event {
	Expect(m.writer.Sync()).To(Succeed())
	evs, err := journal.ReadFile(m.journalPath)
	Expect(err).NotTo(HaveOccurred())
	var out []journal.Event
	for _, e := range evs {
		if e.Kind == journal.KindHandshake {
			out = append(out, e)
		}
	}
	return out
}

// lastHandshake waits for the handshake event of the connection from local.
func (m *mock) handshakeFrom(local string) journal.Event {
	var ev journal.Event
	Eventually(func() bool {
		for _, e := range m.handshakes() {
			if e.Remote == local {
				ev = e
				return true
			}
		}
		return false
	}, 5*time.Second, 20*time.Millisecond).Should(BeTrue(), "no handshake event from %s in the journal", local)
	return ev
}

// exchange connects like the prober does, with conf, and runs the port's first application
// exchange (CLS banner, SIP OPTIONS, HTTPS GET): with TLS 1.3 a server refuses a client
// certificate only after the client's handshake has returned, so only the exchange tells.
// It returns the local address used and the first error.
func exchange(p port, addr string, conf *tls.Config) (string, *tls.ConnectionState, error) {
	nd := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientIP)}}
	raw, err := nd.Dial("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	local := raw.LocalAddr().String()
	c := tls.Client(raw, conf)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.HandshakeContext(ctx); err != nil {
		return local, nil, err
	}
	st := c.ConnectionState()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	switch p.protocol {
	case scenarios.ProtoCLSMTLS:
		line, err := r.ReadString('\n')
		if err != nil {
			return local, &st, err
		}
		if !strings.HasPrefix(line, wire.CLSBannerPrefix) {
			return local, &st, fmt.Errorf("unexpected CLS banner %q", line)
		}
	case scenarios.ProtoSIPMTLS:
		host := strings.Split(local, ":")[0]
		req := "OPTIONS sip:" + poolFQDN + ";transport=tls SIP/2.0\r\n" +
			"Via: SIP/2.0/TLS " + local + ";branch=z9hG4bK-mtlsmatrix-" + strings.ReplaceAll(local, ":", "-") + "\r\n" +
			"Max-Forwards: 70\r\nFrom: <sip:probe@" + host + ">;tag=1\r\nTo: <sip:" + poolFQDN + ">\r\n" +
			"Call-ID: mtlsmatrix-" + local + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
		if _, err := c.Write([]byte(req)); err != nil {
			return local, &st, err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return local, &st, err
		}
		if !strings.HasPrefix(line, "SIP/2.0 200") {
			return local, &st, fmt.Errorf("unexpected SIP answer %q", line)
		}
	case scenarios.ProtoHTTPS:
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", wire.WellKnownPath, poolFQDN); err != nil {
			return local, &st, err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return local, &st, err
		}
		if !strings.HasPrefix(line, "HTTP/1.1 200") {
			return local, &st, fmt.Errorf("unexpected HTTP answer %q", line)
		}
	}
	return local, &st, nil
}
