// Package jsonw holds the few hand-written JSON helpers that the hot-path encoders (the journal's
// events, the mock's identity) share: strings escaped exactly as encoding/json does, fields,
// floats, and a layout string that tells an encoder when the types it was written for changed.
package jsonw

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// AppendField appends ,"key":"value".
func AppendField(b []byte, key, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return AppendString(b, v)
}

// AppendOmit is AppendField for an omitempty field.
func AppendOmit(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return AppendField(b, key, v)
}

// CloseObject ends an object whose fields (all optional) started at n with a comma each: the
// first comma goes.
func CloseObject(b []byte, n int) []byte {
	if len(b) > n {
		copy(b[n:], b[n+1:])
		b = b[:len(b)-1]
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// AppendString appends s quoted the way encoding/json does (HTML-safe, invalid UTF-8 replaced).
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendFloat formats f as encoding/json does.
func AppendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// Finite reports whether f can be written as a JSON number.
func Finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// Layout describes struct types by their fields' names, types and JSON tags, so a hand-written
// encoder can tell whether the types it was written for have changed since.
func Layout(types ...reflect.Type) string {
	var sb strings.Builder
	for _, t := range types {
		sb.WriteString(t.Name() + "{")
		for i := range t.NumField() {
			f := t.Field(i)
			fmt.Fprintf(&sb, "%s %s %q;", f.Name, f.Type, f.Tag.Get("json"))
		}
		sb.WriteString("}")
	}
	return sb.String()
}
