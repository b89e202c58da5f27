package probe_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
)

var _ = Describe("the address book", Label("plan"), func() {
	It("dials the exact address of a booked port, and the role's host for the others", func() {
		book := probe.AddressBook{}
		book.Add(scenarios.RoleDirector, "", 5061, "127.0.0.1:40001")
		book.Add(scenarios.RoleDirector, scenarios.TransportUDP, 5061, "127.0.0.1:40002")
		jobs, err := probe.Plan(probe.Options{Topology: testTopology(), As: []string{scenarios.RoleEdgeInternal}, Only: "->director",
			PortOffset: 100, Addresses: book, Targets: map[string]string{"director": "203.0.113.10"}})
		Expect(err).NotTo(HaveOccurred())
		byID := map[string]string{}
		for _, j := range jobs {
			byID[j.Row.ID()] = j.Target
		}
		Expect(byID).To(HaveKeyWithValue("edge-internal->director tcp/5061 sip-mtls", "127.0.0.1:40001"))
		Expect(byID).To(HaveKeyWithValue("edge-internal->director udp/5061 udp-quic", "127.0.0.1:40002"))
		Expect(byID).To(HaveKeyWithValue("edge-internal->director tcp/80 tcp", "203.0.113.10:180"), "not booked: --target host and the offset")
	})

	DescribeTable("reads --target in both forms",
		func(in, role string, dest *probe.Dest, addr string) {
			r, d, a, err := probe.ParseTarget(in)
			Expect(err).NotTo(HaveOccurred())
			Expect(r).To(Equal(role))
			Expect(d).To(Equal(dest))
			Expect(a).To(Equal(addr))
		},
		Entry("a whole role", "director=192.0.2.10", "director", nil, "192.0.2.10"),
		Entry("one TCP port", "director/5061=192.0.2.10:15061", "director", &probe.Dest{Role: "director", Transport: "tcp", Port: 5061}, "192.0.2.10:15061"),
		Entry("one UDP port, IPv6", "frontend/udp/443=[2001:db8::1]:8443", "frontend", &probe.Dest{Role: "frontend", Transport: "udp", Port: 443}, "[2001:db8::1]:8443"),
	)

	DescribeTable("refuses a --target it cannot read, saying how to write it",
		func(in, msg string) {
			_, _, _, err := probe.ParseTarget(in)
			Expect(err).To(MatchError(ContainSubstring(msg)))
		},
		Entry("no =", "director", "write ROLE=HOST"),
		Entry("not a role", "firewall=192.0.2.1", `"firewall" is not a destination role`),
		Entry("a port on the whole role", "director=192.0.2.10:5061", "give a host without a port"),
		Entry("a booked port without an address port", "director/5061=192.0.2.10", "needs HOST:PORT"),
		Entry("a bad transport", "director/sctp/5061=192.0.2.10:1", `transport "sctp"`),
		Entry("a bad port", "director/http=192.0.2.10:1", `"http" is not a table port`),
	)
})
