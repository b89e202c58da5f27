package mdtest_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/mdtest"
	"github.com/mockdirector/mockdirector/probe"
	"github.com/mockdirector/mockdirector/scenarios"
)

// The specs are generated from the table before RunSpecs, one per allow row, the way another
// team's integration tests would drive mockdirector from their own scenario file.
var allowRows []scenarios.Row

func TestMdtest(t *testing.T) {
	for _, r := range scenarios.Default().Rows {
		if r.Allowed() {
			allowRows = append(allowRows, r)
		}
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "mdtest")
}

var _ = Describe("a site started in-process", Ordered, func() {
	var site *mdtest.Site
	BeforeAll(func() {
		var err error
		site, err = mdtest.Start(mdtest.Options{Guards: true})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(site.Close)
	})

	It("binds every listener on an ephemeral port and books it under its table port", func() {
		a, ok := site.Addresses[probe.Dest{Role: scenarios.RoleDirector, Transport: scenarios.TransportTCP, Port: 443}]
		Expect(ok).To(BeTrue())
		Expect(a).NotTo(HaveSuffix(":443"))
		Expect(site.Addresses).To(HaveKey(probe.Dest{Role: scenarios.RoleDirector, Transport: scenarios.TransportTCP, Port: 444}), "the guard on 444")
	})

	entries := func() []TableEntry {
		var es []TableEntry
		for _, r := range allowRows {
			es = append(es, Entry(r.ID(), r))
		}
		return es
	}
	DescribeTable("proves each allow row of the table, answered by the right role and seen from the right source",
		func(r scenarios.Row) {
			o := site.ProbeOptions()
			o.Scenario = &scenarios.Scenario{Name: "one row", File: "spec", Rows: []scenarios.Row{r}}
			jobs, err := probe.Plan(o)
			Expect(err).NotTo(HaveOccurred())
			Expect(jobs).To(HaveLen(1))
			res := probe.RunJob(context.Background(), &jobs[0])
			Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
			Expect(res.Identity).NotTo(BeNil())
			Expect(res.Identity.Role).To(Equal(r.To))
		},
		entries(),
	)

	It("journals what it answered", func() {
		Eventually(site.Events).ShouldNot(BeEmpty())
	})
})
