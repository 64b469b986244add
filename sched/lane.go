package sched

import (
	"container/heap"
	"context"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/llmos/llmos"
)

// A lane is one provider's queue and quotas. Everything in it is guarded by
// mu; the scheduler's own lock is only taken to find or make a lane.
type lane struct {
	name string
	lim  Limits
	cfg  Config
	born time.Time

	mu      sync.Mutex
	classes [numClasses]classQueue
	procs   map[procKey]*proc
	sweepAt int    // len(procs) that triggers the next sweep of idle records
	seq     uint64 // arrival counter; a call keeps its number across retries
	queued  int    // calls waiting, all classes

	inFlight    int       // calls granted a slot and not finished
	tokens      float64   // TPM bucket content; may go negative after a correction
	refilledAt  time.Time // when tokens was last brought up to date
	pausedUntil time.Time // no dispatch before this (a 429's Retry-After)

	timer   *time.Timer // wakes dispatch for a pause's end or a refill
	timerAt time.Time   // when timer fires; zero when not armed

	running      int           // fns running now
	runningSince time.Duration // sum over running fns of their start, from born
	stats        laneStats
}

// classQueue holds the processes of one class that have calls waiting, in a
// min-heap ordered by virtual usage and then by the age of their oldest call.
type classQueue struct {
	procs   procHeap
	waiting int       // calls waiting in this class
	minV    int64     // monotonic floor of the virtual usage of waiting processes
	since   time.Time // last dispatch of this class, or when it began to wait
}

// floor returns the smallest virtual usage among the class's waiting
// processes, never less than it was before (CFS's min_vruntime). Newcomers
// and processes back from idleness start there.
func (q *classQueue) floor() int64 {
	if len(q.procs) > 0 && q.procs[0].vrun > q.minV {
		q.minV = q.procs[0].vrun
	}
	return q.minV
}

type procKey struct {
	pid   int64
	class int
}

// proc is the fair-share record of one process in one class of a lane.
type proc struct {
	key      procKey
	vrun     int64     // virtual usage: tokens charged so far, floored on return from idleness
	waiting  []*waiter // its calls in the queue, oldest first
	inFlight int
	index    int // in the class heap; -1 when no call waits
}

func (p *proc) idle() bool { return len(p.waiting) == 0 && p.inFlight == 0 }

type procHeap []*proc

func (h procHeap) Len() int { return len(h) }
func (h procHeap) Less(i, j int) bool {
	if h[i].vrun != h[j].vrun {
		return h[i].vrun < h[j].vrun
	}
	return h[i].waiting[0].seq < h[j].waiting[0].seq
}
func (h procHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *procHeap) Push(x any) {
	p := x.(*proc)
	p.index = len(*h)
	*h = append(*h, p)
}
func (h *procHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	p.index = -1
	return p
}

// The states of a waiter.
const (
	stateIdle    = iota // not in the queue: new, backing off, or done
	stateQueued         // waiting in the queue
	stateGranted        // dispatched, its turn signalled, fn not yet started
	stateRunning        // fn running
)

// waiter is one call to Do, across all its attempts.
type waiter struct {
	call  Call
	key   procKey
	seq   uint64
	proc  *proc // its record while queued or in flight
	turn  chan struct{}
	state int

	charged    int           // tokens taken from the bucket and added to vrun at dispatch
	enqueuedAt time.Time     // start of the current wait in the queue
	queued     time.Duration // time spent in the queue so far, all attempts
	start      time.Time     // when the current run of fn began

	started   bool // fn has run at least once
	attempts  int
	n429      int
	nUnavail  int
	retryWait time.Duration
}

func newLane(name string, lim Limits, cfg Config) *lane {
	now := time.Now()
	return &lane{
		name: name, lim: lim, cfg: cfg, born: now,
		procs: make(map[procKey]*proc), sweepAt: minSweep,
		tokens: float64(lim.TokensPerMinute), refilledAt: now,
	}
}

func (l *lane) newWaiter(c Call) *waiter {
	class := c.Priority.class()
	return &waiter{call: c, key: procKey{c.PID, class}, turn: make(chan struct{}, 1)}
}

// enqueue puts w in the queue, keeping its arrival number if it has one.
func (l *lane) enqueue(w *waiter, now time.Time) {
	if w.seq == 0 {
		l.seq++
		w.seq = l.seq
		l.stats.calls++
	}
	q := &l.classes[w.key.class]
	p := l.procs[w.key]
	if p == nil {
		p = &proc{key: w.key, index: -1, vrun: q.floor()}
		l.procs[w.key] = p
	} else if p.idle() {
		p.vrun = max(p.vrun, q.floor())
	}
	w.proc = p
	i := sort.Search(len(p.waiting), func(i int) bool { return p.waiting[i].seq > w.seq })
	p.waiting = slices.Insert(p.waiting, i, w)
	if p.index < 0 {
		heap.Push(&q.procs, p)
	} else if i == 0 {
		heap.Fix(&q.procs, p.index)
	}
	if q.waiting == 0 {
		q.since = now
	}
	q.waiting++
	l.queued++
	w.state = stateQueued
	w.enqueuedAt = now
	if len(l.procs) > l.sweepAt {
		l.sweep()
	}
}

// remove takes a queued w out of the queue.
func (l *lane) remove(w *waiter, now time.Time) {
	p := w.proc
	q := &l.classes[w.key.class]
	i := slices.Index(p.waiting, w)
	p.waiting = slices.Delete(p.waiting, i, i+1)
	if len(p.waiting) == 0 {
		heap.Remove(&q.procs, p.index)
	} else if i == 0 {
		heap.Fix(&q.procs, p.index)
	}
	q.waiting--
	l.queued--
	w.queued += now.Sub(w.enqueuedAt)
	w.state = stateIdle
	l.forgetIfIdle(p)
}

// pickClass returns the class whose best call goes next: the highest class
// with calls waiting, unless a lower one has waited past the starvation
// limit. It returns -1 when nothing waits.
func (l *lane) pickClass(now time.Time) int {
	best := -1
	for c := numClasses - 1; c >= 0; c-- {
		if l.classes[c].waiting > 0 {
			best = c
			break
		}
	}
	if best <= 0 || l.cfg.StarvationLimit <= 0 {
		return best
	}
	starved := -1
	for c := 0; c < best; c++ {
		q := &l.classes[c]
		if q.waiting > 0 && now.Sub(q.since) >= l.cfg.StarvationLimit &&
			(starved < 0 || q.since.Before(l.classes[starved].since)) {
			starved = c
		}
	}
	if starved >= 0 {
		return starved
	}
	return best
}

// dispatch starts as many waiting calls as the lane's pause, concurrency
// limit and token bucket allow, best first. When the next call is held back
// by time (a pause or a refill) it arms the lane's timer; when it is held back
// by concurrency, the next completion calls dispatch again.
func (l *lane) dispatch(now time.Time) {
	for l.queued > 0 {
		if now.Before(l.pausedUntil) {
			l.armTimer(now, l.pausedUntil)
			return
		}
		if l.lim.MaxConcurrent > 0 && l.inFlight >= l.lim.MaxConcurrent {
			return
		}
		c := l.pickClass(now)
		q := &l.classes[c]
		p := q.procs[0]
		w := p.waiting[0]
		est := max(w.call.Tokens, 0)
		if tpm := l.lim.TokensPerMinute; tpm > 0 {
			l.refill(now)
			need := float64(min(est, tpm)) // a call bigger than the bucket goes when it is full
			if l.tokens < need {
				wait := time.Duration(math.Ceil((need - l.tokens) / l.ratePerNs()))
				l.armTimer(now, now.Add(max(wait, time.Microsecond)))
				return
			}
			l.tokens -= float64(est)
		}
		p.waiting = slices.Delete(p.waiting, 0, 1)
		p.vrun += int64(est)
		p.inFlight++
		if len(p.waiting) == 0 {
			heap.Remove(&q.procs, p.index)
		} else {
			heap.Fix(&q.procs, p.index)
		}
		q.waiting--
		q.since = now
		l.queued--
		l.inFlight++
		w.charged = est
		w.queued += now.Sub(w.enqueuedAt)
		w.state = stateGranted
		w.turn <- struct{}{}
	}
}

func (l *lane) ratePerNs() float64 {
	return float64(l.lim.TokensPerMinute) / float64(time.Minute)
}

// refill brings the token bucket up to date.
func (l *lane) refill(now time.Time) {
	if now.After(l.refilledAt) {
		l.tokens = min(float64(l.lim.TokensPerMinute), l.tokens+float64(now.Sub(l.refilledAt))*l.ratePerNs())
		l.refilledAt = now
	}
}

// armTimer makes sure dispatch runs again no later than at.
func (l *lane) armTimer(now, at time.Time) {
	if !l.timerAt.IsZero() && !at.Before(l.timerAt) {
		return
	}
	l.timerAt = at
	d := at.Sub(now)
	if l.timer == nil {
		l.timer = time.AfterFunc(d, l.onTimer)
	} else {
		l.timer.Reset(d)
	}
}

func (l *lane) onTimer() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timerAt = time.Time{}
	l.dispatch(time.Now())
}

// await blocks until w is dispatched or ctx ends. On cancellation it takes w
// out of the queue, or gives back the slot it was granted meanwhile.
func (l *lane) await(ctx context.Context, w *waiter) error {
	select {
	case <-w.turn:
		return nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	switch w.state {
	case stateQueued:
		l.remove(w, now)
	case stateGranted:
		l.settle(w, 0, now)
	}
	l.stats.canceled++
	l.recordWait(w)
	l.dispatch(now)
	return l.canceled(ctx.Err(), "while queued")
}

// run runs fn for a dispatched w. If fn panics, the slot is released and the
// panic goes on.
func (l *lane) run(ctx context.Context, w *waiter, fn func(context.Context) (int, error)) (used int, err error) {
	l.mu.Lock()
	w.state = stateRunning
	w.start = time.Now()
	w.attempts++
	if !w.started {
		w.started = true
		l.stats.started++
	}
	l.stats.attempts++
	l.running++
	l.runningSince += w.start.Sub(l.born)
	l.mu.Unlock()

	done := false
	defer func() {
		if done {
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		now := time.Now()
		l.complete(w, 0, now)
		l.stats.failed++
		l.recordWait(w)
		l.dispatch(now)
	}()
	used, err = fn(ctx)
	done = true
	return used, err
}

// complete ends a run of fn: busy time, tokens used, and the slot.
func (l *lane) complete(w *waiter, used int, now time.Time) {
	l.running--
	l.runningSince -= w.start.Sub(l.born)
	l.stats.busy += now.Sub(w.start)
	used = max(used, 0)
	l.stats.tokensUsed += int64(used)
	l.settle(w, used, now)
}

// settle gives back w's slot and corrects the bucket and its process's
// virtual usage from the estimate to what the call used.
func (l *lane) settle(w *waiter, used int, now time.Time) {
	p := w.proc
	l.inFlight--
	p.inFlight--
	delta := used - w.charged
	w.charged = 0
	w.state = stateIdle
	if l.lim.TokensPerMinute > 0 {
		l.refill(now)
		l.tokens = min(float64(l.lim.TokensPerMinute), l.tokens-float64(delta))
	}
	p.vrun += int64(delta)
	if p.index >= 0 {
		heap.Fix(&l.classes[p.key.class].procs, p.index)
	}
	l.forgetIfIdle(p)
}

// finish settles a run of fn and decides what follows: done, with Do's
// result in final, or retry: for rate_limited w is already back in the queue
// (requeued) behind the lane's pause; for unavailable it must first wait
// backoff out of the queue.
func (l *lane) finish(ctx context.Context, w *waiter, used int, err error) (final error, retry, requeued bool, backoff time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.complete(w, used, now)
	defer l.dispatch(now)
	switch {
	case err == nil:
		l.stats.completed++
		l.recordWait(w)
		return nil, false, false, 0
	case ctx.Err() != nil:
		l.stats.canceled++
		l.recordWait(w)
		return l.canceled(err, "while running"), false, false, 0
	case !llmos.Retryable(err):
		l.stats.failed++
		l.recordWait(w)
		return err, false, false, 0
	}
	limited := llmos.ErrorCode(err) == llmos.CodeRateLimited
	var wait time.Duration
	if limited {
		l.stats.rateLimited++
		w.n429++
		ra := llmos.RetryAfterOf(err)
		if ra <= 0 {
			ra = backoffFor(l.cfg.DefaultRetryAfter, w.n429)
		}
		if until := now.Add(ra); until.After(l.pausedUntil) {
			l.pausedUntil = until
		}
		wait = l.pausedUntil.Sub(now)
	} else {
		w.nUnavail++
		wait = jitter(backoffFor(l.cfg.BaseBackoff, w.nUnavail))
	}
	if w.attempts >= l.cfg.MaxAttempts {
		l.stats.failed++
		l.recordWait(w)
		return l.giveUp(err, w.attempts, 0, 0), false, false, 0
	}
	if w.retryWait+wait > l.cfg.MaxWait {
		l.stats.failed++
		l.recordWait(w)
		return l.giveUp(err, w.attempts, wait, l.cfg.MaxWait), false, false, 0
	}
	w.retryWait += wait
	l.stats.retries++
	if limited {
		l.enqueue(w, now)
		return nil, true, true, 0
	}
	return nil, true, false, wait
}

// recordWait adds w's time in the queue to the wait statistics of its class,
// once, when the call ends having run at least once.
func (l *lane) recordWait(w *waiter) {
	if w.started {
		l.stats.wait[w.key.class].add(w.queued)
	}
}

// minSweep is the smallest number of process records that triggers a sweep.
const minSweep = 1024

// forgetIfIdle drops the record of an idle process whose virtual usage is at
// or below its class's floor: it would start there anyway on its next call.
func (l *lane) forgetIfIdle(p *proc) {
	if p.idle() && p.vrun <= l.classes[p.key.class].floor() {
		delete(l.procs, p.key)
	}
}

// sweep bounds the records kept for idle processes. Those at or below their
// class's floor go; if idle records still outnumber minSweep, all idle
// records go (their debt is forgiven: they have been idle a while).
func (l *lane) sweep() {
	idle := 0
	for k, p := range l.procs {
		if !p.idle() {
			continue
		}
		if p.vrun <= l.classes[k.class].floor() {
			delete(l.procs, k)
		} else {
			idle++
		}
	}
	if idle > minSweep {
		for k, p := range l.procs {
			if p.idle() {
				delete(l.procs, k)
			}
		}
	}
	l.sweepAt = max(2*len(l.procs), minSweep)
}
