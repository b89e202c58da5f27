package main_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
)

var _ = Describe("mockdirector firewall export", func() {
	It("writes the nftables rules for a site to stdout, one per allow row with its row ID", func() {
		s := runMD("firewall", "export", "--config", "../../lab/topology.yaml", "--format", "nftables")
		Expect(s.ExitCode()).To(Equal(0), string(s.Err.Contents()))
		Expect(s.Out).To(gbytes.Say(`table inet mockdirector \{`))
		Expect(s.Out).To(gbytes.Say(`ip saddr 198.51.100.20 ip daddr \{ 203.0.113.10, 203.0.113.21, 203.0.113.22 \} tcp dport 5061 accept comment "edge-internal->director tcp/5061 sip-mtls"`))
	})

	It("writes -o FILE, and replaces it only with --force (exit 2 otherwise)", func() {
		p := filepath.Join(GinkgoT().TempDir(), "change.xlsx")
		s := runMD("firewall", "export", "--config", "../../lab/topology.yaml", "--format", "xlsx", "-o", p)
		Expect(s.ExitCode()).To(Equal(0), string(s.Err.Contents()))
		Expect(s.Out).To(gbytes.Say("wrote " + p + ": xlsx, 17 rules"))
		before, err := os.ReadFile(p)
		Expect(err).NotTo(HaveOccurred())

		s = runMD("firewall", "export", "--config", "../../lab/topology.yaml", "--format", "xlsx", "-o", p)
		Expect(s.ExitCode()).To(Equal(2))
		Expect(s.Err).To(gbytes.Say("refusing to overwrite " + p + ": pass --force"))
		after, err := os.ReadFile(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(after).To(Equal(before))

		s = runMD("firewall", "export", "--config", "../../lab/topology.yaml", "--format", "csv", "-o", p, "--force")
		Expect(s.ExitCode()).To(Equal(0), string(s.Err.Contents()))
	})

	It("exits 2 on an unknown format, listing the formats", func() {
		s := runMD("firewall", "export", "--config", "../../lab/topology.yaml", "--format", "checkpoint")
		Expect(s.ExitCode()).To(Equal(2))
		Expect(s.Err).To(gbytes.Say(`unknown firewall format "checkpoint" \(formats: cisco-asa, csv, iptables, nftables, paloalto, windows, xlsx\)`))
	})

	It("exits 2 on the built-in topology, naming each role and the topology key to fill in", func() {
		s := runMD("firewall", "export", "--format", "csv")
		Expect(s.ExitCode()).To(Equal(2))
		Expect(s.Out.Contents()).To(BeEmpty())
		Expect(s.Err).To(gbytes.Say(`topology builtin:default lacks what the rows of builtin:lync2013-single-director need \(9\):`))
		Expect(s.Err).To(gbytes.Say(`fill in sources.reverse-proxy-internal in the topology`))
		Expect(s.Err).To(gbytes.Say(`fill in pools.director.members\[0\].address \(dir01.contoso.local\)`))
		Expect(s.Err).To(gbytes.Say(`fill in pools.pki.members\[0\].address \(pki01.contoso.com\)`))
	})

	It("refuses to write xlsx to the terminal", func() {
		s := runMD("firewall", "export", "--config", "../../lab/topology.yaml", "--format", "xlsx")
		Expect(s.ExitCode()).To(Equal(2))
		Expect(s.Err).To(gbytes.Say("--format xlsx writes a binary file: give -o FILE"))
	})
})
