package listeners_test

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/listeners"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

var _ = Describe("planning a role's listeners from the table and the topology", Label("plan"), func() {
	topo := func() *topology.Topology {
		t, err := topology.Parse("site.yaml", []byte(`
pools:
  director:
    fqdn: dir-pool.contoso.local
    members:
      - {name: dir01.contoso.local, address: 127.0.10.2}
      - {name: dir02.contoso.local, address: 127.0.10.3}
listeners:
  - {role: director, member: dir02.contoso.local, port: 4443, listen_port: 14443, client_cert: require}
  - {role: director, port: 8080, bind: 127.0.10.9}
  - {role: director, port: 80, disabled: true}
`))
		Expect(err).NotTo(HaveOccurred())
		return t
	}
	addrs := func(specs []listeners.Spec) map[string]string {
		m := map[string]string{}
		for _, s := range specs {
			m[s.Name] = s.Addr
		}
		return m
	}

	It("binds the member's address, the table port plus the offset, with the overrides", func() {
		specs, err := listeners.Plan(scenarios.Default(), topo(), listeners.PlanOptions{Role: "director", Member: "dir02", PortOffset: 100})
		Expect(err).NotTo(HaveOccurred())
		Expect(addrs(specs)).To(Equal(map[string]string{
			"https-4443":    "127.0.10.3:14443", // listen_port is absolute
			"http-8080":     "127.0.10.9:8180",
			"https-443":     "127.0.10.3:543",
			"sip-mtls-5061": "127.0.10.3:5161", "cls-mtls-50001": "127.0.10.3:50101",
			"cls-mtls-50002": "127.0.10.3:50102", "cls-mtls-50003": "127.0.10.3:50103",
		}))
		for _, s := range specs {
			Expect(s.Member).To(Equal("dir02.contoso.local"))
			Expect(s.Pool).To(Equal("dir-pool.contoso.local"))
			if s.Name == "https-4443" {
				Expect(s.ClientCert).To(Equal("require"))
			}
		}
	})

	It("lets --bind override the member's address", func() {
		specs, err := listeners.Plan(scenarios.Default(), topo(), listeners.PlanOptions{Role: "director", Bind: "127.0.10.7"})
		Expect(err).NotTo(HaveOccurred())
		Expect(addrs(specs)).To(HaveKeyWithValue("https-443", "127.0.10.7:443"))
		Expect(addrs(specs)).To(HaveKeyWithValue("http-8080", "127.0.10.9:8080"), "the topology's per-listener bind wins")
	})

	It("names the role and the topology when the pool is missing", func() {
		_, err := listeners.Plan(scenarios.Default(), topo(), listeners.PlanOptions{Role: "frontend"})
		Expect(err).To(MatchError(ContainSubstring(`no pool for role "frontend"`)))
	})
})

var _ = Describe("an HTTPS listener that asks for client certificates (topology client_cert)", Label("mtls"), func() {
	serve := func(mode string) (string, *memJournal) {
		jr := &memJournal{}
		spec := listeners.Spec{Role: "director", Member: "dir01.contoso.local", Pool: "dir-pool.contoso.local",
			Name: "https-4443", Protocol: scenarios.ProtoHTTPS, Port: 4443, Addr: "127.0.10.32:0", ClientCert: mode}
		g, err := listeners.Bind([]listeners.Spec{spec}, directorEnv(jr))
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- g.Serve(ctx) }()
		DeferCleanup(func() { cancel(); Eventually(done, 10*time.Second).Should(Receive()) })
		return "https://" + g.Listeners[0].Addr().String() + listeners.WellKnownPath, jr
	}
	get := func(url string, id tlsIdentity) (*listeners.Identity, error) {
		cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			DialContext: dialer().DialContext, TLSClientConfig: id.ClientConfig("dir-pool.contoso.local")}}
		res, err := cl.Get(url)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		var got listeners.Identity
		Expect(json.NewDecoder(res.Body).Decode(&got)).To(Succeed())
		return &got, nil
	}

	It("require: refuses a client without a certificate and answers one from the CA", func() {
		url, jr := serve("require")
		_, err := get(url, noCert{})
		Expect(err).To(HaveOccurred())
		id, err := get(url, keys.probe)
		Expect(err).NotTo(HaveOccurred())
		Expect(id.ClientCert).To(HaveField("Verified", true))
		Eventually(jr.Events).Should(ContainElement(SatisfyAll(HaveField("Kind", journal.KindHandshake),
			HaveField("Outcome", journal.OutcomeFailed), HaveField("Reason", ContainSubstring("no client certificate")))))
	})

	It("request: answers every client and says which certificate verified", func() {
		url, jr := serve("request")
		id, err := get(url, noCert{})
		Expect(err).NotTo(HaveOccurred())
		Expect(id.ClientCert).To(BeNil())
		id, err = get(url, keys.untrusted)
		Expect(err).NotTo(HaveOccurred())
		Expect(id.ClientCert).To(HaveField("Verified", false))
		id, err = get(url, keys.probe)
		Expect(err).NotTo(HaveOccurred())
		Expect(id.ClientCert).To(HaveField("Verified", true))
		Eventually(jr.Events).Should(ContainElement(SatisfyAll(HaveField("Kind", journal.KindHandshake),
			HaveField("Outcome", journal.OutcomeOK), HaveField("Reason", ContainSubstring("unknown authority")))))
	})
})
