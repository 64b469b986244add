package guard

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A signal is one weighted piece of evidence: a phrase pattern in one
// language. Scanners built on signals (injection, jailbreak) combine the
// weights of the distinct signals that matched with a noisy-OR, so that one
// strong phrase, or several weak ones together, flag a text while a single
// weak trigger word does not.
type signal struct {
	label  string  // short name shown in reasons, e.g. "ignore-previous"
	lang   string  // ISO 639-1 code of the phrasing
	weight float64 // probability-like evidence in (0, 1)
	// cue marks an address to the AI ("Attention LLM", "AI assistant,"): it
	// raises the score of other signals and is never enough alone.
	cue bool
	// addr marks a cue that addresses the AI: followed closely by an
	// imperative, it makes a directive signal (see directive.go).
	addr bool
	// lead marks a signal whose match must open a sentence, a line or a
	// comment (an address in the vocative: "AI agents: ...").
	lead bool
	// cs marks a case-sensitive signal, matched against the original text;
	// the others are written in lower case and matched against lower(text).
	cs bool
	m  *matcher
}

// sep matches what may separate two words of a phrase: blanks, punctuation,
// symbols, and format characters such as zero-width spaces, so that
// "ignore,\u200ball previous instructions" still matches.
const sep = `[\s\p{P}\p{S}\p{Cf}]+`

// word is one word inside a phrase gap.
const word = `[\p{L}\p{N}'’-]+`

var gapRe = regexp.MustCompile(`~(\d) `)

// phrase compiles the small pattern language of the signal tables: a space
// stands for any separator run (sep) and "~N " for up to N extra words. The
// rest is RE2 syntax.
func phrase(p string) *regexp.Regexp {
	p = gapRe.ReplaceAllString(p, "(?:"+word+"\x00){0,$1}")
	p = strings.ReplaceAll(p, " ", sep)
	p = strings.ReplaceAll(p, "\x00", sep)
	return regexp.MustCompile(p)
}

// sig builds a signal from a phrase pattern.
func sig(lang, label string, weight float64, pattern string) *signal {
	m := newMatcher(phrase(pattern))
	// A phrase starts at a word: an ASCII anchor inside a word is no match.
	m.wordStart = len(m.anchors) > 0
	for _, a := range m.anchors {
		m.wordStart = m.wordStart && isWordASCII(a[0])
	}
	return &signal{label: label, lang: lang, weight: weight, m: m}
}

// cue builds an AI-directed cue signal.
func cue(lang, label string, weight float64, pattern string) *signal {
	s := sig(lang, label, weight, pattern)
	s.cue = true
	return s
}

// rx builds a case-sensitive signal from plain RE2 syntax (no phrase
// shorthand): the code scanner's rules.
func rx(label string, weight float64, expr string) *signal {
	return &signal{label: label, lang: "code", weight: weight, cs: true, m: newMatcher(regexp.MustCompile(expr))}
}

// rxl is rx for a rule written in lower case and matched against the
// lower-cased text.
func rxl(label string, weight float64, expr string) *signal {
	s := rx(label, weight, expr)
	s.cs = false
	return s
}

// cased builds a case-sensitive signal.
func cased(lang, label string, weight float64, pattern string) *signal {
	s := sig(lang, label, weight, pattern)
	s.cs = true
	return s
}

// maxAnchors bounds the literal set derived from a pattern.
const maxAnchors = 128

// anchorsOf returns literals one of which every match of the regexp starts
// with, or nil when there is no such small set (an optional or class-led
// prefix).
func anchorsOf(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	lits, ok := prefixes(re.Simplify(), true)
	if !ok || len(lits) > maxAnchors {
		// Too many with separators enumerated: without.
		lits, ok = prefixes(re.Simplify(), false)
	}
	if !ok {
		return nil
	}
	for _, l := range lits {
		if l == "" {
			return nil
		}
	}
	sort.Strings(lits)
	return dedupe(lits)
}

// prefixes returns the set of literal prefixes of re's matches; ok is false
// when a match may start without one. The second result of the helper says
// whether every string of the set is a whole match of re (so that the next
// element of a concatenation may extend it).
func prefixes(re *syntax.Regexp, expand bool) ([]string, bool) {
	set, _, ok := prefixSet(re, expand)
	return set, ok
}

func prefixSet(re *syntax.Regexp, expand bool) (set []string, complete, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false, false
		}
		return []string{string(re.Rune)}, true, true
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				out = append(out, string(r))
				if len(out) > 8 {
					return nil, false, false
				}
			}
		}
		return out, true, true
	case syntax.OpCapture:
		return prefixSet(re.Sub[0], expand)
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpEmptyMatch:
		// Zero-width: matches start where what follows starts.
		return []string{""}, true, true
	case syntax.OpPlus:
		s, _, ok := prefixSet(re.Sub[0], expand)
		return s, false, ok
	case syntax.OpRepeat:
		if re.Min < 1 {
			return nil, false, false
		}
		s, _, ok := prefixSet(re.Sub[0], expand)
		return s, false, ok
	case syntax.OpAlternate:
		var out []string
		complete = true
		for _, sub := range re.Sub {
			s, c, ok := prefixSet(sub, expand)
			if !ok {
				return nil, false, false
			}
			complete = complete && c
			out = append(out, s...)
			if len(out) > maxAnchors {
				return nil, false, false
			}
		}
		return out, complete, true
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			s, c, ok := prefixSet(sub, expand)
			if !ok && expand && minLen(out) < 4 && isSepRun(sub) {
				// A short word then a separator ("it is"): extend the
				// anchor with the common separators, so that it is not
				// found inside every word. Rarer separators after a short
				// first word are missed.
				s, c, ok = commonSeps, false, true
			}
			if !ok {
				return out, false, len(out) > 0 && out[0] != ""
			}
			if len(out)*len(s) > maxAnchors {
				return out, false, out[0] != ""
			}
			next := make([]string, 0, len(out)*len(s))
			for _, a := range out {
				for _, b := range s {
					next = append(next, a+b)
				}
			}
			out = next
			if !c || minLen(out) >= 6 {
				return out, false, true
			}
		}
		return out, true, true
	}
	return nil, false, false
}

// commonSeps are the separators enumerated after a short anchor.
var commonSeps = []string{" ", "\n", "\t", ",", ".", ":", "-", "_", "*", "\"", "'", "/", "\u00a0", "\u200b"}

// isSepRun reports whether re is a run of a large class holding the space:
// the separator of phrase patterns.
func isSepRun(re *syntax.Regexp) bool {
	if re.Op != syntax.OpPlus || re.Sub[0].Op != syntax.OpCharClass {
		return false
	}
	cc := re.Sub[0].Rune
	for i := 0; i+1 < len(cc); i += 2 {
		if cc[i] <= ' ' && ' ' <= cc[i+1] {
			return len(cc) > 8
		}
	}
	return false
}

func minLen(s []string) int {
	m := math.MaxInt
	for _, x := range s {
		m = min(m, len(x))
	}
	return m
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	// Drop literals that have a shorter literal of the set as prefix:
	// searching for the shorter one finds them all.
	var keep []string
	for _, x := range out {
		covered := false
		for _, y := range out {
			if y != x && strings.HasPrefix(x, y) {
				covered = true
				break
			}
		}
		if !covered {
			keep = append(keep, x)
		}
	}
	return keep
}

// window is how far past an anchor a signal's match may end. Phrases are
// short; a gap of a few words never spans this much.
const window = 240

// maxMatches bounds the matches kept per signal and text.
const maxMatches = 16

// hit is one match of a signal: byte offsets into the text. A hit whose
// phrase is only mentioned (quoted as an example) carries a lower weight w;
// zero means the signal's weight.
type hit struct {
	sig        *signal
	start, end int
	w          float64
}

// weight is the evidence the hit carries.
func (h hit) weight() float64 {
	if h.w > 0 {
		return h.w
	}
	return h.sig.weight
}

// signalSet is a set of signals whose anchors are found in one pass.
type signalSet struct {
	sigs         []*signal
	lower, cased *matcherSet
	li, ci       []int // the signal of each matcher of lower and cased
}

func newSignalSet(sets ...[]*signal) *signalSet {
	ss := &signalSet{}
	var lm, cm []*matcher
	for _, set := range sets {
		for _, s := range set {
			if s.cs {
				ss.ci = append(ss.ci, len(ss.sigs))
				cm = append(cm, s.m)
			} else {
				ss.li = append(ss.li, len(ss.sigs))
				lm = append(lm, s.m)
			}
			ss.sigs = append(ss.sigs, s)
		}
	}
	ss.lower, ss.cased = newMatcherSet(lm), newMatcherSet(cm)
	return ss
}

// matchSignals runs each signal of the set over text (lower is
// lowerText(text), the same length) and returns its matches.
func matchSignals(set *signalSet, text, lower string) []hit {
	var out []hit
	for k, idx := range set.lower.find(lower, window, maxMatches) {
		for _, m := range idx {
			if m[1] > m[0] {
				out = append(out, hit{sig: set.sigs[set.li[k]], start: m[0], end: m[1]})
			}
		}
	}
	for k, idx := range set.cased.find(text, window, maxMatches) {
		for _, m := range idx {
			if m[1] > m[0] {
				out = append(out, hit{sig: set.sigs[set.ci[k]], start: m[0], end: m[1]})
			}
		}
	}
	return out
}

func findSignal(s *signal, src string) []hit {
	idx := s.m.find(src, window, maxMatches)
	out := make([]hit, 0, len(idx))
	for _, m := range idx {
		if m[1] > m[0] {
			out = append(out, hit{sig: s, start: m[0], end: m[1]})
		}
	}
	return out
}

// matcher finds the matches of a regexp quickly in long texts. When every
// match starts with one of a few literals (the anchors, derived from the
// regexp), it looks for the anchors with strings.Index and tries the
// regexp, anchored, only where one occurs; a failed try usually stops after
// a few bytes. Without anchors it runs the regexp over the whole text.
type matcher struct {
	re      *regexp.Regexp // as written
	at      *regexp.Regexp // ^(?:re), tried at each anchor
	anchors []string
	// wordStart is set when the regexp starts with \b: an anchor inside a
	// word is then no match.
	wordStart bool
	// startOK, when set, must accept a position before the regexp is
	// tried there (lead signals: the start of a sentence).
	startOK func(src string, p int) bool
}

func newMatcher(re *regexp.Regexp) *matcher {
	expr := re.String()
	m := &matcher{re: re, anchors: anchorsOf(expr), wordStart: strings.HasPrefix(expr, `\b`)}
	if len(m.anchors) > 0 {
		m.at = regexp.MustCompile(`^(?:` + expr + `)`)
	}
	return m
}

// find returns the submatch indices (offsets into src) of at most limit
// non-overlapping matches; a match runs at most span bytes past its anchor.
func (m *matcher) find(src string, span, limit int) [][]int {
	if len(m.anchors) == 0 {
		return m.re.FindAllStringSubmatchIndex(src, limit)
	}
	var starts []int
	for _, a := range m.anchors {
		for from := 0; from < len(src); {
			i := strings.Index(src[from:], a)
			if i < 0 {
				break
			}
			starts = append(starts, from+i)
			from += i + len(a)
		}
	}
	if len(starts) == 0 {
		return nil
	}
	if len(m.anchors) > 1 {
		sort.Ints(starts)
	}
	return m.tryAt(src, starts, span, limit)
}

// tryAt tries the anchored regexp at each start (increasing).
func (m *matcher) tryAt(src string, starts []int, span, limit int) [][]int {
	var out [][]int
	end := -1
	for i, p := range starts {
		if p < end || i > 0 && p == starts[i-1] {
			continue
		}
		if m.wordStart && p > 0 && isWordASCII(src[p-1]) && isWordASCII(src[p]) {
			continue
		}
		if m.startOK != nil && !m.startOK(src, p) {
			continue
		}
		idx := m.at.FindStringSubmatchIndex(src[p:min(len(src), p+span)])
		if idx == nil {
			continue
		}
		for k := range idx {
			if idx[k] >= 0 {
				idx[k] += p
			}
		}
		out = append(out, idx)
		end = max(idx[1], p+1)
		if len(out) >= limit {
			break
		}
	}
	return out
}

// matcherSet finds the anchors of many matchers in one pass over a text,
// through a table keyed by an anchor's first two bytes.
type matcherSet struct {
	ms    []*matcher
	one   [256][]anchorRef // one-byte anchors
	heads []int32          // by first two bytes: the start of their refs
	refs  []anchorRef
}

type anchorRef struct {
	lit string
	m   int32
}

func newMatcherSet(ms []*matcher) *matcherSet {
	s := &matcherSet{ms: ms}
	buckets := make([][]anchorRef, 1<<16)
	for i, m := range ms {
		for _, a := range m.anchors {
			if len(a) == 1 {
				s.one[a[0]] = append(s.one[a[0]], anchorRef{a, int32(i)})
				continue
			}
			k := int(a[0])<<8 | int(a[1])
			buckets[k] = append(buckets[k], anchorRef{a, int32(i)})
		}
	}
	s.heads = make([]int32, 1<<16+1)
	for k := range buckets {
		s.heads[k] = int32(len(s.refs))
		s.refs = append(s.refs, buckets[k]...)
	}
	s.heads[1<<16] = int32(len(s.refs))
	return s
}

// find returns, for each matcher, the submatch indices of at most limit
// matches in src.
func (s *matcherSet) find(src string, span, limit int) [][][]int {
	out := make([][][]int, len(s.ms))
	if len(s.ms) == 0 {
		return out
	}
	starts := make([][]int, len(s.ms))
	for i := 0; i < len(src); i++ {
		c := src[i]
		for _, r := range s.one[c] {
			starts[r.m] = append(starts[r.m], i)
		}
		if i+1 < len(src) {
			k := int(c)<<8 | int(src[i+1])
			for _, r := range s.refs[s.heads[k]:s.heads[k+1]] {
				if strings.HasPrefix(src[i:], r.lit) {
					starts[r.m] = append(starts[r.m], i)
				}
			}
		}
	}
	for i, m := range s.ms {
		if len(m.anchors) == 0 {
			out[i] = m.re.FindAllStringSubmatchIndex(src, limit)
		} else if len(starts[i]) > 0 {
			out[i] = m.tryAt(src, starts[i], span, limit)
		}
	}
	return out
}

func isWordASCII(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// combine scores the distinct signals among hits with a noisy-OR. Cues count
// only when another signal matched; alone they give half their weight, which
// stays below any sensible threshold. It returns the score, the strongest
// non-cue hit (or the first cue) and the labels, strongest first. A signal
// with several hits counts once, with its strongest.
func combine(hits []hit) (float64, hit, []string) {
	type ev struct {
		s *signal
		w float64
	}
	seen := map[*signal]bool{}
	var main, cues []ev
	best := hit{start: -1, end: -1}
	// Strongest first; a hit overlapping a stronger one of another signal
	// is the same evidence read twice and does not add to the score.
	hits = append([]hit(nil), hits...)
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].weight() > hits[j].weight() })
	var counted []hit
	for _, h := range hits {
		if seen[h.sig] {
			continue
		}
		seen[h.sig] = true
		if !h.sig.cue && overlapsHit(counted, h) {
			continue
		}
		if h.sig.cue {
			cues = append(cues, ev{h.sig, h.weight()})
			if best.sig == nil {
				best = h
			}
			continue
		}
		counted = append(counted, h)
		main = append(main, ev{h.sig, h.weight()})
		if best.sig == nil || best.sig.cue || h.weight() > best.weight() {
			best = h
		}
	}
	rest := 1.0
	for _, e := range main {
		rest *= 1 - e.w
	}
	if len(main) > 0 {
		for _, e := range cues {
			rest *= 1 - e.w
		}
	} else {
		for _, e := range cues {
			rest = min(rest, 1-e.w/2)
		}
	}
	all := append(main, cues...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].w > all[j].w })
	labels := make([]string, len(all))
	for i, e := range all {
		labels[i] = e.s.label + " (" + e.s.lang + ")"
		if e.w < e.s.weight {
			labels[i] += " quoted"
		}
	}
	return round(1 - rest), best, labels
}

func overlapsHit(hs []hit, h hit) bool {
	for _, x := range hs {
		if h.start < x.end && x.start < h.end {
			return true
		}
	}
	return false
}

// round keeps scores readable: three decimals.
func round(x float64) float64 { return math.Round(x*1000) / 1000 }

// lowerText lower-cases text rune by rune, keeping each rune whose lower case
// has a different UTF-8 length as it is, so that byte offsets into the result
// are offsets into text. Invalid bytes are kept.
func lowerText(text string) string {
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return asciiLower(text)
	}
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && n <= 1 {
			b.WriteByte(text[i])
			i++
			continue
		}
		l := unicode.ToLower(r)
		if l != r && utf8.RuneLen(l) == n {
			b.WriteRune(l)
		} else {
			b.WriteString(text[i : i+n])
		}
		i += n
	}
	return b.String()
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// clip shortens s to at most n runes for a reason, quoting nothing.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// show renders a short excerpt of untrusted text for a reason: control and
// invisible characters escaped as <U+XXXX>, clipped to n runes.
func show(s string, n int) string {
	s = clip(s, n)
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || isTag(r) || isVariationSelector(r) {
			fmt.Fprintf(&b, "<U+%04X>", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// excerpt renders a piece of untrusted text for a reason like show, with
// any secret in it masked first: reasons end up in logs and audit records.
func excerpt(s string, n int) string {
	if len(s) > 4*n {
		s = s[:runeStart(s, 4*n)]
	}
	fs := secretFindings(s)
	for i := len(fs) - 1; i >= 0; i-- {
		if fs[i].score >= 0.5 {
			sp := fs[i].spans[0]
			s = s[:sp[0]] + "[secret]" + s[sp[1]:]
		}
	}
	return show(s, n)
}

// printableText reports whether b decodes to text a person or a model would
// read: valid UTF-8, mostly letters, digits, spaces and punctuation.
func printableText(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	var good, total, letters int
	for _, r := range string(b) {
		total++
		switch {
		case unicode.IsLetter(r):
			letters++
			good++
		case unicode.IsDigit(r), unicode.IsSpace(r) && r != '\v' && r != '\f', unicode.IsPunct(r), unicode.IsSymbol(r):
			good++
		}
	}
	return letters*3 >= total && good*100 >= total*90
}

// runeStart moves i back to the start of the rune it falls in.
func runeStart(s string, i int) int {
	for k := 0; k < utf8.UTFMax-1 && i > 0 && i < len(s) && !utf8.RuneStart(s[i]); k++ {
		i--
	}
	return i
}

// runeEnd moves i forward to the end of the rune it falls in.
func runeEnd(s string, i int) int {
	for k := 0; k < utf8.UTFMax-1 && i < len(s) && i > 0 && !utf8.RuneStart(s[i]); k++ {
		i++
	}
	return i
}
