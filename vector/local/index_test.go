package local

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
)

func TestBadInput(t *testing.T) {
	x := open(t, t.TempDir(), Options{})
	ctx := context.Background()
	upsertN(t, x, 0, 3)
	nan := randVec(1, testDim)
	nan[3] = float32(math.NaN())
	for _, c := range []struct {
		name string
		it   vector.Item
		want string // in the message
	}{
		{"dimension", vector.Item{ID: "d", Text: "x", Vector: make([]float32, testDim+2)}, fmt.Sprintf("dimension %d", testDim+2)},
		{"empty_id", vector.Item{Text: "x", Vector: randVec(1, testDim)}, "empty id"},
		{"utf8", vector.Item{ID: "u", Text: "caf\xe9"}, "not valid UTF-8"},
		{"nothing", vector.Item{ID: "n"}, "neither a text nor a vector"},
		{"nan", vector.Item{ID: "nan", Text: "x", Vector: nan}, "finite"},
		{"zero", vector.Item{ID: "z", Text: "x", Vector: make([]float32, testDim)}, "zero"},
	} {
		for _, batch := range [][]vector.Item{{c.it}, {testItem(10), c.it}} {
			err := x.Upsert(ctx, batch)
			if llmos.ErrorCode(err) != llmos.CodeInvalid || !strings.Contains(llmos.ErrorMessage(err), c.want) {
				t.Errorf("%s: %v, want invalid with %q", c.name, err, c.want)
			}
		}
	}
	err := x.Upsert(ctx, []vector.Item{{ID: "d", Text: "x", Vector: randVec(1, 7)}})
	if want := fmt.Sprintf("dimension 7; the index holds vectors of dimension %d", testDim); !strings.Contains(llmos.ErrorMessage(err), want) {
		t.Errorf("dimension mismatch: %v, want both dimensions named", err)
	}
	if _, err := x.Get(ctx, testItem(10).ID); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("the valid item of a rejected batch was written: %v", err)
	}
	for name, q := range map[string]vector.Query{
		"dimension": {Vector: make([]float32, 3)},
		"nothing":   {K: 3},
		"negative":  {Text: "x", K: -1},
		"zero":      {Vector: make([]float32, testDim)},
	} {
		if _, err := x.Search(ctx, q); llmos.ErrorCode(err) != llmos.CodeInvalid {
			t.Errorf("query %s: %v, want invalid", name, err)
		}
	}
	if n, _ := x.Len(ctx); n != 3 {
		t.Errorf("Len = %d", n)
	}
}

// The dimension is fixed by the first vector and survives a reopen, even
// when every item is gone.
func TestDimensionIsDurable(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir, Options{CompactMin: 1})
	ctx := context.Background()
	upsertN(t, x, 0, 1)
	x.Delete(ctx, []string{testItem(0).ID})
	x.Close()
	x = open(t, dir, Options{})
	if err := x.Upsert(ctx, []vector.Item{{ID: "a", Text: "a", Vector: randVec(1, testDim+1)}}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("another dimension after reopen: %v", err)
	}
}

// Items without a vector are found by text, and can get one later.
func TestTextOnlyItems(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir, Options{})
	ctx := context.Background()
	if err := x.Upsert(ctx, []vector.Item{{ID: "t1", Text: "a lighthouse on the cliff"}, {ID: "t2", Text: "a cabin in the woods"}}); err != nil {
		t.Fatal(err)
	}
	res, err := x.Search(ctx, vector.Query{Text: "lighthouse", Vector: randVec(1, testDim)})
	if err != nil || len(res) != 1 || res[0].ID != "t1" {
		t.Fatalf("hybrid search with no vectors yet: %v %v", res, err)
	}
	upsertN(t, x, 0, 5)
	if err := x.Upsert(ctx, []vector.Item{{ID: "t2", Text: "a cabin in the woods", Vector: randVec(99, testDim)}}); err != nil {
		t.Fatal(err)
	}
	x.Close()
	x = open(t, dir, Options{})
	if got, err := x.Get(ctx, "t1"); err != nil || got.Vector != nil {
		t.Errorf("Get t1 = %+v, %v", got, err)
	}
	res, _ = x.Search(ctx, vector.Query{Vector: randVec(99, testDim), K: 10})
	if len(res) != 6 || res[0].ID != "t2" {
		t.Errorf("vector search: %v", res)
	}
}

// Get returns the vector as given, not normalised; times keep their instant
// and offset; labels and metadata come back.
func TestGetFidelity(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir, Options{})
	ctx := context.Background()
	zone := time.FixedZone("CEST", 2*3600)
	it := vector.Item{
		ID: "f", Namespace: "ns", Text: "fidelity", Vector: []float32{3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1e-30},
		Time:  time.Date(2026, 8, 1, 12, 30, 0, 123456789, zone),
		Label: llmos.LabelOf(llmos.SourceWeb, llmos.SourceTool), Meta: map[string]string{"a": "1", "b": ""},
	}
	if err := x.Upsert(ctx, []vector.Item{it}); err != nil {
		t.Fatal(err)
	}
	it.Meta["a"] = "changed by the caller" // the index keeps its own copy
	it.Meta["a"] = "1"
	for _, reopen := range []bool{false, true} {
		if reopen {
			x.Close()
			x = open(t, dir, Options{})
		}
		got, err := x.Get(ctx, "f")
		if err != nil {
			t.Fatal(err)
		}
		_, off := got.Time.Zone()
		if !sameVec(got.Vector, it.Vector) || !got.Time.Equal(it.Time) || off != 2*3600 ||
			!slices.Equal(got.Label.Sources, it.Label.Sources) || len(got.Meta) != 2 || got.Meta["a"] != "1" || got.Namespace != "ns" {
			t.Errorf("reopen %v: Get = %+v", reopen, got)
		}
		got.Meta["a"] = "x"
		if again, _ := x.Get(ctx, "f"); again.Meta["a"] != "1" {
			t.Error("changing a returned item changed the index")
		}
	}
}

// A filter that matches few items, or some, still gives K results whenever K
// match, and the exact K best.
func TestFilteredSearchIsExact(t *testing.T) {
	x := open(t, t.TempDir(), Options{SnapshotEvery: -1, M: 8, EfConstruction: 64})
	ctx := context.Background()
	const n = 6000
	batch := make([]vector.Item, 0, n)
	for i := range n {
		ns := "common"
		switch {
		case i%100 == 0:
			ns = "rare" // 60 items: exact scan
		case i%2 == 0:
			ns = "half" // 2,940 items: a filtered walk of the graph
		}
		batch = append(batch, vector.Item{ID: fmt.Sprintf("f%05d", i), Namespace: ns, Text: "word", Vector: randVec(uint64(i), testDim)})
	}
	if err := x.Upsert(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"rare", "half", "common"} {
		for q := range 5 {
			qv := randVec(uint64(1_000_000+q), testDim)
			res, err := x.Search(ctx, vector.Query{Vector: qv, K: 20, Filter: vector.Filter{Namespace: ns}})
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(batch, qv, 20, ns)
			got := make([]string, len(res))
			for i, r := range res {
				got[i] = r.ID
				if r.Namespace != ns {
					t.Fatalf("%s: %s is in %s", ns, r.ID, r.Namespace)
				}
			}
			if overlap(got, want) < 18 {
				t.Errorf("%s query %d: %d of the true 20 nearest: %v, want %v", ns, q, overlap(got, want), got, want)
			}
		}
	}
	res, _ := x.Search(ctx, vector.Query{Text: "word", K: 100, Filter: vector.Filter{Namespace: "rare"}})
	if len(res) != 60 {
		t.Errorf("text search filtered to 60 items gave %d", len(res))
	}
}

func bruteForce(items []vector.Item, q []float32, k int, ns string) []string {
	type hit struct {
		id string
		s  float64
	}
	var hits []hit
	for _, it := range items {
		if it.Namespace == ns {
			hits = append(hits, hit{it.ID, cosine(q, it.Vector)})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.s > b.s {
			return -1
		}
		if a.s < b.s {
			return 1
		}
		return 0
	})
	var out []string
	for _, h := range hits[:min(k, len(hits))] {
		out = append(out, h.id)
	}
	return out
}

func cosine(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return d / math.Sqrt(na*nb)
}

func overlap(a, b []string) int {
	n := 0
	for _, s := range a {
		if slices.Contains(b, s) {
			n++
		}
	}
	return n
}

func TestHugeText(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir, Options{})
	ctx := context.Background()
	huge := strings.Repeat("lorem ipsum dolor sit amet ", 40_000) + "needle " + strings.Repeat("x", 1<<20)
	if err := x.Upsert(ctx, []vector.Item{{ID: "big", Text: huge, Vector: randVec(1, testDim)}, {ID: "small", Text: "dolor"}}); err != nil {
		t.Fatal(err)
	}
	x.Close()
	x = open(t, dir, Options{})
	got, err := x.Get(ctx, "big")
	if err != nil || got.Text != huge {
		t.Fatalf("Get big: %d bytes, %v", len(got.Text), err)
	}
	res, err := x.Search(ctx, vector.Query{Text: "needle", K: 3})
	if err != nil || len(res) != 1 || res[0].ID != "big" {
		t.Errorf("search needle: %v %v", res, err)
	}
}

// Duplicate ids in a batch: the last wins. Deleting and re-adding shows in
// List at once.
func TestUpsertDuplicatesAndList(t *testing.T) {
	x := open(t, t.TempDir(), Options{})
	ctx := context.Background()
	a, b := testItem(1), testItem(1)
	b.Text = "second"
	if err := x.Upsert(ctx, []vector.Item{a, b, testItem(2), testItem(3)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := x.Get(ctx, a.ID); got.Text != "second" {
		t.Errorf("Get = %q, want the last of the batch", got.Text)
	}
	if n, _ := x.Len(ctx); n != 3 {
		t.Errorf("Len = %d", n)
	}
	x.List(ctx, vector.Filter{}, "", 0) // sorts
	x.Delete(ctx, []string{testItem(2).ID, testItem(2).ID})
	upsertN(t, x, 0, 1)
	upsertN(t, x, 2, 3)
	list, err := x.List(ctx, vector.Filter{}, "", 0)
	var ids []string
	for _, it := range list {
		ids = append(ids, it.ID)
	}
	if err != nil || strings.Join(ids, ",") != "id-0000,id-0001,id-0002,id-0003" {
		t.Errorf("List = %v, %v", ids, err)
	}
	list, _ = x.List(ctx, vector.Filter{}, "id-0001", 2)
	if len(list) != 2 || list[0].ID != "id-0002" {
		t.Errorf("List after id-0001: %v", list)
	}
}

func TestCancelled(t *testing.T) {
	x := open(t, t.TempDir(), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := x.Upsert(ctx, []vector.Item{testItem(0)}); llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("Upsert: %v", err)
	}
	if _, err := x.Search(ctx, vector.Query{Text: "x"}); llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("Search: %v", err)
	}
	if _, err := Open(ctx, t.TempDir(), Options{}); llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("Open: %v", err)
	}
}
