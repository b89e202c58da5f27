package listeners_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// sipHead is the start of an OPTIONS that the malformed cases finish badly.
const sipHead = "OPTIONS sip:dir-pool.contoso.local SIP/2.0\r\n" +
	"Via: SIP/2.0/TLS 127.0.10.200:5061;branch=z9hG4bKbad1\r\n" +
	"From: <sip:probe@contoso.com>;tag=1\r\nTo: <sip:dir-pool.contoso.local>\r\n" +
	"Call-ID: bad-call-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"

var _ = Describe("malformed input is answered and journaled", Label("malformed"), func() {
	Describe("SIP over MTLS", func() {
		var (
			jr   *memJournal
			addr string
		)
		var logBuf *syncBuffer
		BeforeEach(func() {
			jr = &memJournal{}
			env := directorEnv(jr)
			logBuf = &syncBuffer{}
			env.Log = slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			addr = bindSpecs(env, directorSpec("127.0.10.70", wire.ProtoSIPMTLS, 5061, false))["sip-mtls-5061"]
		})

		// send writes the input (in the background: the mock may close before it is all sent)
		// and returns the status line and headers of the answer.
		send := func(input string) (string, textproto.MIMEHeader) {
			c := mtlsDial(keys.probe, "dir-pool.contoso.local", addr)
			DeferCleanup(func() { c.Close() })
			go func() {
				defer GinkgoRecover()
				c.SetWriteDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(c, input)
			}()
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			tp := textproto.NewReader(bufio.NewReader(c))
			status, err := tp.ReadLine()
			Expect(err).NotTo(HaveOccurred(), "an answer, not a silent close")
			hdr, err := tp.ReadMIMEHeader()
			Expect(err).NotTo(HaveOccurred())
			closedWithin(c, 10*time.Second)
			return status, hdr
		}

		DescribeTable("answers 400 with the reason, journals it as malformed and closes",
			func(input, why string, echoed bool) {
				status, hdr := send(input)
				Expect(status).To(HavePrefix("SIP/2.0 400 Bad Request (mockdirector: "))
				Expect(status).To(ContainSubstring(why))
				if echoed {
					Expect(hdr.Get("Call-ID")).To(Equal("bad-call-1"))
					Expect(hdr.Get("Via")).To(ContainSubstring("branch=z9hG4bKbad1"))
				}
				Eventually(jr.Events).Should(ContainElement(SatisfyAll(
					HaveField("Kind", journal.KindSIP), HaveField("Outcome", journal.OutcomeFailed),
					HaveField("Code", wire.CodeMalformed), HaveField("Reason", ContainSubstring(why)),
					HaveField("Remote", HavePrefix(clientIP+":")), HaveField("SIP.Status", 400))))
				for _, e := range jr.Events() {
					Expect(len(e.Reason)).To(BeNumerically("<", 300), "the reason carries a short prefix, not the input")
				}
				for _, l := range strings.Split(logBuf.String(), "\n") {
					Expect(len(l)).To(BeNumerically("<", 600), "a log line carries a short escaped prefix of client bytes: %.200s", l)
				}
			},
			Entry("a 1 MB header", sipHead+"X-Big: "+strings.Repeat("a", 1<<20)+"\r\nContent-Length: 0\r\n\r\n", "headers over 65535 bytes", true),
			Entry("a Content-Length that is not a number", sipHead+"Content-Length: twelve\r\n\r\n", `Content-Length "twelve" is not a number`, true),
			Entry("no Content-Length", sipHead+"\r\n", "no Content-Length", true),
			Entry("a Content-Length past the size limit", sipHead+"Content-Length: 9999999\r\n\r\n", "the message would be over 65535 bytes", true),
			Entry("10,000 headers", sipHead+strings.Repeat("X: 1\r\n", 10000)+"Content-Length: 0\r\n\r\n", "more than 256 header lines", true),
			Entry("a garbage request line", "\x16\x03\x01 GARBAGE\x00\xff\r\n\r\n", "not a SIP request line", false),
			Entry("an HTTP request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not a SIP request line", false),
			Entry("a header sipgo's parser refuses", strings.Replace(sipHead, "CSeq: 1 OPTIONS", "CSeq: one OPTIONS", 1)+"Content-Length: 0\r\n\r\n", "the SIP parser refused", true),
		)

		It("answers a good request before a bad one on the same connection", func() {
			c := mtlsDial(keys.probe, "dir-pool.contoso.local", addr)
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			tp := textproto.NewReader(bufio.NewReader(c))
			io.WriteString(c, sipHead+"Content-Length: 0\r\n\r\n")
			Expect(tp.ReadLine()).To(HavePrefix("SIP/2.0 200"))
			_, err := tp.ReadMIMEHeader()
			Expect(err).NotTo(HaveOccurred())
			io.WriteString(c, "GARBAGE\r\n\r\n")
			Expect(tp.ReadLine()).To(Equal(`SIP/2.0 400 Bad Request (mockdirector: not a SIP request line: "GARBAGE")`))
		})
	})
	Describe("HTTP on a plain port", func() {
		var (
			jr   *memJournal
			addr string
		)
		BeforeEach(func() {
			jr = &memJournal{}
			env := directorEnv(jr)
			env.Conns = listeners.NewConnLimiter(listeners.Limits{HTTPHeaderTimeout: time.Second})
			addr = bindSpecs(env, directorSpec("127.0.10.71", wire.ProtoHTTP, 8080, false))["http-8080"]
		})

		// raw sends input and returns the status line of the answer ("" when closed without one).
		raw := func(input string) string {
			c, err := dialer().Dial("tcp", addr)
			Expect(err).NotTo(HaveOccurred())
			defer c.Close()
			go func() {
				c.SetWriteDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(c, input)
			}()
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			return strings.TrimSpace(line)
		}
		failed := func(code wire.Code, status int, why string) types.GomegaMatcher {
			return ContainElement(SatisfyAll(
				HaveField("Kind", journal.KindHTTP), HaveField("Outcome", journal.OutcomeFailed),
				HaveField("Code", code), HaveField("HTTP.Status", status), HaveField("Reason", ContainSubstring(why)),
				HaveField("Remote", HavePrefix(clientIP+":"))))
		}

		It("journals a request line net/http cannot parse (400)", func() {
			Expect(raw("\x00\x01GARBAGE\r\n\r\n")).To(HavePrefix("HTTP/1.1 400"))
			Eventually(jr.Events).Should(failed(wire.CodeMalformed, 400, `first bytes "\x00\x01GARBAGE`))
		})
		It("journals headers over MaxHeaderBytes (431)", func() {
			Expect(raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n\r\n")).To(HavePrefix("HTTP/1.1 431"))
			Eventually(jr.Events).Should(failed(wire.CodeMalformed, 431, "request headers over 1048576 bytes"))
			Expect(jr.Events()).To(ContainElement(HaveField("HTTP.Method", "GET")))
		})
		It("journals a request net/http refuses before the handler with another status (417)", func() {
			Expect(raw("GET /meet/ HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n")).To(HavePrefix("HTTP/1.1 417"))
			Eventually(jr.Events).Should(failed(wire.CodeMalformed, 417, "refused by net/http before the handler"))
		})
		It("journals TLS sent to the plain port", func() {
			c, err := dialer().Dial("tcp", addr)
			Expect(err).NotTo(HaveOccurred())
			tc := tls.Client(c, &tls.Config{ServerName: "dir-pool.contoso.local", InsecureSkipVerify: true})
			tc.SetDeadline(time.Now().Add(10 * time.Second))
			Expect(tc.Handshake()).NotTo(Succeed())
			tc.Close()
			Eventually(jr.Events).Should(failed(wire.CodeProtocol, 400, "TLS on a plain HTTP port"))
		})
		It("journals headers cut by the header timeout, answered 408", func() {
			Expect(raw("GET / HTTP/1.1\r\nHost: x\r\n")).To(HavePrefix("HTTP/1.1 408"))
			Eventually(jr.Events).Should(failed(wire.CodeTimeout, 408, "request headers not complete in 1s"))
		})
		It("journals a request the client cut", func() {
			c, err := dialer().Dial("tcp", addr)
			Expect(err).NotTo(HaveOccurred())
			io.WriteString(c, "GET / HT")
			time.Sleep(100 * time.Millisecond)
			c.Close()
			Eventually(jr.Events).Should(failed(wire.CodeMalformed, 400, "incomplete request: the client closed after 8 bytes; answered 400 Bad Request"))
		})
		It("journals a bare connect as connect-only, and a good request then a bad one on one connection", func() {
			c, err := dialer().Dial("tcp", addr)
			Expect(err).NotTo(HaveOccurred())
			c.Close()
			Eventually(jr.Events).Should(ContainElement(SatisfyAll(HaveField("Kind", journal.KindConnect), HaveField("Code", wire.CodeConnectOnly))))

			c, err = dialer().Dial("tcp", addr)
			Expect(err).NotTo(HaveOccurred())
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(c)
			io.WriteString(c, "GET /meet/ HTTP/1.1\r\nHost: x\r\n\r\n")
			res, err := http.ReadResponse(br, nil)
			Expect(err).NotTo(HaveOccurred())
			io.Copy(io.Discard, res.Body)
			Expect(res.StatusCode).To(Equal(200))
			io.WriteString(c, "BREW /pot HTCPCP/1.0\r\n\r\n")
			Expect(br.ReadString('\n')).To(HavePrefix("HTTP/1.1 400"))
			Eventually(jr.Events).Should(failed(wire.CodeMalformed, 400, `first bytes "BREW /pot HTCPCP/1.0`))
			Expect(jr.Events()).To(ContainElement(SatisfyAll(HaveField("Kind", journal.KindHTTP), HaveField("HTTP.Status", 200))))
			Expect(jr.Events()).To(HaveLen(3), "connect-only, the 200, the 400")
		})
	})
	It("journals every CLS command and the reply, an unknown one as malformed", func() {
		jr := &memJournal{}
		addr := bindSpecs(directorEnv(jr), directorSpec("127.0.10.72", wire.ProtoCLSMTLS, 50001, false))["cls-mtls-50001"]
		c := mtlsDial(keys.probe, "dir-pool.contoso.local", addr)
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		_, err := br.ReadString('\n')
		Expect(err).NotTo(HaveOccurred())
		for _, l := range []string{"PING t1", "HELLO \x01\x02", "QUIT"} {
			io.WriteString(c, l+"\r\n")
			_, err := br.ReadString('\n')
			Expect(err).NotTo(HaveOccurred())
		}
		cmd := func(command, reply string, outcome wire.Outcome, code wire.Code) types.GomegaMatcher {
			return ContainElement(SatisfyAll(HaveField("Kind", journal.KindCLS), HaveField("CLS.Command", command),
				HaveField("CLS.Reply", reply), HaveField("Outcome", outcome), HaveField("Code", code),
				HaveField("Remote", c.LocalAddr().String())))
		}
		Eventually(jr.Events).Should(SatisfyAll(
			cmd("PING t1", "PONG t1", journal.OutcomeOK, wire.CodeNone),
			cmd("HELLO \x01\x02", "ERR unknown command", journal.OutcomeFailed, wire.CodeMalformed),
			cmd("QUIT", "BYE", journal.OutcomeOK, wire.CodeNone)))
		Expect(jr.Events()).To(ContainElement(HaveField("Reason", `unknown CLS command "HELLO \x01\x02" (the mock speaks PING and QUIT)`)))
	})

	It("journals a CLS line over the limit", func() {
		jr := &memJournal{}
		addr := bindSpecs(directorEnv(jr), directorSpec("127.0.10.73", wire.ProtoCLSMTLS, 50002, false))["cls-mtls-50002"]
		c := mtlsDial(keys.probe, "dir-pool.contoso.local", addr)
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		br.ReadString('\n')
		go io.WriteString(c, strings.Repeat("P", 4096)+"\r\n")
		Expect(br.ReadString('\n')).To(Equal("ERR line too long\r\n"))
		Eventually(jr.Events).Should(ContainElement(SatisfyAll(HaveField("Kind", journal.KindCLS),
			HaveField("Code", wire.CodeMalformed), HaveField("Reason", "CLS line over 1024 bytes"))))
	})
	Describe("HTTPS", func() {
		var (
			jr   *memJournal
			addr string
		)
		BeforeEach(func() {
			jr = &memJournal{}
			env := directorEnv(jr)
			env.Conns = listeners.NewConnLimiter(listeners.Limits{HTTPHeaderTimeout: time.Second})
			addr = bindSpecs(env, directorSpec("127.0.10.74", wire.ProtoHTTPS, 4443, false))["https-4443"]
		})
		tlsRaw := func(input string, closeEarly bool) string {
			conf := keys.probe.ClientConfig("dir-pool.contoso.local")
			conf.NextProtos = []string{"http/1.1"}
			c, err := tls.DialWithDialer(dialer(), "tcp", addr, conf)
			Expect(err).NotTo(HaveOccurred())
			defer c.Close()
			go func() {
				c.SetWriteDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(c, input)
			}()
			if closeEarly {
				time.Sleep(100 * time.Millisecond)
				return ""
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			return strings.TrimSpace(line)
		}
		failed := func(code wire.Code, status int, why string) types.GomegaMatcher {
			return ContainElement(SatisfyAll(
				HaveField("Kind", journal.KindHTTP), HaveField("Outcome", journal.OutcomeFailed),
				HaveField("Code", code), HaveField("HTTP.Status", status), HaveField("Reason", ContainSubstring(why)),
				HaveField("Remote", HavePrefix(clientIP+":")), HaveField("TLS.Version", "TLS 1.2"))) // the default profile: 2012 R2
		}
		It("journals a request net/http cannot parse (400)", func() {
			Expect(tlsRaw("\x00GARBAGE\r\n\r\n", false)).To(HavePrefix("HTTP/1.1 400"))
			Eventually(jr.Events).Should(failed(wire.CodeMalformed, 400, "answered 400 Bad Request"))
		})
		It("journals headers over MaxHeaderBytes (431)", func() {
			Expect(tlsRaw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 2<<20)+"\r\n\r\n", false)).To(HavePrefix("HTTP/1.1 431"))
			Eventually(jr.Events).Should(failed(wire.CodeMalformed, 431, "request headers over 1048576 bytes"))
		})
		It("journals headers cut by the header timeout", func() {
			Expect(tlsRaw("GET / HTTP/1.1\r\nHost: x\r\n", false)).To(BeEmpty())
			Eventually(jr.Events).Should(failed(wire.CodeTimeout, 0, "request headers not complete in 1s"))
		})
		It("journals nothing more than the handshake and the requests of a good keep-alive connection", func() {
			conf := keys.probe.ClientConfig("dir-pool.contoso.local")
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: conf, DialContext: dialer().DialContext}}
			for range 2 {
				res, err := client.Get("https://" + addr + "/meet/")
				Expect(err).NotTo(HaveOccurred())
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			client.CloseIdleConnections()
			Eventually(jr.Events).Should(HaveLen(3))
			Consistently(jr.Events, 500*time.Millisecond).Should(HaveLen(3))
			for _, e := range jr.Events() {
				Expect(e.Outcome).To(Equal(journal.OutcomeOK))
				// No client certificate is asked for on 4443: none missing is remarked.
				Expect(e.Code).To(BeEmpty(), e.Reason)
				Expect(e.Reason).To(BeEmpty())
			}
		})
	})
	It("answers 503 without paths when the journal fails, and logs the failures once a second with a count", func() {
		var logBuf syncBuffer
		env := directorEnv(journal.RecorderFunc(func(journal.Event) error {
			return errors.New("journal /var/lib/secret/path.jsonl: write: no space left on device")
		}))
		env.Log = slog.New(slog.NewTextHandler(&logBuf, nil))
		addr := bindSpecs(env, directorSpec("127.0.10.75", wire.ProtoHTTP, 8080, false))["http-8080"]
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: dialer().DialContext}}
		for range 5 {
			res, err := client.Get("http://" + addr + "/meet/")
			Expect(err).NotTo(HaveOccurred())
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			Expect(res.StatusCode).To(Equal(503))
			Expect(string(body)).To(Equal("mockdirector: journal write failed\n"))
		}
		counted := func() int {
			n := 0
			for _, m := range regexp.MustCompile(`journal write failed.* events=(\d+)`).FindAllStringSubmatch(logBuf.String(), -1) {
				k, _ := strconv.Atoi(m[1])
				n += k
			}
			return n
		}
		Eventually(counted, 5*time.Second).Should(Equal(5), "every failure counted")
		Expect(strings.Count(logBuf.String(), "journal write failed")).To(BeNumerically("<=", 2), "at most one line a second")
	})
})

// syncBuffer is a bytes.Buffer safe for a logger and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var _ = Describe("client keys below 2048 bits", Label("weak-key"), func() {
	var weak *certs.Identity
	BeforeEach(func() {
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		Expect(err).NotTo(HaveOccurred())
		weak = issueClient(certs.Request{CommonName: "rsa1024-probe.contoso.com", PrivateKey: k})
	})

	It("are refused on the MTLS ports with the weak-key reason", func() {
		jr := &memJournal{}
		addr := bindSpecs(directorEnv(jr), directorSpec("127.0.10.76", wire.ProtoSIPMTLS, 5061, false))["sip-mtls-5061"]
		c, err := tls.DialWithDialer(dialer(), "tcp", addr, weak.ClientConfig("dir-pool.contoso.local"))
		if err == nil {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = c.Read(make([]byte, 1)) // TLS 1.3: the refusal comes after the client's Finished
			c.Close()
		}
		Expect(err).To(MatchError(ContainSubstring("bad certificate")))
		Eventually(jr.Events).Should(ContainElement(SatisfyAll(
			HaveField("Kind", journal.KindHandshake), HaveField("Outcome", journal.OutcomeFailed),
			HaveField("Code", wire.CodeWeakKey),
			HaveField("Reason", ContainSubstring("RSA 1024-bit key, below the 2048 bits this listener requires")),
			HaveField("TLS.ClientCert.Subject", ContainSubstring("rsa1024-probe")))))
	})

	It("are accepted where the lab lowers the minimum to 1024", func() {
		jr := &memJournal{}
		env := directorEnv(jr)
		env.Conns = listeners.NewConnLimiter(listeners.Limits{MinClientRSABits: 1024})
		addr := bindSpecs(env, directorSpec("127.0.10.77", wire.ProtoCLSMTLS, 50001, false))["cls-mtls-50001"]
		c := mtlsDial(weak, "dir-pool.contoso.local", addr)
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		banner, err := bufio.NewReader(c).ReadString('\n')
		Expect(err).NotTo(HaveOccurred())
		Expect(banner).To(HavePrefix(wire.CLSBannerPrefix))
	})
})
