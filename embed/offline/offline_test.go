package offline

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/llmos/llmos"
)

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func sim(e *Embedder, a, b string) float64 { return dot(e.Vector(a), e.Vector(b)) }

func TestNameAndDim(t *testing.T) {
	e := New(DefaultDim)
	if e.Name() != "offline:hash-v1-384" || e.Dim() != 384 {
		t.Errorf("Name %q Dim %d", e.Name(), e.Dim())
	}
	if New(512).Name() != "offline:hash-v1-512" {
		t.Errorf("512: %q", New(512).Name())
	}
	if New(0).Dim() != DefaultDim || New(1<<20).Dim() != DefaultDim {
		t.Errorf("out-of-range dimensions are not replaced by the default")
	}
}

func TestDeterministicAndNormalised(t *testing.T) {
	e := New(DefaultDim)
	texts := []string{"My sister Maria moved to Lisbon.", "", "!!!", "日本語のテキスト", strings.Repeat("word ", 1000)}
	a, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(DefaultDim).Embed(context.Background(), texts)
	for i := range texts {
		if len(a[i]) != DefaultDim {
			t.Fatalf("vector %d has %d dimensions", i, len(a[i]))
		}
		if n := math.Sqrt(dot(a[i], a[i])); math.Abs(n-1) > 1e-5 {
			t.Errorf("vector of %q has norm %v", texts[i], n)
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatalf("vector of %q differs between two embedders", texts[i])
			}
		}
	}
	// The golden values pin Version: if these change, the vectors changed,
	// and Version must change with them.
	v := e.Vector("My sister Maria moved to Lisbon.")
	var sum, abs float64
	for _, x := range v {
		sum += float64(x)
		abs += math.Abs(float64(x))
	}
	if math.Abs(sum-goldenSum) > 1e-4 || math.Abs(abs-goldenAbs) > 1e-4 {
		t.Errorf("vector changed (sum %.6f, abs %.6f; golden %.6f, %.6f): bump Version and the golden values", sum, abs, goldenSum, goldenAbs)
	}
}

// The golden sums of one vector of Version; see TestDeterministicAndNormalised.
const (
	goldenSum = -1.123857
	goldenAbs = 9.106073
)

func TestEmptyTexts(t *testing.T) {
	e := New(DefaultDim)
	vecs, err := e.Embed(context.Background(), nil)
	if err != nil || len(vecs) != 0 {
		t.Errorf("no texts: %d vectors, %v", len(vecs), err)
	}
	// Texts with no words share one vector, unlike any text with words.
	empty, blank, punct := e.Vector(""), e.Vector("   \n\t"), e.Vector("?!...")
	if dot(empty, blank) < 0.999 || dot(empty, punct) < 0.999 {
		t.Errorf("wordless texts differ")
	}
	if s := dot(empty, e.Vector("hello world")); s > 0.3 {
		t.Errorf("empty text is %.2f similar to a real one", s)
	}
	// A text of function words only still gets a vector of its own.
	if s := dot(e.Vector("where is it?"), empty); s > 0.3 {
		t.Errorf("a stop-word text looks empty (%.2f)", s)
	}
}

func TestSimilarity(t *testing.T) {
	e := New(DefaultDim)
	for _, c := range []struct{ a, b, unrelated string }{
		// Shared words.
		{"I adopted a puppy from the shelter last week", "We got our puppy from a shelter", "The quarterly revenue report is due on Friday"},
		// Morphology: stems and character n-grams.
		{"She is allergic to peanuts", "Any peanut allergies?", "The train was delayed again"},
		// Synonyms from the lexicon.
		{"I bought a new car", "She purchased a vehicle", "My favourite film is Alien"},
		{"My doctor prescribed antibiotics", "The physician gave me a prescription", "I repainted the kitchen yesterday"},
		{"What's your favourite movie?", "Which film do you love most?", "The plumber fixed the sink"},
		{"My wife is a teacher", "What does my spouse teach?", "The weather in Oslo is cold"},
		{"I quit my job at the bank", "Why did I resign from my position?", "Tomatoes need lots of sun"},
		{"My sister lives in Porto", "Where does my sibling reside?", "I lost my keys at the gym"},
		// British and American spelling.
		{"My favourite colour is grey", "favorite color gray", "the meeting is on Tuesday"},
	} {
		related, unrelated := sim(e, c.a, c.b), sim(e, c.a, c.unrelated)
		if related <= unrelated+0.1 {
			t.Errorf("%q ~ %q = %.3f, not well above unrelated %q = %.3f", c.a, c.b, related, c.unrelated, unrelated)
		}
	}
}

func TestTypos(t *testing.T) {
	e := New(DefaultDim)
	texts := []string{
		"Can you recommend a good restaurant in Barcelona?",
		"I need to receive the package before Friday.",
		"The accommodation for the conference is booked.",
		"My neighbour's dog barks all night.",
		"Remind me to renew my passport next month.",
		"The restaurant near the station closed down.",
		"The package from Barcelona arrived on Friday.",
		"Conference talks are recorded and posted online.",
	}
	for i, typo := range []string{
		"can you recomend a good resturant in barcelona",
		"i need to recieve the pakage before friday",
		"the acommodation for the conferance is booked",
		"my nieghbour's dgo barks all nite",
		"remnd me to renw my pasport next month",
	} {
		q := e.Vector(typo)
		best, bestSim := -1, -2.0
		for j, text := range texts {
			if s := dot(q, e.Vector(text)); s > bestSim {
				best, bestSim = j, s
			}
		}
		if best != i {
			t.Errorf("%q is nearest to %q, not %q", typo, texts[best], texts[i])
		}
	}
}

func TestCaseAndAccents(t *testing.T) {
	e := New(DefaultDim)
	if s := sim(e, "Café in São Paulo", "cafe in sao paulo"); s < 0.99 {
		t.Errorf("accents and case change the vector: %.3f", s)
	}
}

func TestInvalidUTF8(t *testing.T) {
	e := New(DefaultDim)
	for _, s := range []string{"\xff\xfe", "abc\x80def", string([]byte{0xe2, 0x28, 0xa1}), "caf\xc3"} {
		v := e.Vector(s)
		if n := dot(v, v); math.Abs(n-1) > 1e-5 {
			t.Errorf("%q: norm² %v", s, n)
		}
	}
}

func TestHugeText(t *testing.T) {
	e := New(DefaultDim)
	huge := strings.Repeat("lorem ipsum dolor sit amet consectetur adipiscing elit ", 200_000) // 11 MB
	start := time.Now()
	v := e.Vector(huge)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("an 11 MB text took %v", took)
	}
	if n := dot(v, v); math.Abs(n-1) > 1e-5 {
		t.Errorf("norm² %v", n)
	}
	// The cut at MaxText keeps whole runes.
	s := strings.Repeat("é", MaxText)
	if v := e.Vector(s); math.IsNaN(dot(v, v)) {
		t.Errorf("NaN")
	}
}

func TestCancel(t *testing.T) {
	e := New(DefaultDim)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Embed(ctx, []string{"a", "b"})
	if llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("error %v, want canceled", err)
	}
}

func TestTokens(t *testing.T) {
	got := tokenize("My sister's co-worker, Zoë, paid $40 for 2 tickets! I'm DONE.\n日本", nil)
	want := "my sister co worker zoe paid 40 for 2 tickets done 日 本"
	if strings.Join(got, " ") != want {
		t.Errorf("tokenize = %q, want %q", strings.Join(got, " "), want)
	}
	toks := tokens("Maria met Tom. Then Sam left", nil)
	var proper []string
	for _, tk := range toks {
		if tk.capital && !tk.start {
			proper = append(proper, tk.text)
		}
	}
	if strings.Join(proper, " ") != "tom sam" {
		t.Errorf("capitalised inside sentences: %v", proper)
	}
}

func TestLexicon(t *testing.T) {
	for _, w := range []string{"favourite", "purchases", "physicians", "movies", "colour"} {
		if len(concepts[stem(w)]) == 0 {
			t.Errorf("%q is in no group", w)
		}
	}
	if stops["sister"] || !stops["the"] {
		t.Errorf("stop words are wrong")
	}
}

func FuzzVector(f *testing.F) {
	for _, s := range []string{"", "hello world", "\xff", "日本語", "Ünïcödé Straße", strings.Repeat("a", 100), "a-b_c'd\"e"} {
		f.Add(s)
	}
	e := New(64)
	f.Fuzz(func(t *testing.T, s string) {
		v := e.Vector(s)
		if len(v) != 64 {
			t.Fatalf("%d dimensions", len(v))
		}
		n := dot(v, v)
		if math.IsNaN(n) || math.Abs(n-1) > 1e-4 {
			t.Fatalf("norm² %v for %q", n, s)
		}
		if utf8.ValidString(s) {
			w := e.Vector(s)
			for i := range v {
				if v[i] != w[i] {
					t.Fatalf("not deterministic")
				}
			}
		}
	})
}

func BenchmarkEmbed(b *testing.B) {
	msgs, _ := history(1)
	texts := make([]string, 1000)
	bytes := 0
	for i := range texts {
		texts[i] = msgs[i].text
		bytes += len(texts[i])
	}
	e := New(DefaultDim)
	b.SetBytes(int64(bytes))
	b.ResetTimer()
	for b.Loop() {
		e.Embed(context.Background(), texts)
	}
	b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "texts/s")
}

func TestConcurrent(t *testing.T) {
	e := New(DefaultDim)
	want := e.Vector("My sister Maria moved to Lisbon.")
	done := make(chan bool)
	for range 4 {
		go func() {
			ok := true
			for range 50 {
				v, _ := e.Embed(context.Background(), []string{"My sister Maria moved to Lisbon.", "other"})
				ok = ok && dot(v[0], want) > 0.9999
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("concurrent vectors differ")
		}
	}
}
