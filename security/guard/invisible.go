package guard

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The invisible scanner finds characters a person does not see but a model
// reads: Unicode tag characters (U+E0000–E007F, which can spell out ASCII;
// the hidden text is decoded and rescanned), runs of variation selectors
// that smuggle bytes, zero-width characters that split words or encode
// bits, and bidirectional overrides and isolates that reorder what is shown.
// Legitimate uses stay quiet: tag sequences of subdivision flags (🏴 + tags),
// zero-width joiners inside emoji sequences, joiners and non-joiners in
// scripts that need them (Arabic, Persian, Indic), zero-width spaces in
// Thai, Khmer, Lao, Myanmar and Tibetan text, a leading byte-order mark, and
// direction marks in right-to-left text.

func isTag(r rune) bool { return r >= 0xE0000 && r <= 0xE007F }

func isVariationSelector(r rune) bool {
	return r >= 0xFE00 && r <= 0xFE0F || r >= 0xE0100 && r <= 0xE01EF
}

func isZeroWidth(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x180E, 0x034F,
		0x115F, 0x1160, 0x3164, 0xFFA0, 0x17B4, 0x17B5:
		return true
	}
	return false
}

func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}

// joinerScripts need ZWJ/ZWNJ to shape or break words correctly.
var joinerScripts = []*unicode.RangeTable{unicode.Arabic, unicode.Syriac, unicode.Devanagari, unicode.Bengali,
	unicode.Gurmukhi, unicode.Gujarati, unicode.Oriya, unicode.Tamil, unicode.Telugu, unicode.Kannada,
	unicode.Malayalam, unicode.Sinhala, unicode.Mongolian, unicode.Hebrew, unicode.Nko}

// spaceless scripts use zero-width spaces as word breaks.
var spaceless = []*unicode.RangeTable{unicode.Thai, unicode.Khmer, unicode.Lao, unicode.Myanmar, unicode.Tibetan,
	unicode.Han, unicode.Hiragana, unicode.Katakana}

func isEmojiish(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r == 0xFE0F || r >= 0x1F3FB && r <= 0x1F3FF ||
		r == 0x2640 || r == 0x2642 || r == 0x2695 || r == 0x2696 || r == 0x2708 || r == 0x2764 || unicode.Is(unicode.So, r)
}

func isRTL(r rune) bool {
	return r >= 0x590 && unicode.In(r, unicode.Hebrew, unicode.Arabic, unicode.Syriac, unicode.Thaana, unicode.Nko)
}

// scanInvisible implements the invisible scanner.
func scanInvisible(s *scan) []finding {
	text := s.text
	var (
		out                       []finding
		zwSpans, bidiSpans        [][2]int
		zwCount, inWord, zwRun    int
		maxZWRun                  int
		overrides, isolates, mark int
		hasRTL                    bool
		prev                      rune = -1
	)
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		switch {
		case isTag(r):
			end, f := tagRun(s, i, prev)
			if f != nil {
				out = append(out, *f)
			}
			prev = r
			i = end
			zwRun = 0
			continue
		case isVariationSelector(r):
			end, f := selectorRun(s, i)
			if f != nil {
				out = append(out, *f)
			}
			i = end
			zwRun = 0
			continue
		case isZeroWidth(r):
			next, _ := utf8.DecodeRuneInString(text[i+n:])
			if !benignZeroWidth(r, prev, next, i) {
				zwCount++
				zwRun++
				maxZWRun = max(maxZWRun, zwRun)
				zwSpans = appendSpan(zwSpans, i, i+n)
				if isASCIILetter(prev) && isASCIILetter(next) {
					inWord++
				}
			}
			i += n
			continue // prev stays the visible rune before
		case isBidiControl(r):
			switch {
			case r == 0x202D || r == 0x202E:
				overrides++
			case r >= 0x2066 && r <= 0x2068 || r == 0x202A || r == 0x202B:
				isolates++
			case r == 0x200E || r == 0x200F || r == 0x061C:
				mark++
			}
			bidiSpans = appendSpan(bidiSpans, i, i+n)
		default:
			if isRTL(r) {
				hasRTL = true
			}
		}
		zwRun = 0
		prev = r
		i += n
	}
	if zwCount > 0 {
		score := 0.2
		switch {
		case maxZWRun >= 4:
			score = 0.85
		case inWord >= 1:
			score = 0.6
		case zwCount >= 8:
			score = 0.6
		case zwCount >= 3:
			score = 0.4
		}
		reason := fmt.Sprintf("%d zero-width character(s)", zwCount)
		if inWord > 0 {
			reason += fmt.Sprintf(", %d inside words", inWord)
		}
		if maxZWRun >= 4 {
			reason += fmt.Sprintf(", a run of %d that can encode bits", maxZWRun)
		}
		if s.in.Stage == StageInput {
			if sc, l := phraseScore(stripInvisible(text)); sc >= s.g.cfg.Threshold {
				if plain, _ := phraseScore(text); plain < sc {
					score = max(score, 0.95)
					reason += "; without them the text reads as " + l
				}
			}
		}
		out = append(out, finding{scanner: ScanInvisible, score: score, reason: reason, spans: zwSpans})
	}
	if overrides+isolates > 0 || mark >= 3 && !hasRTL {
		score := 0.0
		switch {
		case overrides > 0 && !hasRTL:
			score = 0.75
		case overrides > 0:
			score = 0.45
		case isolates > 0 && !hasRTL:
			score = 0.55
		case isolates > 0:
			score = 0.15
		default:
			score = 0.3
		}
		out = append(out, finding{scanner: ScanInvisible, score: score, spans: bidiSpans,
			reason: fmt.Sprintf("bidirectional controls that reorder the text shown: %d override(s), %d embedding/isolate(s), %d mark(s)", overrides, isolates, mark)})
	}
	return out
}

func isASCIILetter(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }

// benignZeroWidth tells the legitimate uses of a zero-width character at
// byte i between the visible runes prev and next.
func benignZeroWidth(r, prev, next rune, i int) bool {
	switch r {
	case 0xFEFF:
		return i == 0
	case 0x200D:
		if isEmojiish(prev) && isEmojiish(next) {
			return true
		}
		fallthrough
	case 0x200C:
		for _, t := range joinerScripts {
			if unicode.Is(t, prev) || unicode.Is(t, next) {
				return true
			}
		}
	case 0x200B:
		for _, t := range spaceless {
			if unicode.Is(t, prev) || unicode.Is(t, next) {
				return true
			}
		}
	case 0x115F, 0x1160, 0x3164, 0xFFA0:
		return unicode.Is(unicode.Hangul, prev) || unicode.Is(unicode.Hangul, next)
	case 0x17B4, 0x17B5:
		return unicode.Is(unicode.Khmer, prev)
	}
	return false
}

func appendSpan(spans [][2]int, s, e int) [][2]int {
	if n := len(spans); n > 0 && spans[n-1][1] == s {
		spans[n-1][1] = e
		return spans
	}
	return append(spans, [2]int{s, e})
}

// tagRun reads the run of tag characters at i and returns where it ends and
// a finding, or nil for the tag sequence of a subdivision flag.
func tagRun(s *scan, i int, prev rune) (int, *finding) {
	text := s.text
	var ascii strings.Builder
	j, count := i, 0
	cancel := false
	for j < len(text) {
		r, n := utf8.DecodeRuneInString(text[j:])
		if !isTag(r) {
			break
		}
		count++
		if r >= 0xE0020 && r <= 0xE007E && ascii.Len() < maxDecodedPiece {
			ascii.WriteByte(byte(r - 0xE0000))
		}
		cancel = r == 0xE007F
		j += n
	}
	hidden := ascii.String()
	if prev == 0x1F3F4 && cancel && count <= 8 && isFlagTag(hidden) {
		return j, nil
	}
	f := &finding{scanner: ScanInvisible, score: 0.9, spans: [][2]int{{i, j}}}
	if count <= 2 {
		f.score = 0.7
	}
	f.reason = fmt.Sprintf("%d Unicode tag character(s) hiding %d ASCII byte(s)", count, len(hidden))
	if s.in.Stage == StageInput && hidden != "" {
		if sc, l := phraseScore(hidden); sc > 0 {
			f.score = max(f.score, min(0.99, 0.9+sc/10))
			f.reason += " that read as " + l
		}
		f.reason += fmt.Sprintf(": %q", excerpt(hidden, 60))
	}
	return j, f
}

// isFlagTag reports whether the hidden text of a tag run is a subdivision
// code such as "gbeng" (lower-case letters and digits).
func isFlagTag(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// selectorRun reads a run of variation selectors at i. One or two after a
// character are ordinary (text or emoji presentation); longer runs can carry
// one byte each, which are decoded and rescanned.
func selectorRun(s *scan, i int) (int, *finding) {
	text := s.text
	var b []byte
	j := i
	for j < len(text) {
		r, n := utf8.DecodeRuneInString(text[j:])
		if !isVariationSelector(r) {
			break
		}
		if len(b) < maxDecodedPiece {
			if r <= 0xFE0F {
				b = append(b, byte(r-0xFE00))
			} else {
				b = append(b, byte(r-0xE0100+16))
			}
		}
		j += n
	}
	if len(b) < 3 {
		return j, nil
	}
	f := &finding{scanner: ScanInvisible, score: 0.85, spans: [][2]int{{i, j}},
		reason: fmt.Sprintf("a run of %d variation selectors that can carry hidden bytes", len(b))}
	if printableText(b) && s.in.Stage == StageInput {
		if sc, l := phraseScore(string(b)); sc > 0 {
			f.score = max(f.score, min(0.99, 0.9+sc/10))
			f.reason += " that read as " + l
		}
		f.reason += fmt.Sprintf(": %q", excerpt(string(b), 60))
	}
	return j, f
}

// stripInvisible removes zero-width and bidi characters.
func stripInvisible(s string) string {
	return strings.Map(func(r rune) rune {
		if isZeroWidth(r) || isBidiControl(r) {
			return -1
		}
		return r
	}, s)
}

// phraseScore is the higher of the injection and jailbreak scores of text.
func phraseScore(text string) (float64, string) {
	a, la := injectionScore(text)
	b, lb := jailbreakScore(text)
	if b > a {
		return b, "jailbreak phrasing (" + lb + ")"
	}
	if a == 0 {
		return 0, ""
	}
	return a, "injection phrasing (" + la + ")"
}
