package service_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/service"
)

var _ = Describe("Name", func() {
	It("is mockdirector-ROLE-MEMBER with the member's first label, lowercase", func() {
		Expect(service.Name("director", "dir01.contoso.local")).To(Equal("mockdirector-director-dir01"))
		Expect(service.Name("edge-internal", "EDGE01-int.contoso.local")).To(Equal("mockdirector-edge-internal-edge01-int"))
		Expect(service.Name("frontend", "fe02")).To(Equal("mockdirector-frontend-fe02"))
	})
	It("keeps only what a unit name and a Windows service name both take", func() {
		Expect(service.Name("director", "dir 01/x")).To(Equal("mockdirector-director-dir_01_x"))
	})
	It("gives two members of a role two names", func() {
		Expect(service.Name("frontend", "fe01.contoso.local")).NotTo(Equal(service.Name("frontend", "fe02.contoso.local")))
	})
})

var _ = Describe("EscapeSystemd", func() {
	It("doubles systemd's specifier and variable signs and backslashes", func() {
		Expect(service.EscapeSystemd(`/srv/100%/$HOME\x.jsonl`)).To(Equal(`/srv/100%%/$$HOME\\x.jsonl`))
	})
	It("leaves a plain argument as it is", func() {
		Expect(service.EscapeSystemd("--role=director")).To(Equal("--role=director"))
	})
})

var _ = Describe("LineWriter", func() {
	It("emits each complete line once, trimmed, and the rest on Flush", func() {
		var got []string
		w := service.NewLineWriter(func(l string) error { got = append(got, l); return nil })
		w.Write([]byte("ready\nLISTENER  ADDR  \r\n\npart"))
		Expect(got).To(Equal([]string{"ready", "LISTENER  ADDR"}))
		w.Write([]byte("ial\n"))
		w.Write([]byte("tail"))
		Expect(got).To(Equal([]string{"ready", "LISTENER  ADDR", "partial"}))
		Expect(w.Flush()).To(Succeed())
		Expect(got).To(Equal([]string{"ready", "LISTENER  ADDR", "partial", "tail"}))
	})
	It("returns the sink's error", func() {
		w := service.NewLineWriter(func(string) error { return errors.New("event log full") })
		_, err := w.Write([]byte("x\n"))
		Expect(err).To(MatchError("event log full"))
	})
})

var _ = Describe("Program", func() {
	It("runs until Stop, which cancels the context and waits for the run to return", func() {
		var stoppedCleanly bool
		p := service.NewProgram(func(ctx context.Context) error {
			<-ctx.Done()
			time.Sleep(50 * time.Millisecond) // a journal sync
			stoppedCleanly = true
			return nil
		}, 5*time.Second)
		Expect(p.Start(nil)).To(Succeed())
		Consistently(p.Done(), 100*time.Millisecond).ShouldNot(BeClosed())
		Expect(p.Stop(nil)).To(Succeed())
		Expect(stoppedCleanly).To(BeTrue(), "Stop returned before the run did")
		Expect(p.Done()).To(BeClosed())
		Expect(p.Stopping()).To(BeTrue())
		Expect(p.Err()).NotTo(HaveOccurred())
	})
	It("says when the run ended on its own, with its error", func() {
		p := service.NewProgram(func(context.Context) error { return errors.New("cannot bind 127.0.0.1:443") }, time.Second)
		Expect(p.Start(nil)).To(Succeed())
		Eventually(p.Done()).Should(BeClosed())
		Expect(p.Stopping()).To(BeFalse())
		Expect(p.Err()).To(MatchError(ContainSubstring("cannot bind")))
	})
	It("gives up on a run that ignores its context, after the stop timeout", func() {
		block := make(chan struct{})
		DeferCleanup(func() { close(block) })
		p := service.NewProgram(func(context.Context) error { <-block; return nil }, 100*time.Millisecond)
		Expect(p.Start(nil)).To(Succeed())
		Expect(p.Stop(nil)).To(MatchError(ContainSubstring("did not stop within 100ms")))
	})
})

var _ = Describe("Available on Linux", func() {
	BeforeEach(func() {
		if runtime.GOOS != "linux" {
			Skip("systemd is Linux's")
		}
	})
	It("is nil exactly when systemd runs (sd_booted: /run/systemd/system), else names PID 1 and what to do", func() {
		err := service.Available()
		if fi, serr := os.Stat("/run/systemd/system"); serr == nil && fi.IsDir() {
			Expect(err).NotTo(HaveOccurred())
			return
		}
		pid1, rerr := os.ReadFile("/proc/1/comm")
		Expect(rerr).NotTo(HaveOccurred())
		Expect(err).To(MatchError(ContainSubstring("systemd is not running (PID 1 is " + strings.TrimSpace(string(pid1)))))
		Expect(err.Error()).To(ContainSubstring("run mockdirector serve directly"))
	})
})

var _ = Describe("DataDir", func() {
	It("is systemd's $STATE_DIRECTORY on Linux when given, else /var/lib/mockdirector; %ProgramData%\\mockdirector on Windows", func() {
		switch runtime.GOOS {
		case "linux":
			GinkgoT().Setenv("STATE_DIRECTORY", "/srv/state/mockdirector:/srv/other")
			Expect(service.DataDir()).To(Equal("/srv/state/mockdirector"))
			GinkgoT().Setenv("STATE_DIRECTORY", "")
			Expect(service.DataDir()).To(Equal("/var/lib/mockdirector"))
		case "windows":
			GinkgoT().Setenv("ProgramData", `D:\PD`)
			Expect(service.DataDir()).To(Equal(`D:\PD\mockdirector`))
		default:
			Skip("no service data directory on " + runtime.GOOS)
		}
	})
})
