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
// model replies and tool calls made in a plain loop, and what the security
// monitor adds to it (evaluators, and a sealed audit log fsynced per record).
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
// Injection (`llmos bench injection`) runs 68 indirect prompt-injection
// scenarios (an e-mail, a web page, a file, a tool's output, a poisoned
// memory, another agent's message), each a user task whose data carries an
// instruction with a checkable goal: mail data to the attacker, run a
// command, change a file, leak a secret. Each runs with a worst-case model
// (a test double that obeys any instruction it can see in its context, after
// undoing datamarks, base64 and other encodings) and a benign one, with the
// security monitor on (dual mode, spotlight mode) and off, the baseline. It
// reports the attack success rate with and without the monitor, the share
// of benign tasks completed, and the benign runs the monitor blocked.
//
// Guard (`llmos bench guard`) runs the offline evaluators of security/guard
// on their evaluation set and a keyword filter of injection phrases on the
// same cases: recall on injection and jailbreak attacks, false positives on
// benign text that uses the same trigger words, and time per check.
//
//	res, err := bench.Sched(ctx, bench.SchedOptions{Processes: 1000, Steps: 3})
//	if err != nil {
//		return err
//	}
//	fmt.Printf("utilization %.2f, goodput ×%.1f\n", res.Utilization, res.GoodputVsUnscheduled)
package bench
