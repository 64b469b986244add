package hnsw

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/llmos/llmos"
)

// clustered returns n vectors of dimension dim around 50 random centres
// (the shape of real embeddings, and harder for a graph than uniform data).
func clustered(seed uint64, n, dim int) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	centres := make([][]float32, 50)
	for i := range centres {
		centres[i] = make([]float32, dim)
		for j := range centres[i] {
			centres[i][j] = 2*r.Float32() - 1
		}
	}
	out := make([][]float32, n)
	for i := range out {
		c := centres[r.IntN(len(centres))]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + 0.1*float32(r.NormFloat64())
		}
		out[i] = v
	}
	return out
}

func build(t testing.TB, cfg Config, data [][]float32, threads int) *Graph {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if threads <= 1 {
		for i, v := range data {
			id, err := g.Add(v)
			if err != nil {
				t.Fatal(err)
			}
			if id != uint32(i) {
				t.Fatalf("Add %d returned id %d", i, id)
			}
		}
		return g
	}
	var wg sync.WaitGroup
	ch := make(chan []float32)
	for range threads {
		wg.Go(func() {
			for v := range ch {
				if _, err := g.Add(v); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for _, v := range data {
		ch <- v
	}
	close(ch)
	wg.Wait()
	return g
}

// recall is the mean fraction of the exact k nearest that Search finds.
func recall(g *Graph, queries [][]float32, k, ef int, allow func(uint32) bool) float64 {
	found := 0
	for _, q := range queries {
		want := map[uint32]bool{}
		for _, h := range g.Exact(q, k, allow) {
			want[h.Node] = true
		}
		for _, h := range g.Search(q, k, ef, allow) {
			if want[h.Node] {
				found++
			}
		}
	}
	return float64(found) / float64(k*len(queries))
}

// testSize is the size of the graphs of the tests: small under the race
// detector, which makes them ten times slower.
func testSize() int {
	if raceEnabled || testing.Short() {
		return 1500
	}
	return 10000
}

func TestRecall(t *testing.T) {
	n, dim := testSize(), 64
	data := clustered(1, n+100, dim)
	for _, metric := range []Metric{L2, Cosine, Dot} {
		for _, quant := range []bool{false, true} {
			t.Run(metric.String()+map[bool]string{true: "-quantized"}[quant], func(t *testing.T) {
				g := build(t, Config{Dim: dim, Metric: metric, Quantize: quant, EfConstruction: 100}, data[:n], 1)
				r := recall(g, data[n:], 10, 64, nil)
				t.Logf("recall@10 at ef=64: %.3f", r)
				if r < 0.95 {
					t.Errorf("recall@10 = %.3f, want >= 0.95", r)
				}
			})
		}
	}
}

func TestConfig(t *testing.T) {
	for _, cfg := range []Config{{}, {Dim: -1}, {Dim: MaxDim + 1}, {Dim: 4, M: 1}, {Dim: 4, M: MaxM + 1},
		{Dim: 4, EfConstruction: -1}, {Dim: 4, EfSearch: -5}, {Dim: 4, Metric: 7}} {
		if _, err := New(cfg); llmos.ErrorCode(err) != llmos.CodeInvalid {
			t.Errorf("New(%+v) = %v, want an invalid error", cfg, err)
		}
	}
	g, err := New(Config{Dim: 4, M: 8, EfConstruction: 4})
	if err != nil {
		t.Fatal(err)
	}
	if c := g.Config(); c.EfConstruction != 8 || c.EfSearch != 64 {
		t.Errorf("Config() = %+v", c)
	}
}

func TestBadVectors(t *testing.T) {
	g, _ := New(Config{Dim: 3})
	for _, v := range [][]float32{nil, {1, 2}, {1, 2, 3, 4}, {1, float32(math.NaN()), 0}, {float32(math.Inf(-1)), 0, 0}} {
		_, err := g.Add(v)
		var e *llmos.Error
		if !errors.As(err, &e) || e.Code != llmos.CodeInvalid {
			t.Errorf("Add(%v) = %v, want an invalid error", v, err)
		}
	}
	if g.Nodes() != 0 {
		t.Errorf("Nodes() = %d after bad Adds", g.Nodes())
	}
	if _, err := g.Add([]float32{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if h := g.Search([]float32{1, 2}, 1, 0, nil); h != nil {
		t.Errorf("Search with a short query = %v", h)
	}
	if h := g.Exact([]float32{1, 2, 3, 4}, 1, nil); h != nil {
		t.Errorf("Exact with a long query = %v", h)
	}
	if h := g.Search([]float32{1, 2, 3}, 0, 0, nil); h != nil {
		t.Errorf("Search with k=0 = %v", h)
	}
}

func TestEmpty(t *testing.T) {
	g, _ := New(Config{Dim: 2})
	if h := g.Search([]float32{1, 2}, 3, 0, nil); len(h) != 0 {
		t.Errorf("Search on an empty graph = %v", h)
	}
	if h := g.Exact([]float32{1, 2}, 3, nil); len(h) != 0 {
		t.Errorf("Exact on an empty graph = %v", h)
	}
	if g.Len() != 0 || g.Nodes() != 0 || g.Vector(0) != nil || g.Deleted(0) {
		t.Error("an empty graph has something")
	}
	g.Delete(5) // ignored
	if g.Len() != 0 {
		t.Errorf("Len() = %d", g.Len())
	}
}

// TestMetrics checks the distances of each metric on vectors small enough to
// work out by hand, and Exact's order.
func TestMetrics(t *testing.T) {
	vecs := [][]float32{{3, 4}, {1, 0}, {0, 2}, {-1, -1}}
	q := []float32{2, 0}
	for _, tc := range []struct {
		m     Metric
		order []uint32
		dist  []float32
	}{
		{L2, []uint32{1, 2, 3, 0}, []float32{17, 1, 8, 10}},
		{Cosine, []uint32{1, 0, 2, 3}, []float32{0.4, 0, 1, 1 + float32(math.Sqrt(0.5))}},
		{Dot, []uint32{0, 1, 2, 3}, []float32{-5, -1, 1, 3}},
	} {
		g, _ := New(Config{Dim: 2, Metric: tc.m})
		for _, v := range vecs {
			g.Add(v)
		}
		if tc.m == Cosine {
			if v := g.Vector(0); math.Abs(float64(v[0])-0.6) > 1e-6 || math.Abs(float64(v[1])-0.8) > 1e-6 {
				t.Errorf("cosine stores %v, want the unit vector", v)
			}
		}
		for _, hits := range [][]Hit{g.Exact(q, 4, nil), g.Search(q, 4, 10, nil)} {
			var got []uint32
			for _, h := range hits {
				got = append(got, h.Node)
				if want := tc.dist[h.Node]; math.Abs(float64(h.Distance-want)) > 1e-5 {
					t.Errorf("%v: distance to %d = %v, want %v", tc.m, h.Node, h.Distance, want)
				}
			}
			if !slices.Equal(got, tc.order) {
				t.Errorf("%v: order %v, want %v", tc.m, got, tc.order)
			}
		}
	}
}

// TestExact checks Exact against a sort of every distance.
func TestExact(t *testing.T) {
	data := clustered(2, 500, 17) // 17: the kernels' tail loop too
	g := build(t, Config{Dim: 17}, data, 1)
	for _, q := range clustered(2, 505, 17)[500:] {
		all := make([]Hit, len(data))
		for i, v := range data {
			var s float64
			for j := range v {
				d := float64(v[j]) - float64(q[j])
				s += d * d
			}
			all[i] = Hit{uint32(i), float32(s)}
		}
		slices.SortFunc(all, func(a, b Hit) int { return cmpFloat(a.Distance, b.Distance) })
		got := g.Exact(q, 20, nil)
		for i := range got {
			if got[i].Node != all[i].Node || math.Abs(float64(got[i].Distance-all[i].Distance)) > 1e-3 {
				t.Fatalf("Exact[%d] = %+v, want %+v", i, got[i], all[i])
			}
		}
	}
}

func cmpFloat(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestDelete(t *testing.T) {
	n := testSize()
	data := clustered(4, n+50, 32)
	queries := data[n:]
	data = data[:n]
	g := build(t, Config{Dim: 32, EfConstruction: 100}, data, 1)
	// Delete every node that is among the 5 nearest of some query, and half
	// of the rest.
	for _, q := range queries {
		for _, h := range g.Exact(q, 5, nil) {
			g.Delete(h.Node)
		}
	}
	for i := 0; i < n; i += 2 {
		g.Delete(uint32(i))
	}
	g.Delete(uint32(n + 10)) // unknown: ignored
	dead := 0
	for i := range n {
		if g.Deleted(uint32(i)) {
			dead++
		}
	}
	if g.Len() != n-dead || g.Nodes() != n {
		t.Errorf("Len() = %d, Nodes() = %d, want %d, %d", g.Len(), g.Nodes(), n-dead, n)
	}
	for _, q := range queries {
		for _, h := range g.Search(q, 10, 64, nil) {
			if g.Deleted(h.Node) {
				t.Fatalf("Search returned deleted node %d", h.Node)
			}
		}
		for _, h := range g.Exact(q, 10, nil) {
			if g.Deleted(h.Node) {
				t.Fatalf("Exact returned deleted node %d", h.Node)
			}
		}
	}
	if r := recall(g, queries, 10, 64, nil); r < 0.9 {
		t.Errorf("recall@10 after deleting half = %.3f", r)
	}
	if v := g.Vector(0); len(v) != 32 {
		t.Errorf("a deleted node lost its vector")
	}
}

func TestFilter(t *testing.T) {
	n := testSize()
	data := clustered(6, n+30, 32)
	queries := data[n:]
	data = data[:n]
	g := build(t, Config{Dim: 32, EfConstruction: 100}, data, 1)
	for _, every := range []uint32{2, 10, 100} {
		allow := func(id uint32) bool { return id%every == 0 }
		for _, q := range queries {
			hits := g.Search(q, 10, 32, allow)
			if len(hits) != 10 {
				t.Fatalf("1 in %d allowed: %d hits, want 10", every, len(hits))
			}
			for _, h := range hits {
				if !allow(h.Node) {
					t.Fatalf("Search returned node %d, not allowed", h.Node)
				}
			}
		}
		r := recall(g, queries, 10, 64, allow)
		t.Logf("1 in %d allowed: recall@10 %.3f", every, r)
		if r < 0.9 {
			t.Errorf("1 in %d allowed: recall@10 = %.3f", every, r)
		}
	}
	// Fewer allowed nodes than k: all of them come back.
	few := map[uint32]bool{3: true, 500: true, uint32(n - 1): true}
	hits := g.Search(queries[0], 10, 0, func(id uint32) bool { return few[id] })
	if len(hits) != 3 {
		t.Errorf("3 allowed: %d hits", len(hits))
	}
	if hits := g.Search(queries[0], 10, 0, func(uint32) bool { return false }); len(hits) != 0 {
		t.Errorf("none allowed: %d hits", len(hits))
	}
}

// TestConcurrent adds from several goroutines while others search and
// delete; run it with -race.
func TestConcurrent(t *testing.T) {
	n := 2000
	data := clustered(8, n, 16)
	g, _ := New(Config{Dim: 16, M: 8, EfConstruction: 50, Quantize: true})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 2 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 2))
			for {
				select {
				case <-stop:
					return
				default:
				}
				q := data[r.IntN(n)]
				for _, h := range g.Search(q, 5, 20, nil) {
					if h.Node >= uint32(g.Nodes()) {
						t.Errorf("hit %d beyond %d nodes", h.Node, g.Nodes())
					}
				}
				g.Exact(q, 3, nil)
				if nodes := g.Nodes(); nodes > 0 {
					id := uint32(r.IntN(nodes))
					g.Vector(id)
					if r.IntN(50) == 0 {
						g.Delete(id)
					}
				}
			}
		})
	}
	g2 := build(t, Config{Dim: 16, M: 8, EfConstruction: 50}, data, max(4, runtime.NumCPU()))
	for _, v := range data {
		if _, err := g.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if g.Nodes() != n || g2.Len() != n {
		t.Fatalf("Nodes() = %d, %d", g.Nodes(), g2.Len())
	}
	if r := recall(g2, data[:100], 10, 64, nil); r < 0.95 {
		t.Errorf("recall@10 after a parallel build = %.3f", r)
	}
}

// TestDeterministic: the same vectors in the same order build the same graph.
func TestDeterministic(t *testing.T) {
	data := clustered(9, 1000, 8)
	a := build(t, Config{Dim: 8, Seed: 5}, data, 1)
	b := build(t, Config{Dim: 8, Seed: 5}, data, 1)
	var wa, wb bytesBuffer
	a.WriteTo(&wa)
	b.WriteTo(&wb)
	if !slices.Equal(wa, wb) {
		t.Error("two builds differ")
	}
}

type bytesBuffer []byte

func (b *bytesBuffer) Write(p []byte) (int, error) { *b = append(*b, p...); return len(p), nil }
