package service

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/windows/svc"
)

// These run in the Windows-built test binary (under Wine in make windows): the SCM protocol
// the service speaks, driven through the handler's channels as svc.Run drives it.
var _ = Describe("the SCM handler (Windows)", func() {
	It("reports start pending, then running accepting stop and shutdown; on stop, stop pending with a wait hint, and returns once serve has", func() {
		var stopped bool
		p := NewProgram(func(ctx context.Context) error {
			<-ctx.Done()
			time.Sleep(50 * time.Millisecond)
			stopped = true
			return nil
		}, 30*time.Second)
		started := false
		h := &scmHandler{p: p, onStart: func() { started = true }}
		r := make(chan svc.ChangeRequest)
		changes := make(chan svc.Status, 8)
		type result struct {
			specific bool
			code     uint32
		}
		done := make(chan result, 1)
		go func() { s, c := h.Execute(nil, r, changes); done <- result{s, c} }()
		Eventually(changes).Should(Receive(Equal(svc.Status{State: svc.StartPending})))
		Eventually(changes).Should(Receive(Equal(svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown})))
		Expect(started).To(BeTrue(), "onStart (the event log) did not run before the program")
		cur := svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
		r <- svc.ChangeRequest{Cmd: svc.Interrogate, CurrentStatus: cur}
		Eventually(changes).Should(Receive(Equal(cur)))
		r <- svc.ChangeRequest{Cmd: svc.Stop}
		Eventually(changes).Should(Receive(Equal(svc.Status{State: svc.StopPending, WaitHint: 30000})))
		var res result
		Eventually(done, 5*time.Second).Should(Receive(&res))
		Expect(res).To(Equal(result{false, 0}))
		Expect(stopped).To(BeTrue(), "Execute returned before serve did")
	})

	It("returns a service-specific code when serve's stop fails", func() {
		p := NewProgram(func(ctx context.Context) error { <-ctx.Done(); return context.DeadlineExceeded }, time.Second)
		h := &scmHandler{p: p}
		r := make(chan svc.ChangeRequest, 1)
		changes := make(chan svc.Status, 8)
		r <- svc.ChangeRequest{Cmd: svc.Shutdown}
		specific, code := h.Execute(nil, r, changes)
		Expect(specific).To(BeTrue())
		Expect(code).To(Equal(uint32(1)))
		Expect(h.err).To(MatchError(context.DeadlineExceeded))
	})

	It("in a console (not started by the SCM) does not run the program: Dispatch says so, without an error", func() {
		ran := false
		p := NewProgram(func(context.Context) error { ran = true; return nil }, time.Second)
		m, err := NewManager(Spec{Name: "mockdirector-test-console"}, p)
		Expect(err).NotTo(HaveOccurred())
		dispatched, err := m.Dispatch(nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(dispatched).To(BeFalse())
		Expect(ran).To(BeFalse())
	})
})
