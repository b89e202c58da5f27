// Command idleconns opens -n mutual-TLS connections to a listener (handshake done, then idle),
// spread over -sources loopback source addresses so a per-source cap is not what is measured,
// prints "open N" once they are all up, holds them until stdin closes or -hold passes, and
// closes them.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "", "host:port of the MTLS listener")
	cert := flag.String("cert", "", "client PEM certificate")
	key := flag.String("key", "", "client PEM key")
	ca := flag.String("ca", "", "PEM CA the server certificate chains to")
	name := flag.String("servername", "dir-pool.contoso.local", "TLS server name")
	n := flag.Int("n", 10000, "connections")
	sources := flag.String("sources", "127.0.32.1", "first loopback source address (the next ones follow)")
	nsrc := flag.Int("nsources", 20, "source addresses")
	hold := flag.Duration("hold", 30*time.Second, "how long to hold them at most")
	flag.Parse()
	if err := run(*addr, *cert, *key, *ca, *name, *n, *sources, *nsrc, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "idleconns:", err)
		os.Exit(1)
	}
}

func run(addr, certFile, keyFile, caFile, name string, n int, first string, nsrc int, hold time.Duration) error {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	conf := &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, ServerName: name}
	src, err := netip.ParseAddr(first)
	if err != nil {
		return err
	}
	var srcs []net.Addr
	for range nsrc {
		srcs = append(srcs, &net.TCPAddr{IP: src.AsSlice()})
		src = src.Next()
	}
	conns := make([]*tls.Conn, n)
	var failed atomic.Int64
	var firstErr atomic.Value
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d := &net.Dialer{LocalAddr: srcs[i%len(srcs)], Timeout: 10 * time.Second}
			c, err := tls.DialWithDialer(d, "tcp", addr, conf)
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	fmt.Printf("open %d failed %d\n", int64(n)-failed.Load(), failed.Load())
	if e := firstErr.Load(); e != nil {
		fmt.Fprintln(os.Stderr, "idleconns: first failure:", e)
	}
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-time.After(hold):
	}
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	fmt.Println("closed")
	return nil
}
