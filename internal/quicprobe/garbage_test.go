package quicprobe_test

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"runtime"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/listeners"
	"github.com/mockdirector/mockdirector/internal/quicprobe"
	"github.com/mockdirector/mockdirector/internal/wire"
)

// garbageCorpus is datagrams a UDP responder must shrug off: empty, random, and ones that look
// like QUIC (long headers with known and unknown versions, absurd lengths, a padded Initial with
// a random payload, short headers for connections that do not exist).
func garbageCorpus(r *rand.Rand, n int) [][]byte {
	fixed := [][]byte{
		{}, {0x00}, {0xff}, {0xc0}, {0x40},
		[]byte("GET / HTTP/1.1\r\n\r\n"),
		[]byte("OPTIONS sip:dir-pool.contoso.local SIP/2.0\r\n\r\n"),
	}
	longHeader := func(version uint32, size int) []byte {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		b[0] = 0xc0 | b[0]&0x3f
		binary.BigEndian.PutUint32(b[1:5], version)
		if size > 5 {
			b[5] = byte(r.IntN(21)) // DCID length, sometimes over 20
		}
		return b
	}
	for _, v := range []uint32{0x00000001, 0x6b3343cf, 0x00000000, 0xff00001d, 0x1a2a3a4a} {
		fixed = append(fixed, longHeader(v, 1200), longHeader(v, 1500), longHeader(v, 30), longHeader(v, 6))
	}
	out := fixed
	for range n {
		size := r.IntN(1500)
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if size > 0 && r.IntN(3) == 0 {
			b[0] = 0x40 | b[0]&0x3f // short header
		}
		out = append(out, b)
	}
	return out
}

// goroutines settles and counts goroutines.
func goroutines() int {
	runtime.GC()
	return runtime.NumGoroutine()
}

var _ = Describe("UDP responders under garbage", Label("udp-quic", "garbage"), func() {
	for _, tc := range []struct {
		name string
		spec listeners.Spec
		alpn string
	}{
		{"the udp-quic responder", listeners.Spec{Name: "udp-quic-50000", Protocol: wire.ProtoUDPQUIC, Port: 50000, Addr: "127.0.60.4:0"}, listeners.QUICALPN},
		{"an HTTPS listener with HTTP/3", listeners.Spec{Name: "https-443", Protocol: "https", Port: 443, Addr: "127.0.60.4:0", HTTP3: true, Profile: "modern"}, "h3"},
	} {
		It("survives "+tc.name+": still handshakes after the corpus, and leaves no goroutine behind when closed", func() {
			base := goroutines()
			rec := &events{}
			spec := tc.spec
			spec.Role, spec.Member, spec.Pool = "director", member, poolFQDN
			l, err := listeners.New(spec, listeners.Env{TLS: serverID, Journal: rec})
			Expect(err).NotTo(HaveOccurred())
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- l.Serve(ctx) }()

			target := l.Addr().String()
			senders := make([]net.Conn, 4)
			for i := range senders {
				senders[i], err = net.Dial("udp", target)
				Expect(err).NotTo(HaveOccurred())
			}
			r := rand.New(rand.NewPCG(7, uint64(GinkgoRandomSeed())))
			corpus := garbageCorpus(r, 3000)
			for i, d := range corpus {
				senders[i%len(senders)].Write(d) // errors are fine: a send may fail, the server must not
				if i%200 == 0 {
					time.Sleep(time.Millisecond) // let the socket drain; a full buffer only drops
				}
			}
			for _, s := range senders {
				s.Close()
			}

			conf := clientTLS()
			conf.NextProtos = []string{tc.alpn}
			hctx, hcancel := context.WithTimeout(context.Background(), 3*time.Second)
			out := quicprobe.Handshake(hctx, target, "", conf)
			hcancel()
			Expect(out.State).To(Equal(wire.StateOpen), out.Reason)
			GinkgoWriter.Printf("%s: %d garbage datagrams, then %+v; %d events journaled\n", tc.name, len(corpus), out.State, len(rec.List()))

			cancel()
			Eventually(done).WithTimeout(15 * time.Second).Should(Receive(BeNil()))
			Eventually(goroutines).WithTimeout(10*time.Second).WithPolling(100*time.Millisecond).
				Should(BeNumerically("<=", base), "goroutines left behind after Close")
		})
	}
})

// udpEcho answers every datagram with itself until the spec ends; it returns its address.
func udpEcho(addr string) string {
	GinkgoHelper()
	pc, err := net.ListenPacket("udp", addr)
	Expect(err).NotTo(HaveOccurred())
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	DeferCleanup(pc.Close)
	return pc.LocalAddr().String()
}
