package listeners_test

import (
	"crypto/tls"
	"io"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/internal/wireprofile"
	"github.com/mockdirector/mockdirector/journal"
)

var _ = Describe("HTTP/2 that net/http refuses is journaled", Label("malformed"), func() {
	var (
		jr   *memJournal
		addr string
	)
	BeforeEach(func() {
		jr = &memJournal{}
		spec := directorSpec("127.0.10.86", wire.ProtoHTTPS, 4443, false)
		spec.Profile = wireprofile.SfB2015WS2016 // IIS 10: ALPN h2
		addr = bindSpecs(directorEnv(jr), spec)["https-4443"]
	})
	// h2Raw negotiates h2, sends input and reads until the server closes.
	h2Raw := func(input string) {
		conf := keys.probe.ClientConfig("dir-pool.contoso.local")
		conf.NextProtos = []string{"h2"}
		c, err := tls.DialWithDialer(dialer(), "tcp", addr, conf)
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		Expect(c.ConnectionState().NegotiatedProtocol).To(Equal("h2"))
		c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = io.WriteString(c, input)
		Expect(err).NotTo(HaveOccurred())
		_, err = io.Copy(io.Discard, c)
		Expect(err).NotTo(HaveOccurred(), "the server closes the connection")
	}
	failed := func(code wire.Code, why string) types.GomegaMatcher {
		return ContainElement(SatisfyAll(
			HaveField("Kind", journal.KindHTTP), HaveField("Outcome", journal.OutcomeFailed),
			HaveField("Code", code), HaveField("Reason", ContainSubstring(why)),
			HaveField("Remote", HavePrefix(clientIP+":")), HaveField("Local", Equal(addr)),
			HaveField("TLS.ALPN", "h2"), HaveField("Listener", "https-4443")))
	}
	It("journals a connection preface that is not HTTP/2's (HTTP/1.1 after ALPN h2)", func() {
		h2Raw("GET / HTTP/1.1\r\nHost: dir-pool.contoso.local\r\n\r\n")
		Eventually(jr.Events).Should(failed(wire.CodeProtocol, "connection preface is not HTTP/2's"))
	})
	It("journals a frame that breaks HTTP/2 (DATA on stream 0), answered GOAWAY", func() {
		const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
		settings := "\x00\x00\x00\x04\x00\x00\x00\x00\x00" // empty SETTINGS
		data0 := "\x00\x00\x00\x00\x00\x00\x00\x00\x00"    // DATA, stream 0: a connection error
		h2Raw(preface + settings + data0)
		Eventually(jr.Events).Should(failed(wire.CodeMalformed, "answered GOAWAY and closed"))
	})
	It("journals nothing more than the handshake and the request of a good HTTP/2 connection", func() {
		conf := keys.probe.ClientConfig("dir-pool.contoso.local")
		conf.NextProtos = []string{"h2"}
		c, err := tls.DialWithDialer(dialer(), "tcp", addr, conf)
		Expect(err).NotTo(HaveOccurred())
		Expect(c.ConnectionState().NegotiatedProtocol).To(Equal("h2"))
		// A preface and SETTINGS, then the client goes: nothing net/http refused.
		_, err = io.WriteString(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
		Expect(err).NotTo(HaveOccurred())
		time.Sleep(200 * time.Millisecond)
		c.Close()
		Eventually(jr.Events).Should(HaveLen(1))
		Consistently(jr.Events, 500*time.Millisecond).Should(HaveLen(1))
		Expect(jr.Events()[0].Kind).To(Equal(journal.KindHandshake))
	})
})
