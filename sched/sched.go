package sched

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/llmos/llmos"
)

// Priority is a call's class: higher classes are dispatched first.
// Values above High count as High and values below Low as Low.
type Priority int

// The priority classes.
const (
	Low    Priority = -1
	Normal Priority = 0
	High   Priority = 1
)

// numClasses is the number of priority classes; class index 0 is Low.
const numClasses = 3

// class maps a priority to its queue index: 0 Low, 1 Normal, 2 High.
func (p Priority) class() int {
	switch {
	case p <= Low:
		return 0
	case p >= High:
		return 2
	}
	return 1
}

// classPriority is the inverse of class.
func classPriority(c int) Priority { return Priority(c - 1) }

// String returns "low", "normal" or "high".
func (p Priority) String() string {
	switch p {
	case Low:
		return "low"
	case Normal:
		return "normal"
	case High:
		return "high"
	}
	return fmt.Sprintf("priority(%d)", int(p))
}

// ParsePriority reads "low", "normal" or "high" (any case). The empty string
// is Normal. Anything else is an error with code invalid.
func ParsePriority(s string) (Priority, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "low":
		return Low, nil
	case "normal", "":
		return Normal, nil
	case "high":
		return High, nil
	}
	return Normal, llmos.Errorf(llmos.CodeInvalid, "unknown priority %q (want low, normal or high)", s)
}

// MarshalText writes the priority's name, so that it reads well in JSON.
func (p Priority) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a name accepted by ParsePriority.
func (p *Priority) UnmarshalText(b []byte) error {
	v, err := ParsePriority(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Limits are one provider's quotas.
type Limits struct {
	// MaxConcurrent is how many calls may be in flight at once; 0 is unlimited.
	MaxConcurrent int `json:"max_concurrent"`
	// TokensPerMinute is the admission budget: a token bucket holding at most
	// TokensPerMinute tokens, refilled continuously at TokensPerMinute/60 per
	// second, that must hold a call's estimated tokens before it is
	// dispatched. 0 is unlimited.
	TokensPerMinute int `json:"tokens_per_minute"`
}

// Config sets the scheduler's quotas and retry policy. The zero value is
// usable: no limits, and the defaults named below.
type Config struct {
	// Default is for providers not listed in Providers.
	Default Limits
	// Providers holds the limits of each provider by name ("openai", ...).
	Providers map[string]Limits
	// MaxAttempts bounds the runs of one call that fails with a retryable
	// error (rate_limited or unavailable); default 6.
	MaxAttempts int
	// MaxWait bounds the total time one call spends waiting to be retried:
	// the provider pauses after its 429s and its own backoffs; default 2m.
	// A retry that would take the total past it is not attempted.
	MaxWait time.Duration
	// BaseBackoff is the first backoff after an unavailable error; it doubles
	// with each such error of the call, up to 30s, and the actual wait is
	// drawn uniformly from zero to it (full jitter); default 500ms.
	BaseBackoff time.Duration
	// DefaultRetryAfter is the provider pause after a 429 that gave no
	// Retry-After; it doubles with each such 429 of the call, up to 30s;
	// default 1s.
	DefaultRetryAfter time.Duration
	// StarvationLimit is the longest a priority class with waiting calls may
	// go without a dispatch while higher classes are served; past it, its
	// next call goes first (aging), so Low is delayed but never starved.
	// Default 10s; negative means strict priority with no aging.
	StarvationLimit time.Duration
}

const (
	defaultMaxAttempts     = 6
	defaultMaxWait         = 2 * time.Minute
	defaultBaseBackoff     = 500 * time.Millisecond
	defaultRetryAfter      = time.Second
	defaultStarvationLimit = 10 * time.Second
	maxBackoff             = 30 * time.Second
)

func (c Config) withDefaults() Config {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = defaultMaxAttempts
	}
	if c.MaxWait <= 0 {
		c.MaxWait = defaultMaxWait
	}
	if c.BaseBackoff <= 0 {
		c.BaseBackoff = defaultBaseBackoff
	}
	if c.DefaultRetryAfter <= 0 {
		c.DefaultRetryAfter = defaultRetryAfter
	}
	if c.StarvationLimit == 0 {
		c.StarvationLimit = defaultStarvationLimit
	}
	return c
}

func (c Config) limits(provider string) Limits {
	l, ok := c.Providers[provider]
	if !ok {
		l = c.Default
	}
	l.MaxConcurrent = max(l.MaxConcurrent, 0)
	l.TokensPerMinute = max(l.TokensPerMinute, 0)
	return l
}

// Call describes one model call to the scheduler.
type Call struct {
	// Provider names the lane the call waits in; its limits come from Config.
	Provider string
	// PID is the process making the call: the key of fair share.
	PID int64
	// Priority is the call's class.
	Priority Priority
	// Tokens estimates the call's tokens (prompt and expected output), for
	// TPM admission and fair share until the real count is known.
	Tokens int
}

// Scheduler decides when each model call runs. It is safe for concurrent use;
// the zero value is not usable, call New.
type Scheduler struct {
	cfg   Config
	mu    sync.Mutex
	lanes map[string]*lane
}

// New returns a scheduler with cfg's limits and retry policy.
func New(cfg Config) *Scheduler {
	return &Scheduler{cfg: cfg.withDefaults(), lanes: make(map[string]*lane)}
}

// lane returns the provider's lane, making it on first use.
func (s *Scheduler) lane(provider string) *lane {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.lanes[provider]
	if !ok {
		l = newLane(provider, s.cfg.limits(provider), s.cfg)
		s.lanes[provider] = l
	}
	return l
}

// Do waits for the call's turn in its provider's lane, runs fn, and returns
// fn's error. fn returns the tokens the call really used, which correct the
// lane's token bucket and the process's fair-share usage.
//
// When fn fails with a retryable error Do runs it again, up to
// Config.MaxAttempts runs and Config.MaxWait of waiting. After rate_limited
// the whole lane is paused until the provider's Retry-After (or the default
// backoff) has passed, for every caller, and the call goes back into the queue
// keeping its place; after unavailable only this call backs off, with jitter.
// When the attempts or the wait run out Do returns an *llmos.Error with the
// last error's code and a plain message. Other errors are returned as they
// are, after one run.
//
// Cancelling ctx takes a waiting call out of the queue at once; a running fn
// sees the cancellation through its own ctx, which it must honour, and Do
// returns when fn does. Either way the error has code canceled. Do never
// returns while fn is still running. fn must not be nil.
func (s *Scheduler) Do(ctx context.Context, c Call, fn func(ctx context.Context) (used int, err error)) error {
	l := s.lane(c.Provider)
	w := l.newWaiter(c)
	if err := ctx.Err(); err != nil {
		l.mu.Lock()
		l.stats.calls++
		l.stats.canceled++
		l.mu.Unlock()
		return l.canceled(err, "before it was queued")
	}
	l.submit(w)
	for {
		if err := l.await(ctx, w); err != nil {
			return err
		}
		used, err := l.run(ctx, w, fn)
		final, retry, requeued, backoff := l.finish(ctx, w, used, err)
		if !retry {
			return final
		}
		if requeued {
			// Rate limited: back in the queue, behind the lane's pause.
			continue
		}
		// Unavailable: this call alone waits, out of the queue.
		if err := sleep(ctx, backoff); err != nil {
			l.mu.Lock()
			l.stats.canceled++
			l.recordWait(w)
			l.mu.Unlock()
			return l.canceled(err, "while waiting to retry")
		}
		l.submit(w)
	}
}

// submit puts w in the queue and dispatches what can go.
func (l *lane) submit(w *waiter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.enqueue(w, now)
	l.dispatch(now)
}

// canceled is the error of a call whose ctx ended.
func (l *lane) canceled(cause error, when string) error {
	var e *llmos.Error
	if errors.As(cause, &e) && e.Code == llmos.CodeCanceled {
		return cause
	}
	return llmos.Wrap(cause, llmos.CodeCanceled, fmt.Sprintf("%s call cancelled %s", l.label(), when))
}

// label names the lane in messages.
func (l *lane) label() string {
	if l.name == "" {
		return "model"
	}
	return l.name
}

// giveUp is the error of a call whose retries ran out.
func (l *lane) giveUp(last error, attempts int, wait time.Duration, maxWait time.Duration) error {
	what := "unavailable"
	code := llmos.ErrorCode(last)
	if code == llmos.CodeRateLimited {
		what = "rate limited"
	}
	plural := "s"
	if attempts == 1 {
		plural = ""
	}
	var msg string
	if wait > 0 {
		msg = fmt.Sprintf("%s: still %s after %d attempt%s, and retrying would wait past %s: %s",
			l.label(), what, attempts, plural, maxWait, llmos.ErrorMessage(last))
	} else {
		msg = fmt.Sprintf("%s: still %s after %d attempt%s: %s", l.label(), what, attempts, plural, llmos.ErrorMessage(last))
	}
	return &llmos.Error{Code: code, Msg: msg, RetryAfter: llmos.RetryAfterOf(last), Err: last}
}

// backoffFor returns base doubled n-1 times, capped at maxBackoff.
func backoffFor(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// jitter draws a wait uniformly from (0, d].
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d))) + 1
}

// sleep waits d or until ctx ends, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
