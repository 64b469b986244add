package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/provider/openai"
	"github.com/llmos/llmos/sched"
)

// SchedOptions configure the scheduler benchmark (`llmos bench sched`).
// A zero field takes its default.
type SchedOptions struct {
	// Processes is the number of agent processes; default 1000.
	Processes int
	// Steps is the number of model calls each process makes, one after the
	// other; default 3.
	Steps int
	// HighShare and LowShare are the fractions of processes of High and Low
	// priority, the rest being Normal: an interactive few, a background
	// third, most in between. Defaults 0.1 and 0.3; negative for none.
	HighShare, LowShare float64
	// Endpoint sets the simulated provider.
	Endpoint SimEndpoint
	// Seed makes the workload; default 1. Both runs use the same workload.
	Seed uint64
	// Progress, if set, is called as processes finish, one call at a time,
	// with done out of total = 2 × Processes (the baseline, then the
	// scheduled run).
	Progress func(done, total int)
}

// The workload: step k (from 0) of a process sends a prompt of
// 500 + 250k + [0,500) tokens (its context grows with each step) and gets
// [20,180] completion tokens back, with a limit of maxTokens. The scheduler is
// told prompt + maxTokens as the call's estimate, as a client that cannot
// know the length of the answer would.
const (
	promptBase    = 500
	promptPerStep = 250
	promptSpread  = 500
	complMin      = 20
	complSpread   = 161
	maxTokens     = 256
	baselineTries = 1000
	simProvider   = "sim"
)

func (o SchedOptions) withDefaults() SchedOptions {
	if o.Processes <= 0 {
		o.Processes = 1000
	}
	if o.Steps <= 0 {
		o.Steps = 3
	}
	if o.HighShare == 0 {
		o.HighShare = 0.1
	}
	if o.LowShare == 0 {
		o.LowShare = 0.3
	}
	o.HighShare = min(max(o.HighShare, 0), 1)
	o.LowShare = min(max(o.LowShare, 0), 1-o.HighShare)
	if o.Seed == 0 {
		o.Seed = 1
	}
	o.Endpoint = o.Endpoint.withDefaults()
	return o
}

// SchedResult holds the figures of one scheduler benchmark. The first four
// compare the scheduled run with the endpoint's limits and with the baseline.
type SchedResult struct {
	// Utilization is the endpoint's utilization in the scheduled run, at its
	// binding limit: the larger of slot utilization (busy time of served
	// requests / slots × window) and token utilization (tokens served / the
	// most the token bucket could admit in the window). See EndpointFigures.
	Utilization float64 `json:"utilization"`
	// JainFairness is Jain's index of the processes' service rates (tokens
	// served / time to finish, all starting together) within each priority
	// class, the lowest over the classes, in the scheduled run. Equal shares
	// of the endpoint give 1; a process finishing twice as late as its
	// equals for the same work lowers it.
	JainFairness float64 `json:"jain_fairness"`
	// PriorityWaitRatio is the 95th percentile of High calls' wait divided by
	// that of Low calls, in the scheduled run. A call's wait is the time from
	// asking to the start of its successful attempt.
	PriorityWaitRatio float64 `json:"priority_wait_ratio"`
	// GoodputVsUnscheduled is the scheduled run's goodput (completed tokens
	// per second of wall time) over the baseline's.
	GoodputVsUnscheduled float64 `json:"goodput_vs_unscheduled"`
	// KernelOverheadMsPerStep is filled by the kernel's own measurement.
	KernelOverheadMsPerStep float64 `json:"kernel_overhead_ms_per_step"`

	Workload  WorkloadParams `json:"workload"`
	Endpoint  EndpointParams `json:"endpoint"`
	Scheduled RunFigures     `json:"scheduled"`
	Baseline  RunFigures     `json:"baseline"`
	// Seconds is the time the whole benchmark took.
	Seconds float64 `json:"seconds"`
}

// WorkloadParams describe the processes both runs execute.
type WorkloadParams struct {
	Processes        int    `json:"processes"`
	Steps            int    `json:"steps"`
	High             int    `json:"high"`
	Normal           int    `json:"normal"`
	Low              int    `json:"low"`
	PromptTokens     string `json:"prompt_tokens"`
	CompletionTokens string `json:"completion_tokens"`
	MaxTokens        int    `json:"max_tokens"`
	Seed             uint64 `json:"seed"`
	// Baseline says how the unscheduled processes retry.
	Baseline string `json:"baseline"`
}

// RunFigures are the raw figures of one run.
type RunFigures struct {
	WallSeconds         float64 `json:"wall_seconds"`
	CallsCompleted      int     `json:"calls_completed"`
	CallsFailed         int     `json:"calls_failed"`
	Requests            int     `json:"requests"`
	Responses429        int     `json:"responses_429"`
	TokensCompleted     int64   `json:"tokens_completed"`
	GoodputTokensPerSec float64 `json:"goodput_tokens_per_sec"`
	// Utilization is the larger of Endpoint.SlotUtilization and
	// Endpoint.TokenUtilization.
	Utilization  float64 `json:"utilization"`
	JainFairness float64 `json:"jain_fairness"`
	// JainByPriority is Jain's index of service rates by class;
	// JainCompletionByPriority that of the times to finish.
	JainByPriority           map[string]float64 `json:"jain_by_priority"`
	JainCompletionByPriority map[string]float64 `json:"jain_completion_by_priority"`
	WaitP95Ms                map[string]float64 `json:"wait_p95_ms"`
	WaitMeanMs               map[string]float64 `json:"wait_mean_ms"`
	// FinishMeanSeconds is the mean time for a process to finish, by class.
	FinishMeanSeconds map[string]float64   `json:"finish_mean_seconds"`
	Endpoint          EndpointFigures      `json:"endpoint"`
	Scheduler         *sched.ProviderStats `json:"scheduler,omitempty"`
}

// Sched runs the scheduler benchmark: a simulated provider on 127.0.0.1 with
// a concurrency and a token limit, and opts.Processes agent processes of
// mixed priority that each make opts.Steps model calls, through the OpenAI
// adapter. The baseline run sends every call at once without a scheduler and
// retries on 429 as a typical SDK does (honouring Retry-After plus up to 10%
// jitter, up to 1000 attempts); the scheduled run sends them through one
// sched.Scheduler configured with the endpoint's limits. Both meet the same
// endpoint with the same workload.
func Sched(ctx context.Context, opts SchedOptions) (*SchedResult, error) {
	opts = opts.withDefaults()
	began := time.Now()
	procs := makeWorkload(opts)
	srv := newSimServer(opts.Endpoint)
	defer srv.Close()

	res := &SchedResult{Endpoint: opts.Endpoint.params(), Workload: describeWorkload(opts, procs)}
	prog := newProgress(opts.Progress, 2*len(procs))

	srv.reset()
	base, err := runOnce(ctx, srv, procs, nil, prog)
	if err != nil {
		return nil, err
	}
	res.Baseline = base

	srv.reset()
	s := sched.New(sched.Config{Providers: map[string]sched.Limits{simProvider: {
		MaxConcurrent:   opts.Endpoint.Slots,
		TokensPerMinute: opts.Endpoint.TokensPerMinute,
	}}})
	run, err := runOnce(ctx, srv, procs, s, prog)
	if err != nil {
		return nil, err
	}
	st := s.Stats().Providers[simProvider]
	run.Scheduler = &st
	res.Scheduled = run

	res.Utilization = run.Utilization
	res.JainFairness = run.JainFairness
	if low := run.WaitP95Ms[sched.Low.String()]; low > 0 {
		res.PriorityWaitRatio = run.WaitP95Ms[sched.High.String()] / low
	}
	if base.GoodputTokensPerSec > 0 {
		res.GoodputVsUnscheduled = run.GoodputTokensPerSec / base.GoodputTokensPerSec
	}
	res.Seconds = time.Since(began).Seconds()
	return res, nil
}

type simProc struct {
	pid   int64
	prio  sched.Priority
	steps []simStep
}

type simStep struct{ prompt, completion int }

func makeWorkload(o SchedOptions) []simProc {
	r := rand.New(rand.NewPCG(o.Seed, 0x5ced))
	n := o.Processes
	nHigh := int(math.Round(float64(n) * o.HighShare))
	nLow := min(int(math.Round(float64(n)*o.LowShare)), n-nHigh)
	procs := make([]simProc, n)
	for i, j := range r.Perm(n) {
		p := sched.Normal
		switch {
		case j < nHigh:
			p = sched.High
		case j < nHigh+nLow:
			p = sched.Low
		}
		steps := make([]simStep, o.Steps)
		for k := range steps {
			steps[k] = simStep{
				prompt:     promptBase + promptPerStep*k + r.IntN(promptSpread),
				completion: complMin + r.IntN(complSpread),
			}
		}
		procs[i] = simProc{pid: int64(i + 1), prio: p, steps: steps}
	}
	return procs
}

func describeWorkload(o SchedOptions, procs []simProc) WorkloadParams {
	w := WorkloadParams{
		Processes: len(procs), Steps: o.Steps, MaxTokens: maxTokens, Seed: o.Seed,
		PromptTokens:     "500 + 250×step + uniform[0,500)",
		CompletionTokens: "uniform[20,180]",
		Baseline:         "all processes at once, no scheduler; on 429 wait Retry-After × (1 + uniform[0,0.1)), up to 1000 attempts",
	}
	for _, p := range procs {
		switch p.prio {
		case sched.High:
			w.High++
		case sched.Low:
			w.Low++
		default:
			w.Normal++
		}
	}
	return w
}

// progress serialises calls to the caller's Progress.
type progress struct {
	mu    sync.Mutex
	fn    func(done, total int)
	done  int
	total int
}

func newProgress(fn func(int, int), total int) *progress { return &progress{fn: fn, total: total} }

func (p *progress) step() {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.fn(p.done, p.total)
}

// generator makes one model call: the client side of the benchmark.
type generator func(ctx context.Context, req *llmos.Request) (*llmos.Response, error)

// newGenerator returns a client of the endpoint, the OpenAI adapter, with a
// connection pool big enough for every process at once.
func newGenerator(baseURL string, conns int) (generator, func(), error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute, DisableCompression: true}
	m, err := openai.New(openai.Config{Name: simProvider, BaseURL: baseURL, APIKey: "x", HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		return nil, nil, err
	}
	gen := func(ctx context.Context, req *llmos.Request) (*llmos.Response, error) {
		return m.Generate(ctx, req, nil)
	}
	return gen, tr.CloseIdleConnections, nil
}

// procOutcome is what one process saw.
type procOutcome struct {
	prio      sched.Priority
	tokens    int64
	finished  time.Duration // since the run began
	completed int
	failed    int
	requests  int
	limited   int
	waits     []time.Duration
}

// runOnce runs every process to the end, through s or, when s is nil, as the
// unscheduled baseline.
func runOnce(ctx context.Context, srv *simServer, procs []simProc, s *sched.Scheduler, prog *progress) (RunFigures, error) {
	gen, closeConns, err := newGenerator(srv.URL(), len(procs)+64)
	if err != nil {
		return RunFigures{}, err
	}
	defer closeConns()
	out := make([]procOutcome, len(procs))
	start := time.Now()
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() {
			out[i] = runProc(ctx, gen, s, procs[i], start)
			prog.step()
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := ctx.Err(); err != nil {
		return RunFigures{}, llmos.Wrap(err, llmos.CodeCanceled, "scheduler benchmark cancelled")
	}
	return summarise(out, wall, srv.figures()), nil
}

func simRequest(st simStep) *llmos.Request {
	return &llmos.Request{
		Model: "sim-model",
		Messages: []llmos.Message{
			{Role: llmos.RoleSystem, Content: "You are one of many simulated agents."},
			{Role: llmos.RoleUser, Content: fmt.Sprintf(simDirective, st.prompt, st.completion)},
		},
		MaxTokens: maxTokens,
	}
}

// runProc makes a process's calls one after the other.
func runProc(ctx context.Context, gen generator, s *sched.Scheduler, p simProc, start time.Time) procOutcome {
	o := procOutcome{prio: p.prio}
	for _, st := range p.steps {
		if ctx.Err() != nil {
			break
		}
		req := simRequest(st)
		asked := time.Now()
		var lastStart time.Time
		var used int
		attempt := func(ctx context.Context) (int, error) {
			lastStart = time.Now()
			o.requests++
			resp, err := gen(ctx, req)
			if err != nil {
				if llmos.ErrorCode(err) == llmos.CodeRateLimited {
					o.limited++
				}
				return 0, err
			}
			used = resp.Usage.Total()
			return used, nil
		}
		var err error
		if s != nil {
			err = s.Do(ctx, sched.Call{Provider: simProvider, PID: p.pid, Priority: p.prio, Tokens: st.prompt + maxTokens}, attempt)
		} else {
			err = unscheduled(ctx, attempt)
		}
		if err != nil {
			o.failed++
			continue
		}
		o.completed++
		o.tokens += int64(used)
		o.waits = append(o.waits, lastStart.Sub(asked))
	}
	o.finished = time.Since(start)
	return o
}

// unscheduled retries a call the way a typical SDK does: on 429 it sleeps
// Retry-After plus up to 10% (or an exponential backoff from 0.5s when there
// is none), on unavailable an exponential backoff, other errors are final.
func unscheduled(ctx context.Context, attempt func(context.Context) (int, error)) error {
	var err error
	for n := 1; n <= baselineTries; n++ {
		if _, err = attempt(ctx); err == nil || !llmos.Retryable(err) {
			return err
		}
		d := llmos.RetryAfterOf(err)
		if d <= 0 {
			d = min(500*time.Millisecond<<min(n-1, 4), 8*time.Second)
		}
		d += time.Duration(rand.Float64() * 0.1 * float64(d))
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	return err
}

func summarise(out []procOutcome, wall time.Duration, ep EndpointFigures) RunFigures {
	f := RunFigures{
		WallSeconds:              wall.Seconds(),
		Endpoint:                 ep,
		Utilization:              max(ep.SlotUtilization, ep.TokenUtilization),
		JainByPriority:           map[string]float64{},
		JainCompletionByPriority: map[string]float64{},
		WaitP95Ms:                map[string]float64{},
		WaitMeanMs:               map[string]float64{},
		FinishMeanSeconds:        map[string]float64{},
	}
	type class struct {
		rates, finish []float64
		waits         []time.Duration
	}
	classes := map[sched.Priority]*class{}
	for _, o := range out {
		f.CallsCompleted += o.completed
		f.CallsFailed += o.failed
		f.Requests += o.requests
		f.Responses429 += o.limited
		f.TokensCompleted += o.tokens
		c := classes[o.prio]
		if c == nil {
			c = &class{}
			classes[o.prio] = c
		}
		c.rates = append(c.rates, float64(o.tokens)/o.finished.Seconds())
		c.finish = append(c.finish, o.finished.Seconds())
		c.waits = append(c.waits, o.waits...)
	}
	if wall > 0 {
		f.GoodputTokensPerSec = float64(f.TokensCompleted) / wall.Seconds()
	}
	f.JainFairness = math.NaN()
	for p, c := range classes {
		name := p.String()
		f.JainByPriority[name] = jain(c.rates)
		f.JainCompletionByPriority[name] = jain(c.finish)
		f.FinishMeanSeconds[name] = mean(c.finish)
		if len(c.waits) > 0 {
			slices.Sort(c.waits)
			f.WaitP95Ms[name] = msOf(percentile(c.waits, 0.95))
			var sum time.Duration
			for _, w := range c.waits {
				sum += w
			}
			f.WaitMeanMs[name] = msOf(sum / time.Duration(len(c.waits)))
		}
		if len(c.rates) > 1 && (math.IsNaN(f.JainFairness) || f.JainByPriority[name] < f.JainFairness) {
			f.JainFairness = f.JainByPriority[name]
		}
	}
	if math.IsNaN(f.JainFairness) {
		f.JainFairness = 1
	}
	return f
}

// jain is Jain's fairness index, (Σx)² / (n Σx²): 1 when all are equal, 1/n
// when one has everything.
func jain(xs []float64) float64 {
	var sum, sq float64
	for _, x := range xs {
		sum += x
		sq += x * x
	}
	if sq == 0 {
		return 1
	}
	return sum * sum / (float64(len(xs)) * sq)
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// percentile returns the q-quantile of sorted values (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
