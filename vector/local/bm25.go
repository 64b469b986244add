package local

import (
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// BM25 parameters.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
	// maxToken caps the bytes of a token; longer runs of letters are cut.
	maxToken = 64
)

// stopWords are the English words too common to rank by.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be but by for from has have he her his i if in into is it
		its me my no not of on or our she so such than that the their them then there these they this to us was
		we were what when which who will with you your`) {
		m[w] = true
	}
	return m
}()

// tokens calls fn with each term of text: the text is NFKC-normalised and
// lower-cased, split on anything that is not a letter, a digit or a combining
// mark; Han, Hiragana and Katakana characters are terms on their own (those
// scripts do not put spaces between words); single ASCII letters and stop
// words are dropped; long tokens are cut to maxToken bytes; and a light
// plural stemmer folds "stories" to "story", "books" to "book".
func tokens(text string, fn func(term string)) {
	if !isASCII(text) {
		text = norm.NFKC.String(text)
	}
	var tok []byte
	emit := func() {
		if len(tok) == 0 {
			return
		}
		t := string(tok)
		tok = tok[:0]
		if len(t) == 1 && t[0] < utf8.RuneSelf && !isDigit(t[0]) || stopWords[t] {
			return
		}
		fn(stem(t))
	}
	for _, r := range text {
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
			emit()
			tok = utf8.AppendRune(tok, r)
			emit()
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) && len(tok) > 0:
			if len(tok)+utf8.RuneLen(unicode.ToLower(r)) <= maxToken {
				tok = utf8.AppendRune(tok, unicode.ToLower(r))
			}
		default:
			emit()
		}
	}
	emit()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// stem is Harman's S-stemmer: it only undoes English plurals, which is enough
// to match "book" with "books" and rarely conflates words that differ.
func stem(w string) string {
	if len(w) <= 3 || !isASCII(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && !strings.HasSuffix(w, "eies") && !strings.HasSuffix(w, "aies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "es") && !strings.HasSuffix(w, "aes") && !strings.HasSuffix(w, "ees") && !strings.HasSuffix(w, "oes"):
		return w[:len(w)-1]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}

// termFreq is a term of a document and how often it occurs there.
type termFreq struct {
	term string
	tf   uint32
}

// analyze returns the terms of text with their frequencies, in order of
// first appearance, and the number of tokens.
func analyze(text string) ([]termFreq, int) {
	var tfs []termFreq
	at := map[string]int{}
	n := 0
	tokens(text, func(t string) {
		n++
		if i, ok := at[t]; ok {
			tfs[i].tf++
			return
		}
		at[t] = len(tfs)
		tfs = append(tfs, termFreq{t, 1})
	})
	return tfs, n
}

// queryTerms returns the distinct terms of a query.
func queryTerms(text string) []string {
	var out []string
	tokens(text, func(t string) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	})
	return out
}

// posting is one document of a term's list.
type posting struct {
	doc uint32 // the document's number
	tf  uint32
}

// postings is a term's list; dead counts the entries of removed documents,
// which are dropped when they are half of the list.
type postings struct {
	p    []posting
	dead int
}

// textIndex is the BM25 inverted index. Documents are numbered in the order
// they are added; numbers are not reused, so a posting of a removed document
// is recognised by docs[num] == nil until its list is compacted.
type textIndex struct {
	post  map[string]*postings
	docs  []*doc
	n     int   // documents with at least one term
	total int64 // their terms, for the average length
}

func newTextIndex() textIndex {
	return textIndex{post: map[string]*postings{}}
}

// add numbers d and indexes its terms.
func (t *textIndex) add(d *doc, tfs []termFreq, length int) {
	d.num = uint32(len(t.docs))
	d.length = uint32(length)
	t.docs = append(t.docs, d)
	if length == 0 {
		return
	}
	t.n++
	t.total += int64(length)
	for _, f := range tfs {
		pl := t.post[f.term]
		if pl == nil {
			pl = &postings{}
			t.post[f.term] = pl
		}
		pl.p = append(pl.p, posting{d.num, f.tf})
	}
}

// remove takes d out of the index.
func (t *textIndex) remove(d *doc) {
	t.docs[d.num] = nil
	if d.length == 0 {
		return
	}
	t.n--
	t.total -= int64(d.length)
	tfs, _ := analyze(d.item.Text)
	for _, f := range tfs {
		pl := t.post[f.term]
		if pl == nil {
			continue
		}
		pl.dead++
		switch {
		case pl.dead >= len(pl.p):
			delete(t.post, f.term)
		case pl.dead > 8 && 2*pl.dead > len(pl.p):
			pl.p = slices.DeleteFunc(pl.p, func(p posting) bool { return t.docs[p.doc] == nil })
			pl.dead = 0
		}
	}
}

// scored is a document and its score in one ranking.
type scored struct {
	d     *doc
	score float64
}

// worse orders rankings: lower score, then greater id, comes last.
func worse(a, b scored) bool {
	return a.score < b.score || a.score == b.score && a.d.item.ID > b.d.item.ID
}

var accPool = sync.Pool{New: func() any { return new([]float64) }}

// search returns the n documents that allow accepts with the best BM25
// scores for terms, best first. Only documents with at least one of the terms
// are ranked.
func (t *textIndex) search(terms []string, n int, allow func(*doc) bool) []scored {
	if t.n == 0 || len(terms) == 0 || n <= 0 {
		return nil
	}
	accp := accPool.Get().(*[]float64)
	defer accPool.Put(accp)
	if len(*accp) < len(t.docs) {
		*accp = make([]float64, len(t.docs)+len(t.docs)/4)
	}
	acc := *accp
	var touched []uint32
	avg := float64(t.total) / float64(t.n)
	for _, term := range terms {
		pl := t.post[term]
		if pl == nil {
			continue
		}
		df := float64(len(pl.p) - pl.dead)
		idf := math.Log(1 + (float64(t.n)-df+0.5)/(df+0.5))
		for _, p := range pl.p {
			d := t.docs[p.doc]
			if d == nil {
				continue
			}
			tf := float64(p.tf)
			if acc[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			acc[p.doc] += idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(d.length)/avg))
		}
	}
	top := make([]scored, 0, min(n, len(touched)))
	for _, num := range touched {
		s := scored{t.docs[num], acc[num]}
		acc[num] = 0
		if s.score <= 0 || !allow(s.d) {
			continue
		}
		top = pushTop(top, n, s)
	}
	slices.SortFunc(top, func(a, b scored) int {
		if worse(b, a) {
			return -1
		}
		if worse(a, b) {
			return 1
		}
		return 0
	})
	return top
}

// pushTop keeps in h the n best of what is pushed: a min-heap on worse, whose
// root is the worst kept.
func pushTop(h []scored, n int, s scored) []scored {
	if len(h) < n {
		h = append(h, s)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !worse(h[i], h[p]) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
		return h
	}
	if !worse(h[0], s) {
		return h
	}
	h[0] = s
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && worse(h[l], h[m]) {
			m = l
		}
		if r < len(h) && worse(h[r], h[m]) {
			m = r
		}
		if m == i {
			return h
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
