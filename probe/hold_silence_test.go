package probe_test

import (
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
)

// The silent-hold specs own 127.0.25.20-21: a bare TCP listener that accepts and never says a
// word, the way a destination looks through a firewall that silently drops idle state (no FIN,
// no RST): the prober has nothing to send on a bare connection to tell the two apart.
const (
	silentHost   = "127.0.25.20"
	silentSource = "127.0.25.21"
)

var _ = Describe("a hold with nothing to send after the idle", Label("hold"), func() {
	It("is unproven on a bare TCP connection, not pass: a silent drop of idle state looks the same", func() {
		o := probe.Options{Topology: testTopology(), Addresses: probe.AddressBook{}, Timeout: time.Second,
			Source: netip.MustParseAddr(silentSource)}
		r := row(scenarios.RoleInternalClient, scenarios.RoleDirector, 80, scenarios.ProtoTCP, scenarios.CheckHold, scenarios.ExpectAllow)
		r.Hold, r.Target = "1500ms", silentListener(silentHost)
		for _, bisect := range []int{0, 3} {
			o.HoldBisect = bisect
			res := runRow(o, r)
			Expect(res.Verdict).NotTo(Equal(wire.VerdictPass), "bisect %d: %s", bisect, res.Reason)
			Expect(res.Verdict).To(Equal(wire.VerdictUnproven), "bisect %d: %s", bisect, res.Reason)
			Expect(res.Reason).To(ContainSubstring("silently drops its idle state"), "bisect %d: says why a quiet hold proves nothing", bisect)
			Expect(res.Reason).To(ContainSubstring("request to send after the idle"), "bisect %d: says what would prove it", bisect)
		}
	})
})
