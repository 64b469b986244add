package spotlight

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

const markerUTF8 = string(Marker)

// writeDatamark writes s with every space as Marker and Marker before every
// tab and line break. s comes from Neutralize: it holds no Marker, and its only
// whitespace below U+0080 is space, tab and line feed.
func writeDatamark(b *strings.Builder, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			b.WriteString(s[last:i])
			b.WriteString(markerUTF8)
			last = i + 1
		case '\t', '\n':
			b.WriteString(s[last:i])
			b.WriteString(markerUTF8)
			last = i // the tab or line break itself is written with the next run
		}
	}
	b.WriteString(s[last:])
}

// readDatamark undoes writeDatamark. ok is false if body could not have been
// written by it: a bare space, tab or line break, or a line break not marked.
func readDatamark(body string) (string, bool) {
	var b strings.Builder
	b.Grow(len(body))
	for i := 0; i < len(body); {
		switch c := body[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return "", false
		case strings.HasPrefix(body[i:], markerUTF8):
			i += len(markerUTF8)
			if i < len(body) && (body[i] == '\t' || body[i] == '\n') {
				b.WriteByte(body[i])
				i++
			} else {
				b.WriteByte(' ')
			}
		default:
			_, n := utf8.DecodeRuneInString(body[i:])
			b.WriteString(body[i : i+n])
			i += n
		}
	}
	return b.String(), true
}

// b64Line is the length of a line of base64 in a fence.
const b64Line = 76

func base64Len(n int) int {
	e := base64.StdEncoding.EncodedLen(n)
	return e + e/b64Line
}

// writeBase64 writes s in base64 in lines of b64Line characters.
func writeBase64(b *strings.Builder, s string) {
	enc := make([]byte, base64.StdEncoding.EncodedLen(len(s)))
	base64.StdEncoding.Encode(enc, []byte(s))
	for len(enc) > b64Line {
		b.Write(enc[:b64Line])
		b.WriteByte('\n')
		enc = enc[b64Line:]
	}
	b.Write(enc)
}

// readBase64 undoes writeBase64; the text must be valid UTF-8.
func readBase64(body string) (string, bool) {
	for i := 0; i < len(body); i++ {
		if c := body[i]; c == ' ' || c == '\t' || c == '\r' {
			return "", false
		}
	}
	raw := strings.ReplaceAll(body, "\n", "")
	out, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || !utf8.Valid(out) {
		return "", false
	}
	return string(out), true
}
