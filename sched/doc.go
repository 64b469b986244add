// Package sched decides when each model call runs. Every model call of every
// agent process goes through one Scheduler: the kernel calls Do once per step
// of a process (one model call), so a process is preempted only at step
// boundaries, and a high-priority process's next step overtakes the
// low-priority calls waiting in the queue.
//
// Calls wait in one lane per provider. A lane dispatches a call when
//   - no 429 has paused it: after a rate_limited error the whole lane waits
//     until the provider's Retry-After has passed, for every caller;
//   - a slot is free: at most Limits.MaxConcurrent calls are in flight;
//   - its token bucket holds the call's estimated tokens: the bucket holds up
//     to Limits.TokensPerMinute tokens and refills continuously; when the call
//     returns, the bucket is corrected by what the call really used.
//
// The call dispatched is chosen by strict priority between classes (High,
// Normal, Low), with aging (Config.StarvationLimit) so that a lower class is
// delayed but never starved, and by fair share within a class: the call of
// the process with the least virtual usage goes first, ties going to the
// oldest call. Virtual usage is the tokens a process has consumed in the lane
// (charged at dispatch from the estimate, corrected on return). A process
// that arrives, or comes back after being idle, starts no lower than the
// smallest usage among the processes waiting in its class, as in CFS's
// min_vruntime: a newcomer can neither starve the others nor be starved.
//
// Waiting costs nothing: calls block on a channel, and a timer wakes the lane
// when a pause ends or the bucket has refilled enough. Choosing the next call
// is a heap operation, so thousands of waiting calls are cheap.
//
// Failures with a retryable code (rate_limited, unavailable) are retried
// within Config.MaxAttempts and Config.MaxWait: a rate-limited call goes back
// to its place in the queue behind the lane's pause; an unavailable one backs
// off alone with jittered exponential delays. Stats reports, per provider,
// calls, retries, 429s, tokens, busy time, utilization and queue waits by
// priority.
//
// Example, in the kernel's agent loop:
//
//	s := sched.New(sched.Config{Providers: map[string]sched.Limits{
//		"openai": {MaxConcurrent: 8, TokensPerMinute: 200_000},
//	}})
//	var resp *llmos.Response
//	err := s.Do(ctx, sched.Call{Provider: "openai", PID: pid, Priority: sched.Normal, Tokens: estimate},
//		func(ctx context.Context) (int, error) {
//			r, err := model.Generate(ctx, req, nil)
//			if err != nil {
//				return 0, err
//			}
//			resp = r
//			return r.Usage.Total(), nil
//		})
package sched
