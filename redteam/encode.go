package redteam

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"github.com/llmos/llmos"
)

// Encoding is one way to disguise a payload so that a filter reading the
// prompt does not see the instruction, while a capable model can still
// decode and follow it.
type Encoding struct {
	// Name is lower_snake and appears in probe IDs.
	Name string
	// Hint tells the target, in words, how the payload is encoded.
	Hint string
	// Encode disguises s.
	Encode func(s string) string
	// Decode undoes Encode. For lossy encodings (leetspeak) it returns a best
	// guess; RoundTrip is then false.
	Decode func(s string) (string, error)
	// RoundTrip reports whether Decode(Encode(s)) == s for every ASCII s.
	RoundTrip bool
}

// Encodings returns every encoding in a fixed order.
func Encodings() []Encoding {
	return []Encoding{
		{Name: "base64", Hint: "base64", Encode: EncodeBase64, Decode: DecodeBase64, RoundTrip: true},
		{Name: "hex", Hint: "hexadecimal (UTF-8 bytes)", Encode: EncodeHex, Decode: DecodeHex, RoundTrip: true},
		{Name: "rot13", Hint: "ROT13", Encode: ROT13, Decode: func(s string) (string, error) { return ROT13(s), nil }, RoundTrip: true},
		{Name: "leetspeak", Hint: "leetspeak", Encode: EncodeLeet, Decode: func(s string) (string, error) { return DecodeLeet(s), nil }},
		{Name: "unicode_tags", Hint: "invisible Unicode tag characters", Encode: EncodeTags, Decode: func(s string) (string, error) { return DecodeTags(s), nil }, RoundTrip: true},
		{Name: "zero_width", Hint: "text joined with zero-width characters", Encode: EncodeZeroWidth, Decode: func(s string) (string, error) { return DecodeZeroWidth(s), nil }, RoundTrip: true},
		{Name: "homoglyph", Hint: "look-alike letters", Encode: EncodeHomoglyph, Decode: func(s string) (string, error) { return DecodeHomoglyph(s), nil }, RoundTrip: true},
		{Name: "reversed", Hint: "reversed text", Encode: Reverse, Decode: func(s string) (string, error) { return Reverse(s), nil }, RoundTrip: true},
	}
}

// EncodingByName finds an encoding by its Name.
func EncodingByName(name string) (Encoding, bool) {
	for _, e := range Encodings() {
		if e.Name == name {
			return e, true
		}
	}
	return Encoding{}, false
}

// EncodeBase64 returns the standard, padded base64 of s.
func EncodeBase64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// DecodeBase64 decodes standard or URL-safe base64, padded or not, ignoring
// surrounding white space.
func DecodeBase64(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return string(b), nil
		}
	}
	return "", llmos.Errorf(llmos.CodeInvalid, "not base64")
}

// EncodeHex returns the lower-case hex of the bytes of s.
func EncodeHex(s string) string { return hex.EncodeToString([]byte(s)) }

// DecodeHex decodes hex, ignoring white space, "0x" prefixes and case.
func DecodeHex(s string) (string, error) {
	s = strings.ReplaceAll(s, "0x", "")
	s = strings.Join(strings.Fields(s), "")
	b, err := hex.DecodeString(s)
	if err != nil {
		return "", llmos.Errorf(llmos.CodeInvalid, "not hex")
	}
	return string(b), nil
}

// ROT13 rotates ASCII letters by 13; it is its own inverse.
func ROT13(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, s)
}

var leet = map[rune]rune{'a': '4', 'e': '3', 'i': '1', 'o': '0', 's': '5', 't': '7', 'A': '4', 'E': '3', 'I': '1', 'O': '0', 'S': '5', 'T': '7'}
var unleet = map[rune]rune{'4': 'a', '3': 'e', '1': 'i', '0': 'o', '5': 's', '7': 't', '@': 'a', '$': 's'}

// EncodeLeet replaces letters by look-alike digits (a→4, e→3, i→1, o→0,
// s→5, t→7). It loses case and digits, so it does not round trip.
func EncodeLeet(s string) string {
	return strings.Map(func(r rune) rune {
		if l, ok := leet[r]; ok {
			return l
		}
		return r
	}, s)
}

// DecodeLeet maps leet digits back to lower-case letters: a best guess.
func DecodeLeet(s string) string {
	return strings.Map(func(r rune) rune {
		if l, ok := unleet[r]; ok {
			return l
		}
		return r
	}, s)
}

// tagBase is the start of the Unicode tag block: U+E0000 + an ASCII code
// point is an invisible "tag" copy of that character.
const tagBase = 0xE0000

// EncodeTags maps printable ASCII to invisible Unicode tag characters
// (U+E0020..U+E007E), the "ASCII smuggling" technique; other runes are kept.
func EncodeTags(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x20 && r <= 0x7E {
			b.WriteRune(tagBase + r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// DecodeTags maps Unicode tag characters back to ASCII and keeps other runes.
func DecodeTags(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= tagBase+0x20 && r <= tagBase+0x7E {
			return r - tagBase
		}
		return r
	}, s)
}

// HasTags reports whether s holds Unicode tag characters.
func HasTags(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= tagBase && r <= tagBase+0x7F })
}

// zeroWidth are the invisible characters EncodeZeroWidth inserts and
// DecodeZeroWidth removes.
var zeroWidth = []rune{'\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF'}

func isZeroWidth(r rune) bool {
	for _, z := range zeroWidth {
		if r == z {
			return true
		}
	}
	return false
}

// EncodeZeroWidth joins the runes of s with zero-width joiners (U+200D), so
// that keyword filters no longer see the words.
func EncodeZeroWidth(s string) string {
	var b strings.Builder
	first := true
	for _, r := range s {
		if !first {
			b.WriteRune('\u200D')
		}
		first = false
		b.WriteRune(r)
	}
	return b.String()
}

// DecodeZeroWidth removes zero-width characters.
func DecodeZeroWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if isZeroWidth(r) {
			return -1
		}
		return r
	}, s)
}

// homoglyphs maps Latin letters to Cyrillic and Greek look-alikes.
var homoglyphs = map[rune]rune{
	'a': 'а', 'c': 'с', 'e': 'е', 'i': 'і', 'j': 'ј', 'o': 'о', 'p': 'р', 's': 'ѕ', 'x': 'х', 'y': 'у',
	'A': 'А', 'B': 'В', 'C': 'С', 'E': 'Е', 'H': 'Н', 'I': 'І', 'K': 'К', 'M': 'М', 'N': 'Ν', 'O': 'О',
	'P': 'Р', 'S': 'Ѕ', 'T': 'Т', 'X': 'Х', 'Y': 'Υ', 'Z': 'Ζ',
}

var unhomoglyphs = func() map[rune]rune {
	m := make(map[rune]rune, len(homoglyphs))
	for k, v := range homoglyphs {
		m[v] = k
	}
	return m
}()

// EncodeHomoglyph swaps Latin letters for Cyrillic/Greek look-alikes.
func EncodeHomoglyph(s string) string {
	return strings.Map(func(r rune) rune {
		if h, ok := homoglyphs[r]; ok {
			return h
		}
		return r
	}, s)
}

// DecodeHomoglyph maps the look-alikes EncodeHomoglyph uses back to Latin.
func DecodeHomoglyph(s string) string {
	return strings.Map(func(r rune) rune {
		if l, ok := unhomoglyphs[r]; ok {
			return l
		}
		return r
	}, s)
}

// Reverse reverses s rune by rune.
func Reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// Normalize undoes the invisible and look-alike disguises (tag characters,
// zero-width characters, homoglyphs) so detectors can compare plain text.
func Normalize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	return DecodeHomoglyph(DecodeZeroWidth(DecodeTags(s)))
}
