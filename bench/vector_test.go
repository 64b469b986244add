package bench

import (
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/llmos/llmos"
)

// TestVectorData checks the regeneration figures of shared/VECTOR-BENCH.md
// for n=100k, d=128.
func TestVectorData(t *testing.T) {
	const n, dim = 100_000, 128
	base, queries := VectorData(n, dim, false)
	if len(base) != n*dim || len(queries) != VectorQueries*dim {
		t.Fatalf("sizes %d, %d", len(base), len(queries))
	}
	sum := func(v []float32) float64 {
		var s float64
		for _, x := range v {
			s += float64(x)
		}
		return s
	}
	if s := sum(base); math.Abs(s-20383.0327) > 1e-3 {
		t.Errorf("sum of base = %.4f, want 20383.0327", s)
	}
	if s := sum(queries); math.Abs(s-71.7657748) > 1e-6 {
		t.Errorf("sum of queries = %.7f, want 71.7657748", s)
	}
	for j, want := range []float64{-0.507612646, -0.365151763, -0.644254863, 0.791836083} {
		if math.Abs(float64(base[j])-want) > 1e-8 {
			t.Errorf("base[0][%d] = %.9f, want %.9f", j, base[j], want)
		}
	}
	// The exact top 10 of query 0, by a float64 scan independent of the graph.
	q := queries[:dim]
	type hit struct {
		i int
		d float64
	}
	all := make([]hit, n)
	for i := range all {
		var d float64
		for j, x := range base[i*dim : (i+1)*dim] {
			e := float64(x) - float64(q[j])
			d += e * e
		}
		all[i] = hit{i, d}
	}
	sort.Slice(all, func(a, b int) bool { return all[a].d < all[b].d })
	var top []int
	for _, h := range all[:10] {
		top = append(top, h.i)
	}
	if want := []int{70688, 43979, 96812, 24034, 90026, 88071, 70585, 93868, 25355, 99868}; !slices.Equal(top, want) {
		t.Errorf("exact top 10 of query 0 = %v, want %v", top, want)
	}
	// A smaller base is a prefix; the cosine variant is normalised.
	small, q2 := VectorData(10, dim, false)
	if !slices.Equal(small, base[:10*dim]) || !slices.Equal(q2, queries) {
		t.Error("the base of n=10 is not a prefix of n=100k's, or the queries changed")
	}
	cos, _ := VectorData(1, dim, true)
	var norm float64
	for _, x := range cos {
		norm += float64(x) * float64(x)
	}
	if math.Abs(norm-1) > 1e-6 {
		t.Errorf("cosine vector has norm² %v", norm)
	}
}

func TestVectorSmall(t *testing.T) {
	var calls, last int
	res, err := Vector(context.Background(), VectorOptions{
		N: 3000, Dim: 16, M: 8, EfConstruction: 64, Efs: []int{40, 10}, Threads: 2,
		Progress: func(done, total int) { calls++; last = done },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PerEf) != 2 || res.PerEf[0].Ef != 10 || res.PerEf[1].Ef != 40 {
		t.Fatalf("per ef: %+v", res.PerEf)
	}
	if res.RecallAt10 < 0.9 || res.Ef != res.PerEf[0].Ef && res.Ef != res.PerEf[1].Ef {
		t.Errorf("recall@10 %.3f at ef %d", res.RecallAt10, res.Ef)
	}
	if res.PerEf[1].RecallAt10 < res.PerEf[0].RecallAt10 || res.PerEf[1].DistancesPerQuery <= res.PerEf[0].DistancesPerQuery {
		t.Errorf("a wider search is not better: %+v", res.PerEf)
	}
	if res.QPS <= 0 || res.ExactQPS <= 0 || res.QPSVsExact != res.QPS/res.ExactQPS || res.BuildS <= 0 ||
		res.BytesPerVector < 16*4 || res.ExactQueries != VectorQueries || res.N != 3000 || res.Threads != 2 {
		t.Errorf("result: %+v", res)
	}
	if calls == 0 || last != 3000+VectorQueries {
		t.Errorf("progress: %d calls, last %d", calls, last)
	}
}

func TestVectorOptions(t *testing.T) {
	for _, o := range []VectorOptions{{N: 5}, {Dim: -1}, {M: 1}, {Efs: []int{0}}, {Metric: "hamming"}, {Threads: -2}, {ExactQueries: 2000}} {
		_, err := Vector(context.Background(), o)
		var e *llmos.Error
		if !errors.As(err, &e) || e.Code != llmos.CodeInvalid {
			t.Errorf("Vector(%+v) = %v, want an invalid error", o, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Vector(ctx, VectorOptions{N: 2000, Dim: 8}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
