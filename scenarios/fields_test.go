package scenarios_test

import (
	"time"

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

var _ = Describe("UDP, lint and hold rows", func() {
	It("reads transport udp, lint in both shapes and hold, with their defaults", func() {
		s, err := scenarios.Parse("site.yaml", []byte(`name: site
rows:
  - {from: internal-clients, to: director, port: 443, transport: udp, protocol: udp-quic, expect: deny}
  - {from: internal-clients, to: director, port: 443, transport: udp, protocol: https}
  - {from: edge-internal, to: director, port: 5061, protocol: sip-mtls, check: tls, lint: pass}
  - from: director
    to: edge-internal
    port: 5061
    protocol: sip-mtls
    check: mtls
    lint: [SAN_MISSING, EKU_NO_CLIENT_AUTH]
  - {from: internal-clients, to: director, port: 80, protocol: http, check: hold, hold: 30s}
  - {from: internal-clients, to: director, port: 443, protocol: https, check: hold}
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Rows[0].ID()).To(Equal("internal-clients->director udp/443 udp-quic"))
		Expect(s.Rows[0].CheckKind()).To(Equal(scenarios.CheckUDPQUIC))
		Expect(s.Rows[1].CheckKind()).To(Equal(scenarios.CheckH3))
		Expect(*s.Rows[2].Lint).To(Equal(scenarios.LintExpect{Pass: true}))
		Expect(s.Rows[3].Lint.Codes).To(Equal([]string{"SAN_MISSING", "EKU_NO_CLIENT_AUTH"}))
		Expect(s.Rows[4].HoldFor()).To(Equal(30 * time.Second))
		Expect(s.Rows[4].ID()).To(Equal("internal-clients->director tcp/80 http hold"))
		Expect(s.Rows[5].HoldFor()).To(Equal(scenarios.DefaultHold))
		Expect(scenarios.DefaultHold).To(Equal(1800 * time.Second))
	})

	It("refuses checks, lints and holds that do not fit the row, naming the line", func() {
		_, err := scenarios.Parse("site.yaml", []byte(`name: site
rows:
  - {from: any, to: director, port: 443, transport: udp, protocol: sip-mtls}
  - {from: any, to: director, port: 444, transport: udp, protocol: https, check: tls}
  - {from: any, to: director, port: 445, protocol: udp-quic}
  - {from: any, to: director, port: 446, protocol: https, check: h3}
  - {from: any, to: director, port: 447, protocol: https, lint: pass}
  - {from: any, to: director, port: 448, protocol: https, check: tls, lint: maybe}
  - {from: any, to: director, port: 449, protocol: https, check: tls, lint: [san_missing]}
  - {from: any, to: director, port: 450, protocol: https, hold: 10s}
  - {from: any, to: director, port: 451, protocol: https, check: hold, hold: forever}
  - {from: any, to: director, port: 452, protocol: https, check: tls, expect: deny, lint: pass}
`))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:3: row 1: transport udp carries protocol udp-quic or https (QUIC), not sip-mtls`)))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:4: row 2: check tls runs over TCP; a transport udp row takes check udp-quic or h3`)))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:5: row 3: protocol udp-quic needs transport: udp`)))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:6: row 4: check h3 runs over UDP: add transport: udp`)))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:7: row 5: lint applies to check tls or mtls, not https`)))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:9: row 7: lint code "san_missing" is not a finding code`)))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:10: row 8: hold applies to check hold, not https`)))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:11: row 9: hold "forever" is not a positive duration`)))
		Expect(err).To(MatchError(ContainSubstring(`site.yaml:12: row 10: lint needs a certificate to look at`)))
	})

	It("names the position of a lint that is neither pass nor a list", func() {
		_, err := scenarios.Parse("site.yaml", []byte("name: site\nrows:\n  - {from: any, to: director, port: 448, protocol: https, check: tls, lint: maybe}\n"))
		Expect(err).To(MatchError(ContainSubstring("site.yaml:3:")))
		Expect(err).To(MatchError(ContainSubstring(`lint "maybe": write lint: pass, or a list of finding codes`)))
	})

	It("does not serve UDP or guard rows: serve binds the table's TCP allow rows only", func() {
		for _, role := range scenarios.ServerRoles {
			for _, r := range scenarios.Default().ServedBy(role) {
				Expect(r.Transport).To(Equal(scenarios.TransportTCP), r.ID())
			}
		}
		var udp []string
		for _, r := range scenarios.Default().Rows {
			if r.Transport == scenarios.TransportUDP {
				Expect(r.Expect).To(Equal(scenarios.ExpectDeny))
				Expect(r.Origin).To(Equal(scenarios.OriginComplement))
				udp = append(udp, r.ID())
			}
		}
		// The hand-picked UDP guard rows of the first version are among the generated ones,
		// under the same IDs.
		Expect(udp).To(ContainElements(
			"reverse-proxy-internal->director udp/443 udp-quic", "reverse-proxy-internal->director udp/4443 udp-quic", "reverse-proxy-internal->director udp/5061 udp-quic",
			"internal-clients->director udp/443 udp-quic", "internal-clients->director udp/4443 udp-quic", "internal-clients->director udp/5061 udp-quic",
			"edge-internal->director udp/443 udp-quic", "edge-internal->director udp/4443 udp-quic", "edge-internal->director udp/5061 udp-quic",
		))
	})
})
