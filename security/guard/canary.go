package guard

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The canary scanner reports the leak of a canary: a random marker the
// monitor plants in the system prompt, which has no business in output. It
// looks for the canary as written, in any case, with separators between its
// characters ("C-A-N-A-R-Y", "c a n a r y"), reversed, in hex, and in
// standard and URL-safe base64 at each of the three byte alignments (so a
// canary inside a longer encoded text is found too). Reasons never quote it.

// minCanary is the shortest canary searched in its separator-free form;
// shorter ones would match ordinary text.
const minCanary = 6

func scanCanary(s *scan) []finding {
	c := s.in.Canary
	if strings.TrimSpace(c) == "" {
		return nil
	}
	var out []finding
	add := func(score float64, how string, st, e int) {
		out = append(out, finding{scanner: ScanCanary, score: score, spans: [][2]int{{st, e}}, reason: "the canary of the system prompt leaked " + how})
	}
	text, lower := s.text, s.lower
	lc := lowerText(c)
	for _, m := range indexAll(text, c) {
		add(1, "verbatim", m, m+len(c))
	}
	if len(out) == 0 {
		for _, m := range indexAll(lower, lc) {
			add(0.95, "in another case", m, m+len(lc))
		}
	}
	if rc := reverse(lc); len(out) == 0 && rc != lc {
		for _, m := range indexAll(lower, rc) {
			add(0.9, "reversed", m, m+len(rc))
		}
	}
	if len(out) == 0 {
		if ac := alnumLower(c); utf8.RuneCountInString(ac) >= minCanary {
			packed, pos := alnumIndex(text)
			for _, m := range indexAll(packed, ac) {
				last := pos[m+len(ac)-1]
				_, n := utf8.DecodeRuneInString(text[last:])
				add(0.9, "with separators between its characters", pos[m], last+n)
			}
		}
	}
	hx := hex.EncodeToString([]byte(c))
	for _, m := range indexAll(lower, hx) {
		add(0.9, "hex-encoded", m, m+len(hx))
	}
	for _, pat := range base64Forms([]byte(c)) {
		for _, m := range indexAll(text, pat) {
			add(0.9, "base64-encoded", m, m+len(pat))
		}
	}
	if len(out) > maxReported {
		out = out[:maxReported]
	}
	return out
}

// indexAll returns the offsets of the non-overlapping occurrences of sub.
func indexAll(s, sub string) []int {
	if sub == "" {
		return nil
	}
	var out []int
	for from := 0; from < len(s) && len(out) < 64; {
		i := strings.Index(s[from:], sub)
		if i < 0 {
			break
		}
		out = append(out, from+i)
		from += i + len(sub)
	}
	return out
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// alnumLower keeps the letters and digits of s, lower-cased.
func alnumLower(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// alnumIndex returns the letters and digits of text lower-cased, and for
// each byte of the result the offset in text of the rune it came from.
func alnumIndex(text string) (string, []int) {
	var b strings.Builder
	var pos []int
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			l := unicode.ToLower(r)
			n := utf8.RuneLen(l)
			if n < 0 {
				continue
			}
			b.WriteRune(l)
			for k := 0; k < n; k++ {
				pos = append(pos, i)
			}
		}
	}
	return b.String(), pos
}

// base64Forms returns, for each of the three alignments at which data can
// start inside a longer encoded text, the characters of its standard and
// URL-safe base64 that depend on data alone.
func base64Forms(data []byte) []string {
	var out []string
	for off := 0; off < 3; off++ {
		buf := append(make([]byte, off), data...)
		enc := base64.StdEncoding.EncodeToString(buf)
		start := (off*8 + 5) / 6
		end := len(buf) * 8 / 6
		if end-start < 4 {
			continue
		}
		core := enc[start:end]
		out = append(out, core)
		if u := strings.NewReplacer("+", "-", "/", "_").Replace(core); u != core {
			out = append(out, u)
		}
	}
	return out
}
