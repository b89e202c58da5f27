package probe

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/scenarios"
)

// HLBIdleGuidance is what a cut held connection is held against: the Lync 2013 / Skype for
// Business hardware load balancer guidance keeps idle TCP connections 1800 s.
const HLBIdleGuidance = "the Lync/SfB HLB guidance keeps idle connections 1800 s: raise the idle timeout of the HLB, firewall or proxy on this path"

// holdMargin is how much sooner than the hold the proof goes out: 1% of it, at most 10 s. A
// device whose idle timeout is exactly the hold (an HLB set to the guidance's 1800 s, the mock's
// own 1800 s) closes the connection at the hold, so a proof sent at the hold would race it.
func holdMargin(d time.Duration) time.Duration { return min(d/100, 10*time.Second) }

// heldConn is a connection a hold check keeps idle: the conversation that opened it and the one
// that proves it afterwards depend on the protocol.
type heldConn struct {
	c  net.Conn
	br *bufio.Reader
	// prove runs one exchange after the hold; nil means the protocol has none (bare TCP, a
	// real CLS agent that sends no banner): the check then only looks for a close.
	prove func(ctx context.Context) (string, error)
	// what names the exchange for messages ("a second GET /meet/ on the same connection").
	what string
}

// checkHold opens the row's connection (TLS with the client certificate for TLS protocols),
// runs one exchange, keeps the connection idle for the job's hold and proves it still carries
// the protocol: HTTP(S) a second request on the same keep-alive connection, SIP a CRLF ping
// answered by a CRLF pong (RFC 5626), CLS PING/PONG. The proof goes out holdMargin before the
// hold ends, so a device whose idle timeout equals the hold passes. Connecting and the exchanges
// are bounded by the timeout; the hold is not. A close or reset during the hold, or no answer after it, is a
// cut: something in the path ends idle connections sooner than the HLB guidance.
func checkHold(ctx context.Context, j *Job) Observation {
	if j.Bisect > 1 {
		return checkHoldBisect(ctx, j)
	}
	setup, cancel := context.WithTimeout(ctx, j.Timeout)
	h, o := openHeld(setup, j)
	cancel()
	if h == nil {
		return o
	}
	defer h.c.Close()
	held, err := idle(ctx, h, j.Hold-holdMargin(j.Hold))
	o.Held = held
	if ctx.Err() != nil && err == nil {
		o.OK, o.Observed, o.Code = false, wire.State(fmt.Sprintf("interrupted after %s", roundDur(held))), wire.CodeError
		o.Detail = fmt.Sprintf("%s; the hold was interrupted after %s of %s", o.Detail, roundDur(held), j.Hold)
		return o
	}
	if err != nil {
		return cut(o, j, held, fmt.Sprintf("the other side closed the idle connection (%s), seen at %s of idle: %s", closeText(err), secsText(held), idleCutText(held, held)))
	}
	if h.prove == nil {
		o.Observed = wire.State("held " + j.Hold.String())
		o.Detail = fmt.Sprintf("%s, held idle %s with no close or reset seen (a bare connection: nothing to send to prove more)", o.Detail, roundDur(held))
		o.Unproven = quietHold
		return o
	}
	proof, cancel := context.WithTimeout(ctx, j.Timeout)
	defer cancel()
	start := time.Now()
	answer, err := h.prove(proof)
	if err != nil {
		why := fmt.Sprintf("then %s failed: %s: the proof sent at %s was refused, so the path dropped the idle connection between 0 s and %s", h.what, closeText(err), secsText(held), secsText(held))
		if isTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
			why = fmt.Sprintf("then %s got no answer in %s (the path forgot the idle connection without a word): no answer to the proof sent at %s: the path dropped the idle connection between 0 s and %s (--hold-bisect finds when)",
				h.what, roundDur(time.Since(start)), secsText(held), secsText(held))
		}
		return cut(o, j, held, why)
	}
	o.Observed = wire.State("held " + j.Hold.String())
	o.Detail = fmt.Sprintf("%s, held idle %s, then %s: %s", o.Detail, roundDur(held), h.what, answer)
	return o
}

// cut turns the observation into a cut connection, named against the HLB guidance.
func cut(o Observation, j *Job, held time.Duration, why string) Observation {
	o.OK, o.Cut, o.Code = false, true, wire.CodeCut
	o.Observed = wire.State(fmt.Sprintf("cut after %s", roundDur(held)))
	o.Detail = fmt.Sprintf("%s, but the path cut the connection: it did not survive a %s hold: %s; %s", o.Detail, j.Hold, why, HLBIdleGuidance)
	return o
}

// idle waits d without sending, watching for the other side closing: it returns how long the
// connection stayed up and, when it was closed or reset during the hold, the error. Bytes the
// server sends meanwhile (a SIP keep-alive) are left for the proof or, when only CRLFs, dropped.
func idle(ctx context.Context, h *heldConn, d time.Duration) (time.Duration, error) {
	start := time.Now()
	end := start.Add(d)
	defer h.c.SetReadDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { h.c.SetReadDeadline(time.Now()) })
	defer stop()
	for time.Now().Before(end) && ctx.Err() == nil {
		h.c.SetReadDeadline(end)
		_, err := h.br.Peek(1)
		switch {
		case err == nil:
			if b, _ := h.br.Peek(h.br.Buffered()); len(bytes.Trim(b, "\r\n")) == 0 {
				h.br.Discard(len(b)) // a CRLF keep-alive from the server
				continue
			}
			// Something to read: the connection is alive; wait out the hold without reading.
			select {
			case <-time.After(time.Until(end)):
			case <-ctx.Done():
			}
			return time.Since(start), nil
		case isTimeout(err):
			continue
		default:
			return time.Since(start), err
		}
	}
	return time.Since(start), nil
}

// openHeld connects and runs the protocol's first exchange.
func openHeld(ctx context.Context, j *Job) (*heldConn, Observation) {
	var (
		c net.Conn
		o Observation
	)
	switch j.Row.Protocol {
	case scenarios.ProtoTCP, scenarios.ProtoHTTP:
		c, o = dial(ctx, j)
	default:
		if (j.Row.Protocol == scenarios.ProtoSIPMTLS || j.Row.Protocol == scenarios.ProtoCLSMTLS) && j.Identity == nil {
			return nil, credentialMissing(j)
		}
		tc, ho := handshake(ctx, j, true)
		if tc != nil && ho.Unverified {
			tc.Close() // no hold over a chain that did not verify: the row fails on it
			return nil, ho
		}
		if tc != nil {
			c = tc
		}
		o = ho
	}
	if c == nil {
		return nil, o
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	h := &heldConn{c: c, br: bufio.NewReaderSize(c, sipReadSize)}
	var err error
	switch j.Row.Protocol {
	case scenarios.ProtoHTTP, scenarios.ProtoHTTPS:
		err = holdHTTP(ctx, h, j, &o)
	case scenarios.ProtoSIPMTLS:
		err = holdSIP(h, j, &o)
	case scenarios.ProtoCLSMTLS:
		err = holdCLS(h, &o)
	}
	c.SetDeadline(time.Time{})
	if err != nil {
		c.Close()
		o.OK = false
		if isRemoteAlert(err) {
			rejected(&o, j, err)
		} else {
			o.Code = wire.CodeProtocol
			o.Detail += ", but the first exchange before the hold failed: " + err.Error()
		}
		return nil, o
	}
	return h, o
}

// holdHTTP sends the first GET without Connection: close and arms the second.
func holdHTTP(ctx context.Context, h *heldConn, j *Job, o *Observation) error {
	scheme := "http"
	if j.Row.Protocol == scenarios.ProtoHTTPS {
		scheme = "https"
	}
	path := j.Row.Path
	if path == "" {
		path = wire.WellKnownPath
	}
	get := func() (*http.Response, []byte, error) {
		req, err := http.NewRequest(http.MethodGet, scheme+"://"+j.ServerName+path, nil)
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("User-Agent", UserAgent)
		if err := req.Write(h.c); err != nil {
			return nil, nil, err
		}
		res, err := http.ReadResponse(h.br, req)
		if err != nil {
			return nil, nil, err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(io.LimitReader(res.Body, 256<<10))
		return res, body, err
	}
	res, body, err := get()
	if err != nil {
		return err
	}
	o.Observed = wire.AnswerState("http", res.StatusCode)
	o.Server = res.Header.Get("Server")
	o.Identity = httpIdentity(res.Header, body)
	o.Detail = fmt.Sprintf("%sGET %s answered %s", prefix(o.Detail), path, res.Status)
	if res.Close {
		return errors.New("the server answered with Connection: close, so there is no keep-alive connection to hold")
	}
	h.what = "a second GET " + path + " on the same connection"
	h.prove = func(ctx context.Context) (string, error) {
		if dl, ok := ctx.Deadline(); ok {
			h.c.SetDeadline(dl)
		}
		res, _, err := get()
		if err != nil {
			return "", err
		}
		return "answered " + res.Status, nil
	}
	return nil
}

// holdSIP sends OPTIONS (who answers) and arms a CRLF ping.
func holdSIP(h *heldConn, j *Job, o *Observation) error {
	if _, err := io.WriteString(h.c, optionsRequest(j, h.c.LocalAddr()).String()); err != nil {
		return err
	}
	for {
		res, err := readSIPResponse(h.br)
		if err != nil {
			return err
		}
		if res.StatusCode < 200 {
			continue
		}
		o.Observed = wire.AnswerState("sip", res.StatusCode)
		if hd := res.GetHeader("Server"); hd != nil {
			o.Server = hd.Value()
		}
		o.Identity = sipIdentity(res)
		o.Detail = fmt.Sprintf("%sOPTIONS answered %d %s", prefix(o.Detail), res.StatusCode, res.Reason)
		if res.StatusCode != 200 {
			return fmt.Errorf("OPTIONS answered %d %s, not 200", res.StatusCode, res.Reason)
		}
		break
	}
	h.what = "a CRLF keep-alive ping (RFC 5626)"
	h.prove = func(ctx context.Context) (string, error) {
		if dl, ok := ctx.Deadline(); ok {
			h.c.SetDeadline(dl)
		}
		if _, err := io.WriteString(h.c, "\r\n\r\n"); err != nil {
			return "", err
		}
		pong := make([]byte, 2)
		if _, err := io.ReadFull(h.br, pong); err != nil {
			return "", err
		}
		if string(pong) != "\r\n" {
			return "", fmt.Errorf("answered %q instead of a CRLF pong", pong)
		}
		return "pong", nil
	}
	return nil
}

// holdCLS reads the mock's banner and exchanges PING/PONG; against a real CLS agent (no banner)
// the hold only watches for a close.
func holdCLS(h *heldConn, o *Observation) error {
	h.c.SetReadDeadline(time.Now().Add(clsBannerWait))
	line, err := h.br.ReadString('\n')
	if err != nil {
		if isTimeout(err) && line == "" {
			o.Detail += ", no mockdirector banner (a real CLS agent): holding the TLS connection only"
			return nil
		}
		return err
	}
	line = strings.TrimSpace(line)
	id, ok := wire.ParseCLSBanner(line)
	if !ok {
		return fmt.Errorf("%q is not a mockdirector CLS banner", truncate(line, 60))
	}
	o.Server, o.Identity = line, id
	ping := func() (string, error) {
		token := randHex(4)
		if _, err := fmt.Fprintf(h.c, "%s %s\r\n", wire.CLSPing, token); err != nil {
			return "", err
		}
		pong, err := h.br.ReadString('\n')
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(pong) != wire.CLSPong+" "+token {
			return "", fmt.Errorf("PING %s got %q", token, strings.TrimSpace(pong))
		}
		return "PONG", nil
	}
	if _, err := ping(); err != nil {
		return err
	}
	o.Observed = wire.StateCLSBanner
	o.Detail += fmt.Sprintf(", banner from %s %s, PING/PONG ok", o.Identity.Role, o.Identity.Member)
	h.what = "PING"
	h.prove = func(ctx context.Context) (string, error) {
		if dl, ok := ctx.Deadline(); ok {
			h.c.SetDeadline(dl)
		}
		return ping()
	}
	return nil
}

func prefix(detail string) string {
	if detail == "" || detail == "connected" {
		return "connected, "
	}
	return detail + ", "
}

// closeText names how a connection ended: EOF (closed), reset, or the error.
func closeText(err error) string {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF: closed"
	case errors.Is(err, syscall.ECONNRESET):
		return "TCP reset"
	}
	return err.Error()
}

// secsText is a measured time as "11.9 s".
func secsText(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

// quietHold is why a hold with nothing to send after the idle proves nothing.
const quietHold = "a connection held without a word looks the same when a firewall silently drops its idle state (no FIN, no RST): only a protocol with a request to send after the idle (the row's TLS, SIP or HTTP check) proves it still open"
