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
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	cert := flag.String("cert", "", "PEM certificate chain")
	key := flag.String("key", "", "PEM private key")
	like := flag.String("like", "", "URL whose answer (headers and body) is served to every request")
	flag.Parse()
	if err := run(*addr, *cert, *key, *like); err != nil {
		fmt.Fprintln(os.Stderr, "bareweb:", err)
		os.Exit(1)
	}
}

func run(addr, certFile, keyFile, like string) error {
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
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hd := w.Header()
			for k, v := range headers {
				hd[k] = v
			}
			w.WriteHeader(res.StatusCode)
			w.Write(body)
		}),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"h2", "http/1.1"}},
	}
	log.Printf("bareweb: serving %d-byte answers of %s on https://%s", len(body), like, ln.Addr())
	fmt.Println("ready", ln.Addr())
	return srv.ServeTLS(ln, "", "")
}
