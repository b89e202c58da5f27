package listeners

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// SIP framing limits. The mock frames the stream itself before sipgo parses it, so a request
// sipgo would refuse silently (it logs the raw bytes and drops the connection) is answered with a
// SIP 400 that says why and journaled as malformed.
const (
	// SIPMaxMessage is the largest SIP message (headers and body) the mock accepts: sipgo's
	// parser limit (ParseMaxMessageLength).
	SIPMaxMessage = 65535
	// SIPMaxHeaders is the most header lines a SIP message may have. A Lync message has 20-40.
	SIPMaxHeaders = 256
	// sipKeepLine is how much of a header line the framer keeps to read it (start line,
	// Content-Length, and the headers a 400 echoes); longer lines are counted, not kept.
	sipKeepLine = 1024
)

type frameState uint8

const (
	frameIdle    frameState = iota // between messages (CRLF keep-alives are skipped)
	frameHeaders                   // in the start line or the headers
	frameBody                      // in the body (bodyLeft bytes to go)
)

// sipMalformed is a message the framer refuses: the reason goes into the 400's reason phrase
// and the journal.
type sipMalformed struct {
	reason string
}

// sipFramer follows the message boundaries of a SIP stream (RFC 3261 7.5, 18.3) and checks what
// sipgo would otherwise choke on: the start line, the size of the headers, the number of header
// lines and Content-Length. It keeps at most one partial line (sipKeepLine bytes) and the few
// headers a 400 answer echoes, so an idle connection costs nothing beyond the struct.
type sipFramer struct {
	state    frameState
	hdrBytes int // bytes of the current message's start line and headers so far
	hdrCount int
	bodyLeft int
	line     []byte // the current line's first sipKeepLine bytes
	lineLen  int    // the current line's full length so far
	lineNo   int
	clSeen   bool
	cl       int
	// method, callID ... are the current (or last) message's, for the journal and the 400.
	method string
	// echoBuf holds the Via, From, To, Call-ID and CSeq lines as they came, one after the
	// other, echoEnd where each ends: no string is made of them unless a 400 needs them.
	echoBuf []byte
	echoEnd []int
}

// echoHeaders are the headers a response copies from the request (RFC 3261 8.2.6.2), long
// and compact forms.
var echoHeaders = map[string]bool{"via": true, "v": true, "from": true, "f": true, "to": true, "t": true, "call-id": true, "i": true, "cseq": true}

// feed runs data through the framer. It returns how many bytes of data belong to messages that
// are fine so far: on a refusal, start is where the refused message began in data (0 when it
// began in an earlier read).
func (f *sipFramer) feed(data []byte) (start int, bad *sipMalformed) {
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
			long := f.lineLen > sipKeepLine         // only its length matters: a long header is not read
			line := bytes.TrimRight(f.line, "\r\n") // read before the next line overwrites it
			f.line, f.lineLen = f.line[:0], 0
			if bad := f.endLine(line, long); bad != nil {
				return msgStart, bad
			}
		}
	}
	return len(data), nil
}

// begin starts a message.
func (f *sipFramer) begin() {
	f.state, f.hdrBytes, f.hdrCount, f.lineNo = frameHeaders, 0, 0, 0
	f.clSeen, f.cl, f.method, f.echoBuf, f.echoEnd = false, 0, "", f.echoBuf[:0], f.echoEnd[:0]
}

func (f *sipFramer) refuse(reason string) *sipMalformed {
	f.state = frameIdle
	return &sipMalformed{reason: reason}
}

// endLine takes one whole line of the start line or the headers, without its CRLF (long: it
// was longer than sipKeepLine, and line holds only its start). line is the framer's buffer:
// only the start line and the headers kept for a 400 become strings (a request's other header
// lines cost no allocation).
func (f *sipFramer) endLine(line []byte, long bool) *sipMalformed {
	f.lineNo++
	if f.lineNo == 1 {
		if long {
			return f.refuse(fmt.Sprintf("start line over %d bytes: %s", sipKeepLine, escapePrefix(string(line), 40)))
		}
		if why := checkStartLine(string(line), f); why != "" {
			return f.refuse(why)
		}
		return nil
	}
	if len(line) == 0 {
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
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return f.refuse("header line without a colon: " + escapePrefix(string(line), 40))
	}
	var buf [16]byte
	key := lowerName(buf[:0], bytes.TrimSpace(name))
	switch {
	case string(key) == "content-length" || string(key) == "l":
		v := string(bytes.TrimSpace(value))
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f.refuse("Content-Length " + escapePrefix(v, 20) + " is not a number")
		}
		if f.clSeen && n != f.cl {
			return f.refuse("two different Content-Length values")
		}
		f.clSeen, f.cl = true, n
	case echoHeaders[string(key)]:
		f.addEcho(line)
	}
	return nil
}

// lowerName is a header name in lower case, as strings.ToLower writes it, appended to b (a
// short stack buffer: an ASCII name costs no allocation).
func lowerName(b, name []byte) []byte {
	for _, c := range name {
		if c >= 0x80 {
			return []byte(strings.ToLower(string(name))) // Unicode case mapping, rare
		}
	}
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// endHeaders takes the empty line that ends the headers.
func (f *sipFramer) endHeaders() *sipMalformed {
	if !f.clSeen {
		return f.refuse("no Content-Length (RFC 3261 18.3 requires it over TCP and TLS)")
	}
	if f.hdrBytes+f.cl > SIPMaxMessage {
		return f.refuse(fmt.Sprintf("Content-Length %d: the message would be over %d bytes", f.cl, SIPMaxMessage))
	}
	f.bodyLeft = f.cl
	f.state = frameBody
	if f.cl == 0 {
		f.idle()
	}
	return nil
}

// idle ends a message. A line buffer grown by a long header is let go: an idle connection
// keeps no more than a short one.
func (f *sipFramer) idle() {
	f.state = frameIdle
	if cap(f.line) > 128 {
		f.line = nil
	}
	if cap(f.echoBuf) > 1024 {
		f.echoBuf = nil
	}
}

// checkStartLine says what is wrong with a request or status line ("" when nothing is).
func checkStartLine(line string, f *sipFramer) string {
	parts, n := splitStart(line)
	if n == 3 && strings.EqualFold(parts[2], "SIP/2.0") {
		if !isToken(parts[0]) {
			return "not a SIP method: " + escapePrefix(parts[0], 40)
		}
		var u sip.Uri
		if err := sip.ParseUri(parts[1], &u); err != nil || u.Wildcard {
			return "bad Request-URI: " + escapePrefix(parts[1], 60)
		}
		f.method = strings.ToUpper(parts[0])
		return ""
	}
	if n >= 2 && len(parts[0]) >= 4 && strings.EqualFold(parts[0][:4], "SIP/") {
		if _, err := strconv.ParseUint(parts[1], 10, 16); err == nil && len(parts[1]) == 3 {
			return ""
		}
	}
	return "not a SIP request line: " + escapePrefix(line, 60)
}

// splitStart is strings.SplitN(line, " ", 3) without the slice: the parts and how many.
func splitStart(line string) (parts [3]string, n int) {
	a, rest, ok := strings.Cut(line, " ")
	if !ok {
		return [3]string{a}, 1
	}
	b, c, ok := strings.Cut(rest, " ")
	if !ok {
		return [3]string{a, rest}, 2
	}
	return [3]string{a, b, c}, 3
}

// isToken reports whether s is an RFC 3261 token (a method name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-.!%*_+`'~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// addEcho keeps a line to echo (16 at most, each at most sipKeepLine bytes).
func (f *sipFramer) addEcho(line []byte) {
	if len(f.echoEnd) < 16 {
		f.echoBuf = append(f.echoBuf, line...)
		f.echoEnd = append(f.echoEnd, len(f.echoBuf))
	}
}

// echo is the lines kept to echo, as strings.
func (f *sipFramer) echo() []string {
	out := make([]string, len(f.echoEnd))
	from := 0
	for i, end := range f.echoEnd {
		out[i], from = string(f.echoBuf[from:end]), end
	}
	return out
}

// header is the first echoed header of the given names, its value only.
func (f *sipFramer) header(names ...string) string {
	for _, l := range f.echo() {
		name, value, _ := strings.Cut(l, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		for _, n := range names {
			if name == n {
				return strings.TrimSpace(value)
			}
		}
	}
	return ""
}

// badRequest is the 400 answer to a refused message: the reason in the reason phrase, the
// request's Via, From, To, Call-ID and CSeq when the framer saw them (RFC 3261 8.2.6.2).
func (f *sipFramer) badRequest(reason, server string) []byte {
	var b bytes.Buffer
	b.WriteString("SIP/2.0 400 Bad Request (mockdirector: ")
	b.WriteString(strings.Map(printableASCII, reason))
	b.WriteString(")\r\n")
	for _, l := range f.echo() {
		b.WriteString(strings.Map(printableASCII, l))
		b.WriteString("\r\n")
	}
	b.WriteString("Server: ")
	b.WriteString(server)
	b.WriteString("\r\nContent-Length: 0\r\n\r\n")
	return b.Bytes()
}

// printableASCII keeps printable ASCII and drops the rest (a header line echoed into an answer
// must not carry control characters).
func printableASCII(r rune) rune {
	if r >= 0x20 && r < 0x7f {
		return r
	}
	return -1
}

// escapePrefix is at most n bytes of s, quoted with Go escapes, with "..." when cut: the only
// form client bytes take in a log line or a reason.
func escapePrefix(s string, n int) string {
	if len(s) <= n {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:n]) + fmt.Sprintf("... (%d bytes)", len(s))
}
