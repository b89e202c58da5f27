package mtlsmatrix_test

import (
	"crypto/tls"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/journal"
	"github.com/mockdirector/mockdirector/topology"
)

// The fault matrix: every certificate of the fault set, in both directions, on every MTLS port.
//
// Direction "to the mock": the prober presents the certificate as its client certificate
// (forced onto the wire with GetClientCertificate: crypto/tls would otherwise send none when it
// does not chain to the CAs the server names, and the spec would only prove "no certificate");
// the mock serves the good certificate. The mock must refuse it, and its journal must say why.
//
// Direction "from the mock": the mock serves the certificate; a client verifying like the
// prober (crypto/tls against the site root, server name = pool FQDN, then certs.Lint for the
// role) must refuse it, and say why.

// toMock is what must happen when the prober presents a fault certificate to the mock.
type toMock struct {
	accepted bool
	// journalReason is a substring of the journal's handshake reason when refused.
	journalReason string
}

var toMockWant = map[string]toMock{
	certs.FaultGood:        {accepted: true},
	certs.FaultExpired:     {journalReason: "expired"},
	certs.FaultNotYetValid: {journalReason: "not yet valid"},
	// TLS does not check a client certificate's names; Lync refuses a peer that is not a known
	// server of its topology, which the mock does not model (yet): accepted, and the lint of
	// the same certificate reports SUBJECT_NOT_POOL/SAN_MISSING.
	certs.FaultWrongSAN:     {accepted: true},
	certs.FaultNoClientAuth: {journalReason: "bad EKU"},
	certs.FaultUntrustedCA:  {journalReason: "unknown authority"},
	certs.FaultSelfSigned:   {journalReason: "unknown authority"},
	// Lync's documented minimum, below what the mock accepts by default (2048; a lab lowers it
	// with serve --min-client-rsa-bits 1024, proven below).
	certs.FaultRSA1024: {journalReason: "RSA 1024-bit key, below the 2048 bits this listener requires"},
	// crypto/x509 refuses the SHA-1 signature while building the chain and reports "unknown
	// authority (possibly because of insecure algorithm SHA1-RSA)"; the listener names SHA-1.
	certs.FaultSHA1:                {journalReason: "insecure algorithm (SHA-1)"},
	certs.FaultMissingIntermediate: {journalReason: "unknown authority"},
}

// fromMock is what a prober-like client must conclude when the mock serves a fault certificate.
type fromMock struct {
	// tlsCode is the certs.VerifyFailure code of the refused handshake ("" when TLS accepts).
	tlsCode string
	// lintErrors are the error findings when TLS accepts.
	lintErrors []string
}

var fromMockWant = map[string]fromMock{
	certs.FaultGood:                {},
	certs.FaultExpired:             {tlsCode: certs.CodeExpired},
	certs.FaultNotYetValid:         {tlsCode: certs.CodeNotYetValid},
	certs.FaultWrongSAN:            {tlsCode: certs.CodeNameMismatch},
	certs.FaultNoClientAuth:        {lintErrors: []string{certs.CodeEKUClientAuth}},
	certs.FaultUntrustedCA:         {tlsCode: certs.CodeChainUntrusted},
	certs.FaultSelfSigned:          {tlsCode: certs.CodeChainUntrusted},
	certs.FaultRSA1024:             {}, // accepted; lint warns KEY_RSA_BELOW_2048 (checked below)
	certs.FaultSHA1:                {tlsCode: certs.CodeSignatureSHA1},
	certs.FaultMissingIntermediate: {tlsCode: certs.CodeChainUntrusted},
}

var _ = Describe("MTLS fault matrix", func() {
	It("has an expectation for every fault of the set", func() {
		for _, f := range certs.Faults {
			Expect(toMockWant).To(HaveKey(f.Name))
			Expect(fromMockWant).To(HaveKey(f.Name))
		}
		Expect(toMockWant).To(HaveLen(len(certs.Faults)))
	})

	var toEntries, fromEntries []TableEntry
	for _, p := range mtlsPorts {
		for _, f := range certs.Faults {
			toEntries = append(toEntries, Entry(fmt.Sprintf("%s presented by the prober to %s", f.Name, p.name()), Label(p.protocol, "mtls", "to-mock", f.Name), p, f.Name))
			fromEntries = append(fromEntries, Entry(fmt.Sprintf("%s served by the mock on %s", f.Name, p.name()), Label(p.protocol, "mtls", "from-mock", f.Name), p, f.Name))
		}
	}

	DescribeTable("the prober presents the certificate to the mock",
		func(p port, fault string) {
			want := toMockWant[fault]
			m := startMock(p, identity(certs.FaultGood))
			client := identity(fault) // ClientConfig forces the certificate onto the wire
			local, _, err := exchange(p, m.addr, client.ClientConfig(poolFQDN))
			ev := m.handshakeFrom(local)
			if want.accepted {
				Expect(err).NotTo(HaveOccurred())
				Expect(ev.Outcome).To(Equal(journal.OutcomeOK), "journal: %+v", ev)
				Expect(ev.TLS.ClientCert).NotTo(BeNil())
				Expect(ev.TLS.ClientCert.Verified).To(BeTrue())
				return
			}
			Expect(err).To(HaveOccurred(), "the mock accepted the %s certificate", fault)
			Expect(err.Error()).To(ContainSubstring("bad certificate"), "the prober sees the mock's alert")
			Expect(ev.Outcome).To(Equal(journal.OutcomeFailed))
			Expect(ev.Reason).To(ContainSubstring("client certificate refused"))
			Expect(ev.Reason).To(ContainSubstring(want.journalReason))
			Expect(ev.TLS.ClientCert).NotTo(BeNil(), "the journal names the refused certificate")
			Expect(ev.TLS.ClientCert.Verified).To(BeFalse())
			Expect(m.handshakes()).To(HaveLen(1), "nothing else reached the mock")
		},
		toEntries,
	)

	DescribeTable("the mock serves the certificate to a client verifying like the prober",
		func(p port, fault string) {
			want := fromMockWant[fault]
			m := startMock(p, identity(fault))
			client := identity(certs.FaultGood)
			local, st, err := exchange(p, m.addr, client.ClientConfig(poolFQDN))
			ev := m.handshakeFrom(local)
			if want.tlsCode != "" {
				Expect(err).To(HaveOccurred(), "the prober accepted a %s server certificate", fault)
				Expect(certs.VerifyFailure(err).Code).To(Equal(want.tlsCode), "error: %v", err)
				Expect(ev.Outcome).To(Equal(journal.OutcomeFailed))
				Expect(ev.Reason).To(ContainSubstring("remote error: tls:"), "the mock journals the prober's alert")
				return
			}
			Expect(err).NotTo(HaveOccurred())
			Expect(ev.Outcome).To(Equal(journal.OutcomeOK))
			profile, perr := certs.ProfileFor(topology.Default(), "director", member)
			Expect(perr).NotTo(HaveOccurred())
			profile.Roots = client.Roots
			findings := certs.Lint(st.PeerCertificates, profile)
			Expect(certs.Codes(findings, certs.SeverityError)).To(ConsistOf(want.lintErrors), "findings: %v", findings)
			if fault == certs.FaultRSA1024 {
				Expect(certs.Codes(findings, certs.SeverityWarning)).To(ConsistOf(certs.CodeKeySmall))
			}
		},
		fromEntries,
	)

	It("accepts the rsa1024 client certificate on every MTLS port where the minimum is lowered to 1024", func() {
		for _, p := range mtlsPorts {
			m := startMockLimits(p, identity(certs.FaultGood), listeners.Limits{MinClientRSABits: 1024})
			local, _, err := exchange(p, m.addr, identity(certs.FaultRSA1024).ClientConfig(poolFQDN))
			Expect(err).NotTo(HaveOccurred(), p.name())
			ev := m.handshakeFrom(local)
			Expect(ev.Outcome).To(Equal(journal.OutcomeOK), "journal: %+v", ev)
			Expect(ev.TLS.ClientCert.Verified).To(BeTrue())
		}
	})

	It("proves the GetClientCertificate point: a certificate in Certificates alone is not sent", func() {
		p := mtlsPorts[1]
		m := startMock(p, identity(certs.FaultGood))
		untrusted := identity(certs.FaultUntrustedCA)
		conf := &tls.Config{ServerName: poolFQDN, RootCAs: untrusted.Roots, MinVersion: tls.VersionTLS12,
			Certificates: []tls.Certificate{untrusted.Cert}}
		local, _, err := exchange(p, m.addr, conf)
		Expect(err).To(HaveOccurred())
		ev := m.handshakeFrom(local)
		Expect(ev.Reason).To(ContainSubstring("no client certificate"), "crypto/tls withheld the certificate: the spec would not have tested it")
	})

	It("accepts TLS 1.1 and 1.2 from the prober under the default profile (Windows Server 2012 R2), refuses 1.3, and refuses a fault under TLS 1.2 too", func() {
		p := mtlsPorts[0]
		m := startMock(p, identity(certs.FaultGood))
		for _, v := range []uint16{tls.VersionTLS11, tls.VersionTLS12} {
			conf := identity(certs.FaultGood).ClientConfig(poolFQDN)
			conf.MinVersion, conf.MaxVersion = v, v
			local, st, err := exchange(p, m.addr, conf)
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Version).To(Equal(v))
			Expect(m.handshakeFrom(local).TLS.Version).To(Equal(tls.VersionName(v)))
		}
		conf := identity(certs.FaultExpired).ClientConfig(poolFQDN)
		conf.MaxVersion = tls.VersionTLS12
		local, _, err := exchange(p, m.addr, conf)
		Expect(err).To(HaveOccurred())
		Expect(m.handshakeFrom(local).Reason).To(ContainSubstring("expired"))
		conf = identity(certs.FaultGood).ClientConfig(poolFQDN)
		conf.MinVersion, conf.MaxVersion = tls.VersionTLS13, tls.VersionTLS13
		_, _, err = exchange(p, m.addr, conf)
		Expect(err).To(MatchError(ContainSubstring("protocol version")), "schannel on 2012 R2 has no TLS 1.3")
	})

	It("accepts TLS 1.2 and 1.3 and refuses 1.1 under the modern profile", func() {
		p := mtlsPorts[0]
		m := startMockProfile(p, identity(certs.FaultGood), "modern")
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			conf := identity(certs.FaultGood).ClientConfig(poolFQDN)
			conf.MinVersion, conf.MaxVersion = v, v
			local, st, err := exchange(p, m.addr, conf)
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Version).To(Equal(v))
			Expect(m.handshakeFrom(local).TLS.Version).To(Equal(tls.VersionName(v)))
		}
		conf := identity(certs.FaultGood).ClientConfig(poolFQDN)
		conf.MinVersion, conf.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
		_, _, err := exchange(p, m.addr, conf)
		Expect(err).To(HaveOccurred(), "TLS 1.1 is refused by the modern profile")
	})
})
