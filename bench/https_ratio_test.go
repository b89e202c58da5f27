package bench

import (
	"github.com/mockdirector/mockdirector/journal"
	"net/http"
	"sync"
	"testing"
	"time"
)

// ratioWorkers is the number of concurrent keep-alive clients in BenchmarkHTTPSRatio, the same
// for both servers.
const ratioWorkers = 8

// BenchmarkHTTPSRatio is BenchmarkHTTPS made robust to a shared, busy machine: it alternates
// chunks of the same parallel load between the bare server and the mock listener, so both see
// the same background load, and reports bare-ns/req, mock-ns/req and mock/bare (throughput of
// the mock as a fraction of bare Go's; the target is >= 0.9).
func BenchmarkHTTPSRatio(b *testing.B) {
	fx := newFixture(b)
	bare := startBare(b, fx)
	mockFile, w := startMock(b, fx)
	// The same listener without a journal shows what the journal costs.
	mockDiscard := startMockWith(b, fx, journal.Discard)
	for _, proto := range []struct {
		name string
		h2   bool
		mock string
	}{{"h1", false, mockFile}, {"h2", true, mockFile}, {"h1-nojournal", false, mockDiscard}} {
		b.Run(proto.name, func(b *testing.B) {
			mock := proto.mock
			clBare, clMock := client(fx, proto.h2), client(fx, proto.h2)
			for range ratioWorkers {
				get(b, clBare, bare)
				get(b, clMock, mock)
			}
			before := w.Lines()
			var tBare, tMock time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(b.N-done, 1000)
				tBare += chunk(b, clBare, bare, n)
				tMock += chunk(b, clMock, mock, n)
				done += n
			}
			b.StopTimer()
			if got := w.Lines() - before; mock == mockFile && got < int64(b.N) {
				b.Fatalf("journal has %d lines for %d requests", got, b.N)
			}
			b.ReportMetric(float64(tBare.Nanoseconds())/float64(b.N), "bare-ns/req")
			b.ReportMetric(float64(tMock.Nanoseconds())/float64(b.N), "mock-ns/req")
			b.ReportMetric(float64(tBare)/float64(tMock), "mock/bare")
		})
	}
}

// chunk sends n GETs from ratioWorkers goroutines and returns the wall time.
func chunk(b *testing.B, cl *http.Client, url string, n int) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	per := n / ratioWorkers
	for i := range ratioWorkers {
		k := per
		if i == 0 {
			k += n % ratioWorkers
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range k {
				get(b, cl, url)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}
