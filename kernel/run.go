package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/sched"
)

// run is one run of a process's agent loop.
type run struct {
	k       *Kernel
	p       *Process
	model   Model
	msgs    []llmos.Message
	opts    RunOptions
	started time.Time
	// mon is the monitor's session over this run; nil without a monitor.
	mon Session
}

func (r *run) emit(ctx context.Context, e *Event) {
	r.k.event(ctx, e)
	if r.opts.OnEvent != nil {
		r.opts.OnEvent(*e)
	}
}

// loop runs steps until the process stops. Each step is one model call and
// the syscalls it asks for, committed to the store as a whole.
func (r *run) loop(ctx context.Context) (*Process, error) {
	for {
		r.p.Elapsed += time.Since(r.started)
		r.started = time.Now()
		if err := budgetError(r.p); err != nil {
			return r.stop(ctx, err)
		}
		answered, err := r.step(ctx)
		if err != nil {
			return r.stop(ctx, err)
		}
		if answered {
			return r.p, nil
		}
	}
}

// stop records why the run ended and returns the process with that error.
func (r *run) stop(ctx context.Context, err error) (*Process, error) {
	r.p.Elapsed += time.Since(r.started)
	r.started = time.Now()
	state, code, msg := stopReason(ctx, err)
	r.k.setState(ctx, r, state, code, msg)
	if state == StateFailed && code != llmos.CodeBudget {
		r.k.log.Debug("process failed", "pid", r.p.PID, "err", err)
	}
	return r.p, &llmos.Error{Code: code, Msg: msg, Err: err}
}

// step makes one model call and runs the tool calls it returns. It reports
// whether the model answered.
func (r *run) step(ctx context.Context) (bool, error) {
	p := r.p
	window := r.msgs
	var report WindowReport
	if mem := r.k.cfg.Memory; mem != nil {
		var err error
		window, report, err = mem.Window(ctx, p, r.msgs)
		if err != nil {
			return false, err
		}
		if report.notable() {
			r.emit(ctx, &Event{PID: p.PID, Kind: "memory", Step: p.Steps + 1, Window: &report})
		}
	}
	req := &llmos.Request{
		Model:    ModelOf(p.Model),
		Messages: window,
		Tools:    r.k.cfg.Syscalls.Defs(p.Caps),
	}
	if r.mon != nil {
		if err := r.mon.Request(ctx, r.msgs, req); err != nil {
			return false, err
		}
	}
	// Behind a monitor, the user sees a reply once the output evaluators
	// have: it is not streamed.
	stream := r.opts.Stream
	if r.mon != nil {
		stream = nil
	}
	var resp *llmos.Response
	var callStart time.Time
	queued := time.Now()
	estimate := report.Tokens
	if estimate == 0 {
		estimate = estimateTokens(window)
	}
	call := sched.Call{Provider: ProviderOf(p.Model), PID: p.PID, Priority: sched.Priority(p.Priority), Tokens: estimate + 256}
	err := r.k.cfg.Sched.Do(ctx, call, func(ctx context.Context) (int, error) {
		callStart = time.Now()
		out, err := r.model.Generate(ctx, req, stream)
		if err != nil {
			return 0, err
		}
		resp = out
		return out.Usage.Total(), nil
	})
	done := time.Now()
	ev := &Event{PID: p.PID, Kind: "model_call", Step: p.Steps + 1, Model: p.Model}
	if !callStart.IsZero() {
		ev.QueueMS, ev.LatencyMS = ms(callStart.Sub(queued)), ms(done.Sub(callStart))
	} else {
		ev.QueueMS = ms(done.Sub(queued))
	}
	if err != nil {
		ev.IsError, ev.Code, ev.Message = true, llmos.ErrorCode(err), llmos.ErrorMessage(err)
		r.emit(ctx, ev)
		return false, err
	}
	msg := resp.Message
	msg.Role = llmos.RoleAssistant
	for i := range msg.ToolCalls {
		if msg.ToolCalls[i].ID == "" {
			msg.ToolCalls[i].ID = fmt.Sprintf("call_%d_%d", p.Steps+1, i)
		}
	}
	ev.Usage, ev.ToolCalls = &resp.Usage, len(msg.ToolCalls)
	r.emit(ctx, ev)
	if r.mon != nil {
		if err := r.mon.Reply(ctx, &msg); err != nil {
			return false, err
		}
	}
	if mem := r.k.cfg.Memory; mem != nil && report.Tokens > 0 && resp.Usage.InputTokens > 0 {
		mem.Observe(p.Model, report.Tokens, resp.Usage.InputTokens)
	}

	p.Steps++
	p.Usage = p.Usage.Add(resp.Usage)
	step := []llmos.Message{msg}
	if len(msg.ToolCalls) == 0 {
		p.Result = msg.Content
		if r.mon != nil {
			answer, err := r.mon.Answer(ctx, r.msgs, msg.Content)
			if err != nil {
				return false, err
			}
			p.Result = answer
		}
		p.State = StateDone
		if r.opts.Interactive {
			p.State = StateWaiting
		}
	} else {
		step = append(step, r.syscalls(ctx, msg.ToolCalls)...)
		if ctx.Err() != nil {
			// Cancelled while tools ran: their results are not trustworthy, so
			// the step is not committed and a resume repeats it.
			return false, ctx.Err()
		}
	}
	withRefs(len(r.msgs), step)
	p.Elapsed += time.Since(r.started)
	r.started = time.Now()
	p.Updated = time.Now().UTC()
	p.Heartbeat = p.Updated
	if err := r.k.cfg.Store.CommitStep(context.WithoutCancel(ctx), p, step); err != nil {
		return false, err
	}
	r.k.remember(ctx, p, len(r.msgs), step)
	r.msgs = append(r.msgs, step...)
	if p.State == StateDone || p.State == StateWaiting {
		r.emit(ctx, &Event{PID: p.PID, Kind: "state", Step: p.Steps, State: p.State})
		return true, nil
	}
	return false, nil
}

// syscalls runs the tool calls of one step at once, since a model asks for
// several in one turn only when they do not depend on each other, and returns
// their results in the order of the calls.
func (r *run) syscalls(ctx context.Context, calls []llmos.ToolCall) []llmos.Message {
	out := make([]llmos.Message, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() {
			start := time.Now()
			out[i] = r.syscall(ctx, c)
			r.emit(ctx, &Event{
				PID: r.p.PID, Kind: "syscall", Step: r.p.Steps, Tool: c.Name, CallID: c.ID,
				Args: argsJSON(c.Arguments), Result: out[i].Content, IsError: out[i].IsError,
				DurationMS: ms(time.Since(start)),
			})
		})
	}
	wg.Wait()
	return out
}

// syscall runs one tool call through the monitor, when there is one, and the
// syscall table.
func (r *run) syscall(ctx context.Context, c llmos.ToolCall) llmos.Message {
	ctx = withCaller(ctx, r.p)
	if r.mon == nil {
		return r.k.cfg.Syscalls.Dispatch(ctx, r.p.Caps, c, r.k.cfg.ToolTimeout)
	}
	// A call the table refuses anyway (no such tool, a capability the
	// process lacks) never reaches the monitor, nor the user for approval.
	if sc, refusal := r.k.cfg.Syscalls.find(r.p.Caps, c.Name); sc == nil {
		return llmos.Message{Role: llmos.RoleTool, ToolCallID: c.ID, Name: c.Name, IsError: true, Content: "error: " + refusal}
	}
	run, label, err := r.mon.Syscall(ctx, r.msgs, c)
	if err != nil {
		return llmos.Message{Role: llmos.RoleTool, ToolCallID: c.ID, Name: c.Name, IsError: true,
			Content: "error: " + llmos.ErrorMessage(err)}
	}
	out := r.k.cfg.Syscalls.Dispatch(llmos.WithLabel(ctx, label), r.p.Caps, run, r.k.cfg.ToolTimeout)
	r.mon.Result(ctx, c, label, &out)
	return out
}

// argsJSON keeps a model's arguments in the trace as JSON when they are JSON,
// and as a JSON string otherwise.
func argsJSON(s string) []byte {
	if b := []byte(s); len(b) > 0 && json.Valid(b) {
		return b
	}
	b, _ := json.Marshal(s)
	return b
}

// estimateTokens guesses the tokens of a call for the scheduler's admission:
// about four characters a token, plus room for the reply.
func estimateTokens(msgs []llmos.Message) int {
	n := 0
	for _, m := range msgs {
		n += len(m.Content) / 4
		for _, c := range m.ToolCalls {
			n += len(c.Arguments) / 4
		}
		n += 4
	}
	return n
}
