package local

import (
	"context"
	"fmt"
	"testing"

	"github.com/llmos/llmos/vector"
)

// BenchmarkUpsert measures durable writes: one item per call (an fsync
// each, shared by the concurrent callers of the parallel case) and batches
// of 100. Vectors have 384 dimensions, like small sentence embedders.
func BenchmarkUpsert(b *testing.B) {
	const dim = 384
	for _, c := range []struct {
		name     string
		batch    int
		parallel bool
	}{{"one", 1, false}, {"one_parallel", 1, true}, {"batch100", 100, false}} {
		b.Run(c.name, func(b *testing.B) {
			x := open(b, b.TempDir(), Options{SnapshotEvery: -1})
			ctx := context.Background()
			item := func(i int) vector.Item {
				return vector.Item{ID: fmt.Sprintf("b%08d", i), Text: benchText(i), Vector: randVec(uint64(i), dim)}
			}
			b.ResetTimer()
			if c.parallel {
				var next atomicCounter
				b.SetParallelism(8) // 16 writers on 2 cores: they share fsyncs
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := x.Upsert(ctx, []vector.Item{item(next.add())}); err != nil {
							b.Error(err)
							return
						}
					}
				})
				return
			}
			batch := make([]vector.Item, c.batch)
			for i := 0; b.Loop(); i++ {
				for j := range batch {
					batch[j] = item(i*c.batch + j)
				}
				if err := x.Upsert(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*c.batch)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// BenchmarkHybridSearch searches 20,000 items of 128 dimensions by vector, by
// text and by both, unfiltered and filtered to a namespace of 1 in 10.
func BenchmarkHybridSearch(b *testing.B) {
	const n, dim = 20_000, 128
	x := open(b, b.TempDir(), Options{SnapshotEvery: -1})
	ctx := context.Background()
	batch := make([]vector.Item, 0, 1000)
	for i := range n {
		batch = append(batch, vector.Item{ID: fmt.Sprintf("h%06d", i), Namespace: fmt.Sprint(i % 10), Text: benchText(i), Vector: randVec(uint64(i), dim)})
		if len(batch) == cap(batch) {
			if err := x.Upsert(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	for _, c := range []struct {
		name string
		q    func(i int) vector.Query
	}{
		{"vector", func(i int) vector.Query { return vector.Query{Vector: randVec(uint64(n+i), dim)} }},
		{"text", func(i int) vector.Query { return vector.Query{Text: benchText(n + i)} }},
		{"hybrid", func(i int) vector.Query {
			return vector.Query{Vector: randVec(uint64(n+i), dim), Text: benchText(n + i)}
		}},
		{"hybrid_filtered", func(i int) vector.Query {
			return vector.Query{Vector: randVec(uint64(n+i), dim), Text: benchText(n + i), Filter: vector.Filter{Namespace: "3"}}
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				res, err := x.Search(ctx, c.q(i%1000))
				if err != nil || len(res) == 0 {
					b.Fatalf("%v, %d results", err, len(res))
				}
			}
		})
	}
}

// benchText is a sentence of eight words from a vocabulary of 2,000, skewed
// so that some words are common.
func benchText(i int) string {
	r := uint64(i)*0x9E3779B97F4A7C15 + 1
	s := ""
	for range 8 {
		r ^= r >> 29
		r *= 0xBF58476D1CE4E5B9
		w := (r >> 11) % 2000
		w = w * w / 2000 // skew towards small word numbers
		s += fmt.Sprintf("w%d ", w)
	}
	return s
}
