// Package bench holds the harnesses behind `llmos bench`. Each benchmark
// measures a baseline in the same run and reports its figures as ratios to it
// and to the limits it runs against, with the raw figures behind each ratio.
//
// Sched (`llmos bench sched`) measures the model-call scheduler, package
// sched: a thousand agent processes of mixed priority call a simulated
// OpenAI-compatible provider on 127.0.0.1 that has a concurrency limit and a
// tokens-per-minute limit and answers 429 beyond them. The processes run
// twice against the same endpoint: unscheduled, retrying on 429 as a typical
// SDK does, and through one sched.Scheduler that knows the endpoint's limits.
// The result gives the endpoint's utilization, fairness between processes of
// equal priority, how much sooner high-priority calls get through than low
// ones, and goodput against the unscheduled baseline. KernelOverhead adds
// the kernel's own cost per step (durable state included) against the same
// model replies and tool calls made in a plain loop.
//
// Vector (`llmos bench vector`) builds the HNSW graph of package vector/hnsw
// on the seeded Gaussian-mixture data of shared/VECTOR-BENCH.md and measures
// recall@10, distance evaluations and queries per second at each search
// breadth against brute-force search in the same run.
//
// Recall (`llmos bench recall`) plants facts in a synthetic history of
// messages spread over simulated months, asks about each later in other
// words, and measures recall@5 of archival memory's hybrid search against
// each of its rankings alone; then asks through the kernel, with a scripted
// model, whether the fact reached the context window.
//
//	res, err := bench.Sched(ctx, bench.SchedOptions{Processes: 1000, Steps: 3})
//	if err != nil {
//		return err
//	}
//	fmt.Printf("utilization %.2f, goodput ×%.1f\n", res.Utilization, res.GoodputVsUnscheduled)
package bench
