package wire

// Code is a short, stable reason code beside every prose reason, on journal events and probe
// results alike: metric labels, tables, reports and the lab group and match on it, never on the
// sentence (which may change to say more).
type Code string

// Reason codes. The prose reason says the detail; the code says the class.
const (
	CodeNone Code = ""
	// CodeOK is a row whose expectation held with nothing to remark.
	CodeOK Code = "ok"

	// Path states.
	CodeOpen     Code = "open"     // the path is open (a deny row that connected)
	CodeRefused  Code = "refused"  // TCP RST or ICMP port unreachable
	CodeFiltered Code = "filtered" // no answer in time: dropped on the path
	CodeTimeout  Code = "timeout"  // connected, but the answer did not come in time
	CodeCut      Code = "cut"      // a held connection was dropped before the hold was over

	// The refusal could be the host's as well as the firewall's: nothing is known to listen.
	CodeUnproven Code = "unproven"

	// TLS and certificates (either side).
	CodeNoClientCert     Code = "no-client-cert"
	CodeNoCertRequest    Code = "no-cert-request" // the server never asked for a client certificate: not mutual TLS (a TLS-terminating HLB or proxy?)
	CodeUnknownAuthority Code = "unknown-authority"
	CodeExpired          Code = "expired"
	CodeNotYetValid      Code = "not-yet-valid"
	CodeBadEKU           Code = "bad-eku"
	CodeWeakKey          Code = "weak-key"
	CodeWeakSignature    Code = "weak-signature" // SHA-1 (or worse) signatures
	CodeRevoked          Code = "revoked"
	CodeUnknownServer    Code = "unknown-server" // chains fine, names no server of the topology
	CodeWrongName        Code = "wrong-name"     // the certificate is not valid for the name asked
	CodeInterception     Code = "interception"   // the path presented a chain the mock does not serve
	CodeHandshake        Code = "handshake"      // any other handshake failure
	CodeNotTLS           Code = "not-tls"        // the peer did not speak TLS
	CodeConnectOnly      Code = "connect-only"   // TCP connect without a ClientHello (monitor, scanner)
	CodeLint             Code = "lint"           // the certificate lint found what the row forbids

	// Who answered.
	CodeNotMock        Code = "not-mock"        // the answer does not identify a mock (fine against a real server)
	CodeWrongRole      Code = "wrong-role"      // a mock of another role answered
	CodeWrongMember    Code = "wrong-member"    // another member of the pool answered
	CodeWrongListener  Code = "wrong-listener"  // the mock's listener of another port answered (port forward)
	CodeSourceMismatch Code = "source-mismatch" // the destination saw another source (SNAT)
	CodeSourceUnknown  Code = "source-unknown"  // the destination cannot report the source it saw
	CodeXFFMissing     Code = "xff-missing"     // X-Forwarded-For lacks the value the row asks for
	CodeGuard          Code = "guard"           // a guard listener answered: a denied path is open

	// The hardware load balancer in front of a pool's VIP.
	CodeDistribution Code = "distribution" // a member of the pool never answered, or one outside it did
	CodeAffinity     Code = "affinity"     // requests that must stay on one member (source, cookie) did not
	CodeDSR          Code = "dsr"          // a member got the connection addressed to the VIP: direct server return

	// Protocol answers.
	CodeHTTPStatus Code = "http-status" // an HTTP status other than the one expected
	CodeSIPStatus  Code = "sip-status"  // a SIP status other than 200
	CodeProtocol   Code = "protocol"    // the peer answered, but not in the protocol of the port
	CodeMalformed  Code = "malformed"   // a request the mock could not parse

	// The mock itself.
	CodeOverLimit     Code = "over-limit"     // refused: too many connections (in total or from the source)
	CodeJournalFailed Code = "journal-failed" // not answered: the journal write failed

	// The prober itself.
	CodeUnsupported Code = "unsupported" // the check cannot run against this row or target
	CodeError       Code = "error"       // the check could not run (a local error)
)
