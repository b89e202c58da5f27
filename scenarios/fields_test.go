package scenarios_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/scenarios"
)

var _ = Describe("the prober's row fields", func() {
	It("parses every optional field and defaults the check from the protocol", func() {
		s, err := scenarios.Parse("site.yaml", []byte(`name: site
rows:
  - {from: edge-internal, to: director, port: 5061, protocol: sip-mtls}
  - from: reverse-proxy-internal
    to: director
    port: 4443
    protocol: https
    check: tls
    expect: allow
    source_seen_as: 198.51.100.10
    xff: 192.0.2.50
    member: dir02
    target: vip.contoso.local:4443
    server_name: webext.contoso.com
    timeout: 2s
    retries: 2
  - {from: internal-clients, to: director, port: 5061, protocol: tcp, expect: deny-filtered}
  - {from: any, to: director, port: 50001, protocol: cls-mtls, expect: handshake-fails}
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Rows[0].CheckKind()).To(Equal(scenarios.CheckSIPOptions))
		r := s.Rows[1]
		Expect(r.CheckKind()).To(Equal(scenarios.CheckTLS))
		Expect(r.SourceSeenAs).To(Equal("198.51.100.10"))
		Expect(r.Member).To(Equal("dir02"))
		Expect(*r.Retries).To(Equal(2))
		Expect(s.Rows[2].Denied()).To(BeTrue())
		Expect(s.Rows[3].Denied()).To(BeFalse())
		Expect(s.Rows[3].CheckKind()).To(Equal(scenarios.CheckCLS))
	})

	It("names the line and field of every bad value", func() {
		_, err := scenarios.Parse("site.yaml", []byte(`name: site
rows:
  - {from: any, to: director, port: 443, protocol: https, check: ping}
  - {from: any, to: director, port: 444, protocol: https, expect: blocked, source_seen_as: nat-box}
  - {from: any, to: director, port: 445, protocol: tcp, timeout: soon, retries: -1}
`))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:3: row 1: check "ping" is not one of`)))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:4: row 2: expect "blocked" is not one of allow, deny, deny-refused, deny-filtered, handshake-fails`)))
		Expect(err).To(MatchError(ContainSubstring(`source_seen_as "nat-box" is not an IP address`)))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:5: row 3: timeout "soon"`)))
		Expect(err).To(MatchError(ContainSubstring("retries -1 is out of range")))
	})
})
