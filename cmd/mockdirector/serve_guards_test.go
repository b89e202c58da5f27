package main_test

import (
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

var _ = Describe("the guard listeners of mockdirector serve", Label("guards", "process"), func() {
	It("binds a guard on the ports the table denies toward the role, lists it and journals a hit", func() {
		m := startServe("director", "127.0.10.45")
		Expect(m.session.Out.Contents()).To(SatisfyAll(
			ContainSubstring("guard-https-444"), ContainSubstring("guard-udp-quic-443"),
			ContainSubstring("guard listeners on the ports the table denies toward director")))
		c, err := net.DialTimeout("tcp", m.addr(444), 5*time.Second)
		Expect(err).NotTo(HaveOccurred(), "a denied path that is open connects to the guard")
		local := c.LocalAddr().String()
		c.Close()
		Eventually(m.events).Should(ContainElement(SatisfyAll(
			HaveField("Kind", journal.KindGuard), HaveField("Code", wire.CodeGuard), HaveField("Remote", local),
			HaveField("Listener", "guard-https-444"))))
	})

	It("binds none with --no-guards", func() {
		m := startServe("director", "127.0.10.46", "--no-guards")
		Expect(m.session.Out).NotTo(gbytes.Say("guard"))
		Expect(m.ports).NotTo(HaveKey(444), "no listener for 444 in --ports-file")
		Expect(m.ports).To(HaveKey(443))
		_, err := net.DialTimeout("tcp", net.JoinHostPort(m.bind, "444"), 5*time.Second)
		Expect(err).To(HaveOccurred(), "nothing listens on 444 toward the director")
	})
})
