package hnsw

import (
	"sync"
	"testing"
)

var benchGraphs struct {
	once    sync.Once
	plain   *Graph
	quant   *Graph
	queries [][]float32
}

// BenchmarkSearch measures one search (k=10, ef=64) in a graph of 20,000
// clustered 128-d vectors, built once, walked with float32 vectors and with
// int8 codes.
func BenchmarkSearch(b *testing.B) {
	benchGraphs.once.Do(func() {
		data := clustered(10, 21000, 128)
		benchGraphs.plain = build(b, Config{Dim: 128}, data[:20000], 2)
		benchGraphs.quant = build(b, Config{Dim: 128, Quantize: true}, data[:20000], 2)
		benchGraphs.queries = data[20000:]
	})
	for _, c := range []struct {
		name string
		g    *Graph
	}{{"float32", benchGraphs.plain}, {"int8", benchGraphs.quant}} {
		b.Run(c.name, func(b *testing.B) {
			g, qs := c.g, benchGraphs.queries
			d0, n := g.Distances(), 0
			for ; b.Loop(); n++ {
				g.Search(qs[n%len(qs)], 10, 64, nil)
			}
			b.ReportMetric(float64(g.Distances()-d0)/float64(n), "distances/op")
		})
	}
}
