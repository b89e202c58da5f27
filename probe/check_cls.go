package probe

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/listeners"
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
	wait := min(clsBannerWait, remaining(ctx, clsBannerWait))
	tc.SetDeadline(time.Now().Add(wait))
	br := bufio.NewReader(tc)
	line, err := br.ReadString('\n')
	switch {
	case err != nil && isRemoteAlert(err):
		o.OK, o.HandshakeFailed, o.Observed = false, true, ObservedHandshakeFailed
		o.Detail = "the server rejected the client certificate " + describeIdentity(j) + ": " + err.Error()
		return o
	case err != nil && isTimeout(err) && line == "":
		o.Detail += fmt.Sprintf(", client certificate accepted; no mockdirector banner in %s: handshake only (a real CLS agent waits for commands)", roundDur(wait))
		return o
	case err != nil:
		o.OK, o.Detail = false, "TLS up, then the connection ended before a banner: "+err.Error()
		return o
	}
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, listeners.CLSBannerPrefix) {
		o.Detail += fmt.Sprintf(", then %q: not a mockdirector CLS banner (handshake only)", truncate(line, 60))
		return o
	}
	o.Observed = ObservedCLSBanner
	o.Server = line
	o.Identity = clsIdentity(line)
	token := randHex(4)
	tc.SetDeadline(time.Now().Add(min(clsBannerWait, remaining(ctx, clsBannerWait))))
	if _, err := fmt.Fprintf(tc, "PING %s\r\n", token); err != nil {
		o.OK, o.Detail = false, "banner read, PING failed: "+err.Error()
		return o
	}
	pong, err := br.ReadString('\n')
	if err != nil || strings.TrimSpace(pong) != "PONG "+token {
		o.OK, o.Detail = false, fmt.Sprintf("banner read, but PING %s got %q (%v)", token, strings.TrimSpace(pong), err)
		return o
	}
	fmt.Fprint(tc, "QUIT\r\n")
	o.OK = true
	o.Detail = fmt.Sprintf("%s, banner from %s %s, PING/PONG ok", o.TLSVersion, o.Identity.Role, o.Identity.Member)
	return o
}

// clsIdentity parses "MOCKDIRECTOR-CLS/1 role=.. member=.. listener=.. port=..".
func clsIdentity(banner string) *listeners.Identity {
	id := &listeners.Identity{Service: listeners.ServiceName, Protocol: "cls-mtls"}
	for _, f := range strings.Fields(banner)[1:] {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "role":
			id.Role = v
		case "member":
			id.Member = v
		case "listener":
			id.Listener = v
		case "port":
			id.Port, _ = strconv.Atoi(v)
		}
	}
	return id
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
