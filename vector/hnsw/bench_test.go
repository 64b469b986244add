package hnsw

import (
	"os"
	"sync"
	"testing"
)

var benchGraph struct {
	once    sync.Once
	g       *Graph
	queries [][]float32
}

// BenchmarkSearch measures one search (k=10, ef=64) in a graph of 20,000
// clustered 128-d vectors, built once.
func BenchmarkSearch(b *testing.B) {
	benchGraph.once.Do(func() {
		data := clustered(10, 21000, 128)
		benchGraph.g = build(b, Config{Dim: 128, Quantize: os.Getenv("Q") != ""}, data[:20000], 2)
		benchGraph.queries = data[20000:]
	})
	g, qs := benchGraph.g, benchGraph.queries
	d0 := g.Distances()
	b.ResetTimer()
	for i := range b.N {
		g.Search(qs[i%len(qs)], 10, 64, nil)
	}
	b.ReportMetric(float64(g.Distances()-d0)/float64(b.N), "distances/op")
}

// BenchmarkL2 measures the distance kernel on 128-d vectors.
func BenchmarkL2(b *testing.B) {
	data := clustered(11, 2, 128)
	var s float32
	for range b.N {
		s += l2(data[0], data[1])
	}
	_ = s
}
