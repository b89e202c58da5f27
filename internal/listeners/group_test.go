package listeners_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/roleprofile"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// freePort returns a port of host that nothing listens on right now.
func freePort(host string) int {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func directorEnv(jr journal.Recorder) listeners.Env {
	id, err := certs.LoadFromDir(keys.dir, "dir01.contoso.local")
	Expect(err).NotTo(HaveOccurred())
	return listeners.Env{TLS: id, Journal: jr}
}

var _ = Describe("binding a role's listeners", Label("bind"), func() {
	const host = "127.0.10.30"

	It("binds all or none: a busy later port closes the ones already bound and names itself", func() {
		specs, err := plan(scenarios.Default(), topology.Default(), roleprofile.PlanOptions{Role: scenarios.RoleDirector, Bind: host})
		Expect(err).NotTo(HaveOccurred())
		Expect(len(specs)).To(BeNumerically(">", 3))
		busy, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		Expect(err).NotTo(HaveOccurred())
		defer busy.Close()
		busyPort := busy.Addr().(*net.TCPAddr).Port
		var earlier []string
		for i := range specs {
			port := busyPort
			if i < len(specs)-1 {
				port = freePort(host)
				earlier = append(earlier, net.JoinHostPort(host, strconv.Itoa(port)))
			}
			specs[i].Addr = net.JoinHostPort(host, strconv.Itoa(port))
		}
		last := specs[len(specs)-1]

		g, err := listeners.Bind(specs, directorEnv(nil))
		Expect(g).To(BeNil())
		var be *listeners.BindError
		Expect(errors.As(err, &be)).To(BeTrue(), "a *BindError, got %v", err)
		Expect(errors.Is(err, syscall.EADDRINUSE)).To(BeTrue())
		Expect(err.Error()).To(SatisfyAll(
			ContainSubstring("director listener "+last.Name),
			ContainSubstring(fmt.Sprintf("port %d", busyPort)),
			ContainSubstring("--port-offset"),
			ContainSubstring("--bind"),
		))
		for _, a := range earlier {
			l, err := net.Listen("tcp", a)
			Expect(err).NotTo(HaveOccurred(), "%s was left bound after the failed Bind", a)
			l.Close()
		}
	})

	It("says when no interface has the address", func() {
		specs, err := plan(scenarios.Default(), topology.Default(), roleprofile.PlanOptions{Role: scenarios.RoleEdgeInternal, Bind: "192.0.2.1"})
		Expect(err).NotTo(HaveOccurred())
		_, err = listeners.Bind(specs, directorEnv(nil))
		Expect(err).To(MatchError(SatisfyAll(ContainSubstring("192.0.2.1:5061"), ContainSubstring("no interface has that address"))))
	})

	It("refuses a port offset that leaves the port range, naming the listener", func() {
		_, err := plan(scenarios.Default(), topology.Default(), roleprofile.PlanOptions{Role: scenarios.RoleDirector, Bind: host, PortOffset: 20000})
		Expect(err).To(MatchError(SatisfyAll(ContainSubstring("cls-mtls-50001"), ContainSubstring("--port-offset 20000"),
			ContainSubstring("use an offset from -80 to 15532"))))
	})

	It("drains on stop: a request in flight is answered and journaled, then every port is closed", func() {
		jr := &memJournal{}
		// The journal holds the request's line until released: the handler is in flight.
		entered, release := make(chan struct{}), make(chan struct{})
		rec := journal.RecorderFunc(func(e journal.Event) error {
			if e.HTTP != nil && e.HTTP.Path == "/meet/slow" {
				close(entered)
				<-release
			}
			return jr.Record(e)
		})
		spec := listeners.Spec{Role: scenarios.RoleDirector, Member: "dir01.contoso.local", Pool: "dir-pool.contoso.local",
			Name: "http-8080", Protocol: wire.ProtoHTTP, Port: 8080, Addr: net.JoinHostPort(host, "0")}
		g, err := listeners.Bind([]listeners.Spec{spec}, directorEnv(rec))
		Expect(err).NotTo(HaveOccurred())
		addr := g.Listeners[0].Addr().String()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- g.Serve(ctx) }()

		answer := make(chan *http.Response, 1)
		go func() {
			defer GinkgoRecover()
			res, err := webClient("", false).Get("http://" + addr + "/meet/slow")
			Expect(err).NotTo(HaveOccurred())
			res.Body.Close()
			answer <- res
		}()
		Eventually(entered).Should(BeClosed())
		cancel()
		Consistently(done, 300*time.Millisecond).ShouldNot(Receive(), "Serve returned with a request in flight")
		// New connections are refused while draining.
		Eventually(func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		}).Should(HaveOccurred())

		close(release)
		var res *http.Response
		Eventually(answer, 5*time.Second).Should(Receive(&res))
		Expect(res.StatusCode).To(Equal(http.StatusOK))
		Eventually(done, 5*time.Second).Should(Receive(BeNil()))
		Expect(jr.Events()).To(ContainElement(SatisfyAll(HaveField("Kind", journal.KindHTTP), HaveField("HTTP.Path", "/meet/slow"))))
	})

	It("stops at once on Close, with idle keep-alive and MTLS sessions open", func() {
		r := startRole(scenarios.RoleDirector, "127.0.10.31")
		// An idle CLS session and an idle HTTPS keep-alive connection stay open ...
		cls := mtlsDial(keys.probe, r.pool, r.addrs["cls-mtls-50001"])
		defer cls.Close()
		cl := webClient(r.pool, false)
		res, err := cl.Get("https://" + r.addrs["https-443"] + "/")
		Expect(err).NotTo(HaveOccurred())
		res.Body.Close()
		// ... and still the group stops (the cleanup startRole registered checks Serve returns
		// and every port is free); the CLS session is ended.
		Expect(r.group.Close()).To(Succeed())
		cls.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = bufio.NewReader(cls).ReadString('!')
		Expect(err).To(HaveOccurred())
	})
})
