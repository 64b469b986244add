// Package vectortest is the conformance suite of vector.Index: every backend
// (vector/local, vector/weaviate) runs Run against fresh, empty indexes.
package vectortest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
)

// Dim is the dimension of the suite's vectors.
const Dim = 32

// Harness makes the indexes under test.
type Harness struct {
	// Open returns a new, empty index.
	Open func(t *testing.T) vector.Index
	// Reopen, when set, closes idx and opens the same index again, to check
	// that acknowledged writes are durable.
	Reopen func(t *testing.T, idx vector.Index) vector.Index
	// Large is the item count of the recall check; 2,000 if zero.
	Large int
}

// vec returns a deterministic unit vector for a seed.
func vec(seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	v := make([]float32, Dim)
	var n float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		n += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(n))
	}
	return v
}

// near returns a unit vector close to v.
func near(v []float32, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 9))
	out := make([]float32, len(v))
	var n float64
	for i := range v {
		out[i] = v[i] + 0.05*float32(r.NormFloat64())
		n += float64(out[i]) * float64(out[i])
	}
	for i := range out {
		out[i] /= float32(math.Sqrt(n))
	}
	return out
}

var day0 = time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)

func corpus() []vector.Item {
	texts := []string{
		"The user's favourite book is The Left Hand of Darkness by Ursula Le Guin",
		"We talked about the trip to Lisbon in October",
		"The quarterly report is due on Friday",
		"Remember to buy oat milk and coffee beans",
		"The cat is called Miso and hates the vacuum cleaner",
		"Deploy the staging cluster before the demo",
		"The password policy requires rotating keys every 90 days",
		"A web page claimed the moon is made of cheese",
	}
	items := make([]vector.Item, len(texts))
	for i, t := range texts {
		items[i] = vector.Item{
			ID: fmt.Sprintf("item-%d", i), Namespace: "alice", Text: t, Vector: vec(uint64(i + 1)),
			Time: day0.Add(time.Duration(i) * 24 * time.Hour), Meta: map[string]string{"kind": "fact"},
		}
	}
	items[7].Label = llmos.LabelOf(llmos.SourceWeb)
	items[7].Meta["kind"] = "page"
	items[3].Namespace = "bob"
	return items
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	ctx := context.Background()
	fill := func(t *testing.T) (vector.Index, []vector.Item) {
		idx := h.Open(t)
		items := corpus()
		if err := idx.Upsert(ctx, items); err != nil {
			t.Fatalf("Upsert: %v", err)
		}
		return idx, items
	}

	t.Run("get_and_len", func(t *testing.T) {
		idx, items := fill(t)
		got, err := idx.Get(ctx, "item-0")
		if err != nil {
			t.Fatal(err)
		}
		if got.Text != items[0].Text || got.Namespace != "alice" || !got.Time.Equal(items[0].Time) || got.Meta["kind"] != "fact" || len(got.Vector) != Dim {
			t.Errorf("Get = %+v", got)
		}
		if web, _ := idx.Get(ctx, "item-7"); web.Label.Trusted() {
			t.Errorf("the label was lost: %+v", web.Label)
		}
		if _, err := idx.Get(ctx, "nope"); llmos.ErrorCode(err) != llmos.CodeNotFound {
			t.Errorf("Get(nope): %v, want not_found", err)
		}
		if n, err := idx.Len(ctx); err != nil || n != len(items) {
			t.Errorf("Len = %d, %v", n, err)
		}
	})

	t.Run("vector_search", func(t *testing.T) {
		idx, _ := fill(t)
		res, err := idx.Search(ctx, vector.Query{Vector: near(vec(5), 1), K: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 3 || res[0].ID != "item-4" {
			t.Fatalf("nearest to item-4's vector: %v", ids(res))
		}
		if res[0].Score < res[1].Score || res[0].Score > 1.0001 || res[0].Score < 0.9 {
			t.Errorf("scores %v: want cosine similarity, best first", scores(res))
		}
	})

	t.Run("text_search", func(t *testing.T) {
		idx, _ := fill(t)
		res, err := idx.Search(ctx, vector.Query{Text: "favourite book", K: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) == 0 || res[0].ID != "item-0" {
			t.Fatalf("BM25 for 'favourite book': %v", ids(res))
		}
		res, _ = idx.Search(ctx, vector.Query{Text: "zanzibar", K: 3})
		if len(res) != 0 {
			t.Errorf("a word in no item matched %v", ids(res))
		}
	})

	t.Run("hybrid_search", func(t *testing.T) {
		idx, _ := fill(t)
		// The vector points at the cat, the words at Lisbon: both come first.
		res, err := idx.Search(ctx, vector.Query{Vector: near(vec(5), 2), Text: "Lisbon trip", K: 2})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(ids(res), ",")
		if got != "item-4,item-1" && got != "item-1,item-4" {
			t.Errorf("hybrid: %s, want item-4 and item-1", got)
		}
	})

	t.Run("filters", func(t *testing.T) {
		idx, _ := fill(t)
		for _, c := range []struct {
			name string
			f    vector.Filter
			want int
			not  string
		}{
			{"namespace", vector.Filter{Namespace: "bob"}, 1, ""},
			{"time", vector.Filter{After: day0.Add(2 * 24 * time.Hour), Before: day0.Add(5 * 24 * time.Hour)}, 3, "item-1"},
			{"sources", vector.Filter{Sources: []llmos.Source{llmos.SourceWeb}}, 1, ""},
			{"meta", vector.Filter{Meta: map[string]string{"kind": "page"}}, 1, ""},
			{"none", vector.Filter{Namespace: "carol"}, 0, ""},
		} {
			words := "book Lisbon report milk cat cluster password moon"
			for _, q := range []vector.Query{{Vector: vec(1), K: 8, Filter: c.f}, {Text: words, K: 8, Filter: c.f}} {
				res, err := idx.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range res {
					if !c.f.Match(&r.Item) || r.ID == c.not {
						t.Errorf("%s: %s does not match the filter", c.name, r.ID)
					}
				}
				if len(res) != c.want {
					t.Errorf("%s: %d results %v, want %d", c.name, len(res), ids(res), c.want)
				}
			}
			list, err := idx.List(ctx, c.f, "", 100)
			if err != nil || len(list) != c.want {
				t.Errorf("%s: List gave %d items (%v), want %d", c.name, len(list), err, c.want)
			}
		}
	})

	t.Run("upsert_replaces_and_delete", func(t *testing.T) {
		idx, items := fill(t)
		changed := items[2]
		changed.Text = "The quarterly report moved to Monday"
		changed.Vector = vec(100)
		if err := idx.Upsert(ctx, []vector.Item{changed}); err != nil {
			t.Fatal(err)
		}
		if n, _ := idx.Len(ctx); n != len(items) {
			t.Errorf("Len after replacing = %d, want %d", n, len(items))
		}
		res, _ := idx.Search(ctx, vector.Query{Vector: vec(100), K: 1})
		if len(res) != 1 || res[0].ID != "item-2" || res[0].Text != changed.Text {
			t.Errorf("search for the new vector: %+v", res)
		}
		res, _ = idx.Search(ctx, vector.Query{Text: "Friday", K: 5})
		if len(res) != 0 {
			t.Errorf("the old text is still found: %v", ids(res))
		}
		if err := idx.Delete(ctx, []string{"item-4", "never-was"}); err != nil {
			t.Fatal(err)
		}
		if _, err := idx.Get(ctx, "item-4"); llmos.ErrorCode(err) != llmos.CodeNotFound {
			t.Errorf("deleted item still there: %v", err)
		}
		res, _ = idx.Search(ctx, vector.Query{Vector: vec(5), K: 8})
		for _, r := range res {
			if r.ID == "item-4" {
				t.Error("a deleted item was found by search")
			}
		}
	})

	t.Run("list_pages_by_id", func(t *testing.T) {
		idx, items := fill(t)
		var all []string
		after := ""
		for {
			page, err := idx.List(ctx, vector.Filter{}, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, it := range page {
				all = append(all, it.ID)
			}
			after = page[len(page)-1].ID
		}
		if len(all) != len(items) {
			t.Fatalf("paged %d items, want %d: %v", len(all), len(items), all)
		}
		for i := 1; i < len(all); i++ {
			if all[i-1] >= all[i] {
				t.Errorf("List not in ascending id order: %v", all)
			}
		}
	})

	t.Run("bad_input", func(t *testing.T) {
		idx, _ := fill(t)
		for name, it := range map[string]vector.Item{
			"dimension": {ID: "x", Text: "x", Vector: make([]float32, Dim+1)},
			"empty_id":  {ID: "", Text: "x", Vector: vec(1)},
		} {
			if err := idx.Upsert(ctx, []vector.Item{it}); llmos.ErrorCode(err) != llmos.CodeInvalid {
				t.Errorf("%s: Upsert error %v, want invalid", name, err)
			}
		}
		if _, err := idx.Search(ctx, vector.Query{Vector: make([]float32, 3)}); llmos.ErrorCode(err) != llmos.CodeInvalid {
			t.Errorf("query of the wrong dimension: %v, want invalid", err)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		idx := h.Open(t)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := range 50 {
					id := fmt.Sprintf("w%d-%03d", w, i)
					if err := idx.Upsert(ctx, []vector.Item{{ID: id, Text: "note " + id, Vector: vec(uint64(w*1000 + i))}}); err != nil {
						t.Errorf("Upsert %s: %v", id, err)
						return
					}
					if _, err := idx.Search(ctx, vector.Query{Vector: vec(uint64(i)), Text: "note", K: 5}); err != nil {
						t.Errorf("Search: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
		if n, _ := idx.Len(ctx); n != 200 {
			t.Errorf("Len = %d after 200 concurrent inserts", n)
		}
	})

	t.Run("recall", func(t *testing.T) {
		n := h.Large
		if n == 0 {
			n = 2000
		}
		idx := h.Open(t)
		batch := make([]vector.Item, 0, 500)
		for i := range n {
			batch = append(batch, vector.Item{ID: fmt.Sprintf("v%05d", i), Text: "x", Vector: vec(uint64(10_000 + i))})
			if len(batch) == cap(batch) || i == n-1 {
				if err := idx.Upsert(ctx, batch); err != nil {
					t.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		found := 0
		for q := range 50 {
			target := 10_000 + q*37%n
			res, err := idx.Search(ctx, vector.Query{Vector: near(vec(uint64(target)), uint64(q)), K: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) == 1 && res[0].ID == fmt.Sprintf("v%05d", target-10_000) {
				found++
			}
		}
		if found < 48 {
			t.Errorf("found the planted neighbour for %d of 50 queries", found)
		}
	})

	if h.Reopen != nil {
		t.Run("durable", func(t *testing.T) {
			idx, items := fill(t)
			idx.Delete(ctx, []string{"item-1"})
			idx = h.Reopen(t, idx)
			if n, _ := idx.Len(ctx); n != len(items)-1 {
				t.Errorf("Len after reopen = %d, want %d", n, len(items)-1)
			}
			res, err := idx.Search(ctx, vector.Query{Vector: vec(5), Text: "cat", K: 1})
			if err != nil || len(res) != 1 || res[0].ID != "item-4" {
				t.Errorf("search after reopen: %v, %v", ids(res), err)
			}
			if _, err := idx.Get(ctx, "item-1"); llmos.ErrorCode(err) != llmos.CodeNotFound {
				t.Errorf("a deleted item came back after reopen: %v", err)
			}
		})
	}
}

func ids(res []vector.Result) []string {
	out := make([]string, len(res))
	for i, r := range res {
		out[i] = r.ID
	}
	return out
}

func scores(res []vector.Result) []float64 {
	out := make([]float64, len(res))
	for i, r := range res {
		out[i] = r.Score
	}
	return out
}
