package wire

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Identity is what every mock answer says about itself and about what it saw, so a reverse
// proxy that rewrites the Host, loses X-Forwarded-For or SNATs the source shows up, and a
// middlebox that re-signs TLS shows up as a certificate the mock does not serve. The listeners
// encode it (json.go, headers.go, sip.go, cls.go, quic.go); the prober and the lab decode it.
type Identity struct {
	Service       string    `json:"service"`
	Role          string    `json:"role"`
	Member        string    `json:"member"`
	Pool          string    `json:"pool"`
	Listener      string    `json:"listener"`
	Protocol      string    `json:"protocol"`
	Port          int       `json:"port"`
	Local         string    `json:"local"`
	Remote        string    `json:"remote"`
	RemoteIP      string    `json:"remote_ip"`
	Host          string    `json:"host,omitempty"`
	SNI           string    `json:"sni,omitempty"`
	XForwardedFor string    `json:"x_forwarded_for,omitempty"`
	TLSVersion    string    `json:"tls_version,omitempty"`
	ALPN          string    `json:"alpn,omitempty"`
	ClientCert    *CertInfo `json:"client_cert,omitempty"`
	Method        string    `json:"method,omitempty"`
	Path          string    `json:"path,omitempty"`
	// CertSHA256 is the SHA-256 fingerprint (hex) of the leaf certificate the mock serves on
	// this listener: a prober that was presented another one met a TLS interceptor.
	CertSHA256 string `json:"cert_sha256,omitempty"`
	// Guard is set when the listener is a guard: the table denies this port to every source
	// that reached it, so an answer means a denied path is open.
	Guard bool `json:"guard,omitempty"`
	// Listening lists what the member listens on, as "tcp/444" and "udp/443" (the JSON document
	// only): a prober that learnt it knows a refused or filtered deny row toward one of these
	// ports was denied by the path, not by a host with nothing listening.
	Listening []string `json:"listening,omitempty"`
}

// CertInfo names a peer certificate and whether it verified against the listener's trust.
type CertInfo struct {
	Subject  string `json:"subject"`
	Issuer   string `json:"issuer"`
	Serial   string `json:"serial"`
	Verified bool   `json:"verified"`
	// SHA256 is the certificate's SHA-256 fingerprint (hex).
	SHA256 string `json:"sha256,omitempty"`
}

// ServiceName is the value of Identity.Service and the mark a prober looks for.
const ServiceName = "mockdirector"

// WellKnownPath answers the Identity as JSON on every HTTP(S) listener.
const WellKnownPath = "/.well-known/mockdirector"

// SourceIP is the address part of Remote (Remote itself when it has no port).
func (id *Identity) SourceIP() string {
	if id.RemoteIP != "" {
		return id.RemoteIP
	}
	return HostOnly(id.Remote)
}

// HostOnly is the host of host:port (addr itself when it has no port).
func HostOnly(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

// Summary is the identity as "key: value" lines, for plain-text answers.
func (id *Identity) Summary() string {
	var b strings.Builder
	for _, kv := range [][2]string{
		{"service", id.Service}, {"role", id.Role}, {"member", id.Member}, {"pool", id.Pool},
		{"listener", id.Listener}, {"source", id.Remote}, {"host", id.Host}, {"sni", id.SNI},
		{"x-forwarded-for", id.XForwardedFor}, {"tls", id.TLSVersion},
	} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
		}
	}
	return b.String()
}

// ListenKey is how Identity.Listening names a port: "tcp/444", "udp/443".
func ListenKey(t Transport, port int) string { return string(t) + "/" + strconv.Itoa(port) }

// Listens reports whether the identity lists the port among what its member listens on.
func (id *Identity) Listens(t Transport, port int) bool {
	if id == nil {
		return false
	}
	return slices.Contains(id.Listening, ListenKey(t, port))
}
