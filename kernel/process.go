package kernel

import (
	"context"
	"encoding/json"
	"time"

	"github.com/llmos/llmos"
)

// State is where a process is in its life.
type State string

// The states of a process. Done, failed and killed are final; an interrupted
// process (Ctrl-C, a crash, a restart) can be resumed from its last step.
const (
	StateRunnable    State = "runnable"    // created, or ready for its next step
	StateRunning     State = "running"     // a kernel is running its steps now
	StateWaiting     State = "waiting"     // answered; waiting for the next user message (chat)
	StateDone        State = "done"        // finished with an answer
	StateFailed      State = "failed"      // stopped by an error or an exhausted budget
	StateKilled      State = "killed"      // stopped by llmos kill
	StateInterrupted State = "interrupted" // stopped mid-task; resumable
)

// Final reports whether a process in this state will never run again.
func (s State) Final() bool { return s == StateDone || s == StateFailed || s == StateKilled }

// Budget bounds a process. A zero field means no bound.
type Budget struct {
	MaxSteps  int           `json:"max_steps,omitempty"`
	MaxTokens int           `json:"max_tokens,omitempty"`
	MaxTime   time.Duration `json:"max_time,omitempty"`
}

// Process is an agent: a task, a model, its own conversation, the
// capabilities it holds, and budgets. Its messages and events live in the
// Store beside it.
type Process struct {
	PID    int64  `json:"pid"`
	Parent int64  `json:"parent,omitempty"`
	State  State  `json:"state"`
	Model  string `json:"model"` // provider:model, or "offline"
	Task   string `json:"task"`
	// Namespace is the user whose memories the process reads and writes.
	Namespace string   `json:"namespace,omitempty"`
	Priority  int      `json:"priority"` // sched.Priority: -1 low, 0 normal, 1 high
	Caps      []string `json:"capabilities"`
	Budget    Budget   `json:"budget"`

	Steps   int           `json:"steps"`
	Usage   llmos.Usage   `json:"usage"`
	Elapsed time.Duration `json:"elapsed"` // time spent running, over all runs
	Result  string        `json:"result,omitempty"`
	Memory  MemoryState   `json:"memory,omitzero"`
	// Error and ErrorCode say why a failed, killed or interrupted process stopped.
	Error     string     `json:"error,omitempty"`
	ErrorCode llmos.Code `json:"error_code,omitempty"`

	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	Heartbeat time.Time `json:"heartbeat,omitzero"` // refreshed while running
}

// Event is one entry of a process's trace: a model call, a syscall, a change of state.
type Event struct {
	PID  int64     `json:"pid"`
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	Kind string    `json:"kind"` // spawn, model_call, syscall, memory, state
	Step int       `json:"step,omitempty"`

	Model     string       `json:"model,omitempty"`
	Usage     *llmos.Usage `json:"usage,omitempty"`
	LatencyMS float64      `json:"latency_ms,omitempty"` // model call, queue wait excluded
	QueueMS   float64      `json:"queue_ms,omitempty"`
	ToolCalls int          `json:"tool_calls,omitempty"`

	Tool       string          `json:"tool,omitempty"`
	CallID     string          `json:"call_id,omitempty"`
	Args       json.RawMessage `json:"args,omitempty"`
	Result     string          `json:"result,omitempty"`
	IsError    bool            `json:"is_error,omitempty"`
	DurationMS float64         `json:"duration_ms,omitempty"`

	Window *WindowReport `json:"window,omitempty"`

	State   State      `json:"state,omitempty"`
	Code    llmos.Code `json:"code,omitempty"`
	Message string     `json:"message,omitempty"`
}

// Store keeps processes, their messages and their traces durably, so that
// `llmos ps` in one run sees the processes of earlier ones and an interrupted
// process resumes from its last completed step. Implementations are in
// store/...; store/storetest checks them.
type Store interface {
	// CreateProcess stores p with its first messages and sets p.PID.
	CreateProcess(ctx context.Context, p *Process, msgs []llmos.Message) error
	// Process returns one process; code not_found if there is none.
	Process(ctx context.Context, pid int64) (*Process, error)
	// Processes returns every process, oldest first.
	Processes(ctx context.Context) ([]*Process, error)
	// SaveProcess writes p's fields; it does not touch kill requests.
	SaveProcess(ctx context.Context, p *Process) error
	// CommitStep appends msgs to p's conversation and saves p, atomically: a
	// step is stored whole or not at all.
	CommitStep(ctx context.Context, p *Process, msgs []llmos.Message) error
	// Messages returns p's conversation in order.
	Messages(ctx context.Context, pid int64) ([]llmos.Message, error)
	// AppendEvent adds e to its process's trace and sets e.Seq.
	AppendEvent(ctx context.Context, e *Event) error
	// Events returns the trace of pid after sequence number after.
	Events(ctx context.Context, pid int64, after int64) ([]Event, error)
	// RequestKill asks whoever runs pid to stop it.
	RequestKill(ctx context.Context, pid int64) error
	// Heartbeat marks pid as alive now and reports whether a kill was asked for it.
	Heartbeat(ctx context.Context, pid int64) (kill bool, err error)
}
