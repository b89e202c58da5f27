package listeners_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
)

// leafSHA256 is the fingerprint of the leaf certificate the server presented on c.
func leafSHA256(c *tls.Conn) string {
	sum := sha256.Sum256(c.ConnectionState().PeerCertificates[0].Raw)
	return hex.EncodeToString(sum[:])
}

// Every listener of every role, generated from the seed table before the specs run.
var _ = Describe("every listener of every role answers with its identity", func() {
	for i, roleName := range scenarios.ServerRoles {
		bind := fmt.Sprintf("127.0.10.%d", 10+i)
		Describe(roleName, Ordered, Label("identity", roleName), func() {
			var r *role
			BeforeAll(func() { r = startRole(roleName, bind) })

			for _, row := range scenarios.Default().ServedBy(roleName) {
				name := listeners.ListenerName(wire.Protocol(row.Protocol), row.Port)
				It(row.ID()+" ("+name+")", Label(row.Protocol), func() {
					addr := r.addrs[name]
					Expect(addr).NotTo(BeEmpty(), "listener %s not bound", name)
					switch row.Protocol {
					case scenarios.ProtoHTTP, scenarios.ProtoHTTPS:
						expectWebIdentity(r, name, row.Protocol, row.Port, addr)
					case scenarios.ProtoSIPMTLS:
						expectSIPIdentity(r, name, addr)
					case scenarios.ProtoCLSMTLS:
						expectCLSIdentity(r, name, row.Port, addr)
					default:
						Fail("no check for protocol " + row.Protocol)
					}
				})
			}
		})
	}
})

// webClient speaks HTTP/1.1 (or h2 when h2 is true) from clientIP, trusting the generated CA
// and sending SNI serverName.
func webClient(serverName string, h2 bool) *http.Client {
	tr := &http.Transport{
		DialContext:     dialer().DialContext,
		TLSClientConfig: keys.probe.ClientConfig(serverName),
	}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
	} else {
		tr.ForceAttemptHTTP2 = true
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func expectWebIdentity(r *role, name, proto string, port int, addr string) {
	scheme := "http"
	if proto == scenarios.ProtoHTTPS {
		scheme = "https"
	}
	for _, h2 := range []bool{false, true} {
		if h2 && proto == scenarios.ProtoHTTP {
			continue
		}
		req, err := http.NewRequest("GET", scheme+"://"+addr+wire.WellKnownPath, nil)
		Expect(err).NotTo(HaveOccurred())
		req.Host = r.pool // what a reverse proxy forwarding the Host header sends
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		res, err := webClient(r.pool, h2).Do(req)
		Expect(err).NotTo(HaveOccurred())
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		Expect(err).NotTo(HaveOccurred())
		Expect(res.StatusCode).To(Equal(http.StatusOK))
		// The default wire profile is Lync 2013 on Windows Server 2012 R2: IIS 8.5 has no HTTP/2,
		// so a client that offers h2 gets HTTP/1.1.
		Expect(res.ProtoMajor).To(Equal(1))
		Expect(res.Header.Get("Server")).To(Equal("Microsoft-IIS/8.5"))
		Expect(res.Header.Get("X-MS-Server-Fqdn")).To(Equal(r.member))

		var id wire.Identity
		Expect(json.Unmarshal(body, &id)).To(Succeed(), string(body))
		Expect(id.Service).To(Equal(wire.ServiceName))
		Expect(id.Role).To(Equal(r.name))
		Expect(id.Member).To(Equal(r.member))
		Expect(id.Pool).To(Equal(r.pool))
		Expect(id.Listener).To(Equal(name))
		Expect(id.Protocol).To(Equal(proto))
		Expect(id.Port).To(Equal(port))
		Expect(id.Local).To(Equal(addr))
		Expect(id.RemoteIP).To(Equal(clientIP))
		Expect(id.Host).To(Equal(r.pool))
		Expect(id.XForwardedFor).To(Equal("203.0.113.7"))
		Expect(id.Guard).To(BeFalse())
		if res.TLS != nil {
			sum := sha256.Sum256(res.TLS.PeerCertificates[0].Raw)
			Expect(id.CertSHA256).To(Equal(hex.EncodeToString(sum[:])), "the identity names the leaf served")
			Expect(res.Header.Get(wire.HeaderCertSHA256)).To(Equal(id.CertSHA256))
		} else {
			Expect(id.CertSHA256).To(BeEmpty())
		}

		Expect(res.Header.Get(wire.HeaderRole)).To(Equal(r.name))
		Expect(res.Header.Get(wire.HeaderMember)).To(Equal(r.member))
		Expect(res.Header.Get(wire.HeaderListener)).To(Equal(name))
		Expect(res.Header.Get(wire.HeaderSource)).To(HavePrefix(clientIP + ":"))
		Expect(res.Header.Get(wire.HeaderHost)).To(Equal(r.pool))
		Expect(res.Header.Get(wire.HeaderXFF)).To(Equal("203.0.113.7"))
		if proto == scenarios.ProtoHTTPS {
			Expect(id.SNI).To(Equal(r.pool))
			Expect(id.TLSVersion).To(Equal("TLS 1.2"))
			Expect(res.Header.Get(wire.HeaderSNI)).To(Equal(r.pool))
			Expect(id.ALPN).To(BeEmpty(), "schannel on 2012 R2 answers no ALPN")
		} else {
			Expect(res.Header.Get(wire.HeaderSNI)).To(BeEmpty())
		}

		// The journal has the request, with what the listener saw.
		Expect(r.jr.Events()).To(ContainElement(SatisfyAll(
			HaveField("Kind", journal.KindHTTP),
			HaveField("Listener", name),
			HaveField("Remote", res.Header.Get(wire.HeaderSource)),
			HaveField("HTTP.Host", r.pool),
			HaveField("HTTP.XForwardedFor", "203.0.113.7"),
			HaveField("HTTP.Status", 200),
			HaveField("Outcome", journal.OutcomeOK),
		)))
	}
}

// sipRequest sends one request with sipgo as an MTLS client and returns the final response.
func sipRequest(id tlsIdentity, serverName, addr string, method sip.RequestMethod) (*sip.Response, error) {
	ua, err := sipgo.NewUA(sipgo.WithUserAgenTLSConfig(id.ClientConfig(serverName)))
	Expect(err).NotTo(HaveOccurred())
	defer ua.Close()
	cl, err := sipgo.NewClient(ua, sipgo.WithClientHostname(clientIP), sipgo.WithClientConnectionAddr(clientIP+":0"))
	Expect(err).NotTo(HaveOccurred())
	var uri sip.Uri
	Expect(sip.ParseUri("sip:"+addr+";transport=tls", &uri)).To(Succeed())
	req := sip.NewRequest(method, uri)
	req.SetTransport("TLS")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cl.Do(ctx, req)
}

// tlsIdentity is what a client needs to present a certificate.
type tlsIdentity interface {
	ClientConfig(serverName string) *tls.Config
}

func expectSIPIdentity(r *role, name, addr string) {
	res, err := sipRequest(keys.probe, r.pool, addr, sip.OPTIONS)
	Expect(err).NotTo(HaveOccurred())
	Expect(res.StatusCode).To(Equal(200))
	Expect(res.GetHeader("Allow").Value()).To(ContainSubstring("OPTIONS"))
	Expect(res.GetHeader("Supported").Value()).To(ContainSubstring("ms-dialog-route-set-update"))
	Expect(res.GetHeader("Server").Value()).To(Equal("RTC/5.0"), "exactly, as Lync 2013 says: who the mock is goes in the identity header")
	Expect(res.GetHeader(wire.HeaderSIP).Value()).To(SatisfyAll(
		ContainSubstring("role="+r.name), ContainSubstring("member="+r.member),
		ContainSubstring("listener="+name), ContainSubstring(";source="+clientIP+":")))

	// A registrar challenges an unauthenticated REGISTER.
	res, err = sipRequest(keys.probe, r.pool, addr, sip.REGISTER)
	Expect(err).NotTo(HaveOccurred())
	Expect(res.StatusCode).To(Equal(401))
	var challenges []string
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		challenges = append(challenges, h.Value())
	}
	Expect(challenges).To(ConsistOf( // [MS-SIPAE] 3.3.5.1: one per protocol, version 4
		`NTLM realm="SIP Communications Service", targetname="`+r.member+`", version=4`,
		`Kerberos realm="SIP Communications Service", targetname="sip/`+r.member+`", version=4`,
		`TLS-DSK realm="SIP Communications Service", targetname="`+r.member+`", version=4, sts-uri="https://`+r.pool+`/CertProv/CertProvisioningService.svc"`))

	Expect(r.jr.Events()).To(ContainElements(
		SatisfyAll(HaveField("Kind", journal.KindSIP), HaveField("Listener", name),
			HaveField("SIP.Method", "OPTIONS"), HaveField("SIP.Status", 200),
			HaveField("TLS.ClientCert.Verified", true), HaveField("Remote", HavePrefix(clientIP+":"))),
		SatisfyAll(HaveField("Kind", journal.KindSIP), HaveField("Listener", name),
			HaveField("SIP.Method", "REGISTER"), HaveField("SIP.Status", 401)),
	))

	// A CRLF keep-alive ping (RFC 5626) gets its pong.
	c := mtlsDial(keys.probe, r.pool, addr)
	defer c.Close()
	_, err = c.Write([]byte("\r\n\r\n"))
	Expect(err).NotTo(HaveOccurred())
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	pong := make([]byte, 16)
	n, err := c.Read(pong)
	Expect(err).NotTo(HaveOccurred())
	Expect(string(pong[:n])).To(Equal("\r\n"))
}

// mtlsDial connects and finishes the handshake presenting id's certificate.
func mtlsDial(id tlsIdentity, serverName, addr string) *tls.Conn {
	c, err := tls.DialWithDialer(dialer(), "tcp", addr, id.ClientConfig(serverName))
	Expect(err).NotTo(HaveOccurred())
	return c
}

func expectCLSIdentity(r *role, name string, port int, addr string) {
	c := mtlsDial(keys.probe, r.pool, addr)
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	banner, err := br.ReadString('\n')
	Expect(err).NotTo(HaveOccurred())
	Expect(banner).To(HavePrefix(fmt.Sprintf("%s role=%s member=%s listener=%s port=%d ",
		wire.CLSBannerPrefix, r.name, r.member, name, port)))
	Expect(banner).To(HaveSuffix("\r\n"))
	// The banner names the source the mock saw and the leaf it serves.
	id, ok := wire.ParseCLSBanner(strings.TrimSpace(banner))
	Expect(ok).To(BeTrue())
	Expect(id.Remote).To(Equal(c.LocalAddr().String()))
	Expect(id.CertSHA256).To(Equal(leafSHA256(c)))
	Expect(id.Guard).To(BeFalse())
	fmt.Fprint(c, "PING 42abc\r\n")
	Expect(br.ReadString('\n')).To(Equal("PONG 42abc\r\n"))
	fmt.Fprint(c, "HELLO\r\n")
	Expect(br.ReadString('\n')).To(Equal("ERR unknown command\r\n"))
	fmt.Fprint(c, "QUIT\r\n")
	Expect(br.ReadString('\n')).To(Equal("BYE\r\n"))
	_, err = br.ReadByte()
	Expect(err).To(MatchError(io.EOF), "the listener closes after BYE")

	Expect(r.jr.Events()).To(ContainElement(SatisfyAll(
		HaveField("Kind", journal.KindCLS), HaveField("Listener", name),
		HaveField("CLS.Banner", strings.TrimSpace(banner)),
		HaveField("TLS.ClientCert.Verified", true),
		HaveField("Remote", HavePrefix(clientIP+":")),
	)))
}
