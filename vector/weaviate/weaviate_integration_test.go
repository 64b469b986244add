//go:build integration

package weaviate

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/vectortest"
)

// server returns the Config of the server named by LLMOS_WEAVIATE_URL and
// LLMOS_WEAVIATE_API_KEY, or skips the test.
func server(t *testing.T, class string) Config {
	u := os.Getenv("LLMOS_WEAVIATE_URL")
	if u == "" {
		t.Skip("LLMOS_WEAVIATE_URL is not set: start a server with `eval \"$(.ci/weaviate start)\"`")
	}
	return Config{URL: u, APIKey: os.Getenv("LLMOS_WEAVIATE_API_KEY"), Class: class}
}

var classes atomic.Int64

// freshClass opens an index on a new collection, dropped when the test ends.
func freshClass(t *testing.T) *Index {
	t.Helper()
	ctx := context.Background()
	class := fmt.Sprintf("LlmosTest%d_%d", time.Now().UnixNano()%1_000_000_000, classes.Add(1))
	idx, err := Open(ctx, server(t, class))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		idx.Close()
		if err := idx.client.Schema().ClassDeleter().WithClassName(class).Do(context.Background()); err != nil {
			t.Logf("dropping %s: %v", class, err)
		}
	})
	return idx
}

func TestConformance(t *testing.T) {
	server(t, "")
	vectortest.Run(t, vectortest.Harness{
		Open: func(t *testing.T) vector.Index { return freshClass(t) },
		Reopen: func(t *testing.T, idx vector.Index) vector.Index {
			class := idx.(*Index).class
			if err := idx.Close(); err != nil {
				t.Fatal(err)
			}
			re, err := Open(context.Background(), server(t, class))
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			t.Cleanup(func() { re.Close() })
			return re
		},
	})
}

// The keys make filters and List exact where Weaviate's tokenizers would
// trim, fold or split: ids and values with spaces, case, "=" and non-ASCII.
func TestExactKeys(t *testing.T) {
	ctx := context.Background()
	idx := freshClass(t)
	v := func(i int) []float32 {
		out := make([]float32, 4)
		out[i%4] = 1
		out[(i+1)%4] = 0.5
		return out
	}
	ids := []string{"b", " b", "b ", "B", "a=b", "é", "z", "日本"}
	var items []vector.Item
	for i, id := range ids {
		items = append(items, vector.Item{ID: id, Text: "note " + id, Vector: v(i), Namespace: id,
			Meta: map[string]string{"k=1": id, "k": "1=" + id}})
	}
	items = append(items, vector.Item{ID: "no-time", Text: "note", Vector: v(9), Namespace: "other",
		Label: llmos.LabelOf(llmos.SourceWeb, llmos.SourceFile)})
	items[0].Time = time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("X", 3600))
	if err := idx.Upsert(ctx, items); err != nil {
		t.Fatal(err)
	}

	var listed []string
	for after := ""; ; {
		page, err := idx.List(ctx, vector.Filter{}, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, it := range page {
			listed = append(listed, it.ID)
		}
		after = page[len(page)-1].ID
	}
	want := append(slices.Clone(ids), "no-time")
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("List order %q, want %q", listed, want)
	}

	for _, id := range ids {
		got, err := idx.List(ctx, vector.Filter{Namespace: id}, "", 10)
		if err != nil || len(got) != 1 || got[0].ID != id {
			t.Errorf("namespace %q: %v %v", id, got, err)
		}
		got, err = idx.List(ctx, vector.Filter{Meta: map[string]string{"k=1": id, "k": "1=" + id}}, "", 10)
		if err != nil || len(got) != 1 || got[0].ID != id {
			t.Errorf("meta of %q: %v %v", id, got, err)
		}
		it, err := idx.Get(ctx, id)
		if err != nil || it.ID != id || it.Namespace != id || it.Meta["k"] != "1="+id {
			t.Errorf("Get(%q) = %+v, %v", id, it, err)
		}
	}
	if got, _ := idx.List(ctx, vector.Filter{Meta: map[string]string{"k": "1"}}, "", 10); len(got) != 0 {
		t.Errorf("meta k=1 (a split of k=1=...) matched %v", got)
	}

	it, err := idx.Get(ctx, "b")
	if err != nil || !it.Time.Equal(items[0].Time) {
		t.Errorf("time %v, want %v (%v)", it.Time, items[0].Time, err)
	}
	// Filter.Match keeps items without a time under Before, drops them under After.
	for _, c := range []struct {
		f    vector.Filter
		want int
	}{
		{vector.Filter{Before: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, len(items)},
		{vector.Filter{Before: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}, len(items) - 1},
		{vector.Filter{After: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}, 1},
		{vector.Filter{Sources: []llmos.Source{llmos.SourceFile}}, 1},
	} {
		got, err := idx.List(ctx, c.f, "", 100)
		if err != nil || len(got) != c.want {
			t.Errorf("%+v: %d items, want %d (%v)", c.f, len(got), c.want, err)
		}
		for _, g := range got {
			if !c.f.Match(&g) {
				t.Errorf("%+v: %s does not match", c.f, g.ID)
			}
		}
	}

	// Text queries with characters GraphQL and Go quote differently.
	for _, q := range []string{`"note" \ b`, "note\x00\x01 \xff", "note \U0001F600 é"} {
		if _, err := idx.Search(ctx, vector.Query{Text: q, K: 3}); err != nil {
			t.Errorf("Search(%q): %v", q, err)
		}
	}
	res, err := idx.Search(ctx, vector.Query{Text: "日本", K: 3})
	if err != nil || len(res) == 0 || res[0].ID != "日本" {
		t.Errorf("Search(日本) = %v, %v", res, err)
	}
}

// A second Open learns the dimension from the stored vectors.
func TestDimensionSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	idx := freshClass(t)
	if err := idx.Upsert(ctx, []vector.Item{{ID: "a", Text: "a", Vector: []float32{1, 0, 0}}}); err != nil {
		t.Fatal(err)
	}
	re, err := Open(ctx, server(t, idx.class))
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	err = re.Upsert(ctx, []vector.Item{{ID: "b", Text: "b", Vector: []float32{1, 0}}})
	if llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("Upsert of dimension 2 into 3: %v, want invalid", err)
	}
	if _, err := re.Search(ctx, vector.Query{Vector: []float32{1, 0}}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("query of dimension 2: %v, want invalid", err)
	}
}

func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	idx := freshClass(t)
	// Two nodes opening the same collection at once both succeed.
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			x, err := Open(ctx, server(t, idx.class))
			if err == nil {
				x.Close()
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// A collection made by someone else is refused.
	foreign := idx.class + "_foreign"
	other := classDef(foreign)
	other.Properties = other.Properties[:2]
	if err := idx.client.Schema().ClassCreator().WithClass(other).Do(ctx); err != nil {
		t.Fatal(err)
	}
	defer idx.client.Schema().ClassDeleter().WithClassName(foreign).Do(ctx)
	if _, err := Open(ctx, server(t, foreign)); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("Open of a foreign collection: %v, want invalid", err)
	}
}

func TestCancelled(t *testing.T) {
	idx := freshClass(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := idx.Search(ctx, vector.Query{Text: "x"}); llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("Search with a cancelled context: %v", err)
	}
	if err := idx.Upsert(ctx, []vector.Item{{ID: "a", Vector: []float32{1}}}); llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("Upsert with a cancelled context: %v", err)
	}
}

func TestAuthentication(t *testing.T) {
	ctx := context.Background()
	idx := freshClass(t)
	cfg := server(t, idx.class)
	if cfg.APIKey == "" {
		t.Skip("LLMOS_WEAVIATE_API_KEY is not set: the server takes anonymous requests")
	}
	for _, key := range []string{"", "wrong-" + cfg.APIKey} {
		c := cfg
		c.APIKey = key
		_, err := Open(ctx, c)
		if llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
			t.Errorf("Open with key %q: %v, want unauthenticated", key, err)
		}
		if err != nil && (strings.Contains(err.Error(), cfg.APIKey) || strings.Contains(llmos.ErrorMessage(err), cfg.APIKey)) {
			t.Errorf("the key leaked: %v", err)
		}
	}
}

// Two handles open on an empty collection: the one that did not store the
// first vector learns the dimension from Weaviate's refusal.
func TestDimensionFixedByAnotherNode(t *testing.T) {
	ctx := context.Background()
	idx := freshClass(t)
	other, err := Open(ctx, server(t, idx.class))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := idx.Upsert(ctx, []vector.Item{{ID: "a", Vector: []float32{1, 0, 0}}}); err != nil {
		t.Fatal(err)
	}
	if err := other.Upsert(ctx, []vector.Item{{ID: "b", Vector: []float32{1, 0}}}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("Upsert of dimension 2 into 3 through another handle: %v, want invalid", err)
	}
	if err := other.Upsert(ctx, []vector.Item{{ID: "b", Vector: []float32{0, 1, 0}}}); err != nil {
		t.Errorf("Upsert of the right dimension after a refusal: %v", err)
	}
	if n, _ := other.Len(ctx); n != 2 {
		t.Errorf("Len = %d, want 2", n)
	}
}
