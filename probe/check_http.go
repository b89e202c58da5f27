package probe

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/mockdirector/mockdirector/listeners"
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
		path = listeners.WellKnownPath
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+j.ServerName+path, nil)
	if err != nil {
		o.OK, o.Observed, o.Detail = false, ObservedError, "request: "+err.Error()
		return o
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Close = true
	start := time.Now()
	if err := req.Write(c); err != nil {
		o.OK, o.Observed, o.Detail = false, ObservedError, "sending the request: "+err.Error()
		return o
	}
	res, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		o.OK = false
		if isRemoteAlert(err) {
			o.HandshakeFailed, o.Observed = true, ObservedHandshakeFailed
			o.Detail = "the server rejected the client certificate " + describeIdentity(j) + ": " + err.Error()
		} else if isTimeout(err) {
			o.Observed, o.Detail = ObservedOpen, fmt.Sprintf("connected, but no HTTP answer in %s", roundDur(time.Since(start)))
		} else {
			o.Observed, o.Detail = ObservedOpen, "connected, but no HTTP answer: "+err.Error()
		}
		return o
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 256<<10))
	o.Observed = fmt.Sprintf("http %d", res.StatusCode)
	o.Server = res.Header.Get("Server")
	o.Identity = httpIdentity(res.Header, body)
	o.OK = res.StatusCode >= 200 && res.StatusCode < 500
	o.Detail = fmt.Sprintf("GET %s answered %s", path, res.Status)
	if !o.OK {
		o.Detail += " (a server error: the service is reached but broken)"
	}
	return o
}

// httpIdentity reads the mock's identity from the body (the well-known document, or the
// autodiscover answer's _mockdirector) or, failing that, from the headers.
func httpIdentity(h http.Header, body []byte) *listeners.Identity {
	var id listeners.Identity
	if json.Unmarshal(body, &id) == nil && id.Service == listeners.ServiceName {
		return &id
	}
	var wrapped struct {
		ID listeners.Identity `json:"_mockdirector"`
	}
	if json.Unmarshal(body, &wrapped) == nil && wrapped.ID.Service == listeners.ServiceName {
		return &wrapped.ID
	}
	if h.Get(listeners.HeaderRole) == "" {
		return nil
	}
	id = listeners.Identity{
		Service: listeners.ServiceName, Role: h.Get(listeners.HeaderRole), Member: h.Get(listeners.HeaderMember),
		Listener: h.Get(listeners.HeaderListener), Remote: h.Get(listeners.HeaderSource),
		Host: h.Get(listeners.HeaderHost), SNI: h.Get(listeners.HeaderSNI), XForwardedFor: h.Get(listeners.HeaderXFF),
	}
	if host, _, err := net.SplitHostPort(id.Remote); err == nil {
		id.RemoteIP = host
	} else {
		id.RemoteIP = id.Remote
	}
	return &id
}
