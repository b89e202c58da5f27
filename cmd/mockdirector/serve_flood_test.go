package main_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

var _ = Describe("serve under a flood of idle connections from one source", Label("process", "limits"), func() {
	// Before the caps, ~20,000 idle keep-alive HTTPS connections from one source took every file
	// descriptor of serve: SIP, port 80 and the admin stopped answering for everyone. With the
	// default caps the flood's connections past the per-source cap are refused and journaled,
	// and another source is served as before.
	It("refuses the flood past the per-source cap, journals each refusal and answers a second source's SIP OPTIONS", func() {
		const attempts = 25000
		const floodSrc, otherSrc = "127.0.10.212", "127.0.10.213"
		m := startServe("director", "127.0.10.52")
		target := m.addr(443)

		// The flood: one GET on each connection, then idle (keep-alive), from one source. A
		// connection over the cap is closed by serve at once (the handshake sees EOF); the
		// flooder closes it and goes on, as a reconnecting client would.
		var mu sync.Mutex
		var held []*tls.Conn
		DeferCleanup(func() {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range held {
				c.Close()
			}
		})
		var refused, answered, other atomic.Int64
		var otherErr atomic.Value
		next := make(chan int, attempts)
		for i := range attempts {
			next <- i
		}
		close(next)
		var wg sync.WaitGroup
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					c, served, err := idleGET(target, floodSrc, m.tlsConf("dir-pool.contoso.local"), i)
					switch {
					case served:
						answered.Add(1)
						mu.Lock()
						held = append(held, c)
						mu.Unlock()
					case err != nil && isRefusal(err):
						refused.Add(1)
					default:
						other.Add(1)
						otherErr.Store(fmt.Sprintf("connection %d: %v", i, err))
					}
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		Eventually(done, 5*time.Minute).Should(BeClosed(), "the flood did not finish (%d answered, %d refused)", answered.Load(), refused.Load())
		Expect(other.Load()).To(BeZero(), "every connection is either served or refused by the cap; the last other: %v", otherErr.Load())
		Expect(answered.Load()).To(Equal(int64(listeners.DefaultMaxConnsPerSource)), "the per-source cap (the default) is what was served and kept")
		Expect(refused.Load()).To(Equal(int64(attempts - listeners.DefaultMaxConnsPerSource)))

		// The flood's connections are all still open. Another source's SIP OPTIONS over MTLS
		// on 5061 and a plain GET on 80 are answered.
		sip, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(otherSrc)}},
			"tcp", m.addr(5061), m.edgeConf("dir-pool.contoso.local"))
		Expect(err).NotTo(HaveOccurred(), "the second source's MTLS connection on 5061")
		defer sip.Close()
		Expect(sipOptions(sip, bufio.NewReader(sip), "flood-other")).To(Equal("SIP/2.0 200 OK"))
		plain := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: (&net.Dialer{
			LocalAddr: &net.TCPAddr{IP: net.ParseIP(otherSrc)}}).DialContext}}
		res, err := plain.Get("http://" + m.addr(80) + wire.WellKnownPath)
		Expect(err).NotTo(HaveOccurred(), "the second source's GET on 80")
		res.Body.Close()
		Expect(res.StatusCode).To(Equal(http.StatusOK))

		// Every refusal is in the journal with its reason (the refusal is journaled just
		// after the connection is closed, so the last ones may trail the flood by a moment).
		overLimit := func() int {
			n := 0
			for _, e := range m.events() {
				if e.Kind == journal.KindConnect && e.Code == wire.CodeOverLimit && strings.HasPrefix(e.Remote, floodSrc+":") {
					Expect(e.Outcome).To(Equal(journal.OutcomeFailed))
					Expect(e.Reason).To(ContainSubstring(fmt.Sprintf("the cap per source is %d", listeners.DefaultMaxConnsPerSource)))
					n++
				}
			}
			return n
		}
		Eventually(overLimit, 30*time.Second).Should(Equal(attempts-listeners.DefaultMaxConnsPerSource), "one over-limit line per refused connection")
		Expect(m.session.Err).NotTo(gbytes.Say("accept failed"), "accept never failed: the cap refused before file descriptors ran out")
		Expect(m.session.ExitCode()).To(Equal(-1), "serve still runs")
	})
})

// idleGET connects from src to target, does the TLS handshake and one keep-alive GET, and returns
// the connection open and idle if it was answered. A connection the server closes at once fails
// the handshake; it is closed and its error returned.
func idleGET(target, src string, conf *tls.Config, i int) (*tls.Conn, bool, error) {
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	raw, err := d.Dial("tcp", target)
	if err != nil {
		return nil, false, err
	}
	c := tls.Client(raw, conf)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := c.Handshake(); err != nil {
		c.Close()
		return nil, false, err
	}
	fmt.Fprintf(c, "GET %s?flood=%d HTTP/1.1\r\nHost: dir-pool.contoso.local\r\n\r\n", wire.WellKnownPath, i)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return nil, false, err
	}
	res.Body.Close()
	c.SetDeadline(time.Time{})
	return c, res.StatusCode == http.StatusOK, nil
}

// isRefusal says whether a handshake error is the server closing the connection at once (EOF or
// a reset), which is how the connection cap refuses.
func isRefusal(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
