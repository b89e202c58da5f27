package probe_test

import (
	"crypto/tls"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/scenarios"
)

var _ = Describe("the lint expectation of tls and mtls checks", Ordered, Label("lint", "tls"), func() {
	var l *lab
	BeforeAll(func() { l = startLabOn(udpTopology()) })

	tlsRow := func(check string, lint *scenarios.LintExpect) scenarios.Row {
		r := row(scenarios.RoleEdgeInternal, scenarios.RoleDirector, 5061, scenarios.ProtoSIPMTLS, check, scenarios.ExpectAllow)
		r.Lint = lint
		return r
	}

	It("passes lint: pass on the mock's generated certificate and records the whole chain", func() {
		for _, check := range []string{scenarios.CheckTLS, scenarios.CheckMTLS} {
			res := runRow(l.options(), tlsRow(check, &scenarios.LintExpect{Pass: true}))
			Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
			Expect(res.LintExpected).To(Equal("pass"))
			Expect(certs.HasErrors(res.Lint)).To(BeFalse(), "%v", res.Lint)
			Expect(res.Reason).To(ContainSubstring("lint: pass"))
			Expect(res.Chain).NotTo(BeEmpty())
			Expect(res.Chain[0]).To(ContainSubstring("CN=dir-pool.contoso.local"))
		}
	})

	Context("against a TLS server whose certificate lacks the simple URL SANs", func() {
		var target string
		BeforeAll(func() {
			// A certificate from the lab's own CA (so the chain is trusted and the handshake
			// passes), naming the pool and the member but none of the simple URLs the topology
			// configures: Lync's Director needs them for meet/dialin/lyncdiscover.
			signer, _, err := certs.LoadSigner(l.certDir)
			Expect(err).NotTo(HaveOccurred())
			leaf, err := certs.Issue(certs.Request{CommonName: "dir-pool.contoso.local", DNSNames: []string{"dir-pool.contoso.local", "dir01.contoso.local"}}, signer)
			Expect(err).NotTo(HaveOccurred())
			dir := testdir.New()
			crt, key := filepath.Join(dir, "leaf.crt"), filepath.Join(dir, "leaf.key")
			Expect(certs.WritePair(leaf, crt, key, false)).To(Succeed())
			pair, err := tls.LoadX509KeyPair(crt, key)
			Expect(err).NotTo(HaveOccurred())
			target = tlsServer("127.0.70.20:0", &tls.Config{Certificates: []tls.Certificate{pair}})
		})

		It("names the SAN_MISSING finding: a lint: [SAN_MISSING] row passes, a lint: pass row fails with the fix", func() {
			r := tlsRow(scenarios.CheckTLS, &scenarios.LintExpect{Codes: []string{certs.CodeSANMissing}})
			r.Target = target
			res := runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
			Expect(certs.Codes(res.Lint, certs.SeverityError)).To(ContainElement(certs.CodeSANMissing))
			Expect(res.Reason).To(ContainSubstring("SAN does not cover meet.contoso.com"))
			Expect(res.Reason).To(ContainSubstring("as the row expects"))

			r.Lint = &scenarios.LintExpect{Pass: true}
			res = runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictFail))
			Expect(res.Observed).To(Equal(wire.StateHandshakeOK), "the handshake itself is fine: only the lint fails")
			Expect(res.Reason).To(ContainSubstring("but the row expects lint pass"))
			Expect(res.Reason).To(ContainSubstring("fix: add DNS:meet.contoso.com"))

			r.Lint = &scenarios.LintExpect{Codes: []string{certs.CodeSANMissing, certs.CodeKeyTooSmall}}
			res = runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictFail))
			Expect(res.Reason).To(ContainSubstring("KEY_TOO_SMALL not found"))
		})

		It("reports the findings of a row without a lint expectation, without failing it", func() {
			r := tlsRow(scenarios.CheckTLS, nil)
			r.Target = target
			res := runRow(l.options(), r)
			Expect(res.Verdict).To(Equal(wire.VerdictPass), res.Reason)
			Expect(res.Reason).To(ContainSubstring("lint: SAN_MISSING"))
		})
	})
})
