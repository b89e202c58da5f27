package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// clsBannerWait bounds the wait for the mock's banner; a real CLS agent says nothing first.
const clsBannerWait = 2 * time.Second

// checkCLS runs the mutual TLS handshake of the Centralized Logging Service ports, then reads
// the mock's banner and exchanges PING/PONG. Against a real server (no banner) the check is the
// handshake alone, and says so.
func checkCLS(ctx context.Context, j *Job) Observation {
	if j.Identity == nil {
		return credentialMissing(j)
	}
	tc, o := handshake(ctx, j, true)
	if tc == nil {
		return o
	}
	defer tc.Close()
	if o.Unverified {
		// Read-only over an unverified chain: the banner says who serves behind a possible
		// interceptor; nothing is sent.
		return unverified(o, clsBanner(ctx, tc, j, o, false))
	}
	if !o.CertRequested {
		// CLS is mutual TLS on every port; a handshake that never asked for the client's
		// certificate is something else answering (a TLS-terminating device in the path).
		o.OK, o.Code = false, wire.CodeNoCertRequest
		o.Detail += ", but the server never asked for a client certificate: CLS is mutual TLS (a TLS-terminating device in the path?)"
		return o
	}
	return clsBanner(ctx, tc, j, o, true)
}

// clsBanner reads the mock's banner and, with ping, exchanges PING/PONG and QUITs.
func clsBanner(ctx context.Context, tc *tls.Conn, j *Job, o Observation, ping bool) Observation {
	wait := min(clsBannerWait, remaining(ctx, clsBannerWait))
	tc.SetDeadline(time.Now().Add(wait))
	br := bufio.NewReader(tc)
	line, err := br.ReadString('\n')
	switch {
	case err != nil && isRemoteAlert(err):
		rejected(&o, j, err)
		return o
	case err != nil && isTimeout(err) && line == "":
		o.Detail += fmt.Sprintf(", client certificate accepted; no mockdirector banner in %s: handshake only (a real CLS agent waits for commands)", roundDur(wait))
		return o
	case err != nil:
		o.OK, o.Code, o.Detail = false, wire.CodeProtocol, "TLS up, then the connection ended before a banner: "+err.Error()
		return o
	}
	line = strings.TrimSpace(line)
	id, ok := wire.ParseCLSBanner(line)
	if !ok {
		o.Detail += fmt.Sprintf(", then %q: not a mockdirector CLS banner (handshake only)", truncate(line, 60))
		return o
	}
	o.Observed = wire.StateCLSBanner
	o.Server = line
	o.Identity = id
	if !ping {
		o.Detail = fmt.Sprintf("banner from %s %s", id.Role, id.Member)
		return o
	}
	token := randHex(4)
	tc.SetDeadline(time.Now().Add(min(clsBannerWait, remaining(ctx, clsBannerWait))))
	if _, err := fmt.Fprintf(tc, "%s %s\r\n", wire.CLSPing, token); err != nil {
		o.OK, o.Code, o.Detail = false, wire.CodeProtocol, "banner read, PING failed: "+err.Error()
		return o
	}
	pong, err := br.ReadString('\n')
	if err != nil || strings.TrimSpace(pong) != wire.CLSPong+" "+token {
		o.OK, o.Code, o.Detail = false, wire.CodeProtocol, fmt.Sprintf("banner read, but PING %s got %q (%v)", token, strings.TrimSpace(pong), err)
		return o
	}
	fmt.Fprint(tc, wire.CLSQuit+"\r\n")
	o.OK = true
	o.Detail = fmt.Sprintf("%s, banner from %s %s, PING/PONG ok", o.TLSVersion, o.Identity.Role, o.Identity.Member)
	return o
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
