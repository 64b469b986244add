package spotlight

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The defused brackets. Neither is folded to a bracket by fold, so a defused
// token is never matched again.
const (
	openQuote  = "‹" // U+2039
	closeQuote = "›" // U+203A
)

// Bounds that keep matching linear: no pattern looks further than a few dozen
// runes past its first character.
const (
	maxSpace = 8  // spaces or tabs tolerated between two parts of a token
	maxName  = 64 // runes in the name of a <|name|> token
	maxWord  = 32 // runes in the name of a <name> or [NAME] token
)

// angleNames are the special tokens written <name> or </name>.
var angleNames = setOf(
	"s", "bos", "eos", "pad", "unk", "mask", "sep", "cls", "eot", "eom", "sop", "eop",
	"start_of_turn", "end_of_turn", "start_of_image", "end_of_image", "end_of_utterance",
	"im_start", "im_end", "endoftext",
	"tool_call", "tool_response", "tool_calls", "tools", "function_call", "functions",
	"think", "fim_prefix", "fim_middle", "fim_suffix", "fim_pad",
)

// bracketNames are the special tokens written [NAME] or [/NAME] (Llama 2, Mistral, GLM).
var bracketNames = setOf(
	"inst", "sys", "tool_calls", "available_tools", "tool_results", "tool_content",
	"system_prompt", "think", "args", "call_id", "img", "img_break", "img_end",
	"prefix", "middle", "suffix", "gmask", "smask",
)

// turnWords start a turn marker at a line start: "Human:" (Anthropic's legacy
// prompts) alone, or after hashes in Alpaca style ("### Instruction:").
var (
	turnWords   = setOf("human", "assistant")
	alpacaWords = setOf("instruction", "response", "input", "system", "user", "assistant", "human", "context")
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// fold maps r to the character a model might read it as: its NFKC form when
// that is a single ASCII character (fullwidth ＜, small ﹤, mathematical 𝐢...),
// a few look-alikes of < > | that NFKC leaves alone, and r itself otherwise.
// Case is kept; compare with lower.
func fold(r rune) rune {
	if r < utf8.RuneSelf {
		return r
	}
	switch r {
	case '\u2329', '\u3008', '\u27e8', '\u02c2', '\u1438', '\u276e': // 〈 〈 ⟨ ˂ ᐸ ❮
		return '<'
	case '\u232a', '\u3009', '\u27e9', '\u02c3', '\u1433', '\u276f': // 〉 〉 ⟩ ˃ ᐳ ❯
		return '>'
	case '\u2223', '\u01c0', '\u2502', '\uffe8', '\u2758', '\u05c0', '\u23d0': // ∣ ǀ │ ￨ ❘ ׀ ⏐
		return '|'
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	if d := norm.NFKC.Properties(buf[:n]).Decomposition(); len(d) == 1 && d[0] < utf8.RuneSelf {
		return rune(d[0])
	}
	return r
}

func lower(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// cursor reads folded runes from s.
type cursor struct {
	s string
	i int
}

// peek returns the folded rune at the cursor, or -1 at the end.
func (c *cursor) peek() (rune, int) {
	if c.i >= len(c.s) {
		return -1, 0
	}
	if b := c.s[c.i]; b < utf8.RuneSelf {
		return rune(b), 1
	}
	r, n := utf8.DecodeRuneInString(c.s[c.i:])
	return fold(r), n
}

// accept advances past the next rune if it folds to want (case-insensitively).
func (c *cursor) accept(want rune) bool {
	if r, n := c.peek(); lower(r) == want {
		c.i += n
		return true
	}
	return false
}

// space skips up to maxSpace spaces or tabs and reports whether it skipped any.
func (c *cursor) space() bool {
	start := c.i
	for k := 0; k < maxSpace && c.i < len(c.s) && (c.s[c.i] == ' ' || c.s[c.i] == '\t'); k++ {
		c.i++
	}
	return c.i > start
}

// word reads the longest run (up to max runes) of runes whose folded form
// satisfies ok, and returns it as written: see foldString.
func (c *cursor) word(max int, ok func(rune) bool) string {
	start := c.i
	for k := 0; k < max; k++ {
		r, n := c.peek()
		if r < 0 || !ok(r) {
			break
		}
		c.i += n
	}
	return c.s[start:c.i]
}

// foldString returns s with every rune folded; it allocates only if that
// changes s.
func foldString(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Map(fold, s)
		}
	}
	return s
}

// in reports whether s, folded and in lower case, is a name of set. s is a
// word of at most maxWord runes; the lookup does not allocate.
func in(set map[string]bool, s string) bool {
	var buf [maxWord * utf8.UTFMax]byte
	b := buf[:0]
	for _, r := range s {
		b = utf8.AppendRune(b, lower(fold(r)))
	}
	return set[string(b)]
}

// keyword advances past w (ASCII, lower case) if the text spells it in any case.
func (c *cursor) keyword(w string) bool {
	start := c.i
	for _, want := range w {
		if !c.accept(want) {
			c.i = start
			return false
		}
	}
	return true
}

func isIdent(r rune) bool {
	return r < utf8.RuneSelf && (isASCIILetter(r) || r == '_' || '0' <= r && r <= '9')
}

func isASCIILetter(r rune) bool { return 'a' <= lower(r) && lower(r) <= 'z' }

func isNameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-.:/▁", r)
}

func isSep(r rune) bool { return r == ' ' || r == '\t' || r == '_' || unicode.Is(unicode.Pd, r) }

// defuse is the second pass of Neutralize: it rewrites special tokens and
// forged fences in s, which clean has already made valid and visible.
func defuse(s string, rep *Report) string {
	loadBMP()
	var b strings.Builder
	last := 0
	emit := func(i, end int, repl string) {
		if b.Cap() == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[last:i])
		b.WriteString(repl)
		last = end
	}
	lineStart := true
	for i := 0; i < len(s); {
		if lineStart {
			lineStart = false
			c := cursor{s: s, i: i}
			c.space()
			if j := c.i; j < len(s) && (s[j] == '#' || s[j] >= utf8.RuneSelf || isASCIILetter(rune(s[j]))) {
				if repl, ok := matchTurn(&c); ok {
					rep.SpecialTokens++
					emit(j, c.i, repl)
					i = c.i
					continue
				}
			}
		}
		ch := s[i]
		if ch == '\n' {
			lineStart = true
			i++
			continue
		}
		if ch < utf8.RuneSelf {
			if ch != '<' && ch != '[' {
				i++
				continue
			}
		} else if r, n := utf8.DecodeRuneInString(s[i:]); r >= 0x10000 || !bmp.trigger.has(r) {
			i += n // nothing outside the BMP folds to < or [
			continue
		}
		c := cursor{s: s, i: i}
		r, n := c.peek()
		var repl string
		var ok, fence bool
		switch r {
		case '<':
			repl, ok, fence = matchAngle(&c)
		case '[':
			repl, ok = matchBracket(&c)
		}
		if !ok {
			i += n
			continue
		}
		if fence {
			rep.ForgedFences++
		} else {
			rep.SpecialTokens++
		}
		emit(i, c.i, repl)
		i = c.i
	}
	if b.Cap() == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// matchAngle matches, at a '<', a forged fence, <<SYS>>, <|name|> or <name>.
// On success the cursor is past the token.
func matchAngle(c *cursor) (repl string, ok, fence bool) {
	start := c.i
	c.accept('<')
	c.space()
	if c.accept('<') {
		// <<untrusted, <</untrusted, <<end-untrusted; <<SYS>>, <</SYS>>
		c.space()
		slash := ""
		if c.accept('/') {
			slash = "/"
			c.space()
		}
		at := c.i
		end := ""
		if c.keyword("end") {
			end = "end-"
			for k := 0; k < maxSpace; k++ {
				if r, n := c.peek(); isSep(r) {
					c.i += n
					continue
				}
				break
			}
		}
		if c.keyword("untrusted") {
			return openQuote + openQuote + slash + end + "untrusted", true, true
		}
		c.i = at
		if name := foldString(c.word(3, isIdent)); strings.EqualFold(name, "sys") {
			c.space()
			if c.accept('>') {
				c.space()
				if c.accept('>') {
					return openQuote + openQuote + slash + name + closeQuote + closeQuote, true, false
				}
			}
		}
		c.i = start
		return "", false, false
	}
	if c.accept('|') {
		c.space()
		name := c.word(maxName, func(r rune) bool { return isNameRune(r) || r == ' ' || r == '\t' })
		name = strings.TrimRight(name, " \t")
		if name != "" && c.accept('|') {
			c.space()
			if c.accept('>') {
				return openQuote + "|" + foldString(name) + "|" + closeQuote, true, false
			}
		}
		c.i = start
		return "", false, false
	}
	slash := ""
	if c.accept('/') {
		slash = "/"
		c.space()
	}
	if name := c.word(maxWord, isIdent); in(angleNames, name) {
		c.space()
		if c.accept('>') {
			return openQuote + slash + foldString(name) + closeQuote, true, false
		}
	}
	c.i = start
	return "", false, false
}

// matchBracket matches, at a '[', a [NAME] or [/NAME] token.
func matchBracket(c *cursor) (string, bool) {
	start := c.i
	c.accept('[')
	c.space()
	slash := ""
	if c.accept('/') {
		slash = "/"
		c.space()
	}
	if name := c.word(maxWord, isIdent); in(bracketNames, name) {
		c.space()
		if c.accept(']') {
			return openQuote + slash + foldString(name) + closeQuote, true
		}
	}
	c.i = start
	return "", false
}

// matchTurn matches, at a line start (after its indentation), "Human:",
// "Assistant:" or an Alpaca header such as "### Instruction:".
func matchTurn(c *cursor) (string, bool) {
	start := c.i
	hashes := 0
	for hashes < 6 && c.accept('#') {
		hashes++
	}
	if hashes > 0 {
		c.space()
	}
	word := c.word(maxWord, isASCIILetterRune)
	if hashes == 0 && in(turnWords, word) || hashes > 0 && in(alpacaWords, word) {
		c.space()
		if c.accept(':') {
			word = foldString(word)
			if hashes > 0 {
				word = strings.Repeat("#", hashes) + " " + word
			}
			return openQuote + word + closeQuote + ":", true
		}
	}
	c.i = start
	return "", false
}

func isASCIILetterRune(r rune) bool { return r < utf8.RuneSelf && isASCIILetter(r) }
