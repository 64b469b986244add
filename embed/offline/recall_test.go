package offline

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// The recall benchmark: a seeded chat history of 10,000 messages over 90
// days with 200 planted facts, each asked about later in other words. A fact
// is recalled when its message is among the top 5 of the ranking for its
// question: dense (this embedder alone), BM25 alone, and the two fused by
// reciprocal rank (k = 60) as the vector index's hybrid search does.

const (
	benchMessages = 10_000
	benchDays     = 90
	benchTopK     = 5
	rrfK          = 60
)

type message struct {
	text string
	at   time.Time
}

type plant struct {
	doc      int
	question string
}

// history builds the benchmark's messages and planted facts from seed.
func history(seed uint64) ([]message, []plant) {
	return historyOf(seed, facts, 4)
}

// historyOf plants each of set perFact times, with different subjects.
func historyOf(seed uint64, set []struct{ pool, statement, question string }, perFact int) ([]message, []plant) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	fill := func(tmpl, x string) string {
		out := tmpl
		if x != "" {
			out = strings.ReplaceAll(out, "{X}", x)
		}
		for {
			i := strings.Index(out, "{")
			if i < 0 {
				return out
			}
			j := strings.Index(out[i:], "}")
			pool := pools[out[i+1:i+j]]
			out = out[:i] + pool[rng.IntN(len(pool))] + out[i+j+1:]
		}
	}
	start := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	msgs := make([]message, benchMessages)
	for i := range msgs {
		// A message is one to three sentences, as people write them.
		n := 1
		if x := rng.IntN(10); x >= 9 {
			n = 3
		} else if x >= 6 {
			n = 2
		}
		parts := make([]string, n)
		for k := range parts {
			parts[k] = fill(fillers[rng.IntN(len(fillers))], "")
		}
		msgs[i] = message{
			text: strings.Join(parts, " "),
			at:   start.Add(time.Duration(float64(benchDays*24*time.Hour) * float64(i) / benchMessages)),
		}
	}
	var plants []plant
	used := map[int]bool{}
	for _, f := range set {
		pool := pools[f.pool]
		for _, k := range rng.Perm(len(pool))[:min(perFact, len(pool))] {
			doc := rng.IntN(benchMessages)
			for used[doc] {
				doc = rng.IntN(benchMessages)
			}
			used[doc] = true
			x := pool[k]
			msgs[doc].text = fill(f.statement, x)
			plants = append(plants, plant{doc: doc, question: fill(f.question, x)})
		}
	}
	return msgs, plants
}

// bm25 is a plain BM25 (k1 = 1.2, b = 0.75) over lowercase words, without
// stemming, as a text index would do it.
type bm25 struct {
	docs  []map[string]int
	lens  []int
	df    map[string]int
	avgdl float64
}

func bmTokens(s string) []string {
	toks := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	})
	if os.Getenv("RECALL_BM25") != "stem" {
		return toks
	}
	out := toks[:0]
	for _, t := range toks {
		if !stops[t] {
			out = append(out, stem(t))
		}
	}
	return out
}

func newBM25(texts []string) *bm25 {
	ix := &bm25{df: map[string]int{}}
	total := 0
	for _, t := range texts {
		tf := map[string]int{}
		toks := bmTokens(t)
		for _, w := range toks {
			tf[w]++
		}
		for w := range tf {
			ix.df[w]++
		}
		ix.docs = append(ix.docs, tf)
		ix.lens = append(ix.lens, len(toks))
		total += len(toks)
	}
	ix.avgdl = float64(total) / float64(len(texts))
	return ix
}

func (ix *bm25) scores(q string) []float64 {
	out := make([]float64, len(ix.docs))
	n := float64(len(ix.docs))
	for _, w := range bmTokens(q) {
		df := float64(ix.df[w])
		if df == 0 {
			continue
		}
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		for d, tf := range ix.docs {
			if f := float64(tf[w]); f > 0 {
				out[d] += idf * f * 2.2 / (f + 1.2*(0.25+0.75*float64(ix.lens[d])/ix.avgdl))
			}
		}
	}
	return out
}

// ranking returns the indexes of the n highest scores, best first; ties by
// index.
func ranking(scores []float64, n int) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	return idx[:min(n, len(idx))]
}

// fuse combines rankings by reciprocal rank.
func fuse(n int, rankings ...[]int) []int {
	score := map[int]float64{}
	for _, r := range rankings {
		for i, d := range r {
			score[d] += 1 / float64(rrfK+i+1)
		}
	}
	ids := make([]int, 0, len(score))
	for d := range score {
		ids = append(ids, d)
	}
	sort.Slice(ids, func(a, b int) bool {
		if score[ids[a]] != score[ids[b]] {
			return score[ids[a]] > score[ids[b]]
		}
		return ids[a] < ids[b]
	})
	return ids[:min(n, len(ids))]
}

type recall struct{ dense, bm25, hybrid float64 }

// measure runs the benchmark with e; misses, when non-nil, gets the
// questions the hybrid search missed.
func measure(e *Embedder, msgs []message, plants []plant, misses *[]string) recall {
	texts := make([]string, len(msgs))
	for i, m := range msgs {
		texts[i] = m.text
	}
	vecs := make([][]float32, len(texts))
	for i, t := range texts {
		vecs[i] = e.Vector(t)
	}
	ix := newBM25(texts)
	var r recall
	in := func(rank []int, doc int) bool {
		for _, d := range rank[:min(benchTopK, len(rank))] {
			if d == doc {
				return true
			}
		}
		return false
	}
	dense := make([]float64, len(texts))
	for _, p := range plants {
		q := e.Vector(p.question)
		for i, v := range vecs {
			var dot float32
			for j := range v {
				dot += v[j] * q[j]
			}
			dense[i] = float64(dot)
		}
		dr := ranking(dense, 100)
		br := ranking(ix.scores(p.question), 100)
		hr := fuse(benchTopK, dr, br)
		if in(dr, p.doc) {
			r.dense++
		}
		if in(br, p.doc) {
			r.bm25++
		}
		if in(hr, p.doc) {
			r.hybrid++
		} else if misses != nil {
			*misses = append(*misses, fmt.Sprintf("%q → %q (dense rank %d, BM25 rank %d; dense top: %q)",
				p.question, texts[p.doc], rankOf(dr, p.doc), rankOf(br, p.doc), texts[dr[0]]))
		}
	}
	n := float64(len(plants))
	return recall{r.dense / n, r.bm25 / n, r.hybrid / n}
}

func TestRecall(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("the recall benchmark embeds 20,000 messages; it runs without -short and -race")
	}
	msgs, plants := history(1)
	if len(plants) < 200 {
		t.Fatalf("%d facts planted, want at least 200", len(plants))
	}
	var misses []string
	r := measure(New(DefaultDim), msgs, plants, &misses)
	t.Logf("recall@%d over %d facts in %d messages: dense %.3f, BM25 %.3f, hybrid %.3f",
		benchTopK, len(plants), len(msgs), r.dense, r.bm25, r.hybrid)
	if os.Getenv("RECALL_VERBOSE") != "" {
		for _, m := range misses {
			t.Log("missed:", m)
		}
	}
	// The floors sit a little under what Version measured (dense 0.825,
	// BM25 0.425, hybrid 0.680 on the tuned facts; see doc.go), so that a
	// change that loses recall fails here.
	if r.dense < 0.77 {
		t.Errorf("dense recall@%d = %.3f, want at least 0.77", benchTopK, r.dense)
	}
	if r.hybrid < r.bm25+0.2 {
		t.Errorf("hybrid recall %.3f adds too little to BM25 alone (%.3f)", r.hybrid, r.bm25)
	}
	msgs, plants = historyOf(2, heldOut, 10)
	h := measure(New(DefaultDim), msgs, plants, nil)
	t.Logf("held-out: recall@%d over %d facts: dense %.3f, BM25 %.3f, hybrid %.3f",
		benchTopK, len(plants), h.dense, h.bm25, h.hybrid)
	if h.dense < 0.5 || h.hybrid < 0.6 {
		t.Errorf("held-out recall fell: dense %.3f (was 0.541), hybrid %.3f (was 0.643)", h.dense, h.hybrid)
	}
}

// TestRecallAblation shows what each kind of feature adds; it runs only
// when RECALL_ABLATION is set, as it takes a while.
func TestRecallAblation(t *testing.T) {
	if os.Getenv("RECALL_ABLATION") == "" {
		t.Skip("set RECALL_ABLATION=1 to compare feature sets")
	}
	msgs, plants := history(1)
	hmsgs, hplants := historyOf(2, heldOut, 10)
	type config struct {
		name string
		w    weights
		dim  int
	}
	configs := []config{
		{"default", defaults, DefaultDim},
		{"dim 512", defaults, 512},
		{"dim 1024", defaults, 1024},
		{"words only", with(func(w *weights) { w.concept, w.gram, w.bigram = 0, 0, 0 }), DefaultDim},
		{"no concepts", with(func(w *weights) { w.concept = 0 }), DefaultDim},
		{"no grams", with(func(w *weights) { w.gram = 0 }), DefaultDim},
		{"no bigrams", with(func(w *weights) { w.bigram = 0 }), DefaultDim},
		{"spread 1", with(func(w *weights) { w.spread = 1 }), DefaultDim},
	}
	if os.Getenv("RECALL_ABLATION") == "tune" {
		configs = nil
		for _, p := range []float64{1, 1.25, 1.5, 2} {
			configs = append(configs, config{fmt.Sprintf("proper %.2f", p),
				with(func(w *weights) { w.proper = p }), DefaultDim})
		}
	}
	for _, c := range configs {
		e := New(c.dim)
		e.w = c.w
		r := measure(e, msgs, plants, nil)
		h := measure(e, hmsgs, hplants, nil)
		t.Logf("%-16s dense %.3f  BM25 %.3f  hybrid %.3f   held-out: dense %.3f  BM25 %.3f  hybrid %.3f",
			c.name, r.dense, r.bm25, r.hybrid, h.dense, h.bm25, h.hybrid)
	}
}

func with(f func(*weights)) weights {
	w := defaults
	f(&w)
	return w
}

// rankOf returns the rank (from 1) of doc in r, or 0 when it is not there.
func rankOf(r []int, doc int) int {
	for i, d := range r {
		if d == doc {
			return i + 1
		}
	}
	return 0
}
