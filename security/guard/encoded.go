package guard

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// The encoded scanner finds payloads hidden in encodings: it decodes runs of
// base64, hex, URL-encoding, HTML character references and \u escapes (to a
// depth of two, within a byte budget), reads the whole text through rot13 and
// leetspeak, and rescans what comes out: for injection and jailbreak phrasing
// at the input stage, and for secrets at both. The finding names the chain of
// encodings ("base64 → hex").

const (
	maxDecodeDepth  = 2
	maxDecodedPiece = 64 << 10 // bytes of one decoded run
	maxDecodedTotal = 1 << 20  // bytes decoded per segment
	maxRunsPerKind  = 256      // runs of one encoding tried per text
	minEncodedRun   = 16
)

var (
	b64RunRe     = regexp.MustCompile(`^[A-Za-z0-9+/_-]{16,}={0,2}$`)
	hexEscRunRe  = newMatcher(regexp.MustCompile(`(?:\\x[0-9a-fA-F]{2}){6,}`))
	entityRunRe  = newMatcher(regexp.MustCompile(`(?:&#(?:[xX][0-9a-fA-F]{1,6}|[0-9]{1,7});){4,}`))
	uEscRunRe    = newMatcher(regexp.MustCompile(`(?:\\u[0-9a-fA-F]{4}){4,}`))
	hexOnlyRe    = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	percentEscRe = regexp.MustCompile(`%[0-9A-Fa-f]{2}`)
)

func isB64Byte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '_' || c == '-'
}

func isHexByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isAlnumByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// b64Runs returns the runs of base64 characters (with up to two "=") of at
// least minEncodedRun bytes.
func b64Runs(text string) [][]int {
	var out [][]int
	for i := 0; i < len(text) && len(out) < maxRunsPerKind; {
		if !isB64Byte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isB64Byte(text[j]) {
			j++
		}
		if j-i >= minEncodedRun {
			e := j
			for e < len(text) && e-j < 2 && text[e] == '=' {
				e++
			}
			out = append(out, []int{i, e})
		}
		i = j
	}
	return out
}

// hexSepRuns returns runs of at least eight hex pairs separated by spaces
// or colons ("69 67 6e ...").
func hexSepRuns(text string) [][]int {
	var out [][]int
	pair := func(i int) bool {
		return i+1 < len(text) && isHexByte(text[i]) && isHexByte(text[i+1]) && (i+2 == len(text) || !isAlnumByte(text[i+2]))
	}
	for i := 0; i+1 < len(text) && len(out) < maxRunsPerKind; i++ {
		if !pair(i) || i > 0 && isAlnumByte(text[i-1]) {
			continue
		}
		j, n := i+2, 1
		for j+2 < len(text) && (text[j] == ' ' || text[j] == ':') && pair(j+1) {
			j += 3
			n++
		}
		if n >= 8 {
			out = append(out, []int{i, j})
		}
		i = j - 1
	}
	return out
}

// urlRuns returns the whitespace-delimited words holding at least three
// percent escapes.
func urlRuns(text string) [][]int {
	var out [][]int
	for from := 0; from < len(text) && len(out) < maxRunsPerKind; {
		k := strings.IndexByte(text[from:], '%')
		if k < 0 {
			break
		}
		p := from + k
		s, e := p, p
		for s > 0 && !urlStop(text[s-1]) && p-s < maxDecodedPiece {
			s--
		}
		for e < len(text) && !urlStop(text[e]) && e-p < maxDecodedPiece {
			e++
		}
		if len(percentEscRe.FindAllStringIndex(text[s:e], 3)) >= 3 {
			out = append(out, []int{s, e})
		}
		from = max(e, p+1)
	}
	return out
}

func urlStop(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '"' || c == '\'' || c == '<' || c == '>'
}

// decoded is one decoding of a run.
type decoded struct {
	enc  string
	text string
}

// decodeRun tries the decodings that fit a run found by re.
func decodeRuns(text string) (runs [][2]int, outs [][]decoded) {
	add := func(span []int, d []decoded) {
		if len(d) > 0 {
			runs = append(runs, [2]int{span[0], span[1]})
			outs = append(outs, d)
		}
	}
	for _, m := range b64Runs(text) {
		run := text[m[0]:m[1]]
		var ds []decoded
		if hexOnlyRe.MatchString(run) {
			if b, ok := decodeHex(run); ok {
				ds = append(ds, decoded{"hex", string(b)})
			}
		}
		if b, ok := decodeBase64(run); ok {
			ds = append(ds, decoded{"base64", string(b)})
		}
		add(m, ds)
	}
	for _, m := range hexEscRunRe.find(text, maxDecodedPiece, maxRunsPerKind) {
		if b, ok := decodeHex(strings.ReplaceAll(text[m[0]:m[1]], `\x`, "")); ok {
			add(m, []decoded{{"hex", string(b)}})
		}
	}
	for _, m := range hexSepRuns(text) {
		r := strings.NewReplacer(" ", "", ":", "").Replace(text[m[0]:m[1]])
		if b, ok := decodeHex(r); ok {
			add(m, []decoded{{"hex", string(b)}})
		}
	}
	for _, m := range urlRuns(text) {
		run := text[m[0]:m[1]]
		if s, err := url.QueryUnescape(run); err == nil && s != run {
			add(m, []decoded{{"url-encoding", s}})
		} else if s, err := url.PathUnescape(run); err == nil && s != run {
			add(m, []decoded{{"url-encoding", s}})
		}
	}
	for _, m := range entityRunRe.find(text, maxDecodedPiece, maxRunsPerKind) {
		add(m, []decoded{{"html-entities", html.UnescapeString(text[m[0]:min(m[1], m[0]+maxDecodedPiece)])}})
	}
	for _, m := range uEscRunRe.find(text, maxDecodedPiece, maxRunsPerKind) {
		run := text[m[0]:m[1]]
		run = run[:min(len(run), maxDecodedPiece)/6*6]
		if s, err := strconv.Unquote(`"` + run + `"`); err == nil {
			add(m, []decoded{{"unicode-escapes", s}})
		}
	}
	return runs, outs
}

func decodeHex(s string) ([]byte, bool) {
	s = s[:min(len(s), 2*maxDecodedPiece)&^1]
	if len(s) < minEncodedRun {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	if err != nil || !printableText(b) {
		return nil, false
	}
	return b, true
}

func decodeBase64(s string) ([]byte, bool) {
	s = strings.TrimRight(s, "=")
	s = s[:min(len(s), maxDecodedPiece/3*4)]
	if len(s) < minEncodedRun {
		return nil, false
	}
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		if strings.ContainsAny(s, "+/") {
			return nil, false
		}
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(s)
	if err != nil || !printableText(b) {
		return nil, false
	}
	return b, true
}

// rescanResult is what a rescan of decoded text found.
type rescanResult struct {
	score float64
	what  string // "injection phrasing (...)", "a secret (...)"
	chain []string
	quote bool // whether the decoded text may be quoted in a reason
	text  string
}

// rescan scores decoded text with the scanners that apply to the stage, then
// looks for encodings inside it until the depth is reached.
func (s *scan) rescan(text string, chain []string, depth int, budget *int) rescanResult {
	best := rescanResult{}
	consider := func(score float64, what string, quote bool) {
		if score > best.score {
			best = rescanResult{score: score, what: what, chain: chain, quote: quote, text: text}
		}
	}
	if s.in.Stage == StageInput {
		if sc, l := injectionScore(text); sc > 0 {
			consider(sc, "injection phrasing ("+l+")", true)
		}
		if sc, l := jailbreakScore(text); sc > 0 {
			consider(sc, "jailbreak phrasing ("+l+")", true)
		}
	}
	for _, f := range secretFindings(text) {
		consider(f.score, "a secret ("+f.reason+")", false)
	}
	if depth >= maxDecodeDepth {
		return best
	}
	runs, outs := decodeRuns(text)
	for i := range runs {
		for _, d := range outs[i] {
			if *budget <= 0 {
				return best
			}
			*budget -= len(d.text)
			r := s.rescan(d.text, append(append([]string(nil), chain...), d.enc), depth+1, budget)
			if r.score > best.score {
				best = r
			}
		}
	}
	return best
}

// scanEncoded implements the encoded scanner.
func scanEncoded(s *scan) []finding {
	var out []finding
	budget := maxDecodedTotal
	runs, outs := decodeRuns(s.text)
	for i, span := range runs {
		var best rescanResult
		for _, d := range outs[i] {
			if budget <= 0 {
				break
			}
			budget -= len(d.text)
			r := s.rescan(d.text, []string{d.enc}, 1, &budget)
			if r.score > best.score {
				best = r
			}
		}
		if best.score > 0 {
			out = append(out, encodedFinding(best, span))
		}
	}
	if s.in.Stage == StageInput {
		out = append(out, s.transformed("rot13", rot13(s.lower), [][2]int{{0, len(s.lower)}})...)
		if leet := unleet(s.lower); leet != s.lower {
			out = append(out, s.transformed("leetspeak", leet, changedWindows(s.lower, leet, window))...)
		}
	}
	return out
}

// changedWindows returns the merged windows of a bytes around each byte
// where a and b (the same length) differ.
func changedWindows(a, b string, w int) [][2]int {
	var out [][2]int
	for i := 0; i < len(a); i++ {
		if a[i] == b[i] {
			continue
		}
		s, e := runeStart(a, max(0, i-w)), runeEnd(a, min(len(a), i+w))
		if n := len(out); n > 0 && s <= out[n-1][1] {
			out[n-1][1] = e
		} else {
			out = append(out, [2]int{s, e})
		}
		i = max(i, e-w)
	}
	return out
}

func encodedFinding(r rescanResult, span [2]int) finding {
	reason := fmt.Sprintf("%s-encoded text holds %s", strings.Join(r.chain, " → "), r.what)
	if r.quote {
		reason += fmt.Sprintf(": %q", excerpt(r.text, 60))
	}
	return finding{scanner: ScanEncoded, score: r.score, reason: reason, spans: [][2]int{span}}
}

// transformed scans windows of a length-preserving transform of the
// lower-cased text (rot13, leetspeak) for injection and jailbreak phrasing, keeping only
// matches that the transform changed, so that plain phrasing is left to the
// plain scanners.
func (s *scan) transformed(enc, t string, wins [][2]int) []finding {
	var hits []hit
	for _, w := range wins {
		sub := t[w[0]:w[1]]
		for _, h := range matchSignals(phraseSet, sub, sub) {
			h.start += w[0]
			h.end += w[0]
			if s.lower[h.start:h.end] != t[h.start:h.end] && !h.sig.cs {
				hits = append(hits, h)
			}
		}
	}
	if len(hits) == 0 {
		return nil
	}
	score, best, labels := combine(hits)
	if len(labels) > 3 {
		labels = labels[:3]
	}
	return []finding{{scanner: ScanEncoded, score: score,
		reason: fmt.Sprintf("%s-encoded text holds phrasing (%s): %q", enc, strings.Join(labels, ", "), excerpt(t[best.start:best.end], 60)),
		spans:  [][2]int{{best.start, best.end}}}}
}

// phraseSet holds the injection and jailbreak signals together.
var phraseSet = newSignalSet(injectionSignals, jailbreakSignals)

// rot13 rotates ASCII letters by 13.
func rot13(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = 'a' + (c-'a'+13)%26
		case 'A' <= c && c <= 'Z':
			b[i] = 'A' + (c-'A'+13)%26
		}
	}
	return string(b)
}

// unleet reads leetspeak: digits and symbols standing for letters, when
// they sit next to a letter. The result has the same length.
func unleet(s string) string {
	b := []byte(s)
	letter := func(i int) bool {
		return i >= 0 && i < len(s) && ('a' <= s[i] && s[i] <= 'z' || leetMap[s[i]] != 0 && i+1 < len(s) && 'a' <= s[i+1] && s[i+1] <= 'z')
	}
	for i := 0; i < len(b); i++ {
		r := leetMap[b[i]]
		if r == 0 || !(letter(i-1) || letter(i+1)) {
			continue
		}
		if b[i] == '@' && i > 0 && isAlnumByte(s[i-1]) {
			continue // an e-mail address
		}
		if isHexByte(b[i]) && hexWord(s, i) {
			continue // a hash or a hex number
		}
		b[i] = r
	}
	return string(b)
}

// hexWord reports whether the word around i is made of hex digits alone.
func hexWord(s string, i int) bool {
	a, e := i, i
	for a > 0 && isAlnumByte(s[a-1]) {
		a--
	}
	for e < len(s) && isAlnumByte(s[e]) {
		e++
	}
	return e-a >= 6 && hexOnlyRe.MatchString(s[a:e])
}

var leetMap = [256]byte{'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', '$': 's', '!': 'i', '|': 'l', '+': 't'}
