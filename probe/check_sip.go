package probe

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// checkSIPOptions sends SIP OPTIONS over mutual TLS (the way an Edge or a pool pings its next
// hop) and expects 200; the Server and X-MockDirector headers say who answered.
func checkSIPOptions(ctx context.Context, j *Job) Observation {
	if j.Identity == nil {
		return credentialMissing(j)
	}
	tc, o := handshake(ctx, j, true)
	if tc == nil {
		return o
	}
	defer tc.Close()
	// Over an unverified chain the OPTIONS still goes out (it changes nothing) to learn who
	// answers behind a possible interceptor; the row fails on the chain either way.
	verify := o
	if dl, ok := ctx.Deadline(); ok {
		tc.SetDeadline(dl)
	}
	req := optionsRequest(j, tc.LocalAddr())
	start := time.Now()
	if _, err := io.WriteString(tc, req.String()); err != nil {
		return unverifiedOr(verify, sipFailure(o, j, err, start))
	}
	br := bufio.NewReaderSize(tc, sipReadSize)
	for {
		res, err := readSIPResponse(br)
		if err != nil {
			return unverifiedOr(verify, sipFailure(o, j, err, start))
		}
		if res.StatusCode < 200 {
			continue // provisional
		}
		o.Observed = wire.AnswerState("sip", res.StatusCode)
		if h := res.GetHeader("Server"); h != nil {
			o.Server = h.Value()
		}
		o.Identity = sipIdentity(res)
		o.OK = res.StatusCode == 200
		if !o.OK {
			o.Code = wire.CodeSIPStatus
		}
		o.Detail = fmt.Sprintf("OPTIONS answered %d %s", res.StatusCode, res.Reason)
		if o.Server != "" && o.Identity == nil {
			o.Detail += " by " + o.Server
		}
		if verify.Unverified {
			return unverified(verify, o)
		}
		return o
	}
}

func sipFailure(o Observation, j *Job, err error, start time.Time) Observation {
	o.OK = false
	switch {
	case isRemoteAlert(err):
		rejected(&o, j, err)
	case isTimeout(err):
		o.Code = wire.CodeTimeout
		o.Detail = fmt.Sprintf("TLS up, but no SIP answer to OPTIONS in %s", roundDur(time.Since(start)))
	default:
		o.Code = wire.CodeProtocol
		o.Detail = "TLS up, but no SIP answer to OPTIONS: " + err.Error()
	}
	return o
}

// optionsRequest builds an RFC 3261 OPTIONS with sipgo's message types.
func optionsRequest(j *Job, local net.Addr) *sip.Request {
	lhost, lport := "127.0.0.1", 5061
	if ta, ok := local.(*net.TCPAddr); ok {
		lhost, lport = ta.IP.String(), ta.Port
	}
	recipient := sip.Uri{Scheme: "sip", Host: j.ServerName, Port: portOf(j.Target), UriParams: sip.NewParams()}
	recipient.UriParams.Add("transport", "tls")
	req := sip.NewRequest(sip.OPTIONS, recipient)
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "TLS", Host: lhost, Port: lport, Params: sip.NewParams()}
	via.Params.Add("branch", sip.GenerateBranch())
	req.AppendHeader(via)
	maxfwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxfwd)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: UserAgent, Host: fromHost(j)}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", Host: j.ServerName}, Params: sip.NewParams()})
	callID := sip.CallIDHeader(randHex(16) + "@" + lhost)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.OPTIONS})
	req.AppendHeader(sip.NewHeader("User-Agent", UserAgent))
	req.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	req.SetBody(nil)
	return req
}

func fromHost(j *Job) string {
	if j.Identity != nil && j.Identity.Leaf != nil && len(j.Identity.Leaf.DNSNames) > 0 {
		return j.Identity.Leaf.DNSNames[0]
	}
	return "probe.invalid"
}

// sipParser frames and parses SIP answers on a stream (sipgo's stream parser: Content-Length
// framing, CRLF keep-alives before a message ignored, RFC 3261 section 7.5).
var sipParser = sip.NewParser()

// sipReadSize is the buffer of a reader that readSIPResponse reads from: one answer must fit.
const sipReadSize = 64 << 10

// readSIPResponse reads one answer from br with sipgo's stream parser, consuming exactly its
// bytes (what follows stays in br: a CRLF pong of a hold check). br should be at least
// sipReadSize large (bufio.NewReaderSize).
func readSIPResponse(br *bufio.Reader) (*sip.Response, error) {
	ps := sipParser.NewSIPStream()
	defer ps.Close()
	want := 1
	for {
		if _, err := br.Peek(want); err != nil {
			return nil, err
		}
		data, _ := br.Peek(br.Buffered())
		ps.Reset()
		ps.Write(data)
		msg, n, err := ps.ParseNext()
		switch {
		case err == nil:
			br.Discard(n)
			res, ok := msg.(*sip.Response)
			if !ok {
				return nil, fmt.Errorf("a SIP request came back instead of an answer")
			}
			return res, nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			if len(data) >= br.Size() {
				return nil, fmt.Errorf("not a SIP answer: larger than %d bytes", br.Size())
			}
			want = len(data) + 1 // wait for more
		default:
			return nil, fmt.Errorf("not a SIP answer: %w", err)
		}
	}
}

// sipIdentity reads the X-MockDirector header of an answer (nil: not a mock's).
func sipIdentity(res *sip.Response) *wire.Identity {
	h := res.GetHeader(wire.HeaderSIP)
	if h == nil {
		return nil
	}
	id, ok := wire.ParseSIP(h.Value())
	if !ok {
		return nil
	}
	return id
}

func portOf(hostport string) int {
	_, p, _ := net.SplitHostPort(hostport)
	n, _ := strconv.Atoi(p)
	return n
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
