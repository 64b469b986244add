package bench

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/sched"
)

// small is a quick configuration: the figures are checked for sense, not
// against the targets, which only a full run on a quiet machine measures.
func small() SchedOptions {
	return SchedOptions{
		Processes: 100,
		Steps:     2,
		Endpoint: SimEndpoint{
			Slots:          8,
			BaseLatency:    5 * time.Millisecond,
			PerToken:       100 * time.Microsecond,
			BusyRetryAfter: 50 * time.Millisecond,
		},
	}
}

func TestSchedSmall(t *testing.T) {
	var mu sync.Mutex
	var calls, last, total int
	opts := small()
	opts.Progress = func(done, tot int) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		last, total = done, tot
	}
	res, err := Sched(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 200 || last != 200 || total != 200 {
		t.Errorf("progress called %d times, last %d/%d; want 200, 200/200", calls, last, total)
	}
	ratio := func(name string, v, lo, hi float64) {
		t.Helper()
		if math.IsNaN(v) || v < lo || v > hi {
			t.Errorf("%s = %v, want in [%v, %v]", name, v, lo, hi)
		}
	}
	ratio("utilization", res.Utilization, 0.05, 1.0001)
	ratio("jain_fairness", res.JainFairness, 0.01, 1.0001)
	ratio("priority_wait_ratio", res.PriorityWaitRatio, 0, 10)
	ratio("goodput_vs_unscheduled", res.GoodputVsUnscheduled, 0.05, 100)
	if res.KernelOverheadMsPerStep != 0 {
		t.Error("kernel overhead is not ours to fill")
	}
	w := res.Workload
	if w.Processes != 100 || w.Steps != 2 || w.High != 10 || w.Low != 30 || w.Normal != 60 {
		t.Errorf("workload %+v", w)
	}
	for name, run := range map[string]RunFigures{"scheduled": res.Scheduled, "baseline": res.Baseline} {
		if run.CallsCompleted != 200 || run.CallsFailed != 0 {
			t.Errorf("%s: %d calls completed, %d failed", name, run.CallsCompleted, run.CallsFailed)
		}
		ep := run.Endpoint
		if ep.Served != 200 || ep.Requests != int64(run.Requests) || ep.TokensServed != run.TokensCompleted {
			t.Errorf("%s: endpoint %+v disagrees with the clients (%d requests, %d tokens)", name, ep, run.Requests, run.TokensCompleted)
		}
		if ep.PeakActive > 8 {
			t.Errorf("%s: %d requests active at once, over the limit of 8", name, ep.PeakActive)
		}
		ratio(name+" slot utilization", ep.SlotUtilization, 0.01, 1.0001)
		ratio(name+" token utilization", ep.TokenUtilization, 0, 1.0001)
		for prio, j := range run.JainByPriority {
			ratio(name+" jain "+prio, j, 0.01, 1.0001)
		}
	}
	if res.Baseline.TokensCompleted != res.Scheduled.TokensCompleted {
		t.Errorf("the runs did different work: %d and %d tokens", res.Baseline.TokensCompleted, res.Scheduled.TokensCompleted)
	}
	// The scheduler knows the endpoint's limits: it never meets a 429.
	if n := res.Scheduled.Responses429; n != 0 {
		t.Errorf("the scheduled run got %d 429s", n)
	}
	if res.Baseline.Responses429 == 0 {
		t.Error("the baseline never met the limit: the test does not test much")
	}
	if st := res.Scheduled.Scheduler; st == nil || st.Completed != 200 {
		t.Errorf("scheduler stats %+v", st)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"utilization":`, `"jain_fairness":`, `"priority_wait_ratio":`, `"goodput_vs_unscheduled":`, `"kernel_overhead_ms_per_step":0`, `"baseline":{`, `"busy_retry_after_ms":50`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestSchedCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	opts := small()
	opts.Endpoint.BaseLatency = time.Second
	_, err := Sched(ctx, opts)
	if llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("error %v, want code canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v to stop", d)
	}
}

// The endpoint speaks OpenAI's format: 429s carry Retry-After and
// retry-after-ms, which the adapter turns into rate_limited with the wait.
func TestSimEndpointLimits(t *testing.T) {
	srv := newSimServer(SimEndpoint{Slots: 1, TokensPerMinute: 60_000, BaseLatency: 200 * time.Millisecond, BusyRetryAfter: 250 * time.Millisecond}.withDefaults())
	defer srv.Close()
	gen, closeConns, err := newGenerator(srv.URL(), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConns()
	ctx := context.Background()

	first := make(chan error, 1)
	go func() {
		resp, err := gen(ctx, simRequest(simStep{prompt: 100, completion: 10}))
		if err == nil && (resp.Usage != llmos.Usage{InputTokens: 100, OutputTokens: 10}) {
			t.Errorf("usage %+v", resp.Usage)
		}
		first <- err
	}()
	waitActive(t, srv, 1)
	_, err = gen(ctx, simRequest(simStep{prompt: 100, completion: 10}))
	if llmos.ErrorCode(err) != llmos.CodeRateLimited || llmos.RetryAfterOf(err) != 250*time.Millisecond {
		t.Errorf("over the concurrency limit: %v (retry after %v), want rate_limited after 250ms", err, llmos.RetryAfterOf(err))
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	f := srv.figures()
	if f.Requests != 2 || f.Served != 1 || f.RejectedConcurrency != 1 || f.TokensServed != 110 {
		t.Errorf("figures %+v", f)
	}

	// 60,000 tokens per minute is 1,000 a second: once a call has taken the
	// whole bucket, 1,010 more tokens wait about a second.
	srv2 := newSimServer(SimEndpoint{Slots: 10, TokensPerMinute: 60_000, BaseLatency: time.Millisecond}.withDefaults())
	defer srv2.Close()
	gen2, closeConns2, err := newGenerator(srv2.URL(), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConns2()
	if _, err := gen2(ctx, simRequest(simStep{prompt: 59_990, completion: 10})); err != nil {
		t.Fatal(err)
	}
	_, err = gen2(ctx, simRequest(simStep{prompt: 1000, completion: 10}))
	if ra := llmos.RetryAfterOf(err); llmos.ErrorCode(err) != llmos.CodeRateLimited || ra < 800*time.Millisecond || ra > 1010*time.Millisecond {
		t.Errorf("over the token limit: %v (retry after %v), want rate_limited after about 1s", err, ra)
	}
	if f := srv2.figures(); f.Requests != 2 || f.Served != 1 || f.RejectedTPM != 1 {
		t.Errorf("figures %+v", f)
	}

	// The raw reply is in OpenAI's error format.
	resp, err := http.Post(srv2.URL()+"/chat/completions", "application/json",
		strings.NewReader(`{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"simulate prompt_tokens=70000 completion_tokens=1"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error struct{ Message, Type, Code string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Retry-After-Ms") == "" || body.Error.Code != "rate_limit_exceeded" {
		t.Errorf("status %d, headers %v, body %+v", resp.StatusCode, resp.Header, body)
	}
}

func waitActive(t *testing.T, srv *simServer, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		srv.mu.Lock()
		a := srv.active
		srv.mu.Unlock()
		if a == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the endpoint never had %d requests active", n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestJain(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{[]float64{1, 1, 1, 1}, 1},
		{[]float64{1, 0, 0, 0}, 0.25},
		{[]float64{2, 1}, 0.9},
		{nil, 1},
	}
	for _, tt := range tests {
		if got := jain(tt.xs); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("jain(%v) = %v, want %v", tt.xs, got, tt.want)
		}
	}
}

func TestWorkloadMix(t *testing.T) {
	o := SchedOptions{Processes: 1000}.withDefaults()
	procs := makeWorkload(o)
	again := makeWorkload(o)
	count := map[sched.Priority]int{}
	for i, p := range procs {
		count[p.prio]++
		if len(p.steps) != 3 || p.steps[0] != again[i].steps[0] || p.prio != again[i].prio {
			t.Fatalf("process %d differs between two workloads of one seed", i)
		}
		for k, st := range p.steps {
			if st.prompt < promptBase+promptPerStep*k || st.prompt >= promptBase+promptPerStep*k+promptSpread ||
				st.completion < complMin || st.completion > complMin+complSpread-1 {
				t.Fatalf("step %d out of range: %+v", k, st)
			}
		}
	}
	if count[sched.High] != 100 || count[sched.Normal] != 600 || count[sched.Low] != 300 {
		t.Errorf("mix %v", count)
	}
}

// BenchmarkSched runs the full scheduler benchmark (1,000 processes, 3 steps;
// 200 processes with -short) and reports its figures.
func BenchmarkSched(b *testing.B) {
	opts := SchedOptions{}
	if testing.Short() {
		opts.Processes = 200
	}
	var res *SchedResult
	for b.Loop() {
		var err error
		if res, err = Sched(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(res.Utilization, "utilization")
	b.ReportMetric(res.JainFairness, "jain_fairness")
	b.ReportMetric(res.PriorityWaitRatio, "priority_wait_ratio")
	b.ReportMetric(res.GoodputVsUnscheduled, "goodput_x")
	b.ReportMetric(res.Scheduled.GoodputTokensPerSec, "sched_tok/s")
	b.ReportMetric(res.Baseline.GoodputTokensPerSec, "base_tok/s")
	b.ReportMetric(float64(res.Baseline.Responses429), "base_429s")
	b.ReportMetric(res.Scheduled.WallSeconds, "sched_s")
	b.ReportMetric(res.Baseline.WallSeconds, "base_s")
}
