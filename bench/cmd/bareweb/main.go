// Command bareweb is the bare Go net/http TLS server the bench scripts load beside the mock: the
// same certificate, and the same answer (headers and body copied once from the mock's URL at
// start), so a ratio compares what the mock does per request, not the size of its answer.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/mockdirector/mockdirector/bench/cmd/internal/baretls"
	"github.com/mockdirector/mockdirector/bench/cmd/internal/cpuprof"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	cert := flag.String("cert", "", "PEM certificate chain")
	key := flag.String("key", "", "PEM private key")
	like := flag.String("like", "", "URL whose answer (headers and body) is served to every request")
	tf := baretls.Register(flag.CommandLine)
	hardened := flag.Bool("timeouts", false, "net/http's timeouts as the mock sets them (ReadHeaderTimeout 30 s, IdleTimeout 1800 s): their per-request cost apart from the mock's own")
	cpu := flag.String("cpuprofile", "", "CPU profile written from ready until SIGTERM (to set beside the mock's, bench/cmd/mockprof)")
	flag.Parse()
	if err := cpuprof.UntilSignal(*cpu); err != nil {
		fmt.Fprintln(os.Stderr, "bareweb:", err)
		os.Exit(1)
	}
	if err := run(*addr, *cert, *key, *like, tf, *hardened); err != nil {
		fmt.Fprintln(os.Stderr, "bareweb:", err)
		os.Exit(1)
	}
}

func run(addr, certFile, keyFile, like string, tf baretls.Flags, timeouts bool) error {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := cl.Get(like)
	if err != nil {
		return fmt.Errorf("copy the answer of %s: %w", like, err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	headers := res.Header.Clone()
	headers.Del("Date")
	headers.Del("Content-Length")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	conf := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"}}
	if err := tf.Apply(conf); err != nil {
		return err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hd := w.Header()
			for k, v := range headers {
				hd[k] = v
			}
			w.WriteHeader(res.StatusCode)
			w.Write(body)
		}),
		TLSConfig: conf,
	}
	if timeouts {
		srv.ReadHeaderTimeout, srv.IdleTimeout = 30*time.Second, 1800*time.Second
	}
	if len(conf.CipherSuites) == 1 {
		// Held to one TLS 1.2 suite (the mock's default profile, IIS 8.5, which has no
		// HTTP/2): HTTP/1.1 only, as the mock; HTTP/2 would refuse a CBC suite anyway.
		conf.NextProtos = []string{"http/1.1"}
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	log.Printf("bareweb: serving %d-byte answers of %s on https://%s, %s", len(body), like, ln.Addr(), baretls.Describe(conf))
	fmt.Println("ready", ln.Addr())
	return srv.ServeTLS(ln, "", "")
}
