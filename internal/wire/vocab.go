package wire

import "strconv"

// Transport is the layer-4 transport of a row, a listener or a journal event.
type Transport string

// Transports.
const (
	TransportTCP Transport = "tcp"
	TransportUDP Transport = "udp"
)

// Transports lists the valid transports.
var Transports = []Transport{TransportTCP, TransportUDP}

// Protocol is what a row, a listener or an event speaks on its port.
type Protocol string

// Protocols. tcp is a bare connect; the others are what a listener speaks.
const (
	ProtoTCP     Protocol = "tcp"
	ProtoHTTP    Protocol = "http"
	ProtoHTTPS   Protocol = "https"
	ProtoSIPMTLS Protocol = "sip-mtls"
	ProtoCLSMTLS Protocol = "cls-mtls"
	// ProtoUDPQUIC is a QUIC handshake on a UDP port (transport udp): the generic QUIC
	// responder of mockdirector serve, or any QUIC server.
	ProtoUDPQUIC Protocol = "udp-quic"
)

// Protocols lists the valid protocols.
var Protocols = []Protocol{ProtoTCP, ProtoHTTP, ProtoHTTPS, ProtoSIPMTLS, ProtoCLSMTLS, ProtoUDPQUIC}

// TLS reports whether the protocol runs over TLS (or QUIC's TLS).
func (p Protocol) TLS() bool {
	return p == ProtoHTTPS || p == ProtoSIPMTLS || p == ProtoCLSMTLS || p == ProtoUDPQUIC
}

// Expect is what a row expects of the path.
type Expect string

// Expectations. deny holds when the connection is refused or filtered (and, since a refusal
// can come from the host as well as the firewall, only where the destination is known to
// listen); the narrower forms name which; handshake-fails holds when TCP connects and the TLS
// handshake is refused (negative certificate tests).
const (
	ExpectAllow          Expect = "allow"
	ExpectDeny           Expect = "deny"
	ExpectDenyRefused    Expect = "deny-refused"
	ExpectDenyFiltered   Expect = "deny-filtered"
	ExpectHandshakeFails Expect = "handshake-fails"
)

// Expectations lists the valid expectations.
var Expectations = []Expect{ExpectAllow, ExpectDeny, ExpectDenyRefused, ExpectDenyFiltered, ExpectHandshakeFails}

// Denied reports whether the expectation is one of the deny forms.
func (e Expect) Denied() bool {
	return e == ExpectDeny || e == ExpectDenyRefused || e == ExpectDenyFiltered
}

// Check is what the prober does on a row.
type Check string

// Checks the prober runs.
const (
	CheckTCP        Check = "tcp"
	CheckTLS        Check = "tls"
	CheckMTLS       Check = "mtls"
	CheckHTTP       Check = "http"
	CheckHTTPS      Check = "https"
	CheckSIPOptions Check = "sip-options"
	CheckCLS        Check = "cls"
	// CheckUDPQUIC is a QUIC handshake over UDP: open, refused, filtered or handshake-failed.
	CheckUDPQUIC Check = "udp-quic"
	// CheckH3 is an HTTP/3 request over QUIC (UDP, same port as the HTTPS listener).
	CheckH3 Check = "h3"
	// CheckHold opens the row's connection, keeps it idle for the row's hold and proves it
	// still carries the protocol (the HLB idle timeout test).
	CheckHold Check = "hold"
	// CheckCDP fetches, from the source, every CRL Distribution Point and AIA URL of the
	// certificate chains the source checks on MTLS (the certificate requirement rows).
	CheckCDP Check = "cdp"
	// CheckDistribution opens new connections to a pool's VIP and says which member answered
	// each: every member of the pool must answer, and only members of the pool.
	CheckDistribution Check = "distribution"
	// CheckAffinitySource sends requests from one source address to a pool's VIP: one member
	// must answer them all (source-address persistence).
	CheckAffinitySource Check = "affinity-source"
	// CheckAffinityCookie sends HTTP(S) requests carrying a member's MS-WSMAN cookie to a
	// pool's VIP: that member must answer them all (cookie persistence).
	CheckAffinityCookie Check = "affinity-cookie"
)

// HLB reports whether the check is one of the hardware load balancer checks against a VIP.
func (c Check) HLB() bool {
	return c == CheckDistribution || c == CheckAffinitySource || c == CheckAffinityCookie
}

// Checks lists the valid checks.
var Checks = []Check{CheckTCP, CheckTLS, CheckMTLS, CheckHTTP, CheckHTTPS, CheckSIPOptions, CheckCLS, CheckUDPQUIC, CheckH3, CheckHold, CheckCDP,
	CheckDistribution, CheckAffinitySource, CheckAffinityCookie}

// UDP reports whether the check runs over UDP.
func (c Check) UDP() bool { return c == CheckUDPQUIC || c == CheckH3 }

// State is what a check observed on the path. Checks that got an application answer report
// it with AnswerState ("http 200", "sip 200").
type State string

// Observed states.
const (
	StateOpen            State = "open"
	StateRefused         State = "refused"
	StateFiltered        State = "filtered"
	StateHandshakeOK     State = "handshake-ok"
	StateHandshakeFailed State = "handshake-failed"
	StateCLSBanner       State = "cls-banner"
	// StateCut is a held connection the path dropped before the hold was over.
	StateCut     State = "cut"
	StateError   State = "error"
	StateNotRun  State = "not-run"
	StateUnknown State = "unknown"
)

// AnswerState is the state of an application answer: "http 200", "sip 401".
func AnswerState(proto string, status int) State {
	return State(proto + " " + strconv.Itoa(status))
}

// Verdict is the judgement of a row: what was observed against what was expected.
type Verdict string

// Verdicts. A verdict has four honest answers: pass, fail, unproven (the tool cannot tell: a
// refusal from a destination not known to listen could be the host's as well as the
// firewall's) and skip (not run).
const (
	VerdictPass     Verdict = "pass"
	VerdictFail     Verdict = "fail"
	VerdictUnproven Verdict = "unproven"
	VerdictSkip     Verdict = "skip"
)

// Outcome is a journal event's result at the destination.
type Outcome string

// Outcomes of a journal event.
const (
	OutcomeOK     Outcome = "ok"
	OutcomeFailed Outcome = "failed"
	// OutcomeConnectOnly is a TCP connection on a TLS port that closed or idled without a
	// ClientHello: a TCP health monitor or a scanner, not a failed handshake.
	OutcomeConnectOnly Outcome = "connect-only"
)

// JournalTransport is the transport a journal event records: the row's transport, plus
// "/quic" for QUIC so the journal says what ran over UDP. Base recovers the row's.
type JournalTransport string

// Journal transports.
const (
	JournalTCP     JournalTransport = "tcp"
	JournalUDPQUIC JournalTransport = "udp/quic"
)

// Base is the row transport an event's transport belongs to.
func (t JournalTransport) Base() Transport {
	if t == JournalUDPQUIC {
		return TransportUDP
	}
	return Transport(t)
}
