package lab

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/journal"
)

// Check kinds the lab runs itself: wire's words (the prober's checks), as the strings Case holds.
const (
	checkTCP   = string(wire.CheckTCP)
	checkHTTP  = string(wire.CheckHTTP)
	checkHTTPS = string(wire.CheckHTTPS)
	checkSIP   = string(wire.CheckSIPOptions)
	checkCLS   = string(wire.CheckCLS)
	checkHold  = string(wire.CheckHold)
	// checkQUIC is a QUIC handshake over UDP (check_quic.go); the lab runs it for the scenario's
	// udp-quic and h3 rows.
	checkQUIC = string(wire.CheckUDPQUIC)
)

// Observed states of a check: wire's path states, plus the lab's two verdicts on a service.
const (
	obsAnswered = "answered"                 // the connection opened and the service answered
	obsOpen     = string(wire.StateOpen)     // TCP connected (tcp check), QUIC handshake done (udp-quic check)
	obsRefused  = string(wire.StateRefused)  // RST / ICMP unreachable
	obsFiltered = string(wire.StateFiltered) // no answer in the timeout
	obsFailed   = "failed"                   // connected, but the protocol step failed
	obsCut      = string(wire.StateCut)      // a held connection no longer carries traffic
)

// matrixCase is one cell of the matrix: a source namespace and address, a target, a check and what
// must be seen.
type matrixCase struct {
	ID     string
	NS     string
	Src    string
	Target string // host:port
	Port   int    // the port of the row (the listener that must answer)
	Check  string
	Path   string
	// ServerName is the SNI and the name the server certificate must carry.
	ServerName string
	// ClientCert is the certificate file stem (member FQDN or "probe") presented on MTLS.
	ClientCert string
	// Allow is the expectation: the check passes (true) or the connection is denied (false).
	Allow bool
	// WantSource is the source address the destination must report; WantXFF must be in X-Forwarded-For.
	WantSource, WantXFF string
	// WantMembers lists the members that may answer (empty: any).
	WantMembers []string
	// WantHost is the Host header the destination must report (the reverse proxy forwards it).
	WantHost string
	// WantCN is the client certificate CN the destination must report (Edge path).
	WantCN string
	// Hold keeps the connection idle this long before the request (hold check).
	Hold time.Duration
	// Note says where the case comes from (seed row, lab path).
	Note string
}

// caseResult is what a case observed.
type caseResult struct {
	Case     matrixCase
	Observed string
	Pass     bool
	Reason   string
	Member   string
	Seen     string // source address the destination reported
	XFF      string
	Host     string
	Listener string
	Duration time.Duration
}

// checkEnv holds what checks need: certificates and the timeout.
type checkEnv struct {
	Certs   string
	Timeout time.Duration
	// Journals are the mocks' journals; the CLS banner does not say who connected, the journal does.
	Journals []string
	pool     *x509.CertPool
}

// newCheckEnv loads the lab CA.
func newCheckEnv(certs string, timeout time.Duration) (*checkEnv, error) {
	pem, err := os.ReadFile(filepath.Join(certs, "ca.crt"))
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(pem)
	return &checkEnv{Certs: certs, Timeout: timeout, pool: p}, nil
}

// handshake runs the client side of TLS (what: "TLS" or "MTLS", for the error) on conn.
func (e *checkEnv) handshake(conn net.Conn, c matrixCase, what string) (*tls.Conn, error) {
	cfg, err := e.tlsConfig(c)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(conn, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("%s handshake: %w", what, err)
	}
	return tc, nil
}

func (e *checkEnv) tlsConfig(c matrixCase) (*tls.Config, error) {
	cfg := &tls.Config{RootCAs: e.pool, ServerName: c.ServerName, MinVersion: tls.VersionTLS12}
	if c.ClientCert != "" {
		kp, err := tls.LoadX509KeyPair(filepath.Join(e.Certs, c.ClientCert+".crt"), filepath.Join(e.Certs, c.ClientCert+".key"))
		if err != nil {
			return nil, fmt.Errorf("lab: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{kp}
	}
	return cfg, nil
}

// runHost runs one case and judges it.
func (e *checkEnv) Run(c matrixCase) caseResult {
	start := time.Now()
	r := caseResult{Case: c}
	obs, err := e.observe(c, &r)
	r.Observed, r.Duration = obs, time.Since(start)
	e.judge(&r, err)
	if c.Check == checkHold && !r.Pass {
		// A held connection is tried twice before the cut is reported (one lost SYN through
		// the HLB must not read as an idle timeout); the first attempt stays in the reason.
		first := r.Reason
		r = caseResult{Case: c}
		obs, err := e.observe(c, &r)
		r.Observed, r.Duration = obs, time.Since(start)
		e.judge(&r, err)
		if r.Pass {
			r.Reason = "ok on the second attempt; first: " + first
		}
	}
	return r
}

func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return obsRefused
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return obsFiltered
	}
	return obsFailed
}

func (e *checkEnv) observe(c matrixCase, r *caseResult) (string, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), e.Timeout)
	defer cancel()
	if c.Check == checkQUIC {
		return e.quicOn(ctx, c, r)
	}
	conn, err := dialFrom(ctx, c.NS, c.Src, "tcp", c.Target)
	if err != nil {
		return classify(err), err
	}
	defer conn.Close()
	if c.Check == checkTCP {
		return obsOpen, nil
	}
	if c.Hold > 0 {
		time.Sleep(c.Hold)
	}
	deadline := time.Now().Add(e.Timeout)
	conn.SetDeadline(deadline)
	switch c.Check {
	case checkHTTP, checkHold:
		return e.httpOn(conn, c, r)
	case checkHTTPS:
		tc, err := e.handshake(conn, c, "TLS")
		if err != nil {
			return obsFailed, err
		}
		return e.httpOn(tc, c, r)
	case checkSIP:
		return e.sipOn(conn, c, r)
	case checkCLS:
		tc, err := e.handshake(conn, c, "MTLS")
		if err != nil {
			return obsFailed, err
		}
		line, err := bufio.NewReader(tc).ReadString('\n')
		if err != nil {
			return obsAfterConnect(err), fmt.Errorf("CLS banner: %w", err)
		}
		id, ok := wire.ParseCLSBanner(strings.TrimSpace(line))
		if !ok {
			return obsFailed, fmt.Errorf("CLS banner: %q is not the mock's", strings.TrimSpace(line))
		}
		r.Member = id.Member
		if id.Port != 0 {
			r.Listener = string(wire.ProtoCLSMTLS) + "-" + strconv.Itoa(id.Port)
		}
		io.WriteString(tc, wire.CLSQuit+"\r\n")
		if r.Seen = id.SourceIP(); r.Seen == "" {
			// An older mock's banner carries no source: the journal has it.
			r.Seen = e.clsSource(r.Member, c.Port, start, c.WantSource)
		}
		return obsAnswered, nil
	}
	return obsFailed, fmt.Errorf("unknown check %q", c.Check)
}

// obsAfterConnect names a failure on an open connection: a timeout there means the path
// stopped carrying traffic (cut), anything else a protocol failure.
func obsAfterConnect(err error) string {
	if classify(err) == obsFiltered {
		return obsCut
	}
	return obsFailed
}

func (e *checkEnv) httpOn(conn net.Conn, c matrixCase, r *caseResult) (string, error) {
	host := c.ServerName
	req, _ := http.NewRequest(http.MethodGet, "http://"+host+c.Path, nil)
	req.Host = host
	req.Close = true
	if err := req.Write(conn); err != nil {
		return obsAfterConnect(err), fmt.Errorf("HTTP request: %w", err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return obsAfterConnect(err), fmt.Errorf("HTTP answer: %w", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if id, ok := wire.FromHeaders(res.Header); ok {
		r.Member, r.Listener, r.XFF, r.Host, r.Seen = id.Member, id.Listener, id.XForwardedFor, id.Host, id.SourceIP()
	}
	if res.StatusCode >= 500 {
		return obsFailed, fmt.Errorf("HTTP %s", res.Status)
	}
	return obsAnswered, nil
}

// clsSource finds, in the journals, the source address the CLS listener of member on port saw
// for a session that started after since: the expected source when such a session is there
// (other checks may run at the same time), else the newest other source.
func (e *checkEnv) clsSource(member string, port int, since time.Time, want string) string {
	other := ""
	for try := 0; try < 20; try++ {
		for _, j := range e.Journals {
			evs, err := journal.ReadFile(j)
			if err != nil {
				continue
			}
			for i := len(evs) - 1; i >= 0; i-- {
				ev := evs[i]
				if ev.Kind == journal.KindCLS && ev.Member == member && ev.Port == port && !ev.Time.Before(since.Add(-time.Second)) {
					if h := hostOf(ev.Remote); h == want {
						return h
					} else if other == "" {
						other = h
					}
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return other
}

func hostOf(s string) string { return wire.HostOnly(s) }

func (e *checkEnv) sipOn(conn net.Conn, c matrixCase, r *caseResult) (string, error) {
	tc, err := e.handshake(conn, c, "MTLS")
	if err != nil {
		return obsFailed, err
	}
	local := conn.LocalAddr().String()
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	msg := "OPTIONS sip:" + c.ServerName + ":5061;transport=tls SIP/2.0\r\n" +
		"Via: SIP/2.0/TLS " + local + ";branch=z9hG4bK-mdlab-" + tag + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:mdlab@contoso.com>;tag=" + tag + "\r\n" +
		"To: <sip:" + c.ServerName + ">\r\n" +
		"Call-ID: " + tag + "@mdlab\r\n" +
		"CSeq: 1 OPTIONS\r\n" +
		"Contact: <sip:mdlab@" + local + ";transport=tls>\r\n" +
		"Content-Length: 0\r\n\r\n"
	if _, err := io.WriteString(tc, msg); err != nil {
		return obsAfterConnect(err), fmt.Errorf("SIP OPTIONS: %w", err)
	}
	br := bufio.NewReader(tc)
	status, err := br.ReadString('\n')
	if err != nil {
		return obsAfterConnect(err), fmt.Errorf("SIP answer: %w", err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil || strings.TrimSpace(line) == "" {
			break
		}
		name, val, _ := strings.Cut(line, ":")
		val = strings.TrimSpace(val)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case strings.ToLower(wire.HeaderSIP):
			if id, ok := wire.ParseSIP(val); ok {
				r.Member, r.Seen, r.Listener = id.Member, id.SourceIP(), id.Listener
			}
		case "x-mdlab-seen": // kamailio, the real Edge: source=IP;cn=CN
			for _, kv := range strings.Split(val, ";") {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "source":
					r.Seen = v
				case "cn":
					r.XFF = "" // not HTTP
					r.Member = "kamailio cn=" + v
				}
			}
		}
	}
	if f := strings.Fields(status); len(f) < 2 || f[1] != "200" {
		return obsFailed, fmt.Errorf("SIP answer %q", strings.TrimSpace(status))
	}
	return obsAnswered, nil
}

func (e *checkEnv) judge(r *caseResult, err error) {
	c := r.Case
	where := fmt.Sprintf("%s %s from %s (%s) to %s", c.Check, c.Target, c.Src, c.NS, c.Target)
	if !c.Allow {
		switch r.Observed {
		case obsRefused, obsFiltered:
			r.Pass = true
			r.Reason = fmt.Sprintf("denied (%s), as the table asks", r.Observed)
		default:
			r.Reason = fmt.Sprintf("%s: connection %s but the table does not allow this path: the firewall is wider than the design", where, r.Observed)
		}
		return
	}
	want := obsAnswered
	if c.Check == checkTCP || c.Check == checkQUIC {
		want = obsOpen
	}
	if r.Observed != want {
		switch r.Observed {
		case obsFiltered:
			r.Reason = fmt.Sprintf("%s: no answer in %s - filtered; the table allows it", where, e.Timeout)
		case obsRefused:
			r.Reason = fmt.Sprintf("%s: refused (reset/unreachable); the table allows it", where)
		case obsCut:
			r.Reason = fmt.Sprintf("%s: held connection cut after %s idle (no answer to a request on it); the HLB keeps 1800 s", where, c.Hold)
		default:
			r.Reason = fmt.Sprintf("%s: %v", where, err)
		}
		return
	}
	var probs []string
	if wantListener := c.Port; wantListener != 0 && r.Listener != "" && !strings.HasSuffix(r.Listener, "-"+strconv.Itoa(wantListener)) {
		probs = append(probs, fmt.Sprintf("answered by listener %s, not port %d (a NAT rewrote the port)", r.Listener, wantListener))
	}
	if c.WantSource != "" && r.Seen != c.WantSource {
		probs = append(probs, fmt.Sprintf("source seen as %s, want %s (SNAT hides the true source)", r.Seen, c.WantSource))
	}
	if c.WantXFF != "" && !strings.Contains(r.XFF, c.WantXFF) {
		probs = append(probs, fmt.Sprintf("X-Forwarded-For %q lacks %s", r.XFF, c.WantXFF))
	}
	if c.WantHost != "" && r.Host != c.WantHost {
		probs = append(probs, fmt.Sprintf("Host header arrived as %q, want %q (forward the Host header)", r.Host, c.WantHost))
	}
	if c.WantCN != "" && !strings.Contains(r.Member, "cn="+c.WantCN) {
		probs = append(probs, fmt.Sprintf("peer saw certificate %q, want CN %s", r.Member, c.WantCN))
	}
	if len(c.WantMembers) > 0 {
		ok := false
		for _, m := range c.WantMembers {
			ok = ok || r.Member == m
		}
		if !ok {
			probs = append(probs, fmt.Sprintf("answered by %q, want one of %s", r.Member, strings.Join(c.WantMembers, ", ")))
		}
	}
	if len(probs) > 0 {
		r.Reason = where + ": " + strings.Join(probs, "; ")
		return
	}
	r.Pass = true
	r.Reason = "ok"
}
