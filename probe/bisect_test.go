package probe_test

import (
	"net"
	"net/http"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/probe/probetest"
	"github.com/mockdirector/mockdirector/scenarios"
)

var _ = Describe("--hold-bisect behind an nftables conntrack idle timeout", Serial, Label("hold", "netns"), func() {
	const idle = 4 * time.Second
	var cutter *probetest.IdleCutter
	BeforeEach(func() {
		if err := probetest.Available(); err != nil {
			Skip(err.Error())
		}
		var err error
		cutter, err = probetest.NewIdleCutter("mdh9idle", "192.0.2.240/30", 8080, idle)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(cutter.Close)
		ln, err := cutter.Listen()
		Expect(err).NotTo(HaveOccurred())
		// A keep-alive HTTP server that never times out idle connections itself: only the
		// firewall's conntrack can cut them.
		srv := &http.Server{ReadHeaderTimeout: time.Minute, IdleTimeout: time.Hour,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })}
		go srv.Serve(ln)
		DeferCleanup(srv.Close)
	})

	holdRow := func() (probe.Options, scenarios.Row) {
		r := row(scenarios.RoleInternalClient, scenarios.RoleDirector, 8080, scenarios.ProtoHTTP, scenarios.CheckHold, scenarios.ExpectAllow)
		r.Target, r.Path = net.JoinHostPort(cutter.Addr.String(), strconv.Itoa(cutter.Port)), "/"
		o := probe.Options{Topology: testTopology(), Timeout: time.Second, Source: cutter.HostAddr, Hold: 8 * time.Second}
		return o, r
	}

	It("reports the idle cut-off within 2 s of the firewall's timeout in one hold", func() {
		o, r := holdRow()
		o.HoldBisect = 8
		res := runRow(o, r)
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		Expect(res.Code).To(Equal(wire.CodeCut))
		Expect(res.IdleCutoffMS).To(HaveLen(2), res.Reason)
		lo, hi := res.IdleCutoffMS[0], res.IdleCutoffMS[1]
		GinkgoWriter.Printf("conntrack idle %s: cut-off measured between %.1f s and %.1f s\n%s\n", idle, lo/1000, hi/1000, res.Reason)
		Expect(lo).To(BeNumerically("<=", idle.Seconds()*1000), "the proof answered was sent before the timeout")
		Expect(hi).To(BeNumerically(">=", idle.Seconds()*1000), "the proof lost was sent after it")
		Expect(hi-lo).To(BeNumerically("<=", 2000), "within 2 s")
		Expect(res.Reason).To(ContainSubstring("idle cut-off between"))
	})

	It("says what a single hold measured: when the lost proof went out, not when the cut happened", func() {
		o, r := holdRow()
		res := runRow(o, r)
		Expect(res.Verdict).To(Equal(wire.VerdictFail), res.Reason)
		Expect(res.Reason).To(MatchRegexp(`no answer to the proof sent at 7\.\d s: the path dropped the idle connection between 0 s and 7\.\d s`))
	})
})
