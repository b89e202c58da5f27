package listeners_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/internal/wireprofile"
	"github.com/mockdirector/mockdirector/internal/wireprofile/scantest"
	"github.com/mockdirector/mockdirector/scenarios"
)

// needTool skips a spec when a real peer is not installed, except in CI (CI=true), where a
// missing peer fails: .ci/run installs every tool these specs use.
func needTool(name string) {
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	msg := name + " is not installed (.ci/run installs it)"
	if os.Getenv("CI") == "true" {
		Fail("CI=true: " + msg)
	}
	Skip(msg)
}

// serveOne binds one listener of the Director member dir01 with the given wire profile on an
// ephemeral port of bind and serves it until the spec (or container) ends.
func serveOne(bind string, proto wire.Protocol, port int, profile string) string {
	id, err := certs.LoadFromDir(keys.dir, "dir01.contoso.local")
	Expect(err).NotTo(HaveOccurred())
	spec := listeners.Spec{Role: scenarios.RoleDirector, Member: "dir01.contoso.local", Pool: "dir-pool.contoso.local",
		Name: listeners.ListenerName(proto, port), Protocol: proto, Port: port, Addr: net.JoinHostPort(bind, "0"), Profile: profile}
	l, err := listeners.New(spec, listeners.Env{TLS: id, Journal: &memJournal{}})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	DeferCleanup(func() { cancel(); Eventually(done, 10*time.Second).Should(Receive(BeNil())) })
	return l.Addr().String()
}

// Real scanners against real mock listeners (not a toy server): what a firewall with TLS
// inspection, an IPS or an HLB monitor sees is the profile's host.
var _ = Describe("the mock's listeners seen by nmap ssl-enum-ciphers", Label("peers", "scanners"), func() {
	for i, name := range wireprofile.Names() {
		It("lists the versions and suites of "+name+" in its order on HTTPS, as stored for the profile", func() {
			needTool("nmap")
			p := wireprofile.MustGet(name)
			addr := serveOne(fmt.Sprintf("127.0.10.%d", 90+i), wire.ProtoHTTPS, 4443, name)
			got, err := scantest.Nmap(addr)
			Expect(err).NotTo(HaveOccurred())
			want, err := scantest.Stored("nmap", name)
			Expect(err).NotTo(HaveOccurred())
			Expect(scantest.PortableNmap(p, got)).To(Equal(want), "the real listener differs from wireprofile/testdata/nmap/%s.txt", name)
			// And from the profile itself, so a stored file made from a broken server still fails.
			sections := scantest.NmapSections(got)
			Expect(sections).To(HaveLen(len(p.Versions())))
			for _, v := range p.Versions() {
				Expect(sections).To(HaveKey(scantest.NmapVersion(v)))
				if len(p.Suites) > 0 {
					Expect(sections[scantest.NmapVersion(v)]).To(Equal(scantest.RSASuites(p, v)), scantest.NmapVersion(v))
				}
			}
			Expect(got).To(ContainElement("cipher preference: server"))
		})
	}

	It("sees the default profile on SIP over MTLS (5061) too", func() {
		needTool("nmap")
		p := wireprofile.MustGet(wireprofile.Default)
		got, err := scantest.Nmap(serveOne("127.0.10.94", wire.ProtoSIPMTLS, 5061, ""))
		Expect(err).NotTo(HaveOccurred())
		sections := scantest.NmapSections(got)
		Expect(sections).To(HaveLen(3))
		Expect(sections["TLSv1.2"]).To(Equal(scantest.RSASuites(p, 0x0303)))
	})
})

var _ = Describe("the mock's HTTPS listener seen by testssl.sh", Label("peers", "scanners", "slow"), func() {
	It("lists the default profile's versions and suites in its order, as stored for the profile", func() {
		needTool("testssl")
		got, err := scantest.Testssl(serveOne("127.0.10.95", wire.ProtoHTTPS, 443, ""))
		Expect(err).NotTo(HaveOccurred())
		want, err := scantest.Stored("testssl", wireprofile.Default)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal(want))
		Expect(got).To(ContainElement(HavePrefix("TLS1_3: not offered")))
		Expect(got).To(ContainElement("cipher_order: server"))
	})
})

var _ = Describe("clients people use against the default profile", Label("peers"), func() {
	It("openssl s_client -tls1_3 fails on HTTPS, SIP and CLS; -tls1_2 completes", func() {
		needTool("openssl")
		for _, l := range []struct {
			proto wire.Protocol
			port  int
		}{{wire.ProtoHTTPS, 443}, {wire.ProtoSIPMTLS, 5061}, {wire.ProtoCLSMTLS, 50001}} {
			addr := serveOne("127.0.10.96", l.proto, l.port, "")
			out, err := scantest.Run(30*time.Second, "openssl", "s_client", "-tls1_3", "-connect", addr, "-servername", "dir-pool.contoso.local")
			Expect(err).To(HaveOccurred(), "%s: TLS 1.3 must fail\n%s", l.proto, out)
			Expect(out).To(MatchRegexp("alert protocol version|unsupported protocol|no protocols available"), string(l.proto))
		}
		addr := serveOne("127.0.10.96", wire.ProtoHTTPS, 443, "")
		out, err := scantest.Run(30*time.Second, "openssl", "s_client", "-tls1_2", "-connect", addr, "-servername", "dir-pool.contoso.local")
		Expect(err).NotTo(HaveOccurred(), out)
		// Schannel's 2012 R2 order at TLS 1.2 starts ECDHE_RSA AES-256-CBC-SHA384 (Go lacks it),
		// then AES-128-CBC-SHA256, which openssl offers: the server's choice, not openssl's
		// (which would be an AES-GCM suite).
		Expect(out).To(ContainSubstring("Cipher is ECDHE-RSA-AES128-SHA256"))
	})

	It("curl --http2 gets HTTP/1.1 with Server: Microsoft-IIS/8.5; under modern it gets HTTP/2", func() {
		needTool("curl")
		for _, c := range []struct{ profile, version, server string }{
			{"", "1.1", "Microsoft-IIS/8.5"},
			{wireprofile.SfB2019WS2019, "2", "Microsoft-IIS/10.0"},
			{wireprofile.Modern, "2", "Microsoft-IIS/8.5 (mockdirector)"},
		} {
			addr := serveOne("127.0.10.97", wire.ProtoHTTPS, 4443, c.profile)
			out, err := scantest.Run(30*time.Second, "curl", "-sk", "--http2", "-D", "-", "-o", "/dev/null", "-w", "version=%{http_version}\n",
				"https://"+addr+wire.WellKnownPath)
			Expect(err).NotTo(HaveOccurred(), out)
			Expect(out).To(ContainSubstring("version="+c.version+"\n"), "profile %q", c.profile)
			Expect(out).To(MatchRegexp(`(?mi)^server: %s\r$`, regexp.QuoteMeta(c.server)), "profile %q", c.profile)
			Expect(out).To(MatchRegexp(`(?mi)^x-ms-server-fqdn: dir01\.contoso\.local\r$`))
			Expect(out).To(MatchRegexp(`(?mi)^x-mockdirector-role: director\r$`), "the identity stays")
		}
	})
})

var _ = Describe("nmap -sV against the mock's web ports", Label("peers", "scanners"), func() {
	It(`says "Microsoft IIS httpd 8.5" on 80, 443, 4443 and 8080`, func() {
		needTool("nmap")
		const bind = "127.0.10.98"
		var ports []string
		for _, l := range []struct {
			proto wire.Protocol
			port  int
		}{{wire.ProtoHTTP, 80}, {wire.ProtoHTTPS, 443}, {wire.ProtoHTTPS, 4443}, {wire.ProtoHTTP, 8080}} {
			addr := serveOne(bind, l.proto, l.port, "")
			_, port, _ := net.SplitHostPort(addr)
			ports = append(ports, port)
		}
		out, err := scantest.Run(3*time.Minute, "nmap", "-Pn", "-n", "-sT", "-sV", "-p", strings.Join(ports, ","), bind)
		Expect(err).NotTo(HaveOccurred(), out)
		for _, port := range ports {
			Expect(out).To(MatchRegexp(`(?m)^%s/tcp\s+open\s+\S+\s+Microsoft IIS httpd 8\.5`, port), out)
		}
	})
})

// Autodiscover content negotiation: each Accept value gets a body that parses as the type its
// Content-Type names.
var _ = Describe("autodiscover answers in the type the client asks for", Label("web"), func() {
	var addr string
	BeforeEach(func() { addr = serveOne("127.0.10.99", wire.ProtoHTTPS, 443, "") })

	DescribeTable("Accept",
		func(accept, wantType string) {
			req, err := http.NewRequest("GET", "https://"+addr+"/Autodiscover/AutodiscoverService.svc/root?originalDomain=contoso.com", nil)
			Expect(err).NotTo(HaveOccurred())
			req.Host = "lyncdiscoverinternal.contoso.com"
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			res, err := webClient("dir-pool.contoso.local", false).Do(req)
			Expect(err).NotTo(HaveOccurred())
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			Expect(err).NotTo(HaveOccurred())
			Expect(res.StatusCode).To(Equal(200))
			mt, params, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
			Expect(err).NotTo(HaveOccurred())
			Expect(mt).To(Equal(wantType))
			if strings.Contains(mt, "autodiscover") {
				Expect(params).To(HaveKeyWithValue("v", "1"))
			}
			switch {
			case strings.HasSuffix(mt, "json"):
				var doc struct {
					Links map[string]struct{ Href string } `json:"_links"`
				}
				Expect(json.Unmarshal(body, &doc)).To(Succeed(), string(body))
				Expect(doc.Links).To(HaveKey("user"))
				Expect(doc.Links["self"].Href).To(HavePrefix("https://lyncdiscoverinternal.contoso.com/Autodiscover/AutodiscoverService.svc/root"))
				_, ok := wire.DecodeJSON(body)
				Expect(ok).To(BeTrue(), "the JSON form carries the mock's identity")
			case strings.HasSuffix(mt, "xml"):
				var doc struct {
					XMLName        xml.Name
					AccessLocation string `xml:"AccessLocation,attr"`
					Links          []struct {
						Token string `xml:"token,attr"`
						Href  string `xml:"href,attr"`
					} `xml:"Root>Link"`
				}
				Expect(xml.Unmarshal(body, &doc)).To(Succeed(), string(body))
				Expect(doc.XMLName.Local).To(Equal("AutodiscoverResponse"))
				Expect(doc.AccessLocation).To(Equal("Internal"))
				var tokens []string
				for _, l := range doc.Links {
					tokens = append(tokens, l.Token)
					Expect(l.Href).To(HavePrefix("https://lyncdiscoverinternal.contoso.com/"))
				}
				Expect(tokens).To(ContainElements("Domain", "User"), "[MS-OCDISCWS] 3.1.5.2: no Redirect, so User and Domain")
			default:
				Fail("unexpected type " + mt)
			}
			Expect(res.Header.Get(wire.HeaderRole)).To(Equal("director"), "the identity headers stay")
			Expect(res.Header.Values("Vary")).To(ContainElement("Accept"))
		},
		Entry("vendor XML", "application/vnd.microsoft.rtc.autodiscover+xml;v=1", "application/vnd.microsoft.rtc.autodiscover+xml"),
		Entry("vendor JSON", "application/vnd.microsoft.rtc.autodiscover+json;v=1", "application/vnd.microsoft.rtc.autodiscover+json"),
		Entry("plain JSON", "application/json", "application/json"),
		Entry("plain XML", "application/xml", "application/xml"),
		Entry("text/xml", "text/xml", "application/xml"),
		Entry("none", "", "application/vnd.microsoft.rtc.autodiscover+json"),
		Entry("anything", "*/*", "application/vnd.microsoft.rtc.autodiscover+json"),
		Entry("a browser's", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/xml"),
		Entry("weighted toward JSON", "application/vnd.microsoft.rtc.autodiscover+xml;v=1;q=0.5, application/json", "application/json"),
		Entry("XML refused by q=0", "application/vnd.microsoft.rtc.autodiscover+xml;q=0, application/vnd.microsoft.rtc.autodiscover+json", "application/vnd.microsoft.rtc.autodiscover+json"),
		Entry("a type it does not speak", "text/html", "application/vnd.microsoft.rtc.autodiscover+json"),
	)
})

var _ = Describe("a listener's wire profile", func() {
	It("refuses HTTP/3 under a profile whose host has none, and an unknown profile, naming the listener", func() {
		id, err := certs.LoadFromDir(keys.dir, "dir01.contoso.local")
		Expect(err).NotTo(HaveOccurred())
		spec := listeners.Spec{Role: scenarios.RoleDirector, Member: "dir01.contoso.local", Name: "https-443",
			Protocol: wire.ProtoHTTPS, Port: 443, Addr: "127.0.10.99:0", HTTP3: true}
		_, err = listeners.New(spec, listeners.Env{TLS: id})
		Expect(err).To(MatchError(SatisfyAll(ContainSubstring("director listener https-443: http3 is on, but wire profile lync2013-ws2012r2"),
			ContainSubstring("`profile: modern`"))))
		spec.HTTP3, spec.Profile = false, "windows-nt4"
		_, err = listeners.New(spec, listeners.Env{TLS: id})
		Expect(err).To(MatchError(ContainSubstring(`director listener https-443: wireprofile: unknown profile "windows-nt4"`)))
	})
})
