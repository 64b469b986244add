package kernel

import (
	"context"
	"strconv"

	"github.com/llmos/llmos"
)

// Monitor is the reference monitor (package security implements it): every
// model call and every syscall of a process passes it. Without one, the kernel
// sends the history to the model as it is and runs every call the syscall
// table accepts.
type Monitor interface {
	// Session starts the monitor's watch over one run of a process: its
	// per-run secrets (the fence nonce, the canary) live in the session.
	Session(ctx context.Context, p *Process) (Session, error)
}

// Session is the monitor of one run of one process. The history it is given
// is the process's whole conversation, message number i at index i.
type Session interface {
	// Request vets a model call before it is sent, and may rewrite it:
	// untrusted messages become references or fenced text, the system
	// prompt gains the instructions that go with them. An error stops the step.
	Request(ctx context.Context, history []llmos.Message, req *llmos.Request) error
	// Reply vets the model's reply before it enters the history; it may
	// redact its text.
	Reply(ctx context.Context, msg *llmos.Message) error
	// Syscall decides one tool call: it returns the call to dispatch (its
	// references replaced by the values they name) and the label of its
	// arguments, or an error (code denied) that the model reads instead of a
	// result.
	Syscall(ctx context.Context, history []llmos.Message, call llmos.ToolCall) (llmos.ToolCall, llmos.Label, error)
	// Result vets the result of a syscall that ran, and labels it: a result
	// carries at least the label of the arguments it was computed from.
	Result(ctx context.Context, call llmos.ToolCall, args llmos.Label, msg *llmos.Message)
	// Answer renders the model's final answer for the user: references
	// expanded to the values they name, output evaluators applied.
	Answer(ctx context.Context, history []llmos.Message, text string) (string, error)
}

// withRefs names the untrusted messages of a step as values ("v" and their
// number in the history) so that a planner that cannot read them can still
// refer to them.
func withRefs(from int, msgs []llmos.Message) {
	for i := range msgs {
		if !msgs[i].Label.Trusted() && msgs[i].Ref == "" {
			msgs[i].Ref = "v" + strconv.Itoa(from+i)
		}
	}
}
