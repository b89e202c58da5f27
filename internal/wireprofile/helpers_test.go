package wireprofile_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/mockdirector/mockdirector/internal/wireprofile"
	. "github.com/onsi/ginkgo/v2"
)

// testCert is an RSA 2048 server certificate for dir01.contoso.test and 127.0.0.1, self-signed,
// made once: what the Lync profiles expect (RSA, SHA-256).
var testCert = func() tls.Certificate {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "dir01.contoso.test"},
		DNSNames:     []string{"dir01.contoso.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}()

// exampleServer is the tiny HTTPS server of these tests: the profile on top of a certificate
// config, as a listener would build it, answering every path with the profile's Server header.
type exampleServer struct {
	Addr string
	srv  *http.Server
}

func startExampleServer(p wireprofile.Profile) (*exampleServer, error) {
	base := &tls.Config{Certificates: []tls.Certificate{testCert}, NextProtos: []string{"h2", "http/1.1"}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Server", p.HTTPServer)
			_, _ = w.Write([]byte("ok " + r.Proto + "\n"))
		}),
		ReadHeaderTimeout: 5 * time.Second,
		// Scanners end handshakes on purpose; net/http would log each one.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	tl := tls.NewListener(ln, p.ServerTLS(base))
	go func() {
		if err := srv.Serve(tl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			GinkgoWriter.Printf("example server %s: %v\n", p.Name, err)
		}
	}()
	return &exampleServer{Addr: ln.Addr().String(), srv: srv}, nil
}

func (s *exampleServer) Close() { _ = s.srv.Close() }

// needTool skips a spec when a real peer is not installed, except in CI (CI=true), where a missing
// peer fails: .ci/run installs every tool these specs use, so a skip there would hide a broken
// set-up.
func needTool(name string) string {
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s is not installed (apt-get install %s; .ci/run installs it)", name, debPackage(name))
	if os.Getenv("CI") == "true" {
		Fail("CI=true: " + msg)
	}
	Skip(msg)
	return ""
}

func debPackage(tool string) string {
	switch tool {
	case "testssl":
		return "testssl.sh"
	case "openssl", "curl", "nmap":
		return tool
	}
	return tool
}

// handshake runs a Go client against addr with cfg and returns what was negotiated.
func handshake(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	return conn.ConnectionState(), nil
}

// runTool runs a real peer with a deadline and returns its combined output.
func runTool(timeout time.Duration, stdin string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("%s %s: timed out after %s", name, strings.Join(args, " "), timeout)
	}
	return string(out), err
}
