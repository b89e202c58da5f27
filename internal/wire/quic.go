package wire

import "bytes"

// QUICALPN is the application protocol the mock's QUIC responder (and a QUIC guard)
// negotiates; a prober offers it to get the identity line.
const QUICALPN = "mockdirector"

// QUICIdentityRequest is the line a prober sends on the first stream (by convention: the
// responder answers any line).
const QUICIdentityRequest = "IDENTITY\n"

// QUICLine is the identity line the mock's QUIC responder writes on the first stream a client
// opens (ALPN "mockdirector"): the JSON document and a newline.
func (id *Identity) QUICLine() []byte {
	return append(id.AppendJSON(make([]byte, 0, 512)), '\n')
}

// ParseQUICLine reads the identity of a QUIC identity line. ok is false when it is not one.
func ParseQUICLine(line []byte) (id *Identity, ok bool) {
	return DecodeJSON(bytes.TrimSpace(line))
}
