package offline

import (
	"unicode"
	"unicode/utf8"
)

// tokenize returns the lowercase words of text; see tokens.
func tokenize(text string, buf []string) []string {
	for _, t := range tokens(text, nil) {
		buf = append(buf, t.text)
	}
	return buf
}

// token is a word of a text.
type token struct {
	text string
	// capital is set when the word began with an upper-case letter, and
	// start when it began a sentence (the text, or after . ! ? or a line
	// break).
	capital, start bool
}

// tokens splits text into lowercase words, appending them to buf: runs of
// letters and digits, with accents folded for Latin letters (café → cafe).
// Apostrophes and every other character separate words, so "sister's"
// gives "sister" and "s" (a stop word). Single letters are dropped; single
// digits are kept. Han, Hiragana and Katakana, written without spaces, give
// one word per character. Invalid UTF-8 separates words.
func tokens(text string, buf []token) []token {
	var word []byte
	capital, start, sentence := false, false, true
	flush := func() {
		if len(word) == 0 {
			return
		}
		if len(word) > 1 || (word[0] >= '0' && word[0] <= '9') || word[0] >= utf8.RuneSelf {
			buf = append(buf, token{text: string(word), capital: capital, start: start})
		}
		word = word[:0]
	}
	begin := func(upper bool) {
		if len(word) == 0 {
			capital, start, sentence = upper, sentence, false
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
				begin(false)
				word = append(word, c)
			case c >= 'A' && c <= 'Z':
				begin(true)
				word = append(word, c+'a'-'A')
			default:
				flush()
				switch c {
				case '.', '!', '?', '\n':
					sentence = true
				}
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			flush()
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
			flush()
			begin(false)
			word = utf8.AppendRune(word, r)
			flush()
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			begin(unicode.IsUpper(r))
			if f, ok := fold[r]; ok {
				word = append(word, f...)
			} else if !unicode.Is(unicode.Mn, r) {
				word = utf8.AppendRune(word, unicode.ToLower(r))
			}
		default:
			flush()
		}
	}
	flush()
	return buf
}

// fold maps accented Latin letters to plain ones.
var fold = map[rune]string{}

func init() {
	for _, p := range []struct{ from, to string }{
		{"àáâãäåāăą", "a"}, {"ÀÁÂÃÄÅĀĂĄ", "a"}, {"çćĉċč", "c"}, {"ÇĆĈĊČ", "c"},
		{"ďđ", "d"}, {"ĎĐ", "d"}, {"èéêëēĕėęě", "e"}, {"ÈÉÊËĒĔĖĘĚ", "e"},
		{"ĝğġģ", "g"}, {"ĜĞĠĢ", "g"}, {"ĥħ", "h"}, {"ĤĦ", "h"},
		{"ìíîïĩīĭįı", "i"}, {"ÌÍÎÏĨĪĬĮİ", "i"}, {"ĵ", "j"}, {"Ĵ", "j"}, {"ķ", "k"}, {"Ķ", "k"},
		{"ĺļľŀł", "l"}, {"ĹĻĽĿŁ", "l"}, {"ñńņňŉ", "n"}, {"ÑŃŅŇ", "n"},
		{"òóôõöøōŏő", "o"}, {"ÒÓÔÕÖØŌŎŐ", "o"}, {"ŕŗř", "r"}, {"ŔŖŘ", "r"},
		{"śŝşš", "s"}, {"ŚŜŞŠ", "s"}, {"ţťŧ", "t"}, {"ŢŤŦ", "t"},
		{"ùúûüũūŭůűų", "u"}, {"ÙÚÛÜŨŪŬŮŰŲ", "u"}, {"ŵ", "w"}, {"Ŵ", "w"},
		{"ýÿŷ", "y"}, {"ÝŸŶ", "y"}, {"źżž", "z"}, {"ŹŻŽ", "z"},
		{"ß", "ss"}, {"æ", "ae"}, {"Æ", "ae"}, {"œ", "oe"}, {"Œ", "oe"}, {"þ", "th"}, {"Þ", "th"}, {"ð", "d"}, {"Ð", "d"},
	} {
		for _, r := range p.from {
			fold[r] = p.to
		}
	}
}
