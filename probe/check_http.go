package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// UserAgent is what the prober calls itself in HTTP and SIP.
const UserAgent = "mockdirector-probe"

// checkHTTP GETs the row's path over plain HTTP.
func checkHTTP(ctx context.Context, j *Job) Observation {
	c, o := dial(ctx, j)
	if c == nil {
		return o
	}
	defer c.Close()
	return request(ctx, c, "http", j, o)
}

// checkHTTPS verifies the server like the tls check (presenting the client certificate when
// asked, so the mock can record it) and GETs the row's path.
func checkHTTPS(ctx context.Context, j *Job) Observation {
	tc, o := handshake(ctx, j, true)
	if tc == nil {
		return o
	}
	defer tc.Close()
	if o.Unverified {
		// Read-only: the GET learns the mock's identity behind a possible interceptor.
		return unverified(o, request(ctx, tc, "https", j, o))
	}
	return request(ctx, tc, "https", j, o)
}

// request sends one GET and reads the answer: any status 2xx-4xx means the service was reached;
// the identity comes from the well-known document or the X-MockDirector-* headers.
func request(ctx context.Context, c net.Conn, scheme string, j *Job, o Observation) Observation {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	path := j.Row.Path
	if path == "" {
		path = wire.WellKnownPath
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+j.ServerName+path, nil)
	if err != nil {
		o.OK, o.Observed, o.Code, o.Detail = false, wire.StateError, wire.CodeError, "request: "+err.Error()
		return o
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Close = true
	start := time.Now()
	if err := req.Write(c); err != nil {
		o.OK, o.Observed, o.Code, o.Detail = false, wire.StateError, wire.CodeError, "sending the request: "+err.Error()
		return o
	}
	res, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		o.OK = false
		switch {
		case isRemoteAlert(err):
			rejected(&o, j, err)
		case isTimeout(err):
			o.Observed, o.Code, o.Detail = wire.StateOpen, wire.CodeTimeout, fmt.Sprintf("connected, but no HTTP answer in %s", roundDur(time.Since(start)))
		default:
			o.Observed, o.Code, o.Detail = wire.StateOpen, wire.CodeProtocol, "connected, but no HTTP answer: "+err.Error()
		}
		return o
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 256<<10))
	o.Observed = wire.AnswerState("http", res.StatusCode)
	o.Server = res.Header.Get("Server")
	o.Identity = httpIdentity(res.Header, body)
	o.OK = res.StatusCode >= 200 && res.StatusCode < 500
	o.Detail = fmt.Sprintf("GET %s answered %s", path, res.Status)
	if !o.OK {
		o.Code = wire.CodeHTTPStatus
		o.Detail += " (a server error: the service is reached but broken)"
	}
	return o
}

// httpIdentity reads the mock's identity from the body (the well-known document, or the
// autodiscover answer's _mockdirector) or, failing that, from the headers.
func httpIdentity(h http.Header, body []byte) *wire.Identity {
	if id, ok := wire.DecodeJSON(body); ok {
		return id
	}
	if id, ok := wire.FromHeaders(h); ok {
		return id
	}
	return nil
}
