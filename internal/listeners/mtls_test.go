package listeners_test

import (
	"crypto/tls"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/scenarios"
)

// noCert is a client that presents no certificate.
type noCert struct{}

func (noCert) ClientConfig(serverName string) *tls.Config {
	return &tls.Config{ServerName: serverName, RootCAs: keys.probe.Roots, MinVersion: tls.VersionTLS12}
}

// mtlsTry handshakes as id with the given TLS version and reads once, so a TLS 1.3 refusal
// (which the client only sees after its handshake returned) shows up too. It returns the local
// address and the error, if any.
func mtlsTry(id tlsIdentity, serverName, addr string, version uint16) (string, error) {
	d := dialer()
	raw, err := d.Dial("tcp", addr)
	Expect(err).NotTo(HaveOccurred(), "TCP connect")
	defer raw.Close()
	conf := id.ClientConfig(serverName)
	conf.MinVersion, conf.MaxVersion = version, version
	c := tls.Client(raw, conf)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.Handshake(); err != nil {
		return raw.LocalAddr().String(), err
	}
	// Every MTLS listener speaks first after the handshake (CLS banner) or answers a keep-alive
	// (SIP), so a read shows whether the server kept the connection.
	c.Write([]byte("\r\n\r\n"))
	buf := make([]byte, 1)
	_, err = c.Read(buf)
	return raw.LocalAddr().String(), err
}

var _ = Describe("mutual TLS on SIP (5061) and CLS (50001-50003)", Label("mtls"), func() {
	for i, roleName := range []string{scenarios.RoleDirector, scenarios.RoleEdgeInternal} {
		bind := fmt.Sprintf("127.0.10.%d", 20+i)
		Describe(roleName, Ordered, func() {
			var r *role
			BeforeAll(func() { r = startRole(roleName, bind) })

			for _, row := range scenarios.Default().ServedBy(roleName) {
				if row.Protocol != scenarios.ProtoSIPMTLS && row.Protocol != scenarios.ProtoCLSMTLS {
					continue
				}
				name := listeners.ListenerName(wire.Protocol(row.Protocol), row.Port)
				// TLS 1.0-1.2: the default wire profile (Windows Server 2012 R2) has no TLS 1.3.
				for _, version := range []uint16{tls.VersionTLS11, tls.VersionTLS12} {
					vname := tls.VersionName(version)
					It(fmt.Sprintf("%s accepts a certificate from the CA (%s)", name, vname), func() {
						local, err := mtlsTry(keys.probe, r.pool, r.addrs[name], version)
						Expect(err).NotTo(HaveOccurred())
						Eventually(r.jr.Events).Should(ContainElement(SatisfyAll(
							HaveField("Kind", journal.KindHandshake), HaveField("Listener", name),
							HaveField("Remote", local), HaveField("Outcome", journal.OutcomeOK),
							HaveField("TLS.Version", vname),
							HaveField("TLS.ClientCert.Subject", keys.probe.Leaf.Subject.String()),
							HaveField("TLS.ClientCert.Verified", true),
						)))
					})

					DescribeTable(fmt.Sprintf("%s refuses (%s)", name, vname),
						func(id func() tlsIdentity, reason string, code wire.Code, subject func() types.GomegaMatcher) {
							local, err := mtlsTry(id(), r.pool, r.addrs[name], version)
							Expect(err).To(HaveOccurred(), "the handshake must fail")
							Eventually(r.jr.Events).Should(ContainElement(SatisfyAll(
								HaveField("Kind", journal.KindHandshake), HaveField("Listener", name),
								HaveField("Remote", local), HaveField("Outcome", journal.OutcomeFailed),
								HaveField("Reason", ContainSubstring(reason)),
								HaveField("Code", code),
								HaveField("TLS.SNI", r.pool),
								HaveField("TLS.ClientCert", subject()),
							)))
						},
						Entry("no client certificate", func() tlsIdentity { return noCert{} },
							"no client certificate", wire.CodeNoClientCert, func() types.GomegaMatcher { return BeNil() }),
						Entry("a certificate from another CA", func() tlsIdentity { return keys.untrusted },
							"unknown authority", wire.CodeUnknownAuthority, func() types.GomegaMatcher { return certMatcher(keys.untrusted) }),
						Entry("an expired certificate", func() tlsIdentity { return keys.expired },
							"expired", wire.CodeExpired, func() types.GomegaMatcher { return certMatcher(keys.expired) }),
						Entry("a certificate without the clientAuth EKU", func() tlsIdentity { return keys.noEKU },
							"bad EKU", wire.CodeBadEKU, func() types.GomegaMatcher { return certMatcher(keys.noEKU) }),
					)
				}
			}

			It("journals plain text on a TLS port as not TLS", func() {
				addr := r.addrs[listeners.ListenerName(wire.ProtoSIPMTLS, 5061)]
				c, err := dialer().Dial("tcp", addr)
				Expect(err).NotTo(HaveOccurred())
				defer c.Close()
				fmt.Fprint(c, "OPTIONS sip:x SIP/2.0\r\n\r\n")
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				c.Read(make([]byte, 64))
				Eventually(r.jr.Events).Should(ContainElement(SatisfyAll(
					HaveField("Kind", journal.KindHandshake), HaveField("Remote", c.LocalAddr().String()),
					HaveField("Outcome", journal.OutcomeFailed), HaveField("Reason", ContainSubstring("not TLS")),
					HaveField("Code", wire.CodeNotTLS),
				)))
			})
		})
	}
})

// certMatcher matches the journal's description of id's certificate, refused.
func certMatcher(id *certs.Identity) types.GomegaMatcher {
	return SatisfyAll(
		Not(BeNil()),
		HaveField("Subject", id.Leaf.Subject.String()),
		HaveField("Issuer", id.Leaf.Issuer.String()),
		HaveField("Serial", id.Leaf.SerialNumber.Text(16)),
		HaveField("Verified", false),
	)
}
