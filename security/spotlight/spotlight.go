package spotlight

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/llmos/llmos"
)

// Mode is how untrusted text is shown inside its fence.
type Mode string

// The modes of spotlighting, from the most readable to the most isolated.
const (
	// Delimit shows the neutralised text as it is, between the fence lines.
	Delimit Mode = "delimit"
	// Datamark shows every space of the text as Marker and puts Marker before
	// every tab and line break, so that the model sees on every word that it
	// is reading data. The instructions name the mark.
	Datamark Mode = "datamark"
	// Base64 shows the text encoded in base64 (standard alphabet, lines of 76
	// characters): instructions in it are not even legible without decoding.
	Base64 Mode = "base64"
)

// Modes lists the valid modes.
var Modes = []Mode{Delimit, Datamark, Base64}

// ParseMode returns the mode named by s: "" is Datamark, the default. An
// unknown name is a CodeInvalid error that names it and the valid ones.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return Datamark, nil
	case Delimit, Datamark, Base64:
		return m, nil
	}
	return "", llmos.Errorf(llmos.CodeInvalid, "unknown spotlight mode %q: want %s, %s or %s", s, Delimit, Datamark, Base64)
}

// nonceLen is the length of a random nonce in hex characters (64 bits).
const nonceLen = 16

// Fencer fences untrusted text for one session (one process run) with its own
// random nonce. It holds no mutable state and is safe for concurrent use.
type Fencer struct {
	mode  Mode
	nonce string
}

// New returns a Fencer with a fresh random nonce of 16 hex characters from
// crypto/rand. An unknown mode is taken as Datamark; validate user input with
// ParseMode first.
func New(mode Mode) *Fencer {
	var b [nonceLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("spotlight: crypto/rand failed: " + err.Error()) // rand.Read does not fail on supported platforms
	}
	return &Fencer{mode: validMode(mode), nonce: hex.EncodeToString(b[:])}
}

// NewWithNonce returns a Fencer with the given nonce, for golden tests and for
// resuming a session whose fences must stay valid. The nonce must be 8 to 64
// ASCII letters and digits; NewWithNonce panics otherwise. An unknown mode is
// taken as Datamark.
func NewWithNonce(mode Mode, nonce string) *Fencer {
	if len(nonce) < 8 || len(nonce) > 64 || strings.IndexFunc(nonce, func(r rune) bool { return !isAlnum(r) }) >= 0 {
		panic(fmt.Sprintf("spotlight: invalid nonce %q: want 8 to 64 letters and digits", nonce))
	}
	return &Fencer{mode: validMode(mode), nonce: nonce}
}

func validMode(m Mode) Mode {
	switch m {
	case Delimit, Datamark, Base64:
		return m
	}
	return Datamark
}

func isAlnum(r rune) bool { return r < utf8.RuneSelf && (isASCIILetter(r) || '0' <= r && r <= '9') }

// Nonce returns the session nonce that every fence of f carries.
func (f *Fencer) Nonce() string { return f.nonce }

// Mode returns how f shows text inside its fences.
func (f *Fencer) Mode() Mode { return f.mode }

// The fence lines. Only Fence writes them; Neutralize defuses any copy in data.
func (f *Fencer) header(source string) string {
	return "<<untrusted nonce=" + f.nonce + " source=\"" + source + "\">>"
}

func (f *Fencer) footer() string { return "<<end-untrusted nonce=" + f.nonce + ">>" }

// Fence returns text neutralised (see Neutralize) and fenced, with a header
// naming its source ("web", "tool:web_fetch", "memory"...):
//
//	<<untrusted nonce=3f9a0c1d2e4b5a69 source="web">>
//	Theˆquickˆbrownˆfox
//	<<end-untrusted nonce=3f9a0c1d2e4b5a69>>
//
// The body is shown according to the mode; any copy of the nonce in the text
// or the source becomes ‹nonce›, so that even a leaked nonce cannot forge a
// fence. The source is written as SanitizeSource returns it. Fence runs in
// time linear in len(text).
func (f *Fencer) Fence(source, text string) string {
	s, _ := f.FenceReport(source, text)
	return s
}

// FenceReport is Fence that also reports what it neutralised, for the audit log.
func (f *Fencer) FenceReport(source, text string) (string, Report) {
	body, rep := Neutralize(text)
	body, rep.ForgedFences = redact(body, f.nonce, rep.ForgedFences)
	src, _ := redact(SanitizeSource(source), f.nonce, 0)
	head, foot := f.header(src), f.footer()
	var b strings.Builder
	switch f.mode {
	case Base64:
		b.Grow(len(head) + len(foot) + 2 + base64Len(len(body)))
		b.WriteString(head)
		b.WriteByte('\n')
		writeBase64(&b, body)
	case Datamark:
		b.Grow(len(head) + len(foot) + 2 + len(body) + len(body)/4)
		b.WriteString(head)
		b.WriteByte('\n')
		writeDatamark(&b, body)
	default:
		b.Grow(len(head) + len(foot) + 2 + len(body))
		b.WriteString(head)
		b.WriteByte('\n')
		b.WriteString(body)
	}
	b.WriteByte('\n')
	b.WriteString(foot)
	return b.String(), rep
}

// Unfence returns the neutralised text inside s, a block written by f.Fence
// (the datamarks or the base64 undone), so that Unfence(f.Fence(src, x)) is
// Neutralize(x) with any copy of f's nonce written ‹nonce›. ok is false unless
// s, without leading and trailing whitespace, is exactly one fence of f's
// mode with f's nonce.
func (f *Fencer) Unfence(s string) (text string, ok bool) {
	s = strings.TrimSpace(s)
	nl := strings.IndexByte(s, '\n')
	if nl < 0 || !f.isHeader(s[:nl]) {
		return "", false
	}
	foot := "\n" + f.footer()
	if !strings.HasSuffix(s, foot) || len(s)-len(foot) < nl+1 {
		return "", false
	}
	body := s[nl+1 : len(s)-len(foot)]
	var rep Report
	if defuse(body, &rep); rep.ForgedFences > 0 {
		return "", false // a fence inside: not one block
	}
	switch f.mode {
	case Base64:
		return readBase64(body)
	case Datamark:
		return readDatamark(body)
	}
	return body, true
}

// isHeader reports whether line is f's opening fence line with any source.
func (f *Fencer) isHeader(line string) bool {
	pre := "<<untrusted nonce=" + f.nonce + " source=\""
	if !strings.HasPrefix(line, pre) || !strings.HasSuffix(line, "\">>") || len(line) < len(pre)+3 {
		return false
	}
	return !strings.ContainsAny(line[len(pre):len(line)-3], "\"\n")
}

// SanitizeSource returns source as Fence writes it in a fence header: letters,
// digits and _ . : / @ + - = ? & % # ~ , kept (ASCII only), anything else
// (spaces, quotes, angle brackets, line breaks...) written '_', cut to 128
// bytes, and "unknown" if nothing is left.
func SanitizeSource(source string) string {
	const max = 128
	var b strings.Builder
	for _, r := range source {
		if b.Len() >= max {
			break
		}
		if isAlnum(r) || strings.ContainsRune("_.:/@+-=?&%#~,", r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if strings.Trim(b.String(), "_") == "" {
		return "unknown"
	}
	return b.String()
}

// redact replaces every copy of nonce in s, in any case, by ‹nonce› and adds
// their number to n.
func redact(s, nonce string, n int) (string, int) {
	low := asciiLower(nonce)
	k := indexFold(s, low)
	if k < 0 {
		return s, n
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for k >= 0 {
		b.WriteString(s[last : last+k])
		b.WriteString(openQuote + "nonce" + closeQuote)
		last += k + len(low)
		n++
		k = indexFold(s[last:], low)
	}
	b.WriteString(s[last:])
	return b.String(), n
}

// indexFold returns the index of the first copy of low (lower-case ASCII) in
// s, ASCII letters compared without case, or -1.
func indexFold(s, low string) int {
	if len(low) == 0 || len(s) < len(low) {
		return -1
	}
	c0, c1 := low[0], low[0]
	if 'a' <= c0 && c0 <= 'z' {
		c1 = c0 - 'a' + 'A'
	}
	for i := 0; i+len(low) <= len(s); i++ {
		if s[i] != c0 && s[i] != c1 {
			continue
		}
		j := 1
		for ; j < len(low); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != low[j] {
				break
			}
		}
		if j == len(low) {
			return i
		}
	}
	return -1
}

// asciiLower lowers ASCII letters only.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
