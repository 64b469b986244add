package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/config"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/provider"
	"github.com/llmos/llmos/redteam"
	"github.com/llmos/llmos/redteam/target"
	"github.com/llmos/llmos/sched"
	"github.com/llmos/llmos/security"
)

// scanFlags are the flags of llmos scan.
type scanFlags struct {
	list        bool
	target      string
	baseURL     string
	model       string
	apiKey      string
	command     string
	timeout     time.Duration
	template    string
	docsPrompt  bool
	noMonitor   bool
	seedSet     bool
	families    []string
	limit       int
	generations int
	concurrency int
	seed        uint64
	resume      string
	report      string
	failAbove   float64
	judge       string
}

// scanTargets are the kinds of --target.
var scanTargets = []string{"openai-compat", "openai", "anthropic", "gemini", "ollama", "command", "http", "llmos"}

func (a *app) scanCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan --target KIND [flags] [-- PROGRAM ARGS...]",
		Short: "Red-team a model, a program, an HTTP API or llmos itself with known attacks",
		Long: "Fires probes (families of known attacks: injections, jailbreaks, leaks, encodings...) at a target,\n" +
			"judges each reply with the probe's detector, and reports the attack success rate per family with its\n" +
			"95% confidence interval. Targets:\n" +
			"  openai-compat  --base-url URL --model M [--api-key K or OPENAI_API_KEY]\n" +
			"  openai, anthropic, gemini, ollama  --model M (keys from their usual variables)\n" +
			"  command        a local program: prompt on stdin, reply on stdout (--command \"PROG ARGS\" or -- PROG ARGS)\n" +
			"  http           any HTTP API, from a JSON request template (--http-template FILE)\n" +
			"  llmos          llmos's kernel with decoy tools (--model provider:model)\n" +
			"With --report DIR it writes attempts.jsonl, hits.jsonl, report.html, junit.xml and results.sarif;\n" +
			"--resume DIR (or its attempts.jsonl) skips the attempts already done, with the run's own --seed.\n" +
			"--fail-above RATE exits with code 5 (denied) when a family's success rate exceeds RATE (0 to 1).",
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.list {
				return a.scanList()
			}
			f.seedSet = cmd.Flags().Changed("seed")
			return a.scan(cmd.Context(), f, args)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.list, "list", false, "list the attack families and their probe counts")
	fl.StringVar(&f.target, "target", "", "what to scan: "+strings.Join(scanTargets, ", "))
	fl.StringVar(&f.baseURL, "base-url", "", "API root of an openai-compat target, e.g. http://127.0.0.1:8000/v1")
	fl.StringVar(&f.model, "model", "", "the model: its name at the provider, or provider:model for --target llmos")
	fl.StringVar(&f.apiKey, "api-key", "", "key of an openai-compat target (default $OPENAI_API_KEY)")
	fl.StringVar(&f.command, "command", "", "program and arguments of a command target (split at spaces)")
	fl.DurationVar(&f.timeout, "timeout", 60*time.Second, "how long a command target may take per attempt")
	fl.StringVar(&f.template, "http-template", "", "JSON request template of an http target")
	fl.BoolVar(&f.docsPrompt, "documents-in-prompt", false, "llmos target: put documents in the task instead of behind read_document")
	fl.BoolVar(&f.noMonitor, "no-monitor", false, "llmos target: scan the kernel without the security monitor, for comparison")
	fl.StringSliceVar(&f.families, "family", nil, "scan only these families (comma-separated; see --list)")
	fl.IntVar(&f.limit, "limit", 0, "at most this many probes of each family (0: all)")
	fl.IntVar(&f.generations, "generations", 1, "times each probe is sent")
	fl.IntVar(&f.concurrency, "concurrency", 4, "attempts in flight at once")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the canaries: the same seed repeats a run")
	fl.StringVar(&f.resume, "resume", "", "a previous run's report directory or attempts.jsonl: skip what it did")
	fl.StringVar(&f.report, "report", "", "write the reports in this directory (default: the --resume directory)")
	fl.Float64Var(&f.failAbove, "fail-above", -1, "fail (exit 5) when a family's attack success rate exceeds this (0 to 1)")
	fl.StringVar(&f.judge, "judge", "", "a model (provider:model) that judges the open-ended families (harmful_content); string checks otherwise")
	return cmd
}

// scanList prints the families and their probe counts.
func (a *app) scanList() error {
	type fam struct {
		Name        string `json:"name"`
		Probes      int    `json:"probes"`
		Description string `json:"description"`
	}
	out := struct {
		Families []fam `json:"families"`
		Total    int   `json:"total"`
	}{Families: []fam{}}
	for _, f := range redteam.Families() {
		out.Families = append(out.Families, fam{f.Name, len(f.Probes), f.Description})
		out.Total += len(f.Probes)
	}
	if a.json {
		return a.printJSON(out)
	}
	w := a.env.Stdout
	for _, f := range out.Families {
		fmt.Fprintf(w, "%-28s %5d  %s\n", f.Name, f.Probes, f.Description)
	}
	fmt.Fprintf(w, "%-28s %5d\n", "total", out.Total)
	return nil
}

// scanProbes picks the probes of the families asked for.
func scanProbes(names []string, limit int) ([]redteam.Family, []redteam.Probe, error) {
	fams := redteam.Families()
	if len(names) > 0 {
		var picked []redteam.Family
		for _, n := range names {
			n = strings.TrimSpace(n)
			fam, ok := redteam.Lookup(n)
			if !ok {
				var known []string
				for _, f := range fams {
					known = append(known, f.Name)
				}
				return nil, nil, llmos.Errorf(llmos.CodeInvalid, "no attack family %q: use one of %s", n, strings.Join(known, ", "))
			}
			picked = append(picked, fam)
		}
		fams = picked
	}
	var probes []redteam.Probe
	for _, f := range fams {
		ps := f.Probes
		if limit > 0 && len(ps) > limit {
			ps = ps[:limit]
		}
		probes = append(probes, ps...)
	}
	if len(probes) == 0 {
		return nil, nil, llmos.Errorf(llmos.CodeInvalid, "no probes to send")
	}
	return fams, probes, nil
}

// scanTarget builds the target from the flags; close releases it.
func (a *app) scanTarget(ctx context.Context, f scanFlags, args []string, s *sched.Scheduler) (t redteam.Target, close func(), err error) {
	getenv := a.env.Getenv
	nop := func() {}
	switch f.target {
	case "openai-compat":
		key := f.apiKey
		if key == "" {
			key = getenv("OPENAI_API_KEY")
		}
		t, err = target.OpenAICompat(f.baseURL, f.model, key)
		return t, nop, err
	case "openai", "anthropic", "gemini", "ollama":
		t, err = target.Provider(f.target, f.model, getenv)
		return t, nop, err
	case "command":
		argv := args
		if len(argv) == 0 {
			argv = strings.Fields(f.command)
		}
		c, err := target.NewCommand(argv)
		if err != nil {
			return nil, nop, err
		}
		c.Timeout = f.timeout
		return c, nop, nil
	case "http":
		if f.template == "" {
			return nil, nop, llmos.Errorf(llmos.CodeInvalid, "the http target needs --http-template FILE")
		}
		tmpl, err := target.LoadTemplate(f.template)
		if err != nil {
			return nil, nop, err
		}
		t, err = target.NewHTTP(tmpl, getenv)
		return t, nop, err
	case "llmos":
		if f.model == "" {
			f.model = getenv("LLMOS_MODEL")
		}
		open := func(name string) (kernel.Model, error) { return provider.Open(name, getenv) }
		var mon *security.Monitor
		if !f.noMonitor {
			var err error
			if mon, err = scanMonitor(getenv, s, open); err != nil {
				return nil, nop, err
			}
		}
		k, err := target.NewKernel(ctx, target.KernelConfig{Model: f.model, Sched: s, DocumentsInPrompt: f.docsPrompt,
			Open: open, Monitor: mon})
		if err != nil {
			return nil, nop, err
		}
		return k, func() { k.Close() }, nil
	case "":
		return nil, nop, llmos.Errorf(llmos.CodeInvalid, "say what to scan with --target (%s), or --list the attacks", strings.Join(scanTargets, ", "))
	}
	return nil, nop, llmos.Errorf(llmos.CodeInvalid, "unknown target %q: use one of %s", f.target, strings.Join(scanTargets, ", "))
}

// scanScheduler paces model calls with the configured provider quotas, or
// the defaults when the configuration cannot be read.
func (a *app) scanScheduler() *sched.Scheduler {
	cfg, err := config.Load(a.env.Getenv)
	if err != nil {
		cfg = config.Defaults()
	}
	return sched.New(sched.Config{Default: cfg.Default, Providers: cfg.Limits})
}

func (a *app) scan(ctx context.Context, f scanFlags, args []string) error {
	if f.generations < 1 || f.concurrency < 1 || f.limit < 0 {
		return llmos.Errorf(llmos.CodeInvalid, "--generations and --concurrency must be at least 1, --limit at least 0")
	}
	if f.failAbove > 1 {
		return llmos.Errorf(llmos.CodeInvalid, "--fail-above is a rate between 0 and 1")
	}
	if len(args) > 0 && f.target != "command" {
		return llmos.Errorf(llmos.CodeInvalid, "arguments are only for --target command: %q", strings.Join(args, " "))
	}
	fams, probes, err := scanProbes(f.families, f.limit)
	if err != nil {
		return err
	}
	if f.judge != "" {
		judge, err := provider.Open(f.judge, a.env.Getenv)
		if err != nil {
			return err
		}
		probes = redteam.WithJudge(probes, func(ctx context.Context, prompt string) (string, error) {
			resp, err := judge.Generate(ctx, &llmos.Request{Model: kernel.ModelOf(f.judge), MaxTokens: 300,
				Messages: []llmos.Message{{Role: llmos.RoleUser, Content: prompt}}}, nil)
			if err != nil {
				return "", err
			}
			return resp.Message.Content, nil
		})
	}
	resume := f.resume
	if resume != "" {
		if st, err := os.Stat(resume); err == nil && st.IsDir() {
			if f.report == "" {
				f.report = resume
			}
			resume = filepath.Join(resume, redteam.AttemptsFile)
		}
		// The canaries come from the seed: a resumed run takes its own.
		if seed, ok := readRunSeed(filepath.Dir(resume)); ok {
			if f.seedSet && seed != f.seed {
				return llmos.Errorf(llmos.CodeInvalid, "the run in %s used --seed %d, not %d", filepath.Dir(resume), seed, f.seed)
			}
			f.seed = seed
		}
	}
	s := a.scanScheduler()
	t, closeTarget, err := a.scanTarget(ctx, f, args, s)
	if err != nil {
		return err
	}
	defer closeTarget()

	var rep *redteam.Report
	sink := func(redteam.Attempt) error { return nil }
	if f.report != "" {
		if rep, err = redteam.NewReport(f.report, fams); err != nil {
			return err
		}
		if err := writeRunSeed(f.report, f.seed); err != nil {
			return err
		}
		sink = rep.Add
	}
	bar := newBar(a.env.Stderr, "scan "+t.Name())
	label := bar.label
	sum, runErr := redteam.Run(ctx, redteam.Options{
		Target: t, Probes: probes, Generations: f.generations, Concurrency: f.concurrency, Seed: f.seed,
		ResumeFrom: resume, Sched: s,
		Progress: func(done, total, hits int) {
			bar.mu.Lock()
			bar.label = fmt.Sprintf("%s, %d hits", label, hits)
			bar.mu.Unlock()
			bar.update(done, total)
		},
	}, sink)
	bar.done()
	if sum == nil {
		return runErr
	}
	if rep != nil {
		// Written even when cancelled: the report shows what was done, and
		// --resume finishes the rest.
		if err := rep.Close(sum); err != nil && runErr == nil {
			runErr = err
		}
	}
	if a.json {
		if err := a.printJSON(struct {
			*redteam.Summary
			Report string `json:"report,omitempty"`
		}{sum, f.report}); err != nil {
			return err
		}
	} else {
		w := a.env.Stdout
		fmt.Fprintf(w, "%s: %d attempts, %d hits, %d errors", t.Name(), sum.Attempts, sum.Hits, sum.Errors)
		if sum.Resumed > 0 {
			fmt.Fprintf(w, " (%d resumed)", sum.Resumed)
		}
		fmt.Fprintln(w)
		redteam.WriteTable(w, sum)
		if f.report != "" {
			fmt.Fprintf(w, "report: %s\n", filepath.Join(f.report, redteam.HTMLFile))
		}
	}
	if runErr != nil {
		return runErr
	}
	if f.failAbove >= 0 {
		var over []string
		for _, fr := range sum.Families {
			if fr.Rate > f.failAbove {
				over = append(over, fmt.Sprintf("%s %.1f%%", fr.Name, 100*fr.Rate))
			}
		}
		if len(over) > 0 {
			return llmos.Errorf(llmos.CodeDenied, "attack success rate above %.1f%%: %s", 100*f.failAbove, strings.Join(over, ", "))
		}
	}
	return nil
}

// scanMonitor is the security monitor of the llmos target: the policy and
// evaluators `llmos run` would use, with no audit log (a scan is not the
// user's activity) and no one to approve calls.
func scanMonitor(getenv func(string) string, s *sched.Scheduler, open func(string) (kernel.Model, error)) (*security.Monitor, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	pol, err := loadPolicy(cfg)
	if err != nil {
		return nil, err
	}
	g, err := newGuard(pol, getenv)
	if err != nil {
		return nil, err
	}
	return security.New(security.Config{Policy: pol, Guard: g, Open: open, Sched: s})
}

// runFile records, beside a scan's report, what a resumed run must repeat.
const runFile = "run.json"

func readRunSeed(dir string) (uint64, bool) {
	data, err := os.ReadFile(filepath.Join(dir, runFile))
	if err != nil {
		return 0, false
	}
	var r struct {
		Seed *uint64 `json:"seed"`
	}
	if json.Unmarshal(data, &r) != nil || r.Seed == nil {
		return 0, false
	}
	return *r.Seed, true
}

func writeRunSeed(dir string, seed uint64) error {
	data, _ := json.Marshal(map[string]uint64{"seed": seed})
	if err := os.WriteFile(filepath.Join(dir, runFile), append(data, '\n'), 0o644); err != nil {
		return llmos.Errorf(llmos.CodeUnavailable, "cannot write %s in %s: %v", runFile, dir, err)
	}
	return nil
}
