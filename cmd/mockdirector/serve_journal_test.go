package main_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/mockdirector/mockdirector/journal"
)

// webClient keeps connections alive; h2 picks HTTP/2 on HTTPS.
func (m *mdServe) webClient(h2 bool) *http.Client {
	tr := &http.Transport{TLSClientConfig: m.tlsConf("dir-pool.contoso.local"), MaxIdleConnsPerHost: 16}
	if h2 {
		tr.ForceAttemptHTTP2 = true
	} else {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// fetch GETs url and reports whether a whole answer came back.
func fetch(cl *http.Client, url string) bool {
	res, err := cl.Get(url)
	if err != nil {
		return false
	}
	defer res.Body.Close()
	_, err = io.Copy(io.Discard, res.Body)
	return err == nil && res.StatusCode > 0
}

// sipOptions sends OPTIONS on an open MTLS connection and reads the answer's status line.
func sipOptions(c *tls.Conn, r *bufio.Reader, callID string) string {
	fmt.Fprintf(c, "OPTIONS sip:dir-pool.contoso.local SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.10.250:5061;branch=z9hG4bK%s\r\n"+
		"From: <sip:probe@contoso.com>;tag=1\r\nTo: <sip:dir-pool.contoso.local>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\n"+
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", callID, callID)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewReader(r)
	status, err := tp.ReadLine()
	Expect(err).NotTo(HaveOccurred())
	_, err = tp.ReadMIMEHeader()
	Expect(err).NotTo(HaveOccurred())
	return status
}

// sipAnswer is sipOptions for a goroutine: false (not a failure) when the connection ends.
func sipAnswer(c *tls.Conn, r *bufio.Reader, callID string) bool {
	fmt.Fprintf(c, "OPTIONS sip:dir-pool.contoso.local SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.10.250:5061;branch=z9hG4bK%s\r\n"+
		"From: <sip:probe@contoso.com>;tag=1\r\nTo: <sip:dir-pool.contoso.local>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\n"+
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", callID, callID)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewReader(r)
	status, err := tp.ReadLine()
	if err != nil {
		return false
	}
	if _, err := tp.ReadMIMEHeader(); err != nil {
		return false
	}
	return status == "SIP/2.0 200 OK"
}

var _ = Describe("the journal of mockdirector serve", Label("journal", "process"), func() {
	It("has one line per answered request and survives kill -9", func() {
		m := startServe("director", "127.0.10.40")
		const perKind = 20
		answered := 0
		h1, h2 := m.webClient(false), m.webClient(true)
		for i := range perKind {
			Expect(fetch(h1, fmt.Sprintf("http://%s/meet/h1-%d", m.addr(8080), i))).To(BeTrue())
			Expect(fetch(h2, fmt.Sprintf("https://%s/meet/h2-%d", m.addr(4443), i))).To(BeTrue())
			answered += 2
		}
		c, err := tls.Dial("tcp", m.addr(5061), m.edgeConf("dir-pool.contoso.local"))
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		br := bufio.NewReader(c)
		for i := range perKind {
			Expect(sipOptions(c, br, fmt.Sprintf("kill9-%d", i))).To(Equal("SIP/2.0 200 OK"))
		}

		m.session.Signal(syscall.SIGKILL)
		Eventually(m.session, 5*time.Second).Should(gexec.Exit())
		Expect(m.session.ExitCode()).NotTo(BeZero())

		evs := m.events()
		Expect(countKind(evs, journal.KindHTTP)).To(Equal(answered))
		Expect(countKind(evs, journal.KindSIP)).To(Equal(perKind))
		data, err := os.ReadFile(m.journal)
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.HasSuffix(string(data), "\n")).To(BeTrue(), "the last line is whole")
	})

	DescribeTable("loses no answered request when killed -9 under concurrent load (SIP and HTTPS, concurrent writers, rotation on)", func(bind string, extra ...string) {
		m := startServe("director", bind, append([]string{"--journal-max-size", "32KiB", "--journal-keep", "0"}, extra...)...)
		var mu sync.Mutex
		answered := map[string]bool{}
		var count atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := m.webClient(w%2 == 0)
				for i := 0; i < 5000; i++ { // bounded: the kill ends it far sooner
					select {
					case <-stop:
						return
					default:
					}
					path := fmt.Sprintf("/meet/w%d-%d", w, i)
					url := "https://" + m.addr(443) + path
					if w%3 == 0 {
						url = "http://" + m.addr(80) + path
					}
					if !fetch(cl, url) {
						return
					}
					mu.Lock()
					answered[path] = true
					mu.Unlock()
					count.Add(1)
				}
			}()
		}
		var sipMu sync.Mutex
		sipAnswered := map[string]bool{}
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := tls.Dial("tcp", m.addr(5061), m.edgeConf("dir-pool.contoso.local"))
				if err != nil {
					return
				}
				defer c.Close()
				br := bufio.NewReader(c)
				for i := 0; i < 5000; i++ {
					select {
					case <-stop:
						return
					default:
					}
					id := fmt.Sprintf("kill9-sip-%d-%d", w, i)
					if !sipAnswer(c, br, id) {
						return
					}
					sipMu.Lock()
					sipAnswered[id] = true
					sipMu.Unlock()
				}
			}()
		}
		Eventually(count.Load, 30*time.Second).Should(BeNumerically(">=", 300))
		m.session.Signal(syscall.SIGKILL) // with requests in flight
		Eventually(m.session, 5*time.Second).Should(gexec.Exit())
		close(stop)
		wg.Wait()

		journaled := map[string]bool{}
		for _, e := range m.events() {
			if e.Kind == journal.KindHTTP {
				journaled[e.HTTP.Path] = true
			}
			if e.Kind == journal.KindSIP {
				journaled[e.SIP.CallID] = true
			}
		}
		Expect(len(answered)).To(BeNumerically(">=", 300))
		for p := range answered {
			Expect(journaled).To(HaveKey(p), "request %s was answered but is not in the journal", p)
		}
		Expect(sipAnswered).NotTo(BeEmpty())
		for id := range sipAnswered {
			Expect(journaled).To(HaveKey(id), "SIP OPTIONS %s was answered but is not in the journal", id)
		}
		rotated, err := journal.RotatedFiles(m.journal)
		Expect(err).NotTo(HaveOccurred())
		Expect(rotated).NotTo(BeEmpty(), "the journal rotated during the load")
	},
		Entry("group commit (the default writer)", "127.0.10.41"),
		Entry("the mapped writer (--journal-mapped)", "127.0.10.48", "--journal-mapped"),
	)

	DescribeTable("drains, syncs the journal and exits 0 on",
		func(sig syscall.Signal, bind string) {
			m := startServe("director", bind)
			cl := m.webClient(false)
			for i := range 10 {
				Expect(fetch(cl, fmt.Sprintf("https://%s/dialin/%d", m.addr(443), i))).To(BeTrue())
			}
			// An idle keep-alive connection (cl keeps it) and an idle CLS session stay open.
			cls, err := tls.Dial("tcp", m.addr(50001), m.tlsConf("dir-pool.contoso.local"))
			Expect(err).NotTo(HaveOccurred())
			defer cls.Close()
			banner, err := bufio.NewReader(cls).ReadString('\n')
			Expect(err).NotTo(HaveOccurred())
			Expect(banner).To(HavePrefix("MOCKDIRECTOR-CLS/1 role=director"))
			// And a SIP connection that answered once and stays open.
			sipc, err := tls.Dial("tcp", m.addr(5061), m.edgeConf("dir-pool.contoso.local"))
			Expect(err).NotTo(HaveOccurred())
			defer sipc.Close()
			Expect(sipOptions(sipc, bufio.NewReader(sipc), "drain-1")).To(Equal("SIP/2.0 200 OK"))

			m.session.Signal(sig)
			Eventually(m.session, 15*time.Second).Should(gexec.Exit(0))
			Expect(m.session.Out).To(gbytes.Say("stopped; journal .* synced"))
			evs := m.events()
			Expect(countKind(evs, journal.KindHTTP)).To(Equal(10))
			Expect(countKind(evs, journal.KindCLS)).To(Equal(1))
			Expect(countKind(evs, journal.KindSIP)).To(Equal(1))
		},
		Entry("SIGTERM", syscall.SIGTERM, "127.0.10.42"),
		Entry("SIGINT", syscall.SIGINT, "127.0.10.43"),
	)
})
