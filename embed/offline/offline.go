package offline

import (
	"context"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/llmos/llmos"
)

// Version names the features; it changes whenever a change to them (or to
// the word lists) changes the vectors, so that indexes built with an older
// version are known to need rebuilding.
const Version = "hash-v1"

// The dimensions New accepts.
const (
	DefaultDim = 384
	MinDim     = 32
	MaxDim     = 8192
)

// MaxText is the most bytes of one text that are read; the rest is ignored,
// which bounds the time one text takes. Embed long documents in chunks.
const MaxText = 1 << 20

// weights are the weights of the kinds of features, relative to a word.
type weights struct {
	word, concept, gram, bigram float64
	// broad is the weight of a broad group's concept relative to a strict
	// group's.
	broad float64
	// proper is the weight of a proper noun (Maria, Lisbon, Acme)
	// relative to another word: names are what a question about a fact
	// most often shares with it, and they are rare.
	proper float64
	// spread is the number of dimensions each feature is spread over.
	spread int
}

// defaults are the weights of Version.
var defaults = weights{word: 1.0, concept: 0.9, gram: 0.4, bigram: 0.25, broad: 0.6, proper: 1.25, spread: 4}

// minOwn is the least share of a word's weight left to its own feature.
const minOwn = 0.35

// maxGramRunes bounds the runes of a word cut into character n-grams (URLs
// and hashes are long words).
const maxGramRunes = 32

// Embedder is the offline embedder. It is safe for concurrent use; its
// vectors depend only on the text, Version and the dimension.
type Embedder struct {
	dim int
	w   weights
}

// New returns an offline embedder with dim dimensions; a dim outside
// [MinDim, MaxDim] gives DefaultDim.
func New(dim int) *Embedder {
	if dim < MinDim || dim > MaxDim {
		dim = DefaultDim
	}
	return &Embedder{dim: dim, w: defaults}
}

// Name returns "offline:" + Version + "-" + the dimension, such as
// "offline:hash-v1-384".
func (e *Embedder) Name() string { return "offline:" + Version + "-" + strconv.Itoa(e.dim) }

// Dim returns the dimension.
func (e *Embedder) Dim() int { return e.dim }

// Embed returns the vector of each text, in order. It fails only when ctx
// is done (code canceled), which it checks between texts.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%32 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, llmos.Wrap(err, llmos.CodeCanceled, "embedding cancelled")
			}
		}
		out[i] = e.Vector(t)
	}
	return out, nil
}

// Vector returns the unit vector of one text. A text with no words at all
// (empty, blank, punctuation) gets the one vector all such texts share.
func (e *Embedder) Vector(text string) []float32 {
	if len(text) > MaxText {
		cut := MaxText
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	v := make([]float32, e.dim)
	b := builder{v: v, dim: uint64(e.dim), w: e.w, spread: max(e.w.spread, 1)}
	b.text(text)
	normalize(v)
	return v
}

// builder accumulates the features of one text into v.
type builder struct {
	v      []float32
	dim    uint64
	w      weights
	spread int
}

// term is one distinct stem of a text.
type term struct {
	stem string
	idf  float64
	tf   int
}

func (b *builder) text(text string) {
	toks := tokens(text, make([]token, 0, 32))
	content := toks[:0:0]
	for _, t := range toks {
		if !stops[t.text] {
			content = append(content, t)
		}
	}
	all := false
	if len(content) == 0 {
		// Only function words ("where is it?"): use them rather than
		// nothing.
		content, all = toks, true
	}
	if len(content) == 0 {
		b.add(hash('e', ""), 1)
		return
	}
	// Features are added in the order of the text, not of a map, so that
	// float32 sums, and so vectors, are the same bit for bit on every run.
	terms := make(map[string]*term, len(content))
	order := make([]*term, 0, len(content))
	surfaces := make(map[string]*term, len(content))
	surfaceOrder := make([]string, 0, len(content))
	bigrams := make(map[[2]string]*term, len(content))
	bigramOrder := make([][2]string, 0, len(content))
	var prev *term
	for _, t := range content {
		s := stem(t.text)
		tm := terms[s]
		if tm == nil {
			idf := 1.0
			if !all && commons[s] {
				idf = commonWeight
			}
			tm = &term{stem: s, idf: idf}
			terms[s] = tm
			order = append(order, tm)
		}
		if !all && t.capital && tm.idf < b.w.proper && (!t.start || concepts[s] == nil && !commons[s]) {
			// A name: capitalised inside a sentence, or at its start
			// when the lexicon does not know the word.
			tm.idf = b.w.proper
		}
		tm.tf++
		sf := surfaces[t.text]
		if sf == nil {
			sf = &term{stem: s}
			surfaces[t.text] = sf
			surfaceOrder = append(surfaceOrder, t.text)
		}
		sf.tf++
		if prev != nil {
			k := [2]string{prev.stem, s}
			bg := bigrams[k]
			if bg == nil {
				bg = &term{}
				bigrams[k] = bg
				bigramOrder = append(bigramOrder, k)
			}
			bg.tf++
		}
		prev = tm
	}
	for _, tm := range order {
		b.term(tm.stem, tfWeight(tm.tf)*tm.idf)
	}
	for _, s := range surfaceOrder {
		sf := surfaces[s]
		b.grams(s, b.w.gram*tfWeight(sf.tf)*terms[sf.stem].idf)
	}
	for _, k := range bigramOrder {
		idf := math.Sqrt(terms[k[0]].idf * terms[k[1]].idf)
		b.add(hash2('b', k[0], k[1]), b.w.bigram*tfWeight(bigrams[k].tf)*idf)
	}
}

// term adds a word of weight w: its own feature and the concepts of its
// groups share w, so that a word counts as much whether or not the lexicon
// knows it. A synonym then matches with the strict share (concept² of an
// exact match) and a broad group member with the smaller broad share.
func (b *builder) term(stem string, w float64) {
	groups := concepts[stem]
	strict, broad := 0, 0
	for _, c := range groups {
		if c.broad {
			broad++
		} else {
			strict++
		}
	}
	var cs, cb float64
	if strict > 0 {
		cs = b.w.concept
	}
	if broad > 0 {
		cb = b.w.concept * b.w.broad
	}
	own := math.Sqrt(max(minOwn*minOwn, 1-cs*cs-cb*cb))
	b.add(hash('w', stem), b.w.word*own*w)
	for _, c := range groups {
		cw := cs / math.Sqrt(float64(strict))
		if c.broad {
			cw = cb / math.Sqrt(float64(broad))
		}
		b.add(hashConcept(c.id), b.w.word*cw*w)
	}
}

// grams adds the character 3-, 4- and 5-grams of "<word>", sharing weight w
// so that together they count as much as a word of weight w. All-digit
// words have none: 1984 and 1985 are not alike.
func (b *builder) grams(word string, w float64) {
	digits := true
	for i := 0; i < len(word); i++ {
		if word[i] < '0' || word[i] > '9' {
			digits = false
			break
		}
	}
	if digits {
		return
	}
	var buf [maxGramRunes + 2]rune
	rs := append(buf[:0], '<')
	for _, r := range word {
		if len(rs) > maxGramRunes {
			break
		}
		rs = append(rs, r)
	}
	rs = append(rs, '>')
	n := 0
	for size := 3; size <= 5; size++ {
		if len(rs) >= size {
			n += len(rs) - size + 1
		}
	}
	if n == 0 {
		return
	}
	gw := w / math.Sqrt(float64(n))
	for size := 3; size <= 5; size++ {
		for i := 0; i+size <= len(rs); i++ {
			b.add(hashRunes('g', rs[i:i+size]), gw)
		}
	}
}

// add adds a feature of hash h and weight w: it spreads w over b.spread
// dimensions that h picks, each with a sign that h picks, so that a chance
// collision of two features moves a similarity by a fraction of their
// weights rather than all of it.
func (b *builder) add(h uint64, w float64) {
	w /= math.Sqrt(float64(b.spread))
	for k := 0; k < b.spread; k++ {
		if k > 0 {
			h = mix(h + 0x9e3779b97f4a7c15)
		}
		i := (h >> 1) % b.dim
		if h&1 == 1 {
			b.v[i] -= float32(w)
		} else {
			b.v[i] += float32(w)
		}
	}
}

// tfWeight is sublinear term frequency: 1 + ln(tf).
func tfWeight(tf int) float64 {
	if tf <= 1 {
		return 1
	}
	return 1 + math.Log(float64(tf))
}

// FNV-1a, finished with splitmix64's mixer so that every bit is usable.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

func hash(kind byte, s string) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(kind)) * fnvPrime
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return mix(h)
}

func hash2(kind byte, a, b string) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(kind)) * fnvPrime
	for i := 0; i < len(a); i++ {
		h = (h ^ uint64(a[i])) * fnvPrime
	}
	h = (h ^ ' ') * fnvPrime
	for i := 0; i < len(b); i++ {
		h = (h ^ uint64(b[i])) * fnvPrime
	}
	return mix(h)
}

func hashRunes(kind byte, rs []rune) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(kind)) * fnvPrime
	for _, r := range rs {
		h = (h ^ uint64(r)) * fnvPrime
	}
	return mix(h)
}

func hashConcept(id uint32) uint64 {
	return mix(uint64(id)*fnvPrime ^ 'c'<<56)
}

// normalize scales v to unit length.
func normalize(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
}
