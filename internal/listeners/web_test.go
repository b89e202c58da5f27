package listeners_test

import (
	"io"
	"net/http"
	"strings"

	"github.com/emiago/sipgo/sip"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
)

var _ = Describe("the Lync web-service paths", Ordered, Label("web"), func() {
	var r *role
	BeforeAll(func() { r = startRole(scenarios.RoleDirector, "127.0.10.33") })

	DescribeTable("answer as a Lync web server would, and say who answered",
		func(path string, status int, contentType string, body string, authenticate string) {
			res, err := webClient(r.pool, false).Get("https://" + r.addrs["https-4443"] + path)
			Expect(err).NotTo(HaveOccurred())
			b, err := io.ReadAll(res.Body)
			res.Body.Close()
			Expect(err).NotTo(HaveOccurred())
			Expect(res.StatusCode).To(Equal(status))
			Expect(res.Header.Get("Content-Type")).To(HavePrefix(contentType))
			Expect(string(b)).To(ContainSubstring(body))
			Expect(strings.Join(res.Header.Values("WWW-Authenticate"), " | ")).To(ContainSubstring(authenticate))
			Expect(res.Header.Get(wire.HeaderListener)).To(Equal("https-4443"))
			Expect(res.Header.Get("Server")).To(ContainSubstring("IIS"))
			Expect(r.jr.Events()).To(ContainElement(SatisfyAll(HaveField("Kind", journal.KindHTTP),
				HaveField("HTTP.Path", path), HaveField("HTTP.Status", status))))
		},
		Entry("autodiscover", "/Autodiscover/AutodiscoverService.svc/root?originalDomain=contoso.com", 200,
			"application/vnd.microsoft.rtc.autodiscover", `"xframe"`, ""),
		Entry("UCWA wants a web ticket", "/ucwa/oauth/v1/applications", 401, "text/plain", "web ticket", "MsRtcOAuth"),
		Entry("mobility (mcx) wants a web ticket", "/mcx/mcxservice.svc", 401, "text/plain", "web ticket", "Bearer"),
		Entry("web ticket service challenges", "/WebTicket/WebTicketService.svc", 401, "text/plain", "Negotiate/NTLM", "NTLM"),
		Entry("address book challenges", "/abs/handler", 401, "text/plain", "Negotiate/NTLM", "Negotiate"),
		Entry("meet page", "/meet/alice/ABC123", 200, "text/html", "dir-pool.contoso.local", ""),
		Entry("dial-in page", "/dialin/", 200, "text/html", "Lync web services stand-in", ""),
		Entry("an unknown path", "/nothing/here", 404, "text/plain", "no such Lync web service", ""),
	)
})

var _ = Describe("SIP answers other methods as a Lync server does", Ordered, Label("sip"), func() {
	var r *role
	BeforeAll(func() { r = startRole(scenarios.RoleFrontend, "127.0.10.34") })

	DescribeTable("to a peer with a good certificate",
		func(method sip.RequestMethod, status int, header string) {
			res, err := sipRequest(keys.probe, r.pool, r.addrs["sip-mtls-5061"], method)
			Expect(err).NotTo(HaveOccurred())
			Expect(res.StatusCode).To(Equal(status))
			if header != "" {
				Expect(res.GetHeader(header)).NotTo(BeNil(), "%s has no %s", method, header)
			}
			Expect(r.jr.Events()).To(ContainElement(SatisfyAll(HaveField("Kind", journal.KindSIP),
				HaveField("SIP.Method", string(method)), HaveField("SIP.Status", status),
				HaveField("SIP.CallID", res.CallID().Value()), HaveField("SIP.From", Not(BeEmpty())),
				HaveField("SIP.Via", ContainSubstring("SIP/2.0/TLS")))))
		},
		Entry("INVITE is challenged", sip.INVITE, 401, "WWW-Authenticate"),
		Entry("SUBSCRIBE is challenged", sip.SUBSCRIBE, 401, "WWW-Authenticate"),
		Entry("MESSAGE is challenged", sip.MESSAGE, 401, "WWW-Authenticate"),
		Entry("BYE outside a dialog", sip.BYE, 481, ""),
		Entry("SERVICE (Lync's own method) is challenged", sip.RequestMethod("SERVICE"), 401, "WWW-Authenticate"),
		Entry("an unknown method", sip.RequestMethod("FROBNICATE"), 405, "Allow"),
	)

	It("answers HTTP/1.1 clients on a plain HTTP port too", func() {
		res, err := http.Get("http://" + r.addrs["http-8080"] + "/meet/")
		Expect(err).NotTo(HaveOccurred())
		res.Body.Close()
		Expect(res.StatusCode).To(Equal(200))
		Expect(res.Header.Get(wire.HeaderRole)).To(Equal("frontend"))
	})
})
