// Command sipload is the SIP load client of the bench scripts: -conns connections over mutual
// TLS, each sending OPTIONS and reading the answer in turn for -duration, then one line of
// figures. No Debian tool does SIP over TLS with a client certificate at load.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net/textproto"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "", "host:port of the SIP/MTLS listener")
	cert := flag.String("cert", "", "client PEM certificate")
	key := flag.String("key", "", "client PEM key")
	ca := flag.String("ca", "", "PEM CA the server certificate chains to")
	name := flag.String("servername", "dir-pool.contoso.local", "TLS server name")
	conns := flag.Int("conns", 32, "connections")
	dur := flag.Duration("duration", 10*time.Second, "how long to load")
	flag.Parse()
	if err := run(*addr, *cert, *key, *ca, *name, *conns, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "sipload:", err)
		os.Exit(1)
	}
}

func run(addr, certFile, keyFile, caFile, name string, conns int, dur time.Duration) error {
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
	var wg sync.WaitGroup
	lat := make([][]time.Duration, conns)
	errs := make([]error, conns)
	var start time.Time
	ready := make(chan struct{})
	// negotiated is what the first connection's handshake chose, so the script can check that
	// the mock and the bare peer are compared on the same TLS.
	var negotiated sync.Once
	tlsName := "none"
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := tls.Dial("tcp", addr, conf)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			negotiated.Do(func() {
				st := c.ConnectionState()
				tlsName = strings.ReplaceAll(tls.VersionName(st.Version), " ", "") + "/" + tls.CipherSuiteName(st.CipherSuite)
			})
			<-ready
			r := textproto.NewReader(bufio.NewReader(c))
			local := c.LocalAddr().String()
			for n := 0; time.Since(start) < dur; n++ {
				t0 := time.Now()
				id := fmt.Sprintf("load-%d-%d", i, n)
				fmt.Fprintf(c, "OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/TLS %s;branch=z9hG4bK%s\r\n"+
					"From: <sip:load@contoso.com>;tag=%d\r\nTo: <sip:%s>\r\nCall-ID: %s\r\nCSeq: %d OPTIONS\r\n"+
					"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", name, local, id, i, name, id, n+1)
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				status, err := r.ReadLine()
				if err != nil {
					errs[i] = err
					return
				}
				h, err := r.ReadMIMEHeader()
				if err != nil {
					errs[i] = err
					return
				}
				if cl, _ := strconv.Atoi(h.Get("Content-Length")); cl > 0 {
					if _, err := r.R.Discard(cl); err != nil {
						errs[i] = err
						return
					}
				}
				if !strings.HasPrefix(status, "SIP/2.0 200") {
					errs[i] = fmt.Errorf("answer %q", status)
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	time.Sleep(500 * time.Millisecond) // the handshakes stay out of the figure
	start = time.Now()
	close(ready)
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	failed := 0
	for i := range conns {
		all = append(all, lat[i]...)
		if errs[i] != nil {
			failed++
			fmt.Fprintf(os.Stderr, "sipload: connection %d: %v\n", i, errs[i])
		}
	}
	if len(all) == 0 {
		return fmt.Errorf("no answer from %s", addr)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	fmt.Printf("requests=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f failed_conns=%d tls=%s\n", len(all),
		float64(len(all))/elapsed.Seconds(), ms(all[len(all)/2]), ms(all[len(all)*99/100]), failed, tlsName)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
