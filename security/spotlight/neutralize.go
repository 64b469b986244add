package spotlight

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Marker is the datamark: in Datamark mode every space of the data is shown as
// Marker, and every tab and line break is preceded by it. Neutralize reserves
// it: a Marker already present in untrusted text becomes an ASCII '^', so a
// mark in fenced data always stands for whitespace.
const Marker = 'ˆ' // U+02C6 MODIFIER LETTER CIRCUMFLEX ACCENT

// Report says what Neutralize changed in a text. The counts are of
// occurrences: a token, a fence or a character each count one.
type Report struct {
	// SpecialTokens counts chat-template special tokens and turn markers
	// defused (<|im_start|>, [INST], <start_of_turn>, "Human:", ...).
	SpecialTokens int `json:"special_tokens"`
	// ForgedFences counts fence look-alikes defused ("<<untrusted",
	// "<<end-untrusted" in any spelling) and, in Fencer.FenceReport, copies of
	// the session nonce redacted.
	ForgedFences int `json:"forged_fences"`
	// Invisible counts invisible or format characters removed.
	Invisible int `json:"invisible"`
	// TagChars counts the Unicode tag characters (U+E0000–U+E007F) among the
	// invisible ones: they can smuggle ASCII text past a human reader.
	TagChars int `json:"tag_chars"`
	// Marks counts datamark characters (Marker) found in the text and folded to '^'.
	Marks int `json:"marks"`
	// InvalidUTF8 counts runs of invalid UTF-8 bytes replaced by U+FFFD.
	InvalidUTF8 int `json:"invalid_utf8"`
}

// Suspicious reports whether the text held anything an attacker would plant:
// special tokens, forged fences, invisible characters or datamarks.
// Invalid UTF-8 alone is not counted.
func (r Report) Suspicious() bool {
	return r.SpecialTokens+r.ForgedFences+r.Invisible+r.Marks > 0
}

// Add returns the sum of two reports.
func (r Report) Add(o Report) Report {
	return Report{
		SpecialTokens: r.SpecialTokens + o.SpecialTokens,
		ForgedFences:  r.ForgedFences + o.ForgedFences,
		Invisible:     r.Invisible + o.Invisible,
		TagChars:      r.TagChars + o.TagChars,
		Marks:         r.Marks + o.Marks,
		InvalidUTF8:   r.InvalidUTF8 + o.InvalidUTF8,
	}
}

// Neutralize makes untrusted text safe to show a model inside a fence:
//
//   - invalid UTF-8 becomes U+FFFD (one per run of bad bytes);
//   - invisible and format characters are removed (see StripInvisible);
//   - line breaks are normalised to "\n" (CR LF, CR, NEL, VT, FF, U+2028,
//     U+2029) and every other Unicode space separator (NBSP, U+3000...)
//     becomes an ASCII space, so that datamarking sees all whitespace;
//   - the datamark Marker becomes '^';
//   - chat-template special tokens of known model families and forged fences
//     are defused.
//
// Removal happens before matching, so "<|im_\u200bstart|>" is caught. Matching
// is case-insensitive, tolerates spaces and tabs between the parts of a token
// ("< |im_start| >"), and sees fullwidth and compatibility forms (by NFKC, rune
// by rune) and a few look-alikes of < > | as the ASCII characters.
//
// A token is defused by rewriting its brackets as ‹ › (U+2039, U+203A), which no
// tokenizer reads as special and which Neutralize itself never matches:
//
//	<|im_start|>      -> ‹|im_start|›     [INST]  -> ‹INST›    <<SYS>> -> ‹‹SYS››
//	<start_of_turn>   -> ‹start_of_turn›  </s>    -> ‹/s›
//	<<end-untrusted   -> ‹‹end-untrusted  <<untrusted -> ‹‹untrusted
//	"Human:" at a line start -> "‹Human›:"   "### Instruction:" -> "‹### Instruction›:"
//
// The parts of a defused token are written in their NFKC form without the
// spaces between them; the rest of the text keeps its original characters.
// Neutralize is idempotent: Neutralize(Neutralize(x)) == Neutralize(x). It runs
// in time linear in len(text).
func Neutralize(text string) (string, Report) {
	var rep Report
	s := clean(text, &rep, true)
	s = defuse(s, &rep)
	return s, rep
}

// StripInvisible removes the characters a reader cannot see but a model reads,
// and returns the text and how many it removed:
//
//   - Unicode tag characters and the rest of plane 14 (U+E0000–U+E0FFF, which
//     includes variation selectors 17–256);
//   - zero-width characters (U+200B–U+200D, U+2060 word joiner, U+FEFF);
//   - bidi controls: marks (U+200E, U+200F, U+061C), embeddings and overrides
//     (U+202A–U+202E), isolates (U+2066–U+2069);
//   - every other format character (category Cf, such as the soft hyphen and
//     the invisible math operators) except the visible prepended
//     concatenation marks (U+0600–U+0605...), other default-ignorable code
//     points (Hangul fillers, the combining grapheme joiner...) and variation
//     selectors (U+FE00–U+FE0F: emoji lose their presentation selector, and
//     joined emoji their joiners);
//   - control characters other than tab, line feed, carriage return, vertical
//     tab, form feed and NEL (U+0085), which Neutralize turns into line breaks.
//
// Invalid UTF-8 becomes U+FFFD (one per run of bad bytes), so that removing a
// character cannot join bytes into a new one.
func StripInvisible(text string) (string, int) {
	var rep Report
	s := clean(text, &rep, false)
	return s, rep.Invisible
}

// isInvisible reports whether r is removed by StripInvisible.
func isInvisible(r rune) bool {
	if r < 0x80 {
		return r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\v' && r != '\f' || r == 0x7f
	}
	if r <= 0x9f {
		return r != 0x85 // C1 controls; NEL is a line break
	}
	if r >= 0xE0000 && r <= 0xE0FFF {
		return true
	}
	switch {
	case r == 0x00AD, r == 0x034F, r == 0x061C, r == 0x115F, r == 0x1160, r == 0x17B4, r == 0x17B5,
		r >= 0x180B && r <= 0x180F, r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E,
		r >= 0x2060 && r <= 0x206F, r == 0x3164, r >= 0xFE00 && r <= 0xFE0F, r == 0xFEFF, r == 0xFFA0,
		r >= 0xFFF0 && r <= 0xFFFB:
		return true
	}
	if unicode.Is(unicode.Cf, r) {
		return !unicode.Is(unicode.Prepended_Concatenation_Mark, r)
	}
	return unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Variation_Selector, r)
}

// bmp holds, for each rune of the Basic Multilingual Plane, whether clean must
// look at it and whether it folds to the first character of a token, so that
// the common case costs one bit test per rune. It is built on first use
// (65536 lookups, a few milliseconds).
var bmp struct {
	once           sync.Once
	clean, trigger bitset
}

type bitset [0x10000 / 64]uint64

func (b *bitset) has(r rune) bool { return b[r>>6]&(1<<(r&63)) != 0 }
func (b *bitset) set(r rune)      { b[r>>6] |= 1 << (r & 63) }

func loadBMP() {
	bmp.once.Do(func() {
		for r := rune(utf8.RuneSelf); r < 0x10000; r++ {
			if isInvisible(r) || r == 0x85 || r == 0x2028 || r == 0x2029 || r == Marker || unicode.Is(unicode.Zs, r) {
				bmp.clean.set(r)
			}
			if f := fold(r); f == '<' || f == '[' {
				bmp.trigger.set(r)
			}
		}
	})
}

// clean is the first pass of Neutralize (full) or StripInvisible (!full). It
// copies text only when it must change something.
func clean(text string, rep *Report, full bool) string {
	loadBMP()
	var b strings.Builder
	last := 0 // text[last:i] is unchanged and not yet written
	grow := func(i int) {
		if b.Cap() == 0 {
			b.Grow(len(text))
		}
		b.WriteString(text[last:i])
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\t' {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		if r >= utf8.RuneSelf && r < 0x10000 && !bmp.clean.has(r) && (r != utf8.RuneError || n != 1) {
			i += n
			continue
		}
		switch {
		case r == utf8.RuneError && n == 1:
			grow(i)
			for i < len(text) {
				if r, n := utf8.DecodeRuneInString(text[i:]); r != utf8.RuneError || n != 1 {
					break
				}
				i++
			}
			b.WriteRune(utf8.RuneError)
			rep.InvalidUTF8++
			last = i
			continue
		case isInvisible(r):
			grow(i)
			rep.Invisible++
			if r >= 0xE0000 && r <= 0xE007F {
				rep.TagChars++
			}
			last = i + n
		case !full:
		case r == '\r':
			grow(i)
			b.WriteByte('\n')
			if i+1 < len(text) && text[i+1] == '\n' {
				n++
			}
			last = i + n
		case r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029:
			grow(i)
			b.WriteByte('\n')
			last = i + n
		case r == Marker:
			grow(i)
			b.WriteByte('^')
			rep.Marks++
			last = i + n
		case r >= 0x80 && unicode.Is(unicode.Zs, r):
			grow(i)
			b.WriteByte(' ')
			last = i + n
		}
		i += n
	}
	if b.Cap() == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}
