package probe

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/mockdirector/mockdirector/listeners"
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
	if dl, ok := ctx.Deadline(); ok {
		tc.SetDeadline(dl)
	}
	req := optionsRequest(j, tc.LocalAddr())
	start := time.Now()
	if _, err := io.WriteString(tc, req.String()); err != nil {
		return sipFailure(o, j, err, start)
	}
	br := bufio.NewReader(tc)
	for {
		res, err := readSIPResponse(br)
		if err != nil {
			return sipFailure(o, j, err, start)
		}
		if res.StatusCode < 200 {
			continue // provisional
		}
		o.Observed = fmt.Sprintf("sip %d", res.StatusCode)
		if h := res.GetHeader("Server"); h != nil {
			o.Server = h.Value()
		}
		if h := res.GetHeader(listeners.HeaderSIPIdentity); h != nil {
			o.Identity = sipIdentity(h.Value())
		}
		o.OK = res.StatusCode == 200
		o.Detail = fmt.Sprintf("OPTIONS answered %d %s", res.StatusCode, res.Reason)
		if o.Server != "" && o.Identity == nil {
			o.Detail += " by " + o.Server
		}
		return o
	}
}

func sipFailure(o Observation, j *Job, err error, start time.Time) Observation {
	o.OK = false
	switch {
	case isRemoteAlert(err):
		o.HandshakeFailed, o.Observed = true, ObservedHandshakeFailed
		o.Detail = "the server rejected the client certificate " + describeIdentity(j) + ": " + err.Error()
	case isTimeout(err):
		o.Detail = fmt.Sprintf("TLS up, but no SIP answer to OPTIONS in %s", roundDur(time.Since(start)))
	default:
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

// readSIPResponse reads one message (headers and Content-Length body) and parses it with sipgo.
func readSIPResponse(br *bufio.Reader) (*sip.Response, error) {
	tp := textproto.NewReader(br)
	var head strings.Builder
	clen := 0
	for first := true; ; first = false {
		line, err := tp.ReadLine()
		if err != nil {
			return nil, err
		}
		if first && line == "" {
			first = true // CRLF keep-alive pong
			continue
		}
		head.WriteString(line + "\r\n")
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			if k = strings.TrimSpace(strings.ToLower(k)); k == "content-length" || k == "l" {
				clen, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
	}
	body := make([]byte, min(clen, 64<<10))
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, err
	}
	msg, err := sip.ParseMessage(append([]byte(head.String()), body...))
	if err != nil {
		return nil, fmt.Errorf("not a SIP answer: %w", err)
	}
	res, ok := msg.(*sip.Response)
	if !ok {
		return nil, fmt.Errorf("a SIP request came back instead of an answer")
	}
	return res, nil
}

// sipIdentity parses "role=..;member=..;listener=..;source=host:port".
func sipIdentity(v string) *listeners.Identity {
	id := &listeners.Identity{Service: listeners.ServiceName, Protocol: "sip-mtls"}
	for _, kv := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
		switch k {
		case "role":
			id.Role = val
		case "member":
			id.Member = val
		case "listener":
			id.Listener = val
		case "source":
			id.Remote = val
			if h, _, err := net.SplitHostPort(val); err == nil {
				id.RemoteIP = h
			} else {
				id.RemoteIP = val
			}
		}
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
