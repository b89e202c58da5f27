package certs

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/scenarios"
	"github.com/mockdirector/mockdirector/topology"
)

// Severity says how bad a finding is: an error breaks a Lync hop (or will), a warning works today
// but goes against the documented recommendation, info is for the record.
type Severity string

// Severities, worst first.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Finding codes. They are stable: the prober's `lint` expectation and tests name them.
const (
	CodeNoCertificate    = "NO_CERTIFICATE"         // the chain is empty
	CodeSubjectNotPool   = "SUBJECT_NOT_POOL"       // subject CN is not the pool FQDN
	CodeSANMissing       = "SAN_MISSING"            // a name the role needs is not covered by a SAN
	CodeNoSAN            = "NO_SAN"                 // the certificate has no DNS SAN at all
	CodeMemberSANMissing = "MEMBER_SAN_MISSING"     // no pool member (server) FQDN among the SANs
	CodeEKUServerAuth    = "EKU_NO_SERVER_AUTH"     // EKU lacks serverAuth
	CodeEKUClientAuth    = "EKU_NO_CLIENT_AUTH"     // EKU lacks clientAuth on an MTLS hop
	CodeKeyTooSmall      = "KEY_TOO_SMALL"          // RSA below the documented 1024-bit minimum
	CodeKeySmall         = "KEY_RSA_BELOW_2048"     // RSA 1024..2047: allowed by Lync, below the 2048 recommendation
	CodeKeyType          = "KEY_TYPE"               // a key type older Windows peers may not take (ECDSA: warning; Ed25519: error)
	CodeKeyLength        = "KEY_LENGTH_UNLISTED"    // RSA of a length Lync does not list (1024, 2048, 4096)
	CodeNoCDP            = "NO_CDP"                 // no CRL Distribution Point (error for the Lync roles)
	CodeNoAIA            = "NO_AIA"                 // no AIA caIssuers URL (info: peers then need the intermediates served)
	CodeSignaturePSS     = "SIGNATURE_RSASSA_PSS"   // signed with RSASSA-PSS, which Lync does not support
	CodeValidityLong     = "VALIDITY_OVER_825_DAYS" // notAfter - notBefore above 825 days
	CodeExpired          = "EXPIRED"                // NotAfter has passed
	CodeNotYetValid      = "NOT_YET_VALID"          // NotBefore is in the future
	CodeExpiringSoon     = "EXPIRING_SOON"          // NotAfter within the warning window (30 days)
	CodeSignatureSHA1    = "SIGNATURE_SHA1"         // a certificate in the chain is signed with SHA-1 (or MD5)
	CodeSelfSigned       = "SELF_SIGNED_LEAF"       // the leaf is its own issuer
	CodeChainIncomplete  = "CHAIN_INCOMPLETE"       // the served chain lacks an intermediate the roots need
	CodeChainUntrusted   = "CHAIN_UNTRUSTED"        // the chain does not end at a trusted root
	CodeChainInvalid     = "CHAIN_INVALID"          // the chain fails verification for another reason
	CodeChainNotChecked  = "CHAIN_NOT_CHECKED"      // no roots were given, so trust was not checked
	CodeLeafIsCA         = "LEAF_IS_CA"             // the leaf is a CA certificate
	CodeChainOrder       = "CHAIN_ORDER"            // chain[i] is not issued by chain[i+1]
	CodeRootServed       = "ROOT_SERVED"            // the chain includes the self-signed root (harmless, wasteful)
	CodeKeyUsageNoSig    = "KEY_USAGE_NO_SIGNATURE"
	CodeNameMismatch     = "NAME_MISMATCH" // (VerifyFailure) the name dialled is not in the SANs
	CodeBadEKU           = "BAD_EKU"       // (VerifyFailure) EKU does not allow this use
	CodeVerifyFailed     = "VERIFY_FAILED" // (VerifyFailure) anything else
	DefaultExpiryWarning = 30 * 24 * time.Hour
	MinRSABits           = 1024 // documented minimum for Lync 2013 internal server certificates
	RecommendedRSABits   = 2048 // documented recommendation
)

// Finding is one lint result: what is wrong, how bad, how to fix it, and (where a document
// states it) the requirement it breaks.
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix"`
	Ref      string   `json:"ref,omitempty"`
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s %s: %s (fix: %s)", f.Severity, f.Code, f.Message, f.Fix)
	if f.Ref != "" {
		s += " [" + f.Ref + "]"
	}
	return s
}

// The requirements the findings cite: Microsoft's "Certificate infrastructure requirements for
// Lync Server 2013" (learn.microsoft.com/en-us/previous-versions/office/lync-server-2013/
// lync-server-2013-certificate-infrastructure-requirements), quoted, and testssl's validity check.
const (
	certReqDoc = `Microsoft, "Certificate infrastructure requirements for Lync Server 2013"`
	RefCDP     = certReqDoc + `: "All server certificates must contain a CRL Distribution Point (CDP)."`
	RefPSS     = certReqDoc + `: "Using the RSASSA-PSS signature algorithm is unsupported, and may lead to errors on login and call forwarding issues, among other problems."`
	RefKeyLen  = certReqDoc + `: "Encryption key lengths of 1024, 2048, and 4096 are supported. Key lengths of 2048 and greater are recommended."`
	RefKeyAlg  = certReqDoc + `: "The default digest, or hash signing, algorithm is RSA. The ECDH_P256, ECDH_P384, and ECDH_P521 algorithms are also supported." ` +
		`(ECDSA is accepted by Lync Server 2013 itself; Lync 2013 peers, schannel on Windows Server 2008 R2/2012 and older HLBs with TLS offload expect RSA)`
	RefValidity = "testssl.sh certificate validity check (> 825 days), after the CA/Browser Forum and Apple limit of 825 days for TLS server certificates"
)

// isLyncRole says whether role is a Lync server role (whose certificates Lync requirements bind).
func isLyncRole(role string) bool {
	return role == scenarios.RoleDirector || role == scenarios.RoleFrontend || role == scenarios.RoleEdgeInternal
}

// LintProfile is what a certificate must satisfy for one role of one site. The zero value lints
// only what needs no site knowledge (validity, key, signature, serverAuth, chain order).
type LintProfile struct {
	// Role is director, frontend, edge-internal, or empty (generic TLS server).
	Role string
	// PoolFQDN is the expected subject CN; empty skips the subject check.
	PoolFQDN string
	// Names must each be covered by a SAN (exactly or by a wildcard): pool FQDN, member FQDN,
	// and for a Director or Front End the configured simple URLs.
	Names []string
	// Members, when the member is not known, are the pool's server FQDNs: one must be a SAN.
	Members []string
	// MTLS requires clientAuth in the EKU as well as serverAuth (5061, 50001-50003).
	MTLS bool
	// ClientOnly lints a client certificate (the prober's): serverAuth and names are not needed.
	ClientOnly bool
	// Roots, when set, must anchor the chain; chain[1:] are the intermediates served with it.
	Roots *x509.CertPool
	// ExtraIntermediates are known to the linter but were not served (to tell "incomplete chain"
	// from "untrusted"); optional.
	ExtraIntermediates []*x509.Certificate
	// Now is the time of the check; zero means time.Now().
	Now time.Time
	// ExpiryWarning is the window for EXPIRING_SOON; zero means 30 days.
	ExpiryWarning time.Duration
}

// ProfileFor builds the profile of role (and member, when not empty) from a topology: subject is
// the pool FQDN; SANs the pool FQDN, the member FQDN (or any member when member is empty; not
// for the Edge internal interface, whose one certificate is shared by every member) and, for a
// Director or Front End, the simple URLs configured; MTLS for every server role, since each
// serves 5061 (and a Director 50001-50003).
func ProfileFor(t *topology.Topology, role, member string) (LintProfile, error) {
	p := LintProfile{Role: role}
	if t == nil {
		t = topology.Default()
	}
	pool, err := t.Pool(role)
	if err != nil {
		return p, fmt.Errorf("lint profile: %w", err)
	}
	p.PoolFQDN = pool.FQDN
	p.MTLS = true
	p.Names = []string{pool.FQDN}
	if role == scenarios.RoleEdgeInternal {
		// Every Edge internal interface carries the same certificate (exportable key): the
		// pool FQDN is what the Front End and Director dial; member names are not required.
		return p, nil
	}
	if member != "" {
		m, err := pool.Member(member)
		if err != nil {
			return p, fmt.Errorf("lint profile: %w", err)
		}
		p.Names = append(p.Names, m.Name)
	} else {
		for _, m := range pool.Members {
			p.Members = append(p.Members, m.Name)
		}
	}
	if role == scenarios.RoleDirector || role == scenarios.RoleFrontend {
		u := t.SimpleURLs
		for _, n := range []string{u.Meet, u.Dialin, u.LyncdiscoverInternal, u.Lyncdiscover} {
			if n != "" && !slices.Contains(p.Names, n) {
				p.Names = append(p.Names, n)
			}
		}
	}
	return p, nil
}

// Lint checks a served chain (leaf first) against the Lync 2013 / Skype for Business certificate
// requirements of p and returns every finding, errors first. No findings means the chain is fine.
func Lint(chain []*x509.Certificate, p LintProfile) []Finding {
	if len(chain) == 0 || chain[0] == nil {
		return []Finding{finding(CodeNoCertificate, SeverityError, "no certificate was presented", "configure the listener with its certificate and key")}
	}
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	warn := p.ExpiryWarning
	if warn == 0 {
		warn = DefaultExpiryWarning
	}
	leaf := chain[0]
	var out []Finding
	add := func(code string, sev Severity, fix, format string, args ...any) {
		out = append(out, finding(code, sev, fmt.Sprintf(format, args...), fix))
	}
	ref := func(r string) { out[len(out)-1].Ref = r } // cite the requirement of the last finding
	reissue := "re-issue the certificate from the internal CA with the Lync/SfB certificate wizard (Request-CsCertificate)"

	// Validity.
	switch {
	case now.After(leaf.NotAfter):
		add(CodeExpired, SeverityError, reissue+" and assign it (Set-CsCertificate)", "expired on %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		add(CodeNotYetValid, SeverityError, "check the clocks of the CA and this host (w32tm /resync), or wait until the certificate is valid", "not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	case leaf.NotAfter.Sub(now) < warn:
		add(CodeExpiringSoon, SeverityWarning, "renew it now: "+reissue, "expires on %s, in %d days", leaf.NotAfter.UTC().Format(time.RFC3339), int(leaf.NotAfter.Sub(now).Hours()/24))
	}

	// Subject and SANs.
	if !p.ClientOnly {
		if p.PoolFQDN != "" && !strings.EqualFold(leaf.Subject.CommonName, p.PoolFQDN) {
			add(CodeSubjectNotPool, SeverityError, "request the certificate with subject CN="+p.PoolFQDN+" (the pool FQDN)", "subject CN is %q, the %s pool FQDN is %q", leaf.Subject.CommonName, roleName(p.Role), p.PoolFQDN)
		}
		if len(leaf.DNSNames) == 0 {
			add(CodeNoSAN, SeverityError, "add subjectAltName DNS entries for "+strings.Join(p.Names, ", ")+"; TLS clients ignore the subject CN", "no DNS subject alternative name")
		}
		for _, n := range p.Names {
			if len(leaf.DNSNames) > 0 && leaf.VerifyHostname(n) != nil {
				add(CodeSANMissing, SeverityError, "add DNS:"+n+" to the subject alternative names and re-issue", "SAN does not cover %s", n)
			}
		}
		if len(p.Members) > 0 && len(leaf.DNSNames) > 0 {
			ok := slices.ContainsFunc(p.Members, func(m string) bool { return leaf.VerifyHostname(m) == nil })
			if !ok {
				add(CodeMemberSANMissing, SeverityError, "add the server's own FQDN ("+strings.Join(p.Members, " or ")+") to the SANs", "no SAN names a member of the pool (%s)", strings.Join(p.Members, ", "))
			}
		}
	}

	// EKU.
	if !p.ClientOnly && !hasEKU(leaf, x509.ExtKeyUsageServerAuth) {
		add(CodeEKUServerAuth, SeverityError, "use a template with Server Authentication (1.3.6.1.5.5.7.3.1) in the EKU, e.g. WebServer plus Client Authentication", "EKU %s has no serverAuth", ekuList(leaf))
	}
	if (p.MTLS || p.ClientOnly) && !hasEKU(leaf, x509.ExtKeyUsageClientAuth) {
		add(CodeEKUClientAuth, SeverityError, "issue from a template with both Server Authentication and Client Authentication (1.3.6.1.5.5.7.3.2): every MTLS hop presents the same certificate as server and as client", "EKU %s has no clientAuth, needed on the mutual TLS hops (5061, 50001-50003)", ekuList(leaf))
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		sev := SeverityError
		if _, isRSA := leaf.PublicKey.(*rsa.PublicKey); isRSA && leaf.KeyUsage&x509.KeyUsageKeyEncipherment != 0 {
			sev = SeverityWarning // RSA key exchange still works; ECDHE suites and TLS 1.3 need signatures
		}
		add(CodeKeyUsageNoSig, sev, "include Digital Signature (and Key Encipherment for RSA) in the key usage", "key usage lacks Digital Signature, which ECDHE and TLS 1.3 need")
	}
	if leaf.IsCA {
		add(CodeLeafIsCA, SeverityWarning, "issue a leaf (end-entity) certificate for the server, not a CA certificate", "the leaf certificate is a CA certificate")
	}

	// Key.
	switch k := leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		bits := k.N.BitLen()
		switch {
		case bits < MinRSABits:
			add(CodeKeyTooSmall, SeverityError, "re-issue with a 2048-bit (or larger) RSA key", "RSA key of %d bits is below the documented minimum of %d", bits, MinRSABits)
			ref(RefKeyLen)
		case bits < RecommendedRSABits:
			add(CodeKeySmall, SeverityWarning, "re-issue with a 2048-bit RSA key (Lync accepts 1024, but 2048 is recommended and current TLS stacks such as OpenSSL at security level 2 refuse 1024)", "RSA key of %d bits: at the documented minimum, below the recommended %d", bits, RecommendedRSABits)
			ref(RefKeyLen)
		case isLyncRole(p.Role) && bits != 2048 && bits != 4096:
			add(CodeKeyLength, SeverityWarning, "re-issue with a 2048-bit RSA key (Request-CsCertificate -KeySize 2048)", "RSA key of %d bits is not one of the lengths Lync lists (1024, 2048, 4096)", bits)
			ref(RefKeyLen)
		}
	case *ecdsa.PublicKey:
		if isLyncRole(p.Role) {
			add(CodeKeyType, SeverityWarning, "re-issue with an RSA 2048 key (mockdirector certs init --key-type rsa2048) unless every peer on the path is known to take ECDSA", "ECDSA %s key: Lync 2013 peers and older hardware load balancers expect RSA", k.Curve.Params().Name)
			ref(RefKeyAlg)
		}
	case ed25519.PublicKey:
		if isLyncRole(p.Role) {
			add(CodeKeyType, SeverityError, "re-issue with an RSA 2048 key", "Ed25519 key: schannel (Windows) does not take Ed25519 certificates")
			ref(RefKeyAlg)
		}
	}
	if span := leaf.NotAfter.Sub(leaf.NotBefore); span > MaxLeafValidity {
		add(CodeValidityLong, SeverityWarning, "re-issue with a validity of at most 825 days, backdate included (mockdirector certs issue --validity 825d)", "valid for %.1f days (%s .. %s), above 825", span.Hours()/24, leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
		ref(RefValidity)
	}

	// Signatures of every certificate served except a self-signed root (its signature is not
	// checked by anyone).
	for i, c := range chain {
		if i > 0 && isSelfSigned(c) {
			continue
		}
		if weakSig(c.SignatureAlgorithm) {
			who := "the leaf"
			if i > 0 {
				who = "intermediate " + c.Subject.CommonName
			}
			add(CodeSignatureSHA1, SeverityError, "re-issue from a CA that signs with SHA-256 (certutil -setreg ca\\csp\\CNGHashAlgorithm SHA256 on a Windows CA)", "%s is signed with %s, which current TLS stacks refuse", who, c.SignatureAlgorithm)
		}
		if isPSS(c.SignatureAlgorithm) {
			add(CodeSignaturePSS, SeverityError, "re-issue from a CA that signs with PKCS#1 v1.5 (on a Windows CA: certutil -setreg ca\\csp\\AlternateSignatureAlgorithm 0, then restart certsvc)", "%s is signed with %s (RSASSA-PSS), which Lync does not support", chainName(i, c), c.SignatureAlgorithm)
			ref(RefPSS)
		}
	}

	// Chain shape and trust.
	selfSigned := isSelfSigned(leaf)
	if selfSigned {
		add(CodeSelfSigned, SeverityError, "issue the certificate from the internal enterprise CA the other servers trust", "the leaf is self-signed (issuer = subject %q)", leaf.Subject.String())
	}
	for i := 0; i+1 < len(chain); i++ {
		if chain[i].CheckSignatureFrom(chain[i+1]) != nil && !weakSig(chain[i].SignatureAlgorithm) {
			add(CodeChainOrder, SeverityWarning, "serve the chain in order: leaf, then each issuer up to (not including) the root", "certificate %d (%s) is not issued by certificate %d (%s)", i, chain[i].Subject.CommonName, i+1, chain[i+1].Subject.CommonName)
			break
		}
	}
	if len(chain) > 1 && isSelfSigned(chain[len(chain)-1]) {
		add(CodeRootServed, SeverityInfo, "leave the root out of the served chain; peers must already have it", "the served chain includes the root %s", chain[len(chain)-1].Subject.CommonName)
	}
	if p.Roots == nil {
		add(CodeChainNotChecked, SeverityInfo, "pass the CA bundle the peers trust (--ca) to check the chain", "trust was not checked: no roots given")
	} else if !selfSigned {
		if f, ok := chainFinding(chain, p, now); ok {
			out = append(out, f)
		}
	}

	// Revocation information: Lync wants a CDP on every server certificate, and its MTLS peers
	// check it; the AIA lets a peer fetch a missing intermediate.
	if len(leaf.CRLDistributionPoints) == 0 && !selfSigned {
		sev := SeverityWarning
		if isLyncRole(p.Role) {
			sev = SeverityError
		}
		add(CodeNoCDP, sev, "issue from a CA that publishes a CRL and names it (AD CS: Extensions tab, \"Include in the CDP extension of issued certificates\", an http:// location the perimeter reaches), then re-issue", "no CRL Distribution Point: peers that check revocation (every Lync server on MTLS) cannot")
		ref(RefCDP)
	}
	if len(leaf.IssuingCertificateURL) == 0 && !selfSigned {
		add(CodeNoAIA, SeverityInfo, "issue from a CA whose Authority Information Access names an http:// location of its certificate", "no AIA caIssuers URL: peers need every intermediate served or installed")
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return sevRank(a.Severity) - sevRank(b.Severity) })
	return out
}

// MaxLeafValidity is the longest leaf validity the lint takes without a warning: 825 days.
const MaxLeafValidity = 825 * 24 * time.Hour

func isPSS(a x509.SignatureAlgorithm) bool {
	return a == x509.SHA256WithRSAPSS || a == x509.SHA384WithRSAPSS || a == x509.SHA512WithRSAPSS
}

func chainName(i int, c *x509.Certificate) string {
	if i == 0 {
		return "the leaf"
	}
	return "intermediate " + c.Subject.CommonName
}

// chainFinding verifies the chain against the roots at a time inside the leaf's validity (expiry
// is reported on its own) and names what is wrong with it.
func chainFinding(chain []*x509.Certificate, p LintProfile, now time.Time) (Finding, bool) {
	leaf := chain[0]
	served := x509.NewCertPool()
	for _, c := range chain[1:] {
		served.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: p.Roots, Intermediates: served, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	_, err := leaf.Verify(opts)
	if err == nil {
		return Finding{}, false
	}
	var ci x509.CertificateInvalidError
	if errors.As(err, &ci) && ci.Reason == x509.Expired && ci.Cert != nil && ci.Cert.Equal(leaf) {
		// The leaf's own validity is its own finding; judge the chain inside that validity.
		opts.CurrentTime = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
		if _, err = leaf.Verify(opts); err == nil || errors.As(err, &ci) && ci.Reason == x509.Expired {
			return Finding{}, false // trusted, or cannot tell apart from the leaf's own dates
		}
	}
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) {
		if strings.Contains(err.Error(), "insecure algorithm") {
			return Finding{}, false // reported as SIGNATURE_SHA1
		}
		if len(p.ExtraIntermediates) > 0 {
			all := served.Clone()
			for _, c := range p.ExtraIntermediates {
				all.AddCert(c)
			}
			opts.Intermediates = all
			if _, err2 := leaf.Verify(opts); err2 == nil {
				return finding(CodeChainIncomplete, SeverityError, fmt.Sprintf("the served chain lacks the intermediate that issued %q (%s)", leaf.Subject.CommonName, leaf.Issuer.CommonName),
					"serve the intermediate CA certificate with the leaf (import it into the computer's Intermediate Certification Authorities store, or append it to the PEM chain)"), true
			}
		}
		if len(chain) == 1 {
			// A lone leaf whose issuer is unknown: either an intermediate is missing or the CA is untrusted.
			return finding(CodeChainUntrusted, SeverityError, fmt.Sprintf("issuer %q is not a trusted root and no intermediate was served with the certificate (an intermediate may be missing)", leaf.Issuer.String()),
				"serve the intermediate CA certificate(s) with the leaf, and make every peer trust the root (Trusted Root Certification Authorities)"), true
		}
		return finding(CodeChainUntrusted, SeverityError, fmt.Sprintf("the chain does not end at a trusted root (issuer %q)", chain[len(chain)-1].Issuer.String()),
			"make every peer trust the issuing root CA, or issue the certificate from the CA they already trust"), true
	}
	if errors.As(err, &ci) && ci.Reason == x509.Expired {
		return finding(CodeChainInvalid, SeverityError, "a CA certificate in the chain is expired or not yet valid: "+ci.Detail, "renew the intermediate/root CA certificate and redistribute it"), true
	}
	return finding(CodeChainInvalid, SeverityError, "the chain does not verify: "+err.Error(), "re-issue the certificate from a valid CA chain"), true
}

// VerifyFailure turns a TLS or x509 verification error into a Finding, so the prober and the
// tests name the same reason: unknown authority, expired, not yet valid, name mismatch, bad EKU,
// SHA-1 signature. It returns a VERIFY_FAILED finding for anything else.
func VerifyFailure(err error) Finding {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var he x509.HostnameError
	var ia x509.InsecureAlgorithmError
	switch {
	case err == nil:
		return Finding{}
	case errors.As(err, &ia) || strings.Contains(err.Error(), "insecure algorithm"):
		return finding(CodeSignatureSHA1, SeverityError, "signature with an insecure algorithm (SHA-1): "+err.Error(), "re-issue the certificate from a CA that signs with SHA-256")
	case errors.As(err, &ua):
		return finding(CodeChainUntrusted, SeverityError, "unknown authority: "+err.Error(), "issue the certificate from a CA the peer trusts, and serve the intermediates with it")
	case errors.As(err, &he):
		return finding(CodeNameMismatch, SeverityError, "name mismatch: "+err.Error(), "add the name the peer dials to the subject alternative names")
	case errors.As(err, &ci):
		switch ci.Reason {
		case x509.Expired:
			if c := ci.Cert; c != nil && time.Now().Before(c.NotBefore) {
				return finding(CodeNotYetValid, SeverityError, "not yet valid: "+ci.Detail, "check the clocks of the CA and both hosts")
			}
			return finding(CodeExpired, SeverityError, "expired: "+ci.Detail, "renew the certificate")
		case x509.IncompatibleUsage:
			return finding(CodeBadEKU, SeverityError, "bad EKU: "+err.Error(), "issue from a template with Server Authentication and Client Authentication")
		}
	}
	return finding(CodeVerifyFailed, SeverityError, err.Error(), "inspect the certificate with `mockdirector certs inspect`")
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity == SeverityError })
}

// Codes lists the codes of the findings at or above sev.
func Codes(fs []Finding, sev Severity) []string {
	var out []string
	for _, f := range fs {
		if sevRank(f.Severity) <= sevRank(sev) {
			out = append(out, f.Code)
		}
	}
	return out
}

func sevRank(s Severity) int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	}
	return 2
}

func roleName(r string) string {
	if r == "" {
		return "server"
	}
	return r
}

func hasEKU(c *x509.Certificate, u x509.ExtKeyUsage) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true // no EKU extension: any use
	}
	return slices.Contains(c.ExtKeyUsage, u) || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny)
}

func ekuList(c *x509.Certificate) string {
	names := map[x509.ExtKeyUsage]string{x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth", x509.ExtKeyUsageAny: "any",
		x509.ExtKeyUsageCodeSigning: "codeSigning", x509.ExtKeyUsageEmailProtection: "emailProtection"}
	var out []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := names[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprint(int(u)))
		}
	}
	for _, o := range c.UnknownExtKeyUsage {
		out = append(out, o.String())
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func isSelfSigned(c *x509.Certificate) bool {
	if c.Subject.String() != c.Issuer.String() {
		return false
	}
	return c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil || weakSig(c.SignatureAlgorithm)
}

func weakSig(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1, x509.MD5WithRSA, x509.MD2WithRSA:
		return true
	}
	return false
}

func finding(code string, sev Severity, msg, fix string) Finding {
	return Finding{Code: code, Severity: sev, Message: msg, Fix: fix}
}
