package bench_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/topology"
)

// BenchmarkH3VsH2 sends GET /.well-known/mockdirector to one HTTPS listener with HTTP/3 on
// (127.0.60.6, ephemeral port): over HTTP/2 on TLS (TCP) and over HTTP/3 (QUIC, same port), one
// reused connection each, serially and in parallel, and logs the h3/h2 ratio of ns/op:
//
//	go test ./bench/ -run '^$' -bench H3VsH2 -benchtime 2s
func BenchmarkH3VsH2(b *testing.B) {
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	dir := b.TempDir()
	if _, err := certs.Ensure(topology.Default(), certs.Options{Dir: dir}); err != nil {
		b.Fatal(err)
	}
	server, err := certs.LoadFromDir(dir, "dir01.contoso.local")
	if err != nil {
		b.Fatal(err)
	}
	probe, err := certs.LoadFromDir(dir, certs.ProbeName)
	if err != nil {
		b.Fatal(err)
	}
	l, err := listeners.New(listeners.Spec{Role: "director", Member: "dir01.contoso.local", Pool: "dir-pool.contoso.local",
		Name: "https-443", Protocol: "https", Port: 443, Addr: "127.0.60.6:0", HTTP3: true, Profile: "modern"}, listeners.Env{TLS: server})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	b.Cleanup(func() {
		cancel()
		<-done
	})
	url := fmt.Sprintf("https://%s%s", l.Addr(), wire.WellKnownPath)

	h2 := &http.Transport{TLSClientConfig: probe.ClientConfig("dir-pool.contoso.local"), ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 1}
	h3 := &http3.Transport{TLSClientConfig: probe.ClientConfig("dir-pool.contoso.local")}
	b.Cleanup(func() {
		h2.CloseIdleConnections()
		h3.Close()
	})
	clients := []struct {
		name  string
		rt    http.RoundTripper
		proto string
	}{{"h2-tls", h2, "HTTP/2.0"}, {"h3", h3, "HTTP/3.0"}}

	var mu sync.Mutex
	nsop := map[string]float64{}
	for _, mode := range []string{"serial", "parallel"} {
		for _, c := range clients {
			b.Run(mode+"/"+c.name, func(b *testing.B) {
				client := &http.Client{Transport: c.rt, Timeout: 10 * time.Second}
				if err := h3Get(client, url, c.proto); err != nil { // connect outside the timing
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				if mode == "serial" {
					for range b.N {
						if err := h3Get(client, url, c.proto); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := h3Get(client, url, c.proto); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				mu.Lock()
				nsop[mode+"/"+c.name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				mu.Unlock()
			})
		}
		if h2ns, h3ns := nsop[mode+"/h2-tls"], nsop[mode+"/h3"]; h2ns > 0 && h3ns > 0 {
			fmt.Printf("BenchmarkH3VsH2/%s: h2-tls %.0f ns/op, h3 %.0f ns/op, h3/h2 = %.2f\n", mode, h2ns, h3ns, h3ns/h2ns)
		}
	}
}

func h3Get(c *http.Client, url, proto string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || resp.Proto != proto {
		return fmt.Errorf("GET %s: %s over %s, want 200 over %s", url, resp.Status, resp.Proto, proto)
	}
	return nil
}
