package server_test

import (
	"context"
	"crypto/tls"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/internal/wireprofile"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/server"
	"github.com/mockdirector/mockdirector/topology"

	"github.com/mockdirector/mockdirector/internal/testdir"
)

// startDirector serves the Director of topo on bind, on ports the kernel picks, and returns it
// with its journal and certificate directory.
func startDirector(topo *topology.Topology, bind, profile string) (*server.Instance, *events, string) {
	dir := testdir.New()
	rec := &events{}
	inst, err := server.Start(server.Options{
		Scenario: scenarios.Default(), Topology: topo, WireProfile: profile,
		PlanOptions: roleprofile.PlanOptions{Role: scenarios.RoleDirector, Bind: bind, Ephemeral: true},
		CertDir:     filepath.Join(dir, "certs"), Journal: rec,
	})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- inst.Serve(ctx) }()
	DeferCleanup(func() { cancel(); Eventually(done, 10*time.Second).Should(Receive(BeNil())) })
	return inst, rec, filepath.Join(dir, "certs")
}

// sipHandshake completes a TLS handshake as name (a certificate of certDir) on addr and reads
// once, so a refusal shows whatever the version.
func sipHandshake(certDir, name, addr string) error {
	id, err := certs.LoadFromDir(certDir, name)
	Expect(err).NotTo(HaveOccurred())
	c, err := tls.Dial("tcp", addr, id.ClientConfig("dir-pool.contoso.local"))
	if err != nil {
		return err
	}
	defer c.Close()
	c.Write([]byte("\r\n\r\n"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 2))
	return err
}

var _ = Describe("known servers on SIP over MTLS", func() {
	It("refuses a chained certificate that names no Edge server of the topology, and takes the Edge's", func() {
		topo, err := topology.Parse("pool.yaml", []byte(poolYAML))
		Expect(err).NotTo(HaveOccurred())
		inst, rec, certDir := startDirector(topo, "127.0.10.7", "")
		Expect(inst.Specs).To(ContainElement(SatisfyAll(HaveField("Name", "sip-mtls-5061"),
			HaveField("Peers.Roles", []string{"Edge"}), HaveField("Peers.Names", ContainElements("edge01-int.contoso.local", "edge-int.contoso.local")))))
		Expect(inst.Specs).To(ContainElement(SatisfyAll(HaveField("Name", "cls-mtls-50001"), HaveField("Peers", BeNil()))),
			"CLS is from any: any chained certificate")
		addr := inst.Addrs()["sip-mtls-5061"].String()

		Expect(sipHandshake(certDir, certs.ProbeName, addr)).To(HaveOccurred(), "the probe's certificate names no Edge server")
		Eventually(rec.all).Should(ContainElement(SatisfyAll(
			HaveField("Kind", journal.KindHandshake), HaveField("Listener", "sip-mtls-5061"),
			HaveField("Outcome", journal.OutcomeFailed), HaveField("Code", wire.CodeUnknownServer),
			HaveField("Reason", ContainSubstring("certificate valid, but CN=mockdirector-probe.contoso.com names no known Edge server: Lync would refuse it; add it to the topology")))))

		Expect(sipHandshake(certDir, "edge01-int.contoso.local", addr)).To(Succeed(), "the Edge's own certificate")
		// CLS takes the probe's certificate (the table's source is any).
		Expect(sipHandshake(certDir, certs.ProbeName, inst.Addrs()["cls-mtls-50001"].String())).To(Succeed())
	})

	It("takes any chained certificate on a listener with known_peers: any", func() {
		topo, err := topology.Parse("any.yaml", []byte(poolYAML+"listeners:\n  - {role: director, port: 5061, known_peers: any}\n"))
		Expect(err).NotTo(HaveOccurred())
		inst, _, certDir := startDirector(topo, "127.0.10.8", "")
		Expect(sipHandshake(certDir, certs.ProbeName, inst.Addrs()["sip-mtls-5061"].String())).To(Succeed())
	})
})

var _ = Describe("wire profiles of serve", func() {
	It("refuses http3 under a Windows profile, naming the topology line and the fix", func() {
		topo, err := topology.Parse("h3.yaml", []byte(poolYAML+"listeners:\n  - {role: director, port: 443, http3: true}\n"))
		Expect(err).NotTo(HaveOccurred())
		_, err = server.Start(server.Options{
			Scenario: scenarios.Default(), Topology: topo,
			PlanOptions: roleprofile.PlanOptions{Role: scenarios.RoleDirector, Bind: "127.0.10.9", Ephemeral: true},
			CertDir:     filepath.Join(testdir.New(), "certs"), Journal: &events{},
		})
		Expect(err).To(MatchError(server.ErrProfile))
		Expect(err).To(MatchError(SatisfyAll(HavePrefix("h3.yaml:14: the director listener on port 443 has http3: true"), ContainSubstring("lync2013-ws2012r2"),
			ContainSubstring("serves no HTTP/3"), ContainSubstring("add `profile: modern` to that listener"))))
	})

	It("gives every TCP listener the serve profile, a listener override its own", func() {
		topo, err := topology.Parse("mixed.yaml", []byte(poolYAML+"listeners:\n  - {role: director, port: 443, http3: true, profile: modern}\n"))
		Expect(err).NotTo(HaveOccurred())
		inst, _, _ := startDirector(topo, "127.0.10.9", wireprofile.SfB2015WS2016)
		for _, s := range inst.Specs {
			switch {
			case s.Protocol == wire.ProtoUDPQUIC:
				Expect(s.Profile).To(BeEmpty(), s.Name)
			case s.Name == "https-443":
				Expect(s.Profile).To(Equal(wireprofile.Modern))
			default:
				Expect(s.Profile).To(Equal(wireprofile.SfB2015WS2016), s.Name)
			}
		}
	})
})

func (e *events) all() []journal.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]journal.Event(nil), e.evs...)
}
