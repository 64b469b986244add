package bench

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector/hnsw"
)

// VectorOptions configures Vector. Zero fields take the defaults noted.
type VectorOptions struct {
	// N is the number of base vectors (default 100,000); Dim their
	// dimension (default 128).
	N, Dim int
	// M and EfConstruction configure the graph (defaults 16 and 200).
	M, EfConstruction int
	// Efs are the search breadths measured (default 10, 20, 40, 80, 160).
	Efs []int
	// Threads is the number of goroutines that build the graph (default
	// runtime.NumCPU()). Searches run on one.
	Threads int
	// Quantize walks the graph with int8 codes (see hnsw.Config.Quantize).
	Quantize bool
	// Metric is "l2" (default) or "cosine": the cosine variant normalises
	// the data and measures 1 - dot.
	Metric string
	// ExactQueries is the number of queries given exact ground truth by
	// brute force: the exact-search baseline and the reference for recall.
	// Zero picks all 1,000 when that is cheap, and down to 200 as n*dim grows
	// (a 1M x 384 scan takes about a tenth of a second per query on one core).
	ExactQueries int
	// Progress, when set, is called as the graph is built and the exact
	// baseline runs: done of total steps (one per insertion, one per exact
	// query). Calls do not overlap, and done grows.
	Progress func(done, total int)
}

// VectorQueries is the number of queries of the benchmark's data.
const VectorQueries = 1000

func (o VectorOptions) withDefaults() (VectorOptions, error) {
	if o.N == 0 {
		o.N = 100_000
	}
	if o.Dim == 0 {
		o.Dim = 128
	}
	if o.M == 0 {
		o.M = 16
	}
	if o.EfConstruction == 0 {
		o.EfConstruction = 200
	}
	if len(o.Efs) == 0 {
		o.Efs = []int{10, 20, 40, 80, 160}
	}
	o.Efs = slices.Clone(o.Efs)
	slices.Sort(o.Efs)
	o.Efs = slices.Compact(o.Efs)
	if o.Threads == 0 {
		o.Threads = runtime.NumCPU()
	}
	if o.Metric == "" {
		o.Metric = "l2"
	}
	if o.ExactQueries == 0 {
		o.ExactQueries = int(min(VectorQueries, max(200, 1.3e10/(float64(o.N)*float64(o.Dim)))))
	}
	switch {
	case o.N < 10 || o.N > math.MaxInt32:
		return o, llmos.Errorf(llmos.CodeInvalid, "n must be at least 10")
	case o.Dim < 1 || o.Dim > hnsw.MaxDim:
		return o, llmos.Errorf(llmos.CodeInvalid, "dim must be between 1 and %d", hnsw.MaxDim)
	case o.M < 2 || o.M > hnsw.MaxM:
		return o, llmos.Errorf(llmos.CodeInvalid, "M must be between 2 and %d", hnsw.MaxM)
	case o.EfConstruction < 1:
		return o, llmos.Errorf(llmos.CodeInvalid, "ef_construction must be positive")
	case o.Efs[0] < 1:
		return o, llmos.Errorf(llmos.CodeInvalid, "every ef must be positive")
	case o.Threads < 1:
		return o, llmos.Errorf(llmos.CodeInvalid, "threads must be positive")
	case o.Metric != "l2" && o.Metric != "cosine":
		return o, llmos.Errorf(llmos.CodeInvalid, "metric must be l2 or cosine, not %q", o.Metric)
	case o.ExactQueries < 1 || o.ExactQueries > VectorQueries:
		return o, llmos.Errorf(llmos.CodeInvalid, "exact queries must be between 1 and %d", VectorQueries)
	}
	return o, nil
}

// VectorEf is the measure of one search breadth.
type VectorEf struct {
	Ef         int     `json:"ef"`
	RecallAt10 float64 `json:"recall_at_10"`
	// DistancesPerQuery is the mean number of distance evaluations a search
	// made: with recall, the figure that does not depend on the machine.
	DistancesPerQuery float64 `json:"distances_per_query"`
	QPS               float64 `json:"qps"`
	QPSVsExact        float64 `json:"qps_vs_exact"`
}

// VectorResult is what Vector measured.
type VectorResult struct {
	// RecallAt10 is the mean fraction of the exact 10 nearest that the
	// search found, at Ef: the first ef reaching 0.95, or the largest.
	RecallAt10 float64 `json:"recall_at_10"`
	// QPS is queries per second at Ef on one thread.
	QPS float64 `json:"qps"`
	// QPSVsExact is QPS over ExactQPS, measured in the same run.
	QPSVsExact float64 `json:"qps_vs_exact"`
	// BuildS is the time to build the graph with Threads goroutines.
	BuildS float64 `json:"build_s"`
	// BytesPerVector is the memory of the graph (vectors, codes, links,
	// node states) over n.
	BytesPerVector float64 `json:"bytes_per_vector"`

	Ef    int        `json:"ef"`
	PerEf []VectorEf `json:"per_ef"`
	// ExactQPS is the baseline: brute force over all n on one thread.
	ExactQPS float64 `json:"exact_qps"`
	// Queries were searched per ef; ExactQueries of them (the first) had
	// exact ground truth, and recall is over those.
	Queries      int `json:"queries"`
	ExactQueries int `json:"exact_queries"`
	// BuildDistancesPerVector is the mean number of distance evaluations an
	// insertion made.
	BuildDistancesPerVector float64 `json:"build_distances_per_vector"`

	N              int    `json:"n"`
	Dim            int    `json:"dim"`
	M              int    `json:"m"`
	EfConstruction int    `json:"ef_construction"`
	Threads        int    `json:"threads"`
	Metric         string `json:"metric"`
	Quantize       bool   `json:"quantize"`
}

// VectorReference is hnswlib's figures on the same data (100k x 128, L2,
// M=16, ef_construction=200, one search thread; C++ with AVX-512), from
// shared/VECTOR-BENCH.md: recall and distances per query are stable from run
// to run, QPS swings by 20-30%.
var VectorReference = []VectorEf{
	{Ef: 10, RecallAt10: 0.682, DistancesPerQuery: 347, QPS: 43000},
	{Ef: 20, RecallAt10: 0.845, DistancesPerQuery: 478, QPS: 29000},
	{Ef: 40, RecallAt10: 0.954, DistancesPerQuery: 666, QPS: 17000},
	{Ef: 80, RecallAt10: 0.994, DistancesPerQuery: 874, QPS: 9500},
	{Ef: 160, RecallAt10: 0.999, DistancesPerQuery: 1031, QPS: 6300},
}

// Vector benchmarks package vector/hnsw (`llmos bench vector`) on the data of
// shared/VECTOR-BENCH.md: n base vectors and 1,000 queries drawn around 100
// Gaussian centres (VectorData). It builds the graph with opts.Threads
// goroutines, then, on one thread, finds the exact 10 nearest of the first
// ExactQueries queries by brute force (the baseline, and the ground truth)
// and searches all queries at each ef. The two sides alternate in three
// rounds, so a change in the machine's load hits both. Cancelling ctx stops
// the work.
func Vector(ctx context.Context, opts VectorOptions) (*VectorResult, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	metric := hnsw.L2
	if o.Metric == "cosine" {
		metric = hnsw.Cosine
	}
	base, queries := VectorData(o.N, o.Dim, metric == hnsw.Cosine)
	g, err := hnsw.New(hnsw.Config{Dim: o.Dim, M: o.M, EfConstruction: o.EfConstruction, Metric: metric, Quantize: o.Quantize})
	if err != nil {
		return nil, err
	}
	total := o.N + o.ExactQueries
	var mu sync.Mutex // Progress is called from one goroutine at a time
	done := 0
	report := func(k int) {
		if o.Progress != nil {
			mu.Lock()
			done += k
			o.Progress(done, total)
			mu.Unlock()
		}
	}

	// Build.
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, o.Threads)
	for t := range o.Threads {
		wg.Go(func() {
			const batch = 64
			for ctx.Err() == nil {
				lo := int(next.Add(batch)) - batch
				if lo >= o.N {
					return
				}
				hi := min(lo+batch, o.N)
				for i := lo; i < hi; i++ {
					if _, err := g.Add(base[i*o.Dim : (i+1)*o.Dim]); err != nil {
						errs[t] = err
						return
					}
				}
				report(hi - lo)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	r := &VectorResult{
		BuildS: time.Since(start).Seconds(), BytesPerVector: float64(g.Bytes()) / float64(o.N),
		BuildDistancesPerVector: float64(g.Distances()) / float64(o.N),
		Queries:                 VectorQueries, ExactQueries: o.ExactQueries,
		N: o.N, Dim: o.Dim, M: o.M, EfConstruction: g.Config().EfConstruction, Threads: o.Threads,
		Metric: o.Metric, Quantize: o.Quantize,
	}
	base = nil // the graph holds its own copy

	// Exact and graph searches, alternating.
	const rounds = 3
	query := func(i int) []float32 { return queries[i*o.Dim : (i+1)*o.Dim] }
	truth := make([][]hnsw.Hit, o.ExactQueries)
	found := make([][][]hnsw.Hit, len(o.Efs)) // the first round's hits, per ef
	spent := make([]time.Duration, len(o.Efs))
	dists := make([]uint64, len(o.Efs))
	var exactTime time.Duration
	for round := range rounds {
		lo, hi := round*o.ExactQueries/rounds, (round+1)*o.ExactQueries/rounds
		t0 := time.Now()
		for i := lo; i < hi; i++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			truth[i] = g.Exact(query(i), 10, nil)
			report(1)
		}
		exactTime += time.Since(t0)
		for e, ef := range o.Efs {
			d0 := g.Distances()
			t0 := time.Now()
			for i := range VectorQueries {
				if i%100 == 0 && ctx.Err() != nil {
					return nil, ctx.Err()
				}
				hits := g.Search(query(i), 10, ef, nil)
				if round == 0 {
					found[e] = append(found[e], hits)
				}
			}
			spent[e] += time.Since(t0)
			dists[e] += g.Distances() - d0
		}
	}
	r.ExactQPS = float64(o.ExactQueries) / exactTime.Seconds()
	for e, ef := range o.Efs {
		row := VectorEf{
			Ef:                ef,
			RecallAt10:        vectorRecall(truth, found[e]),
			DistancesPerQuery: float64(dists[e]) / float64(rounds*VectorQueries),
			QPS:               float64(rounds*VectorQueries) / spent[e].Seconds(),
		}
		row.QPSVsExact = row.QPS / r.ExactQPS
		r.PerEf = append(r.PerEf, row)
	}
	pick := r.PerEf[len(r.PerEf)-1]
	for _, row := range r.PerEf {
		if row.RecallAt10 >= 0.95 {
			pick = row
			break
		}
	}
	r.Ef, r.RecallAt10, r.QPS, r.QPSVsExact = pick.Ef, pick.RecallAt10, pick.QPS, pick.QPSVsExact
	return r, nil
}

// vectorRecall is the mean fraction of each truth[i] found in found[i].
func vectorRecall(truth, found [][]hnsw.Hit) float64 {
	hit, want := 0, 0
	for i, tr := range truth {
		for _, t := range tr {
			want++
			for _, f := range found[i] {
				if f.Node == t.Node {
					hit++
					break
				}
			}
		}
	}
	if want == 0 {
		return 0
	}
	return float64(hit) / float64(want)
}

// splitMix64 is the random number generator of the benchmark's data.
type splitMix64 uint64

func (s *splitMix64) next() uint64 {
	*s += 0x9E3779B97F4A7C15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (s *splitMix64) uniform() float64 { return float64(s.next()>>11) * 0x1p-53 }

func (s *splitMix64) normal() float64 {
	u1, u2 := s.uniform(), s.uniform()
	return math.Sqrt(-2*math.Log(1-u1)) * math.Cos(2*math.Pi*u2)
}

// VectorData generates the data of shared/VECTOR-BENCH.md, bit for bit up to
// libm rounding: n base vectors and VectorQueries queries of dimension dim,
// row-major, each drawn around one of 100 centres (coordinates uniform in
// [-1, 1]) with Gaussian noise of deviation 0.1. Centres, base and queries
// come from splitmix64 streams seeded 42, 43 and 44, so the base of a smaller
// n is a prefix of a larger one's and the queries do not depend on n. With
// cosine, every vector is L2-normalised.
func VectorData(n, dim int, cosine bool) (base, queries []float32) {
	const centres = 100
	rc := splitMix64(42)
	centre := make([]float32, centres*dim)
	for i := range centre {
		centre[i] = float32(2*rc.uniform() - 1)
	}
	points := func(seed uint64, count int) []float32 {
		r := splitMix64(seed)
		out := make([]float32, count*dim)
		for i := range count {
			c := centre[int(r.next()%centres)*dim:][:dim]
			x := out[i*dim : (i+1)*dim]
			for j := range x {
				x[j] = float32(float64(c[j]) + 0.1*r.normal())
			}
			if cosine {
				var norm float64
				for _, v := range x {
					norm += float64(v) * float64(v)
				}
				norm = math.Sqrt(norm)
				for j, v := range x {
					x[j] = float32(float64(v) / norm)
				}
			}
		}
		return out
	}
	return points(43, n), points(44, VectorQueries)
}
