package probe_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/mdtest"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"

	"github.com/mockdirector/mockdirector/internal/testdir"
)

// The HLB specs own 127.0.24.0/24: a Director pool of two members behind a VIP, and in front of
// it a small TCP load balancer of the spec's own (round robin, source persistence, a member left
// out, transparent or SNAT) or Go's reverse proxy keyed on the MS-WSMAN cookie.
const (
	hlbVIP   = "127.0.24.10"
	hlbDir01 = "127.0.24.2"
	hlbDir02 = "127.0.24.3"
)

func hlbTopology(dir01 string) *topology.Topology {
	t, err := topology.Parse("hlb-spec", []byte(`domain: contoso.com
pools:
  director:
    fqdn: dir-pool.contoso.local
    vip: `+hlbVIP+`
    persistence: source
    monitor_port: 5061
    members:
      - {name: dir01.contoso.local, address: `+dir01+`}
      - {name: dir02.contoso.local, address: `+hlbDir02+`}
  # The Edge is a pool so its certificate exists: a Director's 5061 takes only a known Edge
  # server's (the prober acting as the Edge presents it).
  edge-internal:
    fqdn: edge-int.contoso.local
    members:
      - {name: edge01-int.contoso.local, address: 127.0.24.13}
sources:
  reverse-proxy-internal: [127.0.24.11]
  internal-clients: [127.0.24.12]
  edge-internal: [127.0.24.13]
`))
	Expect(err).NotTo(HaveOccurred())
	return t
}

// hlbMembers are dir01 and dir02 of the Director pool, running in this process (one mdtest site
// each, one CA) on ports the kernel picks, by their address.
type hlbMembers map[string]*mdtest.Site

// startMembers starts dir01 and dir02 and returns them with their certificate directory.
func startMembers(topo *topology.Topology) (hlbMembers, string) {
	dir := testdir.New()
	_, err := certs.Init(topo, certs.Options{Dir: dir})
	Expect(err).NotTo(HaveOccurred())
	ms := hlbMembers{}
	for _, m := range []string{"dir01", "dir02"} {
		site, err := mdtest.Start(mdtest.Options{Scenario: scenarios.Default(), Topology: topo, CertDir: dir,
			Roles: []string{scenarios.RoleDirector}, Member: m})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(site.Close)
		ms[wire.HostOnly(site.Addr(scenarios.RoleDirector, 5061))] = site
	}
	return ms, dir
}

// addr is where the member on host bound the table port.
func (ms hlbMembers) addr(host string, port int) string {
	a := ms[host].Addr(scenarios.RoleDirector, port)
	Expect(a).NotTo(BeEmpty(), "member %s serves no port %d", host, port)
	return a
}

// startTCPHLB is a layer-4 load balancer on vip (a port the kernel picks, returned) for the
// members' table port: pick chooses the member of each connection; snat makes it connect from
// the VIP (members see the HLB), else from the client's address (transparent: on loopback every
// 127/8 address is local).
func startTCPHLB(ms hlbMembers, vip string, port int, snat bool, pick func(n int, client string) string) string {
	ln, err := net.Listen("tcp", net.JoinHostPort(vip, "0"))
	Expect(err).NotTo(HaveOccurred())
	var (
		n     atomic.Int64
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	DeferCleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c)
			client := wire.HostOnly(c.RemoteAddr().String())
			member := pick(int(n.Add(1)-1), client)
			src := client
			if snat {
				src = vip
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
				b, err := d.Dial("tcp", ms.addr(member, port))
				if err != nil {
					return
				}
				track(b)
				defer b.Close()
				done := make(chan struct{}, 2)
				go func() { io.Copy(b, c); done <- struct{}{} }()
				go func() { io.Copy(c, b); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return ln.Addr().String()
}

func roundRobin(n int, _ string) string { return []string{hlbDir01, hlbDir02}[n%2] }
func sourceHash(_ int, client string) string {
	if client[len(client)-1]%2 == 0 {
		return hlbDir01
	}
	return hlbDir02
}
func onlyDir01(int, string) string { return hlbDir01 }

// cookieHLB is an HTTP load balancer on the VIP (a port the kernel picks, returned) for the
// members' table port that sends a request carrying a member's MS-WSMAN cookie to that member
// and the others round robin.
func cookieHLB(ms hlbMembers, port int) string {
	backend := map[string]string{
		listeners.AffinityValue("dir01.contoso.local"): hlbDir01,
		listeners.AffinityValue("dir02.contoso.local"): hlbDir02,
	}
	var n atomic.Int64
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		host := roundRobin(int(n.Add(1)), "")
		if c, err := pr.In.Cookie(listeners.AffinityCookie); err == nil && backend[c.Value] != "" {
			host = backend[c.Value]
		}
		pr.SetURL(&url.URL{Scheme: "http", Host: ms.addr(host, port)})
		pr.Out.Host = pr.In.Host
	}, Transport: &http.Transport{DisableKeepAlives: true}}
	ln, err := net.Listen("tcp", net.JoinHostPort(hlbVIP, "0"))
	Expect(err).NotTo(HaveOccurred())
	srv := &http.Server{Handler: rp}
	go srv.Serve(ln)
	DeferCleanup(srv.Close)
	return ln.Addr().String()
}

func hlbRow(from string, port int, protocol, check string) scenarios.Row {
	return row(from, scenarios.RoleDirector, port, protocol, check, scenarios.ExpectAllow)
}

var _ = Describe("the HLB checks against a pool's VIP", Ordered, Label("hlb"), func() {
	var (
		o  probe.Options
		ms hlbMembers
	)
	BeforeAll(func() {
		topo := hlbTopology(hlbDir01)
		var dir string
		ms, dir = startMembers(topo)
		o = probe.Options{Topology: topo, Addresses: probe.AddressBook{}, Timeout: probe.DefaultTimeout,
			Credentials: probe.Credentials{Dir: dir}, ExpectSourceSeen: true}
	})
	// tcpHLB puts a layer-4 HLB in front of the members' port and books the VIP's port for it.
	tcpHLB := func(port int, snat bool, pick func(n int, client string) string) {
		o.Addresses.Add(scenarios.RoleDirector, "", port, startTCPHLB(ms, hlbVIP, port, snat, pick))
	}

	It("distribution: new connections spread over both members, with the share of each", func() {
		tcpHLB(8080, false, roundRobin)
		tcpHLB(5061, false, roundRobin)
		for _, r := range []scenarios.Row{
			hlbRow(scenarios.RoleReverseProxy, 8080, scenarios.ProtoHTTP, scenarios.CheckDistribution),
			hlbRow(scenarios.RoleEdgeInternal, 5061, scenarios.ProtoSIPMTLS, scenarios.CheckDistribution),
		} {
			res := runRow(o, r)
			Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
			Expect(res.ID).To(HaveSuffix(" distribution"))
			Expect(res.Reason).To(ContainSubstring("dir01 4/8 (50%), dir02 4/8 (50%)"))
			Expect(res.HLB.Members).To(Equal(map[string]int{"dir01": 4, "dir02": 4}))
		}
	})

	It("distribution fails naming the member that never answers (left out of the HLB's pool)", func() {
		tcpHLB(4443, false, onlyDir01)
		res := runRow(o, hlbRow(scenarios.RoleReverseProxy, 4443, scenarios.ProtoHTTPS, scenarios.CheckDistribution))
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeDistribution))
		Expect(res.Reason).To(ContainSubstring("member dir02 never answers (8 new connections: dir01 8/8 (100%), dir02 0/8 (0%))"))
	})

	It("affinity-source is unproven behind source persistence (one member seen) and fails, naming the members, without it", func() {
		tcpHLB(80, false, sourceHash)
		res := runRow(o, hlbRow(scenarios.RoleInternalClient, 80, scenarios.ProtoHTTP, scenarios.CheckAffinitySource))
		// From one source, working persistence shows one member, as does a pool with one member up:
		// only another member seen answering would prove it, and this check from one source sees none.
		Expect(res.Verdict).To(Equal(wire.VerdictUnproven), res.Reason)
		Expect(res.Reason).To(ContainSubstring("6 requests from 127.0.24.12 (new source ports) all answered by dir01, but dir02 never answered"))

		tcpHLB(443, false, roundRobin)
		res = runRow(o, hlbRow(scenarios.RoleInternalClient, 443, scenarios.ProtoHTTPS, scenarios.CheckAffinitySource))
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeAffinity))
		Expect(res.Reason).To(ContainSubstring("no persistence: 6 requests from 127.0.24.12 (new source ports) landed on dir01 3/6 (50%), dir02 3/6 (50%)"))
	})

	It("affinity-cookie: requests carrying a member's MS-WSMAN cookie stay there behind cookie persistence, and not behind round robin", func() {
		cookie := cookieHLB(ms, 8080)
		oc := o
		oc.ExpectSourceSeen = false // Go's reverse proxy connects from its own address
		r := hlbRow(scenarios.RoleReverseProxy, 8080, scenarios.ProtoHTTP, scenarios.CheckAffinityCookie)
		r.Target = cookie
		res := runRow(oc, r)
		Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
		Expect(res.Reason).To(ContainSubstring("requests carrying the MS-WSMAN cookie of dir01 (4), dir02 (4) each stayed on that member"))
		Expect(res.HLB.Cookies).To(HaveKeyWithValue("dir01", listeners.AffinityValue("dir01.contoso.local")))

		tcpHLB(8080, false, roundRobin)
		r.Target = o.Addresses[probe.Dest{Role: scenarios.RoleDirector, Transport: scenarios.TransportTCP, Port: 8080}]
		res = runRow(o, r)
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeAffinity))
		Expect(res.Reason).To(ContainSubstring("no cookie persistence: requests carrying dir01's MS-WSMAN cookie landed on dir01 (2), dir02 (2)"))
	})

	It("names an HLB in SNAT mode: the members see the VIP, not the client", func() {
		tcpHLB(50001, true, sourceHash)
		res := runRow(o, hlbRow(scenarios.RoleInternalClient, 50001, scenarios.ProtoCLSMTLS, scenarios.CheckAffinitySource))
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeSourceMismatch))
		Expect(res.Reason).To(ContainSubstring("the members saw source 127.0.24.10, not 127.0.24.12 (HLB in SNAT mode: the members see the HLB's address 127.0.24.10"))
	})

	It("skips a row whose pool has no VIP, saying what to add", func() {
		t := hlbTopology(hlbDir01)
		t.Pools["director"].VIP = ""
		oo := o
		oo.Topology = t
		res := runRow(oo, hlbRow(scenarios.RoleInternalClient, 80, scenarios.ProtoHTTP, scenarios.CheckDistribution))
		Expect(res.Verdict).To(Equal(wire.VerdictSkip))
		Expect(res.Reason).To(ContainSubstring("the topology gives it no vip"))
	})
})

var _ = Describe("direct server return seen from the member", Ordered, Label("hlb"), func() {
	It("names DSR when a member answers a connection addressed to the VIP (the VIP on its loopback)", func() {
		// dir01 holds the VIP itself, as a DSR member does: the prober's connection to the VIP
		// arrives at dir01 addressed to the VIP.
		topo := hlbTopology(hlbVIP)
		ms, dir := startMembers(topo)
		o := probe.Options{Topology: topo, Addresses: ms[hlbVIP].Addresses, Timeout: probe.DefaultTimeout,
			Credentials: probe.Credentials{Dir: dir}, ExpectSourceSeen: true}
		res := runRow(o, hlbRow(scenarios.RoleInternalClient, 8080, scenarios.ProtoHTTP, scenarios.CheckAffinitySource))
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeDSR))
		Expect(res.Reason).To(ContainSubstring("direct server return (DSR): dir01 got connections addressed to the VIP 127.0.24.10 itself"))
		Expect(res.Reason).To(ContainSubstring("Lync does not support DSR"))
	})
})

var _ = Describe("probe --hlb", func() {
	It("turns every allowed VIP row into the HLB checks that fit it", func() {
		rows := probe.HLBRows(scenarios.Default().Rows, hlbTopology(hlbDir01))
		ids := map[string]bool{}
		for _, r := range rows {
			ids[r.ID()] = true
		}
		Expect(ids).To(HaveKey("internal-clients->director tcp/80 http affinity-source"))
		Expect(ids).To(HaveKey("internal-clients->director tcp/443 https affinity-source"))
		Expect(ids).To(HaveKey("reverse-proxy-internal->director tcp/8080 http distribution"))
		Expect(ids).To(HaveKey("edge-internal->director tcp/5061 sip-mtls distribution"))
		Expect(ids).NotTo(HaveKey("internal-clients->director tcp/80 http distribution"))
		for id := range ids {
			Expect(id).NotTo(ContainSubstring("frontend"), "the frontend pool has no VIP")
		}
		t := hlbTopology(hlbDir01)
		t.Pools["director"].Persistence = topology.PersistenceCookie
		ids = map[string]bool{}
		for _, r := range probe.HLBRows(scenarios.Default().Rows, t) {
			ids[r.ID()] = true
		}
		Expect(ids).To(HaveKey("internal-clients->director tcp/443 https affinity-cookie"))
		Expect(ids).To(HaveKey("internal-clients->director tcp/443 https distribution"))
	})
})
