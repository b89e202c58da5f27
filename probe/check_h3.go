package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/mockdirector/mockdirector/internal/quicprobe"
	"github.com/mockdirector/mockdirector/internal/wire"
)

// checkH3 GETs the row's path over HTTP/3 (QUIC on the UDP side of an HTTPS port, the way a
// browser follows Alt-Svc) and reads who answered, like the https check. A QUIC path that does
// not come up is refused, filtered or handshake-failed, as in the udp-quic check.
func checkH3(ctx context.Context, j *Job) Observation {
	path := j.Row.Path
	if path == "" {
		path = wire.WellKnownPath
	}
	qv := &quicVerify{j: j}
	start := time.Now()
	status, id, err := quicprobe.GetH3(ctx, "https://"+j.Target+path, quicSource(j), qv.config())
	if err != nil {
		var qe *quicprobe.Error
		reason, code := err.Error(), wire.CodeHandshake
		if errors.As(err, &qe) {
			reason, code = qe.Reason, qe.Code
		}
		state := quicprobe.StateOf(err)
		if state == wire.StateOpen {
			o := Observation{Observed: wire.StateOpen, Code: wire.CodeTimeout, Connected: true, Source: quicSource(j),
				Detail: fmt.Sprintf("QUIC up, but no HTTP/3 answer to GET %s in %s: %s", path, roundDur(time.Since(start)), reason)}
			qv.record(&o)
			return qv.judged(o)
		}
		// GetH3 reports no local address: a socket that never came up is a local problem.
		local := quicSource(j)
		if local == "" {
			local = "kernel's choice"
		}
		if qe != nil && qe.Err != nil && isLocalDialError(qe.Err) {
			local = ""
		}
		o := quicObservation(state, code, reason, local, j)
		qv.record(&o)
		return o
	}
	o := Observation{Observed: wire.AnswerState("h3", status), Connected: true, Source: quicSource(j), ALPN: "h3"}
	o.Identity = id
	if id != nil {
		o.TLSVersion = id.TLSVersion
	}
	o.OK = status >= 200 && status < 500
	o.Detail = fmt.Sprintf("HTTP/3 GET %s answered %d", path, status)
	if !o.OK {
		o.Code = wire.CodeHTTPStatus
		o.Detail += " (a server error: the service is reached but broken)"
	}
	qv.record(&o)
	return qv.judged(o)
}

// isLocalDialError reports an error of making the UDP socket (resolving, binding).
func isLocalDialError(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	return errors.As(err, &dns) || errors.As(err, &op) && op.Op == "dial"
}
