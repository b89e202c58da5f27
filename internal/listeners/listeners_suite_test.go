package listeners_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

func TestListeners(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "listeners")
}

// This suite binds only 127.0.10.0/24 (the block given to these tests), on ephemeral ports.
const clientIP = "127.0.10.200"

// pki is the certificates every spec uses: generated once for the default topology, plus the
// client certificates a listener must refuse.
type pki struct {
	dir       string
	ca        *certs.Pair
	probe     *certs.Identity // from the listeners' CA: accepted
	untrusted *certs.Identity // from another CA
	expired   *certs.Identity // from the CA, expired
	noEKU     *certs.Identity // from the CA, serverAuth only
}

var keys pki

var _ = BeforeSuite(func() {
	dir := testdir.New()
	_, err := certs.Ensure(topology.Default(), certs.Options{Dir: dir})
	Expect(err).NotTo(HaveOccurred())
	other := filepath.Join(testdir.New(), "other")
	_, err = certs.Ensure(topology.Default(), certs.Options{Dir: other})
	Expect(err).NotTo(HaveOccurred())

	keys.dir = dir
	keys.ca, err = certs.LoadPair(filepath.Join(dir, certs.CACertFile), filepath.Join(dir, certs.CAKeyFile))
	Expect(err).NotTo(HaveOccurred())
	keys.probe, err = certs.LoadFromDir(dir, certs.ProbeName)
	Expect(err).NotTo(HaveOccurred())
	untrusted, err := certs.LoadFromDir(other, certs.ProbeName)
	Expect(err).NotTo(HaveOccurred())
	// It trusts the listeners' CA, so only its own certificate is wrong.
	untrusted.Roots = keys.probe.Roots
	keys.untrusted = untrusted

	keys.expired = issueClient(certs.Request{CommonName: "expired-probe.contoso.com",
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	keys.noEKU = issueClient(certs.Request{CommonName: "serveronly-probe.contoso.com",
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
})

// issueClient issues a client identity from the listeners' CA.
func issueClient(req certs.Request) *certs.Identity {
	p, err := certs.Issue(req, keys.ca)
	Expect(err).NotTo(HaveOccurred())
	return &certs.Identity{
		Cert:  tls.Certificate{Certificate: [][]byte{p.Cert.Raw}, PrivateKey: p.Key, Leaf: p.Cert},
		Leaf:  p.Cert,
		Roots: keys.probe.Roots,
	}
}

// memJournal keeps the events in memory so specs can look for them.
type memJournal struct {
	mu  sync.Mutex
	evs []journal.Event
}

func (m *memJournal) Record(e journal.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.evs = append(m.evs, e)
	return nil
}

// Events returns a copy of the events so far, for Eventually.
func (m *memJournal) Events() []journal.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]journal.Event(nil), m.evs...)
}

// role is one running role member: its listeners bound on ephemeral ports of bind.
type role struct {
	name   string
	member string
	pool   string
	group  *listeners.Group
	jr     *memJournal
	addrs  map[string]string // listener name -> host:port
}

// plan is the served listener specs of a member (the role profile's).
func plan(scn *scenarios.Scenario, topo *topology.Topology, o roleprofile.PlanOptions) ([]listeners.Spec, error) {
	p, err := roleprofile.New(scn, topo, o)
	if err != nil {
		return nil, err
	}
	return p.Specs, nil
}

// startRole plans the role's listeners from the seed table and the default topology, binds
// them on ephemeral ports of bind and serves them until the spec (or container) ends.
func startRole(name, bind string) *role {
	topo := topology.Default()
	specs, err := plan(scenarios.Default(), topo, roleprofile.PlanOptions{Role: name, Bind: bind})
	Expect(err).NotTo(HaveOccurred())
	for i := range specs {
		Expect(specs[i].Addr).To(HavePrefix(bind + ":"))
		specs[i].Addr = net.JoinHostPort(bind, "0")
	}
	id, err := certs.LoadFromDir(keys.dir, specs[0].Member)
	Expect(err).NotTo(HaveOccurred())
	r := &role{name: name, member: specs[0].Member, pool: specs[0].Pool, jr: &memJournal{}, addrs: map[string]string{}}
	r.group, err = listeners.Bind(specs, listeners.Env{TLS: id, Journal: r.jr})
	Expect(err).NotTo(HaveOccurred())
	for _, l := range r.group.Listeners {
		r.addrs[l.Spec().Name] = l.Addr().String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.group.Serve(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(done, 10*time.Second).Should(Receive(BeNil()))
		for _, a := range r.addrs {
			// Every port is free again once Serve returned.
			l, err := net.Listen("tcp", a)
			Expect(err).NotTo(HaveOccurred(), "port %s still bound after Serve returned", a)
			l.Close()
		}
	})
	return r
}

// dialer sends from clientIP so the listener's "source seen" can be checked.
func dialer() *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientIP)}}
}
