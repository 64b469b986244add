package sched

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmos/llmos"
)

const prov = "p"

// submit runs Do in a goroutine and returns its result channel.
func submit(s *Scheduler, ctx context.Context, c Call, fn func(context.Context) (int, error)) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- s.Do(ctx, c, fn) }()
	return ch
}

// waitFor polls cond until it holds, failing the test after two seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func statsOf(s *Scheduler, provider string) ProviderStats { return s.Stats().Providers[provider] }

// waitQueued waits until n calls are queued in the provider's lane.
func waitQueued(t *testing.T, s *Scheduler, provider string, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d queued calls", n), func() bool { return statsOf(s, provider).Queued == n })
}

// hold starts a call that occupies one slot of the lane until release is called.
func hold(t *testing.T, s *Scheduler, provider string) (release func()) {
	t.Helper()
	running := make(chan struct{})
	gate := make(chan struct{})
	done := submit(s, context.Background(), Call{Provider: provider, PID: 999, Priority: High},
		func(context.Context) (int, error) {
			close(running)
			<-gate
			return 0, nil
		})
	<-running
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("holding call: %v", err)
		}
	}
}

// recorder notes the order in which fns run.
type recorder struct {
	mu    sync.Mutex
	order []string
}

func (r *recorder) fn(name string, used int) func(context.Context) (int, error) {
	return func(context.Context) (int, error) {
		r.mu.Lock()
		r.order = append(r.order, name)
		r.mu.Unlock()
		return used, nil
	}
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.order)
}

type queuedCall struct {
	name string
	call Call
	used int
}

// runQueue queues calls one after the other behind a held slot, releases the
// slot and returns the order in which they ran.
func runQueue(t *testing.T, cfg Config, calls []queuedCall) []string {
	t.Helper()
	s := New(cfg)
	release := hold(t, s, prov)
	var r recorder
	var done []<-chan error
	for i, qc := range calls {
		qc.call.Provider = prov
		done = append(done, submit(s, context.Background(), qc.call, r.fn(qc.name, qc.used)))
		waitQueued(t, s, prov, i+1)
	}
	release()
	for _, ch := range done {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	return r.got()
}

func TestPriorityOrder(t *testing.T) {
	one := Config{Default: Limits{MaxConcurrent: 1}}
	tests := []struct {
		name  string
		calls []queuedCall
		want  []string
	}{
		{"classes in priority order", []queuedCall{
			{"low", Call{PID: 1, Priority: Low}, 0},
			{"normal", Call{PID: 2, Priority: Normal}, 0},
			{"high", Call{PID: 3, Priority: High}, 0},
		}, []string{"high", "normal", "low"}},
		{"same class by arrival", []queuedCall{
			{"a", Call{PID: 1}, 0}, {"b", Call{PID: 2}, 0}, {"c", Call{PID: 3}, 0},
		}, []string{"a", "b", "c"}},
		{"late high overtakes", []queuedCall{
			{"l1", Call{PID: 1, Priority: Low}, 0}, {"l2", Call{PID: 2, Priority: Low}, 0},
			{"n", Call{PID: 3}, 0}, {"h", Call{PID: 4, Priority: High}, 0},
		}, []string{"h", "n", "l1", "l2"}},
		{"out of range priorities clamp", []queuedCall{
			{"minus5", Call{PID: 1, Priority: -5}, 0}, {"low", Call{PID: 2, Priority: Low}, 0},
			{"plus7", Call{PID: 3, Priority: 7}, 0},
		}, []string{"plus7", "minus5", "low"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runQueue(t, one, tt.calls); !slices.Equal(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFairShare(t *testing.T) {
	one := Config{Default: Limits{MaxConcurrent: 1}}
	n := func(name string, pid int64, est, used int) queuedCall {
		return queuedCall{name, Call{PID: pid, Tokens: est}, used}
	}
	tests := []struct {
		name  string
		calls []queuedCall
		want  []string
	}{
		{"round robin between equal processes", []queuedCall{
			n("a1", 1, 100, 100), n("a2", 1, 100, 100), n("a3", 1, 100, 100),
			n("b1", 2, 100, 100), n("b2", 2, 100, 100), n("b3", 2, 100, 100),
			n("c1", 3, 100, 100), n("c2", 3, 100, 100), n("c3", 3, 100, 100),
		}, []string{"a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3"}},
		{"heavy user waits for light ones", []queuedCall{
			n("a1", 1, 100, 300), n("a2", 1, 100, 300), n("a3", 1, 100, 300),
			n("b1", 2, 100, 100), n("b2", 2, 100, 100), n("b3", 2, 100, 100),
		}, []string{"a1", "b1", "b2", "b3", "a2", "a3"}},
		{"usage counts what was used, not the estimate", []queuedCall{
			n("a1", 1, 1000, 10), n("a2", 1, 1000, 10), n("a3", 1, 1000, 10),
			n("b1", 2, 10, 500), n("b2", 2, 10, 500), n("b3", 2, 10, 500),
		}, []string{"a1", "b1", "a2", "a3", "b2", "b3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runQueue(t, one, tt.calls); !slices.Equal(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}

// A process that has used the lane a lot and comes back keeps its usage; a
// newcomer starts at the floor of the waiting processes, not at zero, so the
// two alternate instead of the newcomer taking every turn.
func TestFairShareNewcomerStartsAtFloor(t *testing.T) {
	s := New(Config{Default: Limits{MaxConcurrent: 1}})
	ctx := context.Background()
	for range 4 {
		if err := s.Do(ctx, Call{Provider: prov, PID: 1, Tokens: 100}, func(context.Context) (int, error) { return 100, nil }); err != nil {
			t.Fatal(err)
		}
	}
	release := hold(t, s, prov)
	var r recorder
	var done []<-chan error
	for i, c := range []queuedCall{
		{"a1", Call{PID: 1, Tokens: 100}, 100}, {"a2", Call{PID: 1, Tokens: 100}, 100}, {"a3", Call{PID: 1, Tokens: 100}, 100},
		{"b1", Call{PID: 2, Tokens: 100}, 100}, {"b2", Call{PID: 2, Tokens: 100}, 100}, {"b3", Call{PID: 2, Tokens: 100}, 100},
	} {
		c.call.Provider = prov
		done = append(done, submit(s, ctx, c.call, r.fn(c.name, c.used)))
		waitQueued(t, s, prov, i+1)
	}
	release()
	for _, ch := range done {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"a1", "b1", "a2", "b2", "a3", "b3"}
	if got := r.got(); !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestAging(t *testing.T) {
	calls := []queuedCall{
		{"low", Call{PID: 1, Priority: Low}, 0},
		{"h1", Call{PID: 2, Priority: High}, 0},
		{"h2", Call{PID: 3, Priority: High}, 0},
	}
	tests := []struct {
		name  string
		limit time.Duration
		want  []string
	}{
		{"starved class goes first", 20 * time.Millisecond, []string{"low", "h1", "h2"}},
		{"strict priority without aging", -1, []string{"h1", "h2", "low"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{Default: Limits{MaxConcurrent: 1}, StarvationLimit: tt.limit})
			release := hold(t, s, prov)
			var r recorder
			var done []<-chan error
			for i, c := range calls {
				c.call.Provider = prov
				done = append(done, submit(s, context.Background(), c.call, r.fn(c.name, 0)))
				waitQueued(t, s, prov, i+1)
			}
			time.Sleep(40 * time.Millisecond)
			release()
			for _, ch := range done {
				if err := <-ch; err != nil {
					t.Fatal(err)
				}
			}
			if got := r.got(); !slices.Equal(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConcurrencyLimit(t *testing.T) {
	for _, limit := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			s := New(Config{Providers: map[string]Limits{prov: {MaxConcurrent: limit}}})
			var now, peak atomic.Int32
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Go(func() {
					err := s.Do(context.Background(), Call{Provider: prov, PID: int64(i % 5), Priority: Priority(i%3 - 1)},
						func(context.Context) (int, error) {
							n := now.Add(1)
							for {
								p := peak.Load()
								if n <= p || peak.CompareAndSwap(p, n) {
									break
								}
							}
							time.Sleep(2 * time.Millisecond)
							now.Add(-1)
							return 1, nil
						})
					if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if got := int(peak.Load()); got != limit {
				t.Errorf("peak in flight %d, want %d", got, limit)
			}
			st := statsOf(s, prov)
			if st.Completed != 40 || st.InFlight != 0 || st.Queued != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestTokensPerMinute(t *testing.T) {
	// 6000 tokens per minute is 100 per second: 30 tokens take 300ms to refill.
	tests := []struct {
		name           string
		est, used      int // of the first call
		next           int // estimate of the second call
		minGap, maxGap time.Duration
	}{
		{"waits for refill", 6000, 6000, 30, 250 * time.Millisecond, 1500 * time.Millisecond},
		{"unused tokens are given back", 6000, 0, 30, 0, 100 * time.Millisecond},
		{"tokens used beyond the estimate are taken", 100, 6000, 30, 250 * time.Millisecond, 1500 * time.Millisecond},
		{"a call bigger than the bucket goes when it is full", 10, 0, 50000, 0, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{Default: Limits{TokensPerMinute: 6000}})
			ctx := context.Background()
			if err := s.Do(ctx, Call{Provider: prov, PID: 1, Tokens: tt.est}, func(context.Context) (int, error) { return tt.used, nil }); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			var ran time.Time
			if err := s.Do(ctx, Call{Provider: prov, PID: 2, Tokens: tt.next}, func(context.Context) (int, error) {
				ran = time.Now()
				return 0, nil
			}); err != nil {
				t.Fatal(err)
			}
			if gap := ran.Sub(start); gap < tt.minGap || gap > tt.maxGap {
				t.Errorf("second call waited %v, want %v..%v", gap, tt.minGap, tt.maxGap)
			}
		})
	}
}

// A call held back by the bucket holds back the calls behind it; cancelling
// it lets them go.
func TestTokensPerMinuteCancelHead(t *testing.T) {
	s := New(Config{Default: Limits{TokensPerMinute: 6000}})
	ctx := context.Background()
	if err := s.Do(ctx, Call{Provider: prov, PID: 1, Tokens: 5990}, func(context.Context) (int, error) { return 5990, nil }); err != nil {
		t.Fatal(err)
	}
	bigCtx, cancel := context.WithCancel(ctx)
	big := submit(s, bigCtx, Call{Provider: prov, PID: 2, Priority: High, Tokens: 3000}, func(context.Context) (int, error) {
		t.Error("cancelled call ran")
		return 0, nil
	})
	waitQueued(t, s, prov, 1)
	small := submit(s, ctx, Call{Provider: prov, PID: 3, Tokens: 5}, func(context.Context) (int, error) { return 5, nil })
	waitQueued(t, s, prov, 2)
	cancel()
	if err := <-big; llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Fatalf("cancelled call returned %v", err)
	}
	select {
	case err := <-small:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("the small call stayed behind the cancelled one")
	}
}

func rateLimited(ra time.Duration) error {
	e := llmos.Errorf(llmos.CodeRateLimited, "p is rate limiting us (HTTP 429)")
	e.RetryAfter = ra
	return e
}

func TestRetryAfterPausesLane(t *testing.T) {
	s := New(Config{})
	ctx := context.Background()
	const pause = 200 * time.Millisecond
	var failedAt time.Time
	var attempts atomic.Int32
	var retriedAt atomic.Int64
	x := submit(s, ctx, Call{Provider: "a", PID: 1}, func(context.Context) (int, error) {
		if attempts.Add(1) == 1 {
			failedAt = time.Now()
			return 0, rateLimited(pause)
		}
		retriedAt.Store(time.Now().UnixNano())
		return 1, nil
	})
	waitFor(t, "the lane to pause", func() bool { return statsOf(s, "a").PausedMs > 0 })
	started := func(provider string) <-chan time.Time {
		ch := make(chan time.Time, 1)
		go func() {
			_ = s.Do(ctx, Call{Provider: provider, PID: 2}, func(context.Context) (int, error) {
				ch <- time.Now()
				return 1, nil
			})
		}()
		return ch
	}
	submitted := time.Now()
	ya, zb := started("a"), started("b")
	if z := <-zb; z.Sub(submitted) > 100*time.Millisecond {
		t.Errorf("a call to another provider waited %v", z.Sub(submitted))
	}
	if y := <-ya; y.Sub(failedAt) < pause {
		t.Errorf("another caller of the paused provider started %v after the 429, before Retry-After %v", y.Sub(failedAt), pause)
	}
	if err := <-x; err != nil {
		t.Fatal(err)
	}
	if d := time.Unix(0, retriedAt.Load()).Sub(failedAt); d < pause {
		t.Errorf("retried %v after the 429, before Retry-After %v", d, pause)
	}
	if st := statsOf(s, "a"); st.RateLimited != 1 || st.Retries != 1 || st.Completed != 2 {
		t.Errorf("stats %+v", st)
	}
}

// A call that was rate limited goes back to its place: ahead of calls that
// arrived after it.
func TestRateLimitedKeepsPlace(t *testing.T) {
	s := New(Config{Default: Limits{MaxConcurrent: 1}})
	ctx := context.Background()
	var r recorder
	gate := make(chan struct{})
	var first atomic.Bool
	x := submit(s, ctx, Call{Provider: prov, PID: 1, Tokens: 10}, func(ctx context.Context) (int, error) {
		if !first.Swap(true) {
			<-gate
			return 0, rateLimited(30 * time.Millisecond)
		}
		return r.fn("x", 10)(ctx)
	})
	waitFor(t, "x to run", func() bool { return statsOf(s, prov).InFlight == 1 })
	y := submit(s, ctx, Call{Provider: prov, PID: 2, Tokens: 10}, r.fn("y", 10))
	waitQueued(t, s, prov, 1)
	w := submit(s, ctx, Call{Provider: prov, PID: 3, Tokens: 10}, r.fn("w", 10))
	waitQueued(t, s, prov, 2)
	close(gate)
	for _, ch := range []<-chan error{x, y, w} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if got, want := r.got(), []string{"x", "y", "w"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestRetriesBounded(t *testing.T) {
	invalid := llmos.Errorf(llmos.CodeInvalid, "p refused the request (HTTP 400)")
	unavailable := llmos.Errorf(llmos.CodeUnavailable, "p failed (HTTP 503)")
	tests := []struct {
		name      string
		cfg       Config
		errs      []error // fn's results in turn; nil once they run out
		wantCode  llmos.Code
		wantCalls int
		wantMsg   string // prefix
		minTime   time.Duration
	}{
		{"rate limited until attempts run out", Config{MaxAttempts: 3},
			[]error{rateLimited(time.Millisecond), rateLimited(time.Millisecond), rateLimited(time.Millisecond), rateLimited(time.Millisecond)},
			llmos.CodeRateLimited, 3, "p: still rate limited after 3 attempts: p is rate limiting us (HTTP 429)", 2 * time.Millisecond},
		{"unavailable until attempts run out", Config{MaxAttempts: 4, BaseBackoff: time.Millisecond},
			[]error{unavailable, unavailable, unavailable, unavailable, unavailable},
			llmos.CodeUnavailable, 4, "p: still unavailable after 4 attempts: p failed (HTTP 503)", 0},
		{"retry wait bounded", Config{MaxAttempts: 10, MaxWait: 100 * time.Millisecond},
			[]error{rateLimited(40 * time.Millisecond), rateLimited(40 * time.Millisecond), rateLimited(40 * time.Millisecond), rateLimited(40 * time.Millisecond)},
			llmos.CodeRateLimited, 3, "p: still rate limited after 3 attempts, and retrying would wait past 100ms: ", 80 * time.Millisecond},
		{"one attempt allowed", Config{MaxAttempts: 1}, []error{unavailable},
			llmos.CodeUnavailable, 1, "p: still unavailable after 1 attempt: ", 0},
		{"recovers", Config{}, []error{rateLimited(time.Millisecond), rateLimited(time.Millisecond)},
			"", 3, "", 2 * time.Millisecond},
		{"recovers from unavailable", Config{BaseBackoff: time.Millisecond}, []error{unavailable, unavailable},
			"", 3, "", 0},
		{"429 without Retry-After backs off exponentially", Config{DefaultRetryAfter: 20 * time.Millisecond},
			[]error{rateLimited(0), rateLimited(0), rateLimited(0)},
			"", 4, "", 140 * time.Millisecond},
		{"other errors are not retried", Config{}, []error{invalid},
			llmos.CodeInvalid, 1, "p refused the request (HTTP 400)", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.cfg)
			calls := 0
			start := time.Now()
			err := s.Do(context.Background(), Call{Provider: prov, PID: 1}, func(context.Context) (int, error) {
				calls++
				if calls <= len(tt.errs) {
					return 0, tt.errs[calls-1]
				}
				return 1, nil
			})
			if took := time.Since(start); took < tt.minTime {
				t.Errorf("took %v, want at least %v", took, tt.minTime)
			}
			if calls != tt.wantCalls {
				t.Errorf("fn ran %d times, want %d", calls, tt.wantCalls)
			}
			if code := llmos.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("error %v (code %q), want code %q", err, code, tt.wantCode)
			}
			if err == nil {
				return
			}
			if !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Errorf("message %q, want prefix %q", err.Error(), tt.wantMsg)
			}
			if !errors.Is(err, tt.errs[calls-1]) {
				t.Errorf("the last error is not kept as the cause")
			}
			st := statsOf(s, prov)
			if st.Failed != 1 || st.Attempts != int64(calls) || st.Retries != int64(calls-1) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestGiveUpKeepsRetryAfter(t *testing.T) {
	s := New(Config{MaxAttempts: 1})
	err := s.Do(context.Background(), Call{Provider: prov}, func(context.Context) (int, error) {
		return 0, rateLimited(7 * time.Second)
	})
	if ra := llmos.RetryAfterOf(err); ra != 7*time.Second {
		t.Errorf("RetryAfter %v, want 7s", ra)
	}
}

func TestCancel(t *testing.T) {
	never := func(t *testing.T) func(context.Context) (int, error) {
		return func(context.Context) (int, error) {
			t.Error("fn ran")
			return 0, nil
		}
	}
	tests := []struct {
		name string
		cfg  Config
		// start begins the call under test and returns when it is where the
		// case wants it; it may return a function to run after the test.
		run func(t *testing.T, s *Scheduler, ctx context.Context) (<-chan error, func())
	}{
		{"while queued", Config{Default: Limits{MaxConcurrent: 1}},
			func(t *testing.T, s *Scheduler, ctx context.Context) (<-chan error, func()) {
				release := hold(t, s, prov)
				ch := submit(s, ctx, Call{Provider: prov, PID: 1}, never(t))
				waitQueued(t, s, prov, 1)
				return ch, release
			}},
		{"while running", Config{},
			func(t *testing.T, s *Scheduler, ctx context.Context) (<-chan error, func()) {
				ch := submit(s, ctx, Call{Provider: prov, PID: 1}, func(ctx context.Context) (int, error) {
					<-ctx.Done()
					return 0, ctx.Err()
				})
				waitFor(t, "fn to run", func() bool { return statsOf(s, prov).InFlight == 1 })
				return ch, nil
			}},
		{"while backing off", Config{BaseBackoff: 10 * time.Second},
			func(t *testing.T, s *Scheduler, ctx context.Context) (<-chan error, func()) {
				ch := submit(s, ctx, Call{Provider: prov, PID: 1}, func(ctx context.Context) (int, error) {
					return 0, llmos.Errorf(llmos.CodeUnavailable, "p failed (HTTP 503)")
				})
				waitFor(t, "a retry", func() bool { return statsOf(s, prov).Retries == 1 })
				return ch, nil
			}},
		{"while the lane is paused", Config{},
			func(t *testing.T, s *Scheduler, ctx context.Context) (<-chan error, func()) {
				ch := submit(s, ctx, Call{Provider: prov, PID: 1}, func(ctx context.Context) (int, error) {
					return 0, rateLimited(10 * time.Second)
				})
				waitFor(t, "a retry", func() bool { return statsOf(s, prov).Retries == 1 })
				return ch, nil
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.cfg)
			ctx, cancel := context.WithCancel(context.Background())
			ch, after := tt.run(t, s, ctx)
			cancel()
			select {
			case err := <-ch:
				if llmos.ErrorCode(err) != llmos.CodeCanceled {
					t.Errorf("error %v, want code canceled", err)
				}
			case <-time.After(time.Second):
				t.Fatal("Do did not return after cancellation")
			}
			if after != nil {
				after()
			}
			st := statsOf(s, prov)
			if st.Canceled != 1 || st.Queued != 0 || st.InFlight != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestCancelledBeforeDo(t *testing.T) {
	s := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Do(ctx, Call{Provider: prov}, func(context.Context) (int, error) {
		t.Error("fn ran")
		return 0, nil
	})
	if llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("error %v, want code canceled", err)
	}
}

func TestPanicReleasesSlot(t *testing.T) {
	s := New(Config{Default: Limits{MaxConcurrent: 1}})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		_ = s.Do(context.Background(), Call{Provider: prov}, func(context.Context) (int, error) { panic("boom") })
	}()
	done := submit(s, context.Background(), Call{Provider: prov}, func(context.Context) (int, error) { return 0, nil })
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("the slot of the call that panicked was not released")
	}
}

// Thousands of waiting calls dispatch quickly and in priority order.
func TestManyWaiting(t *testing.T) {
	const n = 3000
	s := New(Config{Default: Limits{MaxConcurrent: 1}, StarvationLimit: -1})
	release := hold(t, s, prov)
	var mu sync.Mutex
	var ran []Priority
	var wg sync.WaitGroup
	for i := range n {
		p := Priority(i%3 - 1)
		wg.Go(func() {
			err := s.Do(context.Background(), Call{Provider: prov, PID: int64(i), Priority: p, Tokens: 10},
				func(context.Context) (int, error) {
					mu.Lock()
					ran = append(ran, p)
					mu.Unlock()
					return 10, nil
				})
			if err != nil {
				t.Error(err)
			}
		})
	}
	waitQueued(t, s, prov, n)
	start := time.Now()
	release()
	wg.Wait()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("%d calls took %v", n, took)
	}
	if !slices.IsSortedFunc(ran, func(a, b Priority) int { return int(b - a) }) {
		t.Error("calls did not run in priority order")
	}
	l := s.lane(prov)
	l.mu.Lock()
	l.sweep()
	records := len(l.procs)
	l.mu.Unlock()
	if records > minSweep {
		t.Errorf("%d idle process records kept after a sweep", records)
	}
}

func TestStats(t *testing.T) {
	s := New(Config{Providers: map[string]Limits{prov: {MaxConcurrent: 2}}})
	ctx := context.Background()
	ok := func(context.Context) (int, error) {
		time.Sleep(5 * time.Millisecond)
		return 10, nil
	}
	for _, p := range []Priority{Normal, Normal, High} {
		if err := s.Do(ctx, Call{Provider: prov, PID: 1, Priority: p}, ok); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Do(ctx, Call{Provider: prov, PID: 2, Priority: Low}, func(context.Context) (int, error) {
		return 0, llmos.Errorf(llmos.CodeInvalid, "bad")
	})
	tries := 0
	if err := s.Do(ctx, Call{Provider: prov, PID: 3}, func(context.Context) (int, error) {
		tries++
		if tries == 1 {
			return 0, rateLimited(time.Millisecond)
		}
		return 5, nil
	}); err != nil {
		t.Fatal(err)
	}
	st := statsOf(s, prov)
	want := ProviderStats{MaxConcurrent: 2, Calls: 5, Started: 5, Completed: 4, Failed: 1, Attempts: 6, Retries: 1, RateLimited: 1, TokensUsed: 35}
	got := st
	got.TokensPerMinute, got.BusySeconds, got.ElapsedSeconds, got.Utilization, got.QueueWait, got.PausedMs = 0, 0, 0, 0, nil, 0
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stats\n got %+v\nwant %+v", got, want)
	}
	if st.BusySeconds < 0.015 || st.Utilization <= 0 || st.Utilization > 1 {
		t.Errorf("busy %v s, utilization %v", st.BusySeconds, st.Utilization)
	}
	for prio, n := range map[string]int64{"high": 1, "normal": 3, "low": 1} {
		if c := st.QueueWait[prio].Count; c != n {
			t.Errorf("%s waits counted %d, want %d", prio, c, n)
		}
	}
	b, err := json.Marshal(s.Stats())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"providers":{"p":`, `"queue_wait":{`, `"p95_ms":`, `"utilization":`, `"rate_limited":1`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	if p := ms(h.quantile(0.95)); p < 95*0.95 || p > 95*1.05 {
		t.Errorf("p95 %.2fms, want about 95ms", p)
	}
	if m := h.mean(); m != 50.5 {
		t.Errorf("mean %vms, want 50.5", m)
	}
	if q := h.quantile(1); q != 100*time.Millisecond {
		t.Errorf("max quantile %v", q)
	}
	var one histogram
	one.add(3 * time.Millisecond)
	if q := one.quantile(0.95); q != 3*time.Millisecond {
		t.Errorf("quantile of one sample %v", q)
	}
}

func TestParsePriority(t *testing.T) {
	tests := []struct {
		in   string
		want Priority
		ok   bool
	}{
		{"low", Low, true}, {"Normal", Normal, true}, {" HIGH ", High, true}, {"", Normal, true}, {"urgent", Normal, false},
	}
	for _, tt := range tests {
		got, err := ParsePriority(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParsePriority(%q) = %v, %v", tt.in, got, err)
		}
		if err != nil && llmos.ErrorCode(err) != llmos.CodeInvalid {
			t.Errorf("error code %q", llmos.ErrorCode(err))
		}
		if tt.ok {
			if back, _ := ParsePriority(got.String()); back != got {
				t.Errorf("String %q does not parse back", got.String())
			}
		}
	}
	var p Priority
	if err := json.Unmarshal([]byte(`"high"`), &p); err != nil || p != High {
		t.Errorf("unmarshal: %v %v", p, err)
	}
	if b, _ := json.Marshal(Low); string(b) != `"low"` {
		t.Errorf("marshal: %s", b)
	}
}
