package scenarios_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/scenarios"
)

var _ = Describe("the built-in seed scenario", func() {
	It("has every row of the seed table and the rows of its introduction", func() {
		s := scenarios.Default()
		var ids []string
		for _, r := range s.Rows {
			ids = append(ids, r.ID())
		}
		Expect(ids).To(ContainElements(
			"reverse-proxy-internal->director tcp/8080 http",
			"reverse-proxy-internal->director tcp/4443 https",
			"director->frontend tcp/444 https",
			"internal-clients->director tcp/80 http",
			"internal-clients->director tcp/443 https",
			"edge-internal->director tcp/5061 sip-mtls",
			"any->director tcp/50001 cls-mtls",
			"any->director tcp/50002 cls-mtls",
			"any->director tcp/50003 cls-mtls",
			"reverse-proxy-internal->frontend tcp/8080 http",
			"reverse-proxy-internal->frontend tcp/4443 https",
			"edge-internal->frontend tcp/5061 sip-mtls",
			"director->edge-internal tcp/5061 sip-mtls",
			"frontend->edge-internal tcp/5061 sip-mtls",
		))
	})

	DescribeTable("gives each server role the ports of the table",
		func(role string, ports []int) {
			var got []int
			for _, r := range scenarios.Default().ServedBy(role) {
				got = append(got, r.Port)
			}
			Expect(got).To(ConsistOf(ports))
		},
		Entry("director", "director", []int{80, 443, 4443, 8080, 5061, 50001, 50002, 50003}),
		Entry("frontend", "frontend", []int{444, 4443, 8080, 5061}),
		Entry("edge-internal", "edge-internal", []int{5061}),
	)
})

var _ = Describe("loading a scenario file", func() {
	It("names the file and line of an unknown field", func() {
		_, err := scenarios.Parse("site.yaml", []byte("name: x\nrows:\n  - from: any\n    to: director\n    port: 1\n    protocol: tcp\n    colour: red\n"))
		Expect(err).To(MatchError(ContainSubstring("site.yaml:7:")))
		Expect(err).To(MatchError(ContainSubstring("colour")))
	})

	It("names the file, line and field of a wrong value", func() {
		_, err := scenarios.Parse("site.yaml", []byte("name: x\nrows:\n  - from: any\n    to: director\n    port: 1\n    protocol: tcp\n  - from: nobody\n    to: director\n    port: 70000\n    protocol: tcp\n"))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:7: row 2: from "nobody" is not a role`)))
		Expect(err).To(MatchError(ContainSubstring("port 70000 is out of range")))
	})

	It("rejects a wrong type with its position", func() {
		_, err := scenarios.Parse("t.yaml", []byte("name: x\nrows:\n  - from: any\n    to: director\n    port: eighty\n    protocol: tcp\n"))
		Expect(err).To(MatchError(ContainSubstring("t.yaml:5:")))
	})
})
