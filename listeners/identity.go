package listeners

import (
	"net"

	"github.com/mockdirector/mockdirector/journal"
)

// Identity is what every mock answer says about itself and about what it saw, so a reverse
// proxy that rewrites the Host, loses X-Forwarded-For or SNATs the source shows up. It is the
// body of GET /.well-known/mockdirector and, in short, the X-MockDirector-* headers of every answer.
type Identity struct {
	Service       string            `json:"service"`
	Role          string            `json:"role"`
	Member        string            `json:"member"`
	Pool          string            `json:"pool"`
	Listener      string            `json:"listener"`
	Protocol      string            `json:"protocol"`
	Port          int               `json:"port"`
	Local         string            `json:"local"`
	Remote        string            `json:"remote"`
	RemoteIP      string            `json:"remote_ip"`
	Host          string            `json:"host,omitempty"`
	SNI           string            `json:"sni,omitempty"`
	XForwardedFor string            `json:"x_forwarded_for,omitempty"`
	TLSVersion    string            `json:"tls_version,omitempty"`
	ALPN          string            `json:"alpn,omitempty"`
	ClientCert    *journal.CertInfo `json:"client_cert,omitempty"`
	Method        string            `json:"method,omitempty"`
	Path          string            `json:"path,omitempty"`
}

// ServiceName is the value of Identity.Service and the mark a prober looks for.
const ServiceName = "mockdirector"

// WellKnownPath answers the Identity as JSON on every HTTP(S) listener.
const WellKnownPath = "/.well-known/mockdirector"

// Identity headers on every HTTP answer.
const (
	HeaderRole     = "X-MockDirector-Role"
	HeaderMember   = "X-MockDirector-Member"
	HeaderListener = "X-MockDirector-Listener"
	HeaderSource   = "X-MockDirector-Source"
	HeaderHost     = "X-MockDirector-Host"
	HeaderSNI      = "X-MockDirector-SNI"
	HeaderXFF      = "X-MockDirector-XFF"
)

func hostOnly(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}
