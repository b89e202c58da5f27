package quicprobe_test

import (
	"context"
	"crypto/tls"
	"math/rand/v2"
	"net"
	"os"
	"testing"
	"time"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/quicprobe"
	"github.com/mockdirector/mockdirector/internal/wire"
	"github.com/mockdirector/mockdirector/topology"
)

// startFuzzTarget starts a live udp-quic responder (127.0.60.5, ephemeral port) for the whole
// fuzz target and returns its address and a client configuration that trusts it.
func startFuzzTarget(f *testing.F) (string, *tls.Config) {
	dir := f.TempDir()
	if _, err := certs.Ensure(topology.Default(), certs.Options{Dir: dir}); err != nil {
		f.Fatal(err)
	}
	id, err := certs.LoadFromDir(dir, member)
	if err != nil {
		f.Fatal(err)
	}
	probe, err := certs.LoadFromDir(dir, certs.ProbeName)
	if err != nil {
		f.Fatal(err)
	}
	l, err := listeners.New(listeners.Spec{Role: "director", Member: member, Pool: poolFQDN, Name: "udp-quic-50000",
		Protocol: wire.ProtoUDPQUIC, Port: 50000, Addr: "127.0.60.5:0"}, listeners.Env{TLS: id})
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	f.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			f.Error(err)
		}
	})
	return l.Addr().String(), probe.ClientConfig(poolFQDN)
}

// FuzzUDPResponder sends each input as a datagram to a live udp-quic responder; the responder
// must neither crash nor stop answering a real handshake afterwards. Run it with
//
//	go test ./quicprobe/ -run '^$' -fuzz FuzzUDPResponder -fuzztime 60s
//
// Without -fuzz the seed corpus below runs as a plain test.
func FuzzUDPResponder(f *testing.F) {
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	for _, d := range garbageCorpus(rand.New(rand.NewPCG(1, 2)), 20) {
		f.Add(d)
	}
	target, conf := startFuzzTarget(f)
	n := 0
	f.Fuzz(func(t *testing.T, datagram []byte) {
		c, err := net.Dial("udp", target)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(datagram)
		c.Close()
		n++
		if n%20 != 1 { // a handshake every 20 inputs keeps the fuzzer fast
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if out := quicprobe.Handshake(ctx, target, "", conf); out.State != wire.StateOpen {
			t.Fatalf("after a %d-byte datagram the responder no longer handshakes: %s (%s)", len(datagram), out.State, out.Reason)
		}
	})
}
