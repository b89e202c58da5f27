package listeners_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// closedWithin reads from c until it closes; it fails when c is still open after d.
func closedWithin(c net.Conn, d time.Duration) {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	Expect(errors.Is(err, os.ErrDeadlineExceeded)).To(BeFalse(), "still open after %s", d)
}

var _ = Describe("connection limits and SIP timeouts", Label("limits"), func() {
	It("refuses connections over the per-source cap, journals them as over-limit, and serves other sources", func() {
		jr := &memJournal{}
		env := directorEnv(jr)
		env.Conns = listeners.NewConnLimiter(listeners.Limits{MaxConnsPerSource: 2})
		addrs := bindSpecs(env, directorSpec("127.0.10.63", wire.ProtoHTTP, 8080, false))
		addr := addrs["http-8080"]

		var held []net.Conn
		for range 2 {
			c, err := dialer().Dial("tcp", addr)
			Expect(err).NotTo(HaveOccurred())
			held = append(held, c)
		}
		over, err := dialer().Dial("tcp", addr)
		Expect(err).NotTo(HaveOccurred(), "TCP connects; the mock closes it at once")
		closedWithin(over, 10*time.Second)
		Eventually(jr.Events).Should(ContainElement(SatisfyAll(
			HaveField("Kind", journal.KindConnect), HaveField("Outcome", journal.OutcomeFailed),
			HaveField("Code", wire.CodeOverLimit), HaveField("Remote", over.LocalAddr().String()),
			HaveField("Reason", ContainSubstring("the cap per source is 2")))))

		// Another source is served meanwhile.
		other := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: (&net.Dialer{
			LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.10.201")}}).DialContext}}
		res, err := other.Get("http://" + addr + wire.WellKnownPath)
		Expect(err).NotTo(HaveOccurred())
		res.Body.Close()
		Expect(res.StatusCode).To(Equal(200))

		// A place freed is a place taken.
		held[0].Close()
		Eventually(func() error {
			c, err := dialer().Dial("tcp", addr)
			if err != nil {
				return err
			}
			defer c.Close()
			fmt.Fprint(c, "GET "+wire.WellKnownPath+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = http.ReadResponse(bufio.NewReader(c), nil)
			return err
		}, 10*time.Second).Should(Succeed())
		for _, c := range held[1:] {
			c.Close()
		}
	})

	It("closes a SIP connection whose request does not complete in time, journaling why", func() {
		jr := &memJournal{}
		env := directorEnv(jr)
		env.Conns = listeners.NewConnLimiter(listeners.Limits{SIPRequestTimeout: time.Second})
		addrs := bindSpecs(env, directorSpec("127.0.10.64", wire.ProtoSIPMTLS, 5061, false))
		c := mtlsDial(keys.probe, "dir-pool.contoso.local", addrs["sip-mtls-5061"])
		defer c.Close()
		fmt.Fprint(c, "OPTIONS sip:dir-pool.contoso.local SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.10.200:5061;branch=z9hG4bKslow\r\n")
		closedWithin(c, 20*time.Second)
		Eventually(jr.Events).Should(ContainElement(SatisfyAll(
			HaveField("Kind", journal.KindSIP), HaveField("Outcome", journal.OutcomeFailed),
			HaveField("Code", wire.CodeTimeout), HaveField("Remote", c.LocalAddr().String()))))
	})

	It("closes an idle SIP connection, and CRLF keep-alives keep one open", func() {
		env := directorEnv(&memJournal{})
		env.Conns = listeners.NewConnLimiter(listeners.Limits{SIPIdleTimeout: 2 * time.Second})
		addrs := bindSpecs(env, directorSpec("127.0.10.65", wire.ProtoSIPMTLS, 5061, false))

		alive := mtlsDial(keys.probe, "dir-pool.contoso.local", addrs["sip-mtls-5061"])
		defer alive.Close()
		pong := make([]byte, 2)
		for range 15 { // 3 s of pings, longer than the idle timeout
			_, err := alive.Write([]byte("\r\n\r\n"))
			Expect(err).NotTo(HaveOccurred())
			alive.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = io.ReadFull(alive, pong)
			Expect(err).NotTo(HaveOccurred(), "the keep-alive is answered")
			time.Sleep(200 * time.Millisecond)
		}

		idle := mtlsDial(keys.probe, "dir-pool.contoso.local", addrs["sip-mtls-5061"])
		defer idle.Close()
		closedWithin(idle, 20*time.Second)
	})
})
