package scenarios_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/scenarios"
)

var _ = Describe("the certificate requirement rows", func() {
	scn := scenarios.Default()

	It("reach the PKI host on TCP 80 from every MTLS source, with check cdp, citing Microsoft's requirement", func() {
		var from []string
		for _, r := range scn.Rows {
			if r.To != scenarios.RolePKI {
				continue
			}
			from = append(from, r.From)
			Expect(r.Origin).To(Equal(scenarios.OriginCertificate), r.ID())
			Expect(r.Allowed()).To(BeTrue(), r.ID())
			Expect(r.Port).To(Equal(80), r.ID())
			Expect(r.Transport).To(Equal(scenarios.TransportTCP), r.ID())
			Expect(r.CheckKind()).To(Equal(scenarios.CheckCDP), r.ID())
			Expect(r.ID()).To(Equal(r.From + "->pki tcp/80 http"))
			Expect(r.Note).To(ContainSubstring(`"All server certificates must contain a CRL Distribution Point (CDP)."`), r.ID())
		}
		Expect(from).To(ConsistOf(scenarios.RoleEdgeInternal, scenarios.RoleDirector, scenarios.RoleFrontend))
	})

	It("make pki a destination serve stands in for (HTTP 80), never a source, and outside the complement", func() {
		Expect(scenarios.ServerRoles).To(ContainElement(scenarios.RolePKI))
		Expect(scenarios.SourceRoles).NotTo(ContainElement(scenarios.RolePKI))
		served := scn.ServedBy(scenarios.RolePKI)
		Expect(served).To(HaveLen(1))
		Expect(served[0].Protocol).To(Equal(scenarios.ProtoHTTP))
		for _, c := range scn.Complement {
			Expect(c.To).NotTo(Equal(scenarios.RolePKI))
		}
		for _, r := range scn.Rows {
			if r.Origin == scenarios.OriginComplement {
				Expect(r.To).NotTo(Equal(scenarios.RolePKI), r.ID())
			}
		}
	})

	It("refuses check cdp on anything but protocol http", func() {
		_, err := scenarios.Parse("cdp.yaml", []byte(`name: cdp
rows:
  - {from: edge-internal, to: pki, port: 443, protocol: https, check: cdp}
`))
		Expect(err).To(MatchError(ContainSubstring("cdp.yaml:3: row 1: check cdp fetches CRLs over HTTP: it needs protocol http, not https")))
	})
})
