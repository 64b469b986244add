package sched

import (
	"math"
	"time"
)

// Stats is a snapshot of the scheduler's counters.
type Stats struct {
	// Providers holds one entry per provider lane used so far, by name.
	Providers map[string]ProviderStats `json:"providers"`
}

// ProviderStats are the counters of one provider lane. A call is one Do; an
// attempt is one run of its fn.
type ProviderStats struct {
	MaxConcurrent   int `json:"max_concurrent"`
	TokensPerMinute int `json:"tokens_per_minute"`

	Calls       int64 `json:"calls"`        // calls made to Do
	Started     int64 `json:"started"`      // calls whose fn ran at least once
	Completed   int64 `json:"completed"`    // calls that succeeded
	Failed      int64 `json:"failed"`       // calls that ran and ended with an error other than cancellation
	Canceled    int64 `json:"canceled"`     // calls whose ctx ended, queued or running
	Attempts    int64 `json:"attempts"`     // runs of fn
	Retries     int64 `json:"retries"`      // runs after a retryable failure
	RateLimited int64 `json:"rate_limited"` // 429s (rate_limited errors) seen

	InFlight int `json:"in_flight"` // calls dispatched and not finished
	Queued   int `json:"queued"`    // calls waiting for their turn
	// PausedMs is what remains of the lane's pause after a 429, or 0.
	PausedMs float64 `json:"paused_ms"`

	TokensUsed int64 `json:"tokens_used"` // as reported by fn
	// BusySeconds is the sum over runs of fn of their time in flight.
	BusySeconds float64 `json:"busy_seconds"`
	// ElapsedSeconds is the time since the lane's first call.
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	// Utilization is BusySeconds / (MaxConcurrent × ElapsedSeconds), or 0
	// when MaxConcurrent is unlimited.
	Utilization float64 `json:"utilization"`

	// QueueWait is the time calls spent in the queue (all attempts), by
	// priority name, for calls that ran at least once, counted when they end.
	QueueWait map[string]WaitStats `json:"queue_wait"`
}

// WaitStats summarises waits.
type WaitStats struct {
	Count  int64   `json:"count"`
	MeanMs float64 `json:"mean_ms"`
	// P95Ms is the 95th percentile, from a histogram with buckets 9% wide.
	P95Ms float64 `json:"p95_ms"`
	MaxMs float64 `json:"max_ms"`
}

// Stats returns a snapshot of every lane's counters.
func (s *Scheduler) Stats() Stats {
	s.mu.Lock()
	lanes := make([]*lane, 0, len(s.lanes))
	for _, l := range s.lanes {
		lanes = append(lanes, l)
	}
	s.mu.Unlock()
	out := Stats{Providers: make(map[string]ProviderStats, len(lanes))}
	for _, l := range lanes {
		out.Providers[l.name] = l.snapshot()
	}
	return out
}

type laneStats struct {
	calls, started, completed, failed, canceled int64
	attempts, retries, rateLimited              int64
	tokensUsed                                  int64
	busy                                        time.Duration // finished runs only
	wait                                        [numClasses]histogram
}

func (l *lane) snapshot() ProviderStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	st := l.stats
	// Runs still going count up to now.
	busy := st.busy + time.Duration(l.running)*now.Sub(l.born) - l.runningSince
	elapsed := now.Sub(l.born)
	ps := ProviderStats{
		MaxConcurrent:   l.lim.MaxConcurrent,
		TokensPerMinute: l.lim.TokensPerMinute,
		Calls:           st.calls,
		Started:         st.started,
		Completed:       st.completed,
		Failed:          st.failed,
		Canceled:        st.canceled,
		Attempts:        st.attempts,
		Retries:         st.retries,
		RateLimited:     st.rateLimited,
		InFlight:        l.inFlight,
		Queued:          l.queued,
		TokensUsed:      st.tokensUsed,
		BusySeconds:     busy.Seconds(),
		ElapsedSeconds:  elapsed.Seconds(),
		QueueWait:       make(map[string]WaitStats, numClasses),
	}
	if l.pausedUntil.After(now) {
		ps.PausedMs = ms(l.pausedUntil.Sub(now))
	}
	if l.lim.MaxConcurrent > 0 && elapsed > 0 {
		ps.Utilization = busy.Seconds() / (float64(l.lim.MaxConcurrent) * elapsed.Seconds())
	}
	for c := range numClasses {
		h := &st.wait[c]
		ps.QueueWait[classPriority(c).String()] = WaitStats{
			Count:  h.count,
			MeanMs: h.mean(),
			P95Ms:  ms(h.quantile(0.95)),
			MaxMs:  ms(h.max),
		}
	}
	return ps
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// histogram counts durations in logarithmic buckets, histPerOctave to a
// doubling, from 1µs to about 70 minutes: bounded memory whatever the number
// of samples, quantiles within half a bucket (about 4.5%).
type histogram struct {
	buckets  [histBuckets]int64
	count    int64
	sum      time.Duration
	min, max time.Duration
}

const (
	histPerOctave = 8
	histBuckets   = 32*histPerOctave + 1 // bucket 0 is below 1µs
)

func histIndex(d time.Duration) int {
	if d < time.Microsecond {
		return 0
	}
	i := int(histPerOctave*math.Log2(float64(d)/float64(time.Microsecond))) + 1
	return min(i, histBuckets-1)
}

func (h *histogram) add(d time.Duration) {
	d = max(d, 0)
	h.buckets[histIndex(d)]++
	if h.count == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.count++
	h.sum += d
}

// mean returns the mean in milliseconds, or 0 with no samples.
func (h *histogram) mean() float64 {
	if h.count == 0 {
		return 0
	}
	return ms(h.sum) / float64(h.count)
}

// quantile returns an estimate of the q-quantile: the geometric middle of the
// bucket holding it, kept within the smallest and largest samples.
func (h *histogram) quantile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.count)))
	rank = min(max(rank, 1), h.count)
	if rank == h.count {
		return h.max
	}
	var seen int64
	for i, n := range h.buckets {
		seen += n
		if seen < rank {
			continue
		}
		var v time.Duration
		if i > 0 {
			mid := (float64(i) - 0.5) / histPerOctave
			v = time.Duration(float64(time.Microsecond) * math.Exp2(mid))
		}
		return min(max(v, h.min), h.max)
	}
	return h.max
}
