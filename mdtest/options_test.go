package mdtest_test

import (
	"context"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/mdtest"
	"github.com/mockdirector/mockdirector/scenarios"
)

var _ = Describe("a site with a journal file, observers and a bind", func() {
	It("starts only the roles asked for, on the bind, and journals to the file and the observers before Close returns", func() {
		dir := GinkgoT().TempDir()
		file := filepath.Join(dir, "journal.jsonl")
		seen := &journal.Memory{}
		site, err := mdtest.Start(mdtest.Options{Roles: []string{scenarios.RoleDirector}, Bind: "127.0.0.9",
			JournalPath: file, Observers: []journal.Recorder{seen}, CertDir: filepath.Join(dir, "certs")})
		Expect(err).NotTo(HaveOccurred())
		Expect(site.Members).To(HaveLen(1))
		Expect(site.Addr(scenarios.RoleDirector, 5061)).To(HavePrefix("127.0.0.9:"))
		Expect(site.Addr(scenarios.RoleFrontend, 5061)).To(BeEmpty(), "the Front End was not started")

		rep, err := site.Probe(context.Background(), scenarios.RoleEdgeInternal)
		Expect(err).NotTo(HaveOccurred())
		passed := 0
		for _, r := range rep.Results {
			if r.To == scenarios.RoleDirector && r.Verdict == wire.VerdictPass {
				passed++
			}
		}
		Expect(passed).To(BeNumerically(">", 0), "the Edge's rows to the Director pass on the bind")
		Expect(site.Close()).To(Succeed())

		onDisk, err := journal.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(onDisk).NotTo(BeEmpty())
		Expect(seen.Events()).To(HaveLen(len(onDisk)), "the observers saw what the journal file holds")
		Expect(site.Events()).To(HaveLen(len(onDisk)))
		Expect(site.Close()).To(Succeed(), "a second Close is harmless")
	})

	It("names the role and the fix when a member is not in the pool", func() {
		_, err := mdtest.Start(mdtest.Options{Roles: []string{scenarios.RoleDirector}, Member: "dir09", CertDir: GinkgoT().TempDir()})
		Expect(err).To(MatchError(ContainSubstring("starting director")))
	})
})
