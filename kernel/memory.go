package kernel

import (
	"context"

	"github.com/llmos/llmos"
)

// Memory manages a process's context window, its RAM: what of the process's
// history, its core memory and its stored memories goes into each model call,
// and what is evicted or paged in. Package memory implements it; without one,
// the kernel sends the whole history.
type Memory interface {
	// Window returns the messages of the next model call, built from the
	// process's whole history (history[i] is message number i). It may update
	// p.Memory (the summary, what was evicted, the counters); the kernel
	// stores p with the step. The report says what paging happened.
	Window(ctx context.Context, p *Process, history []llmos.Message) ([]llmos.Message, WindowReport, error)
	// Remember is given messages as they are committed, from message number
	// from on, to keep them searchable for later recall.
	Remember(ctx context.Context, p *Process, from int, msgs []llmos.Message) error
	// Observe tells the memory how many input tokens the provider counted
	// for a window it estimated at estimated tokens, to calibrate its counts.
	Observe(model string, estimated, actual int)
}

// MemoryState is what the memory keeps about one process, stored with it.
type MemoryState struct {
	// Summary is the running summary of the evicted part of the conversation.
	Summary string `json:"summary,omitempty"`
	// Evicted is how many messages, after the system prompt, have left the window.
	Evicted    int `json:"evicted,omitempty"`
	PageFaults int `json:"page_faults,omitempty"`
	PageHits   int `json:"page_hits,omitempty"`
	Evictions  int `json:"evictions,omitempty"`
	Warnings   int `json:"warnings,omitempty"`
}

// WindowReport says what building one context window did.
type WindowReport struct {
	Tokens  int `json:"tokens"`
	Budget  int `json:"budget"`
	PagedIn int `json:"paged_in,omitempty"`
	Faults  int `json:"faults,omitempty"`
	Hits    int `json:"hits,omitempty"`
	Evicted int `json:"evicted,omitempty"`
	// Warned is set when the window passed the memory-pressure mark.
	Warned bool `json:"warned,omitempty"`
}

// notable reports whether the report is worth an event in the trace.
func (r WindowReport) notable() bool {
	return r.PagedIn > 0 || r.Faults > 0 || r.Hits > 0 || r.Evicted > 0 || r.Warned
}

// withCaller puts the process's identity in the context given to its tools.
func withCaller(ctx context.Context, p *Process) context.Context {
	return llmos.WithCaller(ctx, llmos.Caller{PID: p.PID, Namespace: p.Namespace, Model: p.Model, Caps: p.Caps})
}
