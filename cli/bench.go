package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/bench"
)

func (a *app) benchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure llmos: each benchmark prints ratios against a baseline measured in the same run",
	}
	var opts bench.SchedOptions
	sched := &cobra.Command{
		Use:   "sched",
		Short: "Scheduler on a simulated provider: utilization, fairness, priority, goodput, kernel overhead",
		Long: "Runs processes of mixed priority against a simulated OpenAI-compatible endpoint on 127.0.0.1 that\n" +
			"limits concurrency and tokens per minute (answering 429 with Retry-After beyond them), once through\n" +
			"the scheduler and once with every process calling at once and retrying (the baseline).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Processes < 0 || opts.Steps < 0 {
				return llmos.Errorf(llmos.CodeInvalid, "--processes and --steps must be positive")
			}
			bar := newBar(a.env.Stderr, "bench sched")
			opts.Progress = bar.update
			res, err := bench.Sched(cmd.Context(), opts)
			bar.done()
			if err != nil {
				return err
			}
			k, err := bench.KernelOverhead(cmd.Context(), 500)
			if err != nil {
				return err
			}
			res.KernelOverheadMsPerStep = k.OverheadMSPerStep
			if a.json {
				return a.printJSON(map[string]any{"sched": res, "kernel": k,
					"utilization": res.Utilization, "jain_fairness": res.JainFairness, "priority_wait_ratio": res.PriorityWaitRatio,
					"goodput_vs_unscheduled": res.GoodputVsUnscheduled, "kernel_overhead_ms_per_step": res.KernelOverheadMsPerStep,
					"monitor_overhead_ms_per_step": k.MonitorOverheadMSPerStep})
			}
			w := a.env.Stdout
			fmt.Fprintf(w, "utilization              %.3f   (target ≥ 0.95)\n", res.Utilization)
			fmt.Fprintf(w, "jain_fairness            %.3f   (target ≥ 0.95)\n", res.JainFairness)
			fmt.Fprintf(w, "priority_wait_ratio      %.3f   (target ≤ 0.2)\n", res.PriorityWaitRatio)
			fmt.Fprintf(w, "goodput_vs_unscheduled   %.2fx   (target ≥ 2)\n", res.GoodputVsUnscheduled)
			fmt.Fprintf(w, "kernel_overhead_ms/step  %.3f   (target < 1; %.3f ms/step through the kernel vs %.3f direct)\n",
				k.OverheadMSPerStep, k.KernelMSPerStep, k.DirectMSPerStep)
			fmt.Fprintf(w, "monitor_overhead_ms/step %.3f   (%.3f ms/step with the security monitor, its audit log fsynced)\n",
				k.MonitorOverheadMSPerStep, k.MonitorMSPerStep)
			return nil
		},
	}
	sched.Flags().IntVar(&opts.Processes, "processes", 1000, "number of processes")
	sched.Flags().IntVar(&opts.Steps, "steps", 3, "model calls per process")
	cmd.AddCommand(sched, a.benchRecallCmd(), a.benchVectorCmd(), a.benchInjectionCmd(), a.benchGuardCmd())
	return cmd
}

func (a *app) benchRecallCmd() *cobra.Command {
	var opts bench.RecallOptions
	cmd := &cobra.Command{
		Use:   "recall",
		Short: "Archival memory: facts said once among thousands of messages, asked about months later in other words",
		Long: "Plants facts in a synthetic history of messages over simulated days, asks about each in other words,\n" +
			"and reports recall@5 of hybrid search (as the kernel pages) beside each ranking alone (the baselines),\n" +
			"and, through the kernel with a scripted model, whether the fact reached the model's context window.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Messages < 0 || opts.Facts < 0 || opts.Days < 0 {
				return llmos.Errorf(llmos.CodeInvalid, "--messages, --facts and --days must be positive")
			}
			bar := newBar(a.env.Stderr, "bench recall")
			opts.Progress = bar.update
			res, err := bench.Recall(cmd.Context(), opts)
			bar.done()
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(res)
			}
			w := a.env.Stdout
			fmt.Fprintf(w, "%d messages over %d days, %d facts, embedder %s\n", res.Messages, res.Days, res.Facts, res.Embedder)
			fmt.Fprintf(w, "recall@5 hybrid          %.3f   (target ≥ 0.9)\n", res.Recall5)
			fmt.Fprintf(w, "recall@5 BM25 only       %.3f   (baseline)\n", res.Recall5Words)
			fmt.Fprintf(w, "recall@5 dense only      %.3f   (baseline)\n", res.Recall5Vectors)
			fmt.Fprintf(w, "end to end in window     %.3f   (%d asked through the kernel)\n", res.EndToEnd, res.EndToEndAsked)
			fmt.Fprintf(w, "insert %.0f items/s, search %.2f ms/query\n", res.InsertPerSec, res.SearchMSPerQ)
			return nil
		},
	}
	cmd.Flags().IntVar(&opts.Messages, "messages", 10000, "messages in the history")
	cmd.Flags().IntVar(&opts.Facts, "facts", 240, "facts planted")
	cmd.Flags().IntVar(&opts.Days, "days", 90, "days the history spans")
	cmd.Flags().StringVar(&opts.Embedder, "embedder", "offline", "embedder")
	return cmd
}

// bar is a progress bar on a terminal and a plain line every tenth when piped.
type bar struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	label string
	last  int
	on    bool
}

func newBar(w io.Writer, label string) *bar {
	return &bar{w: w, tty: isTerminal(w), label: label, last: -1}
}

func (b *bar) update(done, total int) {
	if total <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	pct := done * 100 / total
	if b.tty {
		n := pct * 30 / 100
		fmt.Fprintf(b.w, "\r\033[K%s [%s%s] %3d%% %d/%d", b.label, strings.Repeat("█", n), strings.Repeat("·", 30-n), pct, done, total)
		b.on = true
		return
	}
	if pct/10 != b.last/10 || done == total {
		if pct != b.last {
			fmt.Fprintf(b.w, "%s: %d/%d (%d%%)\n", b.label, done, total, pct)
		}
		b.last = pct
	}
}

func (b *bar) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.on {
		fmt.Fprint(b.w, "\r\033[K")
		b.on = false
	}
}

func (a *app) benchGuardCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "guard",
		Short: "The offline evaluators on their evaluation set, against a keyword filter measured in the same run",
		Long: "Runs every scanner of the guard on the evaluation set (security/guard/testdata/eval.jsonl: attacks in\n" +
			"several languages, and benign text with the same trigger words), and a keyword filter of injection\n" +
			"phrases (the common baseline) on the same cases. The holdout cases were written after the scanners were\n" +
			"first tuned, and have been tuned on since: measured blind, the injection scanner caught a fifth to a third\n" +
			"of them (security/guard/doc.go has the history).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := bench.Guard(cmd.Context())
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(r)
			}
			w := a.env.Stdout
			fmt.Fprintf(w, "cases %d (benign %d), injection and jailbreak cases %d\n", r.Cases, r.Benign, r.InjectionCases)
			fmt.Fprintf(w, "injection recall          %.3f   keyword baseline %.3f   (%.2fx)\n", r.InjectionRecall, r.BaselineInjectionRecall, r.InjectionRecallVsBaseline)
			fmt.Fprintf(w, "  holdout (since tuned on) %.3f   keyword baseline %.3f\n", r.HoldoutInjectionRecall, r.BaselineHoldoutInjectionRecall)
			fmt.Fprintf(w, "benign false positives    %.3f   keyword baseline %.3f\n", r.FalsePositiveRate, r.BaselineFalsePositiveRate)
			fmt.Fprintf(w, "blind holdout (%d cases)  recall %.3f (keyword baseline %.3f), benign false positives %.3f\n",
				r.BlindCases, r.BlindRecall, r.BaselineBlindRecall, r.BlindFalsePositiveRate)
			fmt.Fprintf(w, "recall, every scanner     %.3f\n", r.Recall)
			fmt.Fprintf(w, "time per check            %.0f µs   keyword baseline %.1f µs\n", r.MicrosPerCheck, r.BaselineMicrosPerCheck)
			names := make([]string, 0, len(r.Scanners))
			for n := range r.Scanners {
				names = append(names, n)
			}
			sort.Strings(names)
			fmt.Fprintf(w, "\n%-10s %5s %5s %5s %9s %7s\n", "scanner", "tp", "fp", "fn", "precision", "recall")
			for _, n := range names {
				m := r.Scanners[n]
				fmt.Fprintf(w, "%-10s %5d %5d %5d %9.3f %7.3f\n", n, m.TP, m.FP, m.FN, m.Precision, m.Recall)
			}
			return nil
		},
	}
}
