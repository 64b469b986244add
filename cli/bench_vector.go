package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/bench"
)

// benchVectorCmd is `llmos bench vector`: the HNSW graph of package
// vector/hnsw against brute force, on the data of shared/VECTOR-BENCH.md.
func (a *app) benchVectorCmd() *cobra.Command {
	var opts bench.VectorOptions
	cmd := &cobra.Command{
		Use:   "vector",
		Short: "Vector search (HNSW) on clustered data: recall@10, queries/s against brute force, build time",
		Long: "Generates n base vectors and 1,000 queries around 100 Gaussian centres (the seeded data of\n" +
			"shared/VECTOR-BENCH.md), builds llmos's HNSW graph with --threads goroutines, then on one thread\n" +
			"measures brute-force search (the baseline, and the ground truth for recall) and the graph search\n" +
			"at each --ef, alternating the two. Recall and distance evaluations per query do not depend on the\n" +
			"machine; queries per second swing with its load. hnswlib's figures on the same data are shown\n" +
			"for comparison.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.N < 0 || opts.Dim < 0 || opts.M < 0 || opts.EfConstruction < 0 || opts.Threads < 0 || opts.ExactQueries < 0 {
				return llmos.Errorf(llmos.CodeInvalid, "--n, --dim, --m, --efc, --threads and --exact-queries must be positive")
			}
			bar := newBar(a.env.Stderr, "bench vector")
			opts.Progress = bar.update
			res, err := bench.Vector(cmd.Context(), opts)
			bar.done()
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(res)
			}
			printVector(a.env.Stdout, res)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.N, "n", 100_000, "number of base vectors")
	f.IntVar(&opts.Dim, "dim", 128, "dimension")
	f.IntVar(&opts.M, "m", 16, "links per node (2*m on layer 0)")
	f.IntVar(&opts.EfConstruction, "efc", 200, "search breadth while building")
	f.IntSliceVar(&opts.Efs, "ef", []int{10, 20, 40, 80, 160}, "search breadths to measure")
	f.IntVar(&opts.Threads, "threads", 0, "goroutines building the graph (default: the number of CPUs)")
	f.BoolVar(&opts.Quantize, "quantize", false, "walk the graph with int8 codes, re-rank with float32")
	f.StringVar(&opts.Metric, "metric", "l2", "l2 or cosine (the data L2-normalised)")
	f.IntVar(&opts.ExactQueries, "exact-queries", 0, "queries given exact ground truth (default: all 1,000, fewer for large n*dim)")
	return cmd
}

// printVector prints the result as tables, with hnswlib's reference.
func printVector(w io.Writer, r *bench.VectorResult) {
	q := ""
	if r.Quantize {
		q = ", int8 walk"
	}
	fmt.Fprintf(w, "data     %d x %d (%s), %d queries\n", r.N, r.Dim, r.Metric, r.Queries)
	fmt.Fprintf(w, "graph    M=%d, ef_construction=%d%s: %.0f bytes per vector\n", r.M, r.EfConstruction, q, r.BytesPerVector)
	fmt.Fprintf(w, "build    %.1f s on %d threads (%.0f inserts/s, %.0f distance evaluations per insert)\n",
		r.BuildS, r.Threads, float64(r.N)/r.BuildS, r.BuildDistancesPerVector)
	subset := "all queries"
	if r.ExactQueries < r.Queries {
		subset = fmt.Sprintf("the first %d queries; recall is over those", r.ExactQueries)
	}
	fmt.Fprintf(w, "exact    %.0f queries/s (brute force on one thread over %s)\n\n", r.ExactQPS, subset)

	fmt.Fprintf(w, "llmos (Go), one search thread:\n")
	vectorTable(w, r.PerEf, true)
	fmt.Fprintf(w, "\nhnswlib (C++, AVX-512), 100k x 128, L2, M=16, ef_construction=200, one search thread\n")
	fmt.Fprintf(w, "(shared/VECTOR-BENCH.md; its exact search ran ~256 queries/s):\n")
	vectorTable(w, bench.VectorReference, false)
	if r.N != 100_000 || r.Dim != 128 || r.Metric != "l2" || r.M != 16 || r.EfConstruction != 200 {
		fmt.Fprintf(w, "(measured on other settings than this run: compare with care)\n")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "recall_at_10     %.3f at ef %d   (target ≥ 0.95)\n", r.RecallAt10, r.Ef)
	fmt.Fprintf(w, "qps              %.0f\n", r.QPS)
	fmt.Fprintf(w, "qps_vs_exact     %.1fx   (target ≥ 20)\n", r.QPSVsExact)
	fmt.Fprintf(w, "build_s          %.1f\n", r.BuildS)
	fmt.Fprintf(w, "bytes_per_vector %.0f\n", r.BytesPerVector)
}

func vectorTable(w io.Writer, rows []bench.VectorEf, ratio bool) {
	head := "  ef   recall@10   distances/query       QPS"
	if ratio {
		head += "   vs exact"
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, strings.Repeat("-", len(head)))
	for _, e := range rows {
		fmt.Fprintf(w, "%4d   %9.3f   %15.0f   %7.0f", e.Ef, e.RecallAt10, e.DistancesPerQuery, e.QPS)
		if ratio {
			fmt.Fprintf(w, "   %7.1fx", e.QPSVsExact)
		}
		fmt.Fprintln(w)
	}
}
