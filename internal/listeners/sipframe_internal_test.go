package listeners

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The framer reads header lines without making strings of them; the verdicts, the echoed
// headers and the framing state are what the framer that made a string of every line gave
// (kept below as feedOld/endLineOld), for streams of ordinary, odd-case, Unicode, folded,
// colon-less, long and duplicate-Content-Length headers cut into random reads.
func TestSIPFramerMatchesStringFramer(t *testing.T) {
	names := []string{"Via", "v", "VIA", "From", "f", "To", "t", "Call-ID", "i", "CSeq", "cseq", "c\u017fseq", "\u0130", "Content-Length",
		"CONTENT-LENGTH", "l", " l ", "Max-Forwards", "X-Long", "K\u212a", "Contact", ""}
	values := []string{"0", "5", "-1", "x", " 3 ", "SIP/2.0/TLS 198.51.100.20:5061;branch=z9hG4bK1", "<sip:a@b>;tag=1", "", strings.Repeat("a", 1100)}
	starts := []string{"OPTIONS sip:dir01.contoso.local:5061;transport=tls SIP/2.0", "INVITE sip:a SIP/2.0", "SIP/2.0 200 OK", "GET / HTTP/1.1", "B@D sip:a SIP/2.0", strings.Repeat("O", 1100)}
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		var b bytes.Buffer
		for range 1 + r.IntN(3) {
			b.WriteString(starts[r.IntN(len(starts))] + "\r\n")
			for range r.IntN(8) {
				switch r.IntN(10) {
				case 0:
					b.WriteString(" folded\r\n")
				case 1:
					b.WriteString("no colon here\r\n")
				default:
					b.WriteString(names[r.IntN(len(names))] + ":" + values[r.IntN(len(values))] + "\r\n")
				}
			}
			if r.IntN(4) > 0 {
				b.WriteString("Content-Length: " + strconv.Itoa(r.IntN(3)) + "\r\n")
			}
			b.WriteString("\r\nab")
		}
		data := b.Bytes()
		cut := r.IntN(len(data) + 1)
		nw, ol := &sipFramer{}, &sipFramer{}
		sw, badNew := nw.feed(data[:cut])
		so, badOld := ol.feedOld(data[:cut])
		if badNew == nil && badOld == nil {
			sw, badNew = nw.feed(data[cut:])
			so, badOld = ol.feedOld(data[cut:])
		}
		if sw != so || fmt.Sprint(badNew) != fmt.Sprint(badOld) || nw.state != ol.state || nw.method != ol.method || nw.cl != ol.cl ||
			nw.clSeen != ol.clSeen || nw.hdrCount != ol.hdrCount || nw.bodyLeft != ol.bodyLeft || !reflect.DeepEqual(nw.echo(), ol.echo()) {
			t.Fatalf("stream %q cut at %d:\n new %d %v %+v\n old %d %v %+v", data, cut, sw, badNew, nw, so, badOld, ol)
		}
	}
}

func (f *sipFramer) feedOld(data []byte) (start int, bad *sipMalformed) {
	msgStart := 0
	i := 0
	for i < len(data) {
		switch f.state {
		case frameIdle:
			if data[i] == '\r' || data[i] == '\n' {
				i++
				continue
			}
			f.begin()
			msgStart = i
		case frameBody:
			n := min(f.bodyLeft, len(data)-i)
			i += n
			if f.bodyLeft -= n; f.bodyLeft == 0 {
				f.idle()
			}
		case frameHeaders:
			j := bytes.IndexByte(data[i:], '\n')
			chunk := data[i:]
			if j >= 0 {
				chunk = data[i : i+j+1]
			}
			if room := sipKeepLine - len(f.line); room > 0 {
				f.line = append(f.line, chunk[:min(room, len(chunk))]...)
			}
			f.lineLen += len(chunk)
			i += len(chunk)
			if f.hdrBytes+f.lineLen > SIPMaxMessage {
				return msgStart, f.refuse(fmt.Sprintf("headers over %d bytes", SIPMaxMessage))
			}
			if j < 0 {
				continue // the line goes on in the next read
			}
			f.hdrBytes += f.lineLen
			long := f.lineLen > sipKeepLine // only its length matters: a long header is not read
			line := strings.TrimRight(string(f.line), "\r\n")
			f.line, f.lineLen = f.line[:0], 0
			if bad := f.endLineOld(line, long); bad != nil {
				return msgStart, bad
			}
		}
	}
	return len(data), nil
}

func (f *sipFramer) endLineOld(line string, long bool) *sipMalformed {
	f.lineNo++
	if f.lineNo == 1 {
		if long {
			return f.refuse(fmt.Sprintf("start line over %d bytes: %s", sipKeepLine, escapePrefix(line, 40)))
		}
		if why := checkStartLine(line, f); why != "" {
			return f.refuse(why)
		}
		return nil
	}
	if line == "" {
		return f.endHeaders()
	}
	if f.hdrCount++; f.hdrCount > SIPMaxHeaders {
		return f.refuse(fmt.Sprintf("more than %d header lines", SIPMaxHeaders))
	}
	if long {
		return nil // counted in the size; not read
	}
	if line[0] == ' ' || line[0] == '\t' {
		return nil // a folded continuation of the previous header
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return f.refuse("header line without a colon: " + escapePrefix(line, 40))
	}
	name = strings.ToLower(strings.TrimSpace(name))
	value = strings.TrimSpace(value)
	switch {
	case name == "content-length" || name == "l":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return f.refuse("Content-Length " + escapePrefix(value, 20) + " is not a number")
		}
		if f.clSeen && n != f.cl {
			return f.refuse("two different Content-Length values")
		}
		f.clSeen, f.cl = true, n
	case echoHeaders[name]:
		f.addEcho([]byte(line))
	}
	return nil
}

// BenchmarkSIPFramerOld is BenchmarkSIPFramer with the framer that made a string of every line.
func BenchmarkSIPFramerOld(b *testing.B) {
	f, data := &sipFramer{}, []byte(benchOptions)
	b.ReportAllocs()
	for b.Loop() {
		if _, bad := f.feedOld(data); bad != nil {
			b.Fatal(bad.reason)
		}
	}
}
