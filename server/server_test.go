package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/server"
	"github.com/mockdirector/mockdirector/topology"
)

// Two Director pool members on one host, on two loopback addresses of this suite's block
// (127.0.10.0/24), as an HLB pool stands in.
const poolYAML = `
domain: contoso.com
pools:
  director:
    fqdn: dir-pool.contoso.local
    members:
      - {name: dir01.contoso.local, address: 127.0.10.2}
      - {name: dir02.contoso.local, address: 127.0.10.3}
  edge-internal:
    fqdn: edge-int.contoso.local
    members:
      - {name: edge01-int.contoso.local}
`

func get(url, host string) (wire.Identity, *http.Response) {
	cl := &http.Client{Timeout: 10 * time.Second}
	req, err := http.NewRequest("GET", url, nil)
	Expect(err).NotTo(HaveOccurred())
	req.Host = host
	res, err := cl.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer res.Body.Close()
	var id wire.Identity
	Expect(json.NewDecoder(res.Body).Decode(&id)).To(Succeed())
	return id, res
}

var _ = Describe("server.Start", func() {
	var dir string
	BeforeEach(func() { dir = testdir.New() })

	It("runs several members of one pool on one host, on different addresses and the same ports", Serial, func() {
		// The same port numbers are the point: table port + leasedOffset, on leased addresses.
		leaseAddr("127.0.10.2")
		leaseAddr("127.0.10.3")
		topo, err := topology.Parse("pool.yaml", []byte(poolYAML))
		Expect(err).NotTo(HaveOccurred())
		var out bytes.Buffer
		start := func(member string) *server.Instance {
			inst, err := server.Start(server.Options{
				Scenario: scenarios.Default(), Topology: topo,
				PlanOptions: roleprofile.PlanOptions{Role: scenarios.RoleDirector, Member: member, PortOffset: leasedOffset},
				CertDir:     filepath.Join(dir, "certs"),
				JournalPath: filepath.Join(dir, member+".jsonl"),
				Out:         &out,
			})
			Expect(err).NotTo(HaveOccurred())
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- inst.Serve(ctx) }()
			DeferCleanup(func() {
				cancel()
				Eventually(done, 10*time.Second).Should(Receive(BeNil()))
			})
			return inst
		}
		one, two := start("dir01"), start("dir02")
		Expect(out.String()).To(ContainSubstring("generated"), "the first start generates the certificates and says where")
		Expect(out.String()).To(ContainSubstring(filepath.Join(dir, "certs")))

		for name, addr := range one.Addrs() {
			Expect(addr.String()).To(HavePrefix("127.0.10.2:"), name)
			Expect(two.Addrs()[name].String()).To(Equal("127.0.10.3:"+strconv.Itoa(addr.(*net.TCPAddr).Port)), name)
		}
		for _, m := range []struct{ ip, member string }{{"127.0.10.2", "dir01.contoso.local"}, {"127.0.10.3", "dir02.contoso.local"}} {
			id, res := get("http://"+m.ip+":"+strconv.Itoa(8080+leasedOffset)+wire.WellKnownPath, "dir-pool.contoso.local")
			Expect(res.StatusCode).To(Equal(200))
			Expect(id.Member).To(Equal(m.member))
			Expect(id.Local).To(Equal(m.ip + ":" + strconv.Itoa(8080+leasedOffset)))
		}

		// Each member serves with its own certificate, which names the pool and the member (the
		// Edge's certificate: 5061 takes known Edge servers only).
		edge, err := certs.LoadFromDir(filepath.Join(dir, "certs"), "edge01-int.contoso.local")
		Expect(err).NotTo(HaveOccurred())
		for _, m := range []struct{ ip, member string }{{"127.0.10.2", "dir01.contoso.local"}, {"127.0.10.3", "dir02.contoso.local"}} {
			c, err := tls.Dial("tcp", m.ip+":"+strconv.Itoa(5061+leasedOffset), edge.ClientConfig(m.member))
			Expect(err).NotTo(HaveOccurred())
			Expect(c.ConnectionState().PeerCertificates[0].DNSNames).To(ContainElements("dir-pool.contoso.local", m.member))
			c.Close()
		}
	})

	It("names the missing certificate file and the command that makes one", func() {
		_, err := server.Start(server.Options{
			Scenario: scenarios.Default(), Topology: topology.Default(),
			PlanOptions: roleprofile.PlanOptions{Role: scenarios.RoleEdgeInternal, Bind: "127.0.10.4"},
			CertFile:    filepath.Join(dir, "site.crt"), KeyFile: filepath.Join(dir, "site.key"), CAFile: filepath.Join(dir, "ca.crt"),
			JournalPath: filepath.Join(dir, "j.jsonl"),
		})
		Expect(err).To(MatchError(SatisfyAll(ContainSubstring(filepath.Join(dir, "site.crt")), ContainSubstring("mockdirector certs init"))))
	})

	It("wants --cert, --key-file and --ca together, naming the flags", func() {
		_, err := server.Start(server.Options{
			Scenario: scenarios.Default(), Topology: topology.Default(),
			PlanOptions: roleprofile.PlanOptions{Role: scenarios.RoleEdgeInternal, Bind: "127.0.10.4"},
			CertFile:    filepath.Join(dir, "site.crt"), JournalPath: filepath.Join(dir, "j.jsonl"),
		})
		Expect(err).To(MatchError(ContainSubstring("--cert, --key-file and --ca go together")))
	})

	It("serves the site's own PEM certificate, key and CA bundle", func() {
		certDir := filepath.Join(dir, "site")
		_, err := certs.Init(topology.Default(), certs.Options{Dir: certDir})
		Expect(err).NotTo(HaveOccurred())
		jpath := filepath.Join(dir, "j.jsonl")
		inst, err := server.Start(server.Options{
			Scenario: scenarios.Default(), Topology: topology.Default(),
			PlanOptions: roleprofile.PlanOptions{Role: scenarios.RoleEdgeInternal, Bind: "127.0.10.4", Ephemeral: true},
			CertFile:    certs.CertPath(certDir, "edge01-int.contoso.local"), KeyFile: certs.KeyPath(certDir, "edge01-int.contoso.local"),
			CAFile:      filepath.Join(certDir, certs.CACertFile),
			JournalPath: jpath,
		})
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- inst.Serve(ctx) }()
		// The Edge's 5061 takes known Director and Front End servers.
		dir01, err := certs.LoadFromDir(certDir, "dir01.contoso.local")
		Expect(err).NotTo(HaveOccurred())
		c, err := tls.Dial("tcp", inst.Addrs()["sip-mtls-5061"].String(), dir01.ClientConfig("edge-int.contoso.local"))
		Expect(err).NotTo(HaveOccurred())
		c.Write([]byte("\r\n\r\n"))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b := make([]byte, 2)
		_, err = c.Read(b)
		Expect(err).NotTo(HaveOccurred())
		c.Close()
		cancel()
		Eventually(done, 10*time.Second).Should(Receive(BeNil()))
		// Serve closed (and synced) the journal; the handshake is in it.
		evs, err := journal.ReadFile(jpath)
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(ContainElement(SatisfyAll(HaveField("Kind", journal.KindHandshake), HaveField("Outcome", journal.OutcomeOK))))
	})

	It("leaves nothing bound or open when a port is busy", func() {
		busy, err := net.Listen("tcp", "127.0.10.5:0")
		Expect(err).NotTo(HaveOccurred())
		defer busy.Close()
		port := busy.Addr().(*net.TCPAddr).Port
		_, err = server.Start(server.Options{
			Scenario: scenarios.Default(), Topology: topology.Default(),
			PlanOptions: roleprofile.PlanOptions{Role: scenarios.RoleEdgeInternal, Bind: "127.0.10.5", PortOffset: port - 5061},
			CertDir:     filepath.Join(dir, "certs"), JournalPath: filepath.Join(dir, "j.jsonl"),
		})
		Expect(err).To(MatchError(SatisfyAll(ContainSubstring("edge-internal listener sip-mtls-5061"), ContainSubstring("port "+strconv.Itoa(port)))))
	})
})

var _ = Describe("server.Start with guards", func() {
	It("binds a guard on every denied port, and reports and skips one something else holds", func() {
		dir := testdir.New()
		// A guard port held by another process is the point: table port + leasedOffset, on a
		// leased address.
		const bind = "127.0.10.6"
		leaseAddr(bind)
		busy, err := net.Listen("tcp", net.JoinHostPort(bind, strconv.Itoa(444+leasedOffset)))
		Expect(err).NotTo(HaveOccurred())
		defer busy.Close()
		rec := &events{}
		inst, err := server.Start(server.Options{
			Scenario: scenarios.Default(), Topology: topology.Default(),
			PlanOptions: roleprofile.PlanOptions{Role: scenarios.RoleDirector, Bind: bind, PortOffset: leasedOffset, Guards: true},
			CertDir:     filepath.Join(dir, "certs"), Journal: rec,
		})
		Expect(err).NotTo(HaveOccurred(), "a busy guard port is not fatal")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- inst.Serve(ctx) }()
		DeferCleanup(func() { cancel(); Eventually(done, 10*time.Second).Should(Receive(BeNil())) })

		Expect(inst.Unguarded).To(ConsistOf(SatisfyAll(HaveField("Port.Port", 444),
			HaveField("Reason", ContainSubstring("another process holds port")))))
		var guards []string
		for _, s := range inst.Specs {
			if s.Guard {
				guards = append(guards, s.Name)
			}
		}
		Expect(guards).To(ConsistOf("guard-udp-quic-443", "guard-udp-quic-444", "guard-udp-quic-4443", "guard-udp-quic-5061",
			"guard-udp-quic-50001", "guard-udp-quic-50002", "guard-udp-quic-50003"), "the complement rows name UDP 50001-50003 too")
		Expect(inst.Addrs()).To(HaveKey("guard-udp-quic-5061"))
	})

	It("refuses to start without a scenario or a topology", func() {
		_, err := server.Start(server.Options{Topology: topology.Default(), PlanOptions: roleprofile.PlanOptions{Role: scenarios.RoleDirector}})
		Expect(err).To(MatchError(roleprofile.ErrNoScenario))
		_, err = server.Start(server.Options{Scenario: scenarios.Default(), PlanOptions: roleprofile.PlanOptions{Role: scenarios.RoleDirector}})
		Expect(err).To(MatchError(roleprofile.ErrNoTopology))
	})
})

// events keeps journal events in memory.
type events struct {
	mu  sync.Mutex
	evs []journal.Event
}

func (e *events) Record(ev journal.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev)
	return nil
}
