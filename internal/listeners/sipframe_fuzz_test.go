package listeners

import (
	"testing"
)

// FuzzSIPFramer runs arbitrary bytes through the SIP framer whole and cut in two at every
// point the fuzzer picks. TCP may deliver a stream in any pieces, so the verdict must not
// depend on where the reads fell: the same refusal (or none), the same message boundary state.
// The framer must also keep no more than one short line of any stream.
func FuzzSIPFramer(f *testing.F) {
	opts := "OPTIONS sip:dir01.contoso.local:5061;transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS 198.51.100.20:5061;branch=z9hG4bK1\r\n" +
		"From: <sip:edge01@contoso.local>;tag=1\r\nTo: <sip:dir01.contoso.local>\r\nCall-ID: a1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	f.Add([]byte(opts), uint16(10))
	f.Add([]byte("\r\n\r\n"+opts+opts), uint16(200))
	f.Add([]byte("INVITE sip:a SIP/2.0\r\nl: 4\r\nContent-Length: 5\r\n\r\nbody"), uint16(30))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), uint16(3))
	f.Add([]byte("SIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok"), uint16(17))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		k := int(cut) % (len(data) + 1)
		whole := &sipFramer{}
		_, badWhole := whole.feed(data)
		split := &sipFramer{}
		_, badSplit := split.feed(data[:k])
		if badSplit == nil {
			_, badSplit = split.feed(data[k:])
		}
		if (badWhole == nil) != (badSplit == nil) || (badWhole != nil && badWhole.reason != badSplit.reason) {
			t.Fatalf("the verdict depends on where the read fell (cut at %d of %d):\n whole %v\n split %v", k, len(data), badWhole, badSplit)
		}
		if badWhole == nil && (whole.state != split.state || whole.bodyLeft != split.bodyLeft || whole.hdrCount != split.hdrCount || whole.method != split.method) {
			t.Fatalf("the framing state depends on where the read fell (cut at %d): whole %+v, split %+v", k, whole, split)
		}
		for _, fr := range []*sipFramer{whole, split} {
			if len(fr.line) > sipKeepLine || len(fr.echoEnd) > 16 {
				t.Fatalf("the framer keeps %d bytes of a line and %d echo headers (limits %d and 16)", len(fr.line), len(fr.echoEnd), sipKeepLine)
			}
		}
	})
}
