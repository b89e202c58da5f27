package topology_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

var _ = Describe("the PKI host as a pool", func() {
	It("is pools.pki in the built-in topologies, named as the CDP and AIA URLs name it", func() {
		for _, t := range []*topology.Topology{topology.Default(), topology.Lab()} {
			p, err := t.Pool(scenarios.RolePKI)
			Expect(err).NotTo(HaveOccurred(), t.File)
			Expect(p.FQDN).To(Equal(t.PKIHost()), t.File)
			Expect(t.PKIBaseURL()).To(Equal("http://pki.contoso.com/mockdirector"), t.File)
		}
		Expect(topology.Lab().Pools[scenarios.RolePKI].Target()).To(Equal("127.0.0.5"))
	})

	It("refuses a pools.pki whose fqdn is not the pki host, naming both", func() {
		_, err := topology.Parse("site.yaml", []byte(`domain: contoso.com
pki:
  host: pki.contoso.local
pools:
  pki: {fqdn: ca.contoso.local, members: [{name: ca01.contoso.local, address: 192.0.2.40}]}
`))
		Expect(err).To(MatchError(ContainSubstring(`pools.pki.fqdn "ca.contoso.local" is not the pki host "pki.contoso.local"`)))
		_, err = topology.Parse("site.yaml", []byte(`domain: contoso.com
pki:
  base_url: http://PKI.contoso.local/crl
pools:
  pki: {fqdn: pki.contoso.local, members: [{name: pki01.contoso.local, address: 192.0.2.40}]}
`))
		Expect(err).NotTo(HaveOccurred(), "the host of base_url, in any case")
	})
})
