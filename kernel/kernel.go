package kernel

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/sched"
)

// Scheduler decides when a model call runs; *sched.Scheduler is one.
type Scheduler interface {
	Do(ctx context.Context, c sched.Call, fn func(ctx context.Context) (int, error)) error
}

// Config is what a kernel is made of.
type Config struct {
	Store    Store
	Sched    Scheduler
	Syscalls *Syscalls
	// Open returns the model named "provider:model" (or "offline").
	Open func(name string) (Model, error)
	// Memory builds context windows; nil sends the whole history.
	Memory Memory
	// Monitor vets every model call and syscall; nil runs without one.
	Monitor Monitor
	// System is the system prompt of new processes; DefaultSystem if empty.
	System string
	// ToolTimeout bounds one syscall; 2 minutes if zero.
	ToolTimeout time.Duration
	// Poll is how often a running process checks for a kill and refreshes its
	// heartbeat; 500ms if zero.
	Poll   time.Duration
	Logger *slog.Logger
}

// DefaultSystem is the system prompt of a process when none is configured.
const DefaultSystem = "You are an agent running on llmos, an operating system for AI agents. " +
	"Use the tools you are given when they help; for any arithmetic, call calc rather than computing yourself. " +
	"When you have the answer, reply with it plainly and briefly."

// StaleAfter is how long a running process may go without a heartbeat before
// it is taken to have been interrupted (its kernel crashed or was killed).
const StaleAfter = 10 * time.Second

// Kernel owns the process table and runs the agent loop.
type Kernel struct {
	cfg     Config
	log     *slog.Logger
	mu      sync.Mutex
	running map[int64]context.CancelCauseFunc
	models  map[string]Model
}

// New returns a kernel; Store, Sched, Syscalls and Open are required.
func New(cfg Config) (*Kernel, error) {
	if cfg.Store == nil || cfg.Sched == nil || cfg.Syscalls == nil || cfg.Open == nil {
		return nil, llmos.Errorf(llmos.CodeInternal, "kernel: Store, Sched, Syscalls and Open are required")
	}
	if cfg.System == "" {
		cfg.System = DefaultSystem
	}
	if cfg.ToolTimeout == 0 {
		cfg.ToolTimeout = 2 * time.Minute
	}
	if cfg.Poll == 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Kernel{cfg: cfg, log: cfg.Logger, running: map[int64]context.CancelCauseFunc{}, models: map[string]Model{}}, nil
}

// Store returns the kernel's durable state.
func (k *Kernel) Store() Store { return k.cfg.Store }

// Spec describes a process to spawn.
type Spec struct {
	Task  string
	Model string
	// Namespace is the user whose memories the process uses; "default" if empty.
	Namespace string
	Parent    int64
	Priority  int
	// Caps are the capabilities the process holds; nil holds "*", every one.
	Caps   []string
	Budget Budget
}

// Spawn creates a runnable process whose conversation starts with the system
// prompt and, if the task is not empty, the task as the user's message; a
// process with no task waits for messages (Send), as a chat does.
func (k *Kernel) Spawn(ctx context.Context, spec Spec) (*Process, error) {
	if spec.Model == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "no model given")
	}
	if _, err := k.model(spec.Model); err != nil {
		return nil, err
	}
	if spec.Caps == nil {
		spec.Caps = []string{"*"}
	}
	if spec.Namespace == "" {
		spec.Namespace = "default"
	}
	now := time.Now().UTC()
	p := &Process{
		Parent: spec.Parent, State: StateRunnable, Model: spec.Model, Task: spec.Task,
		Namespace: spec.Namespace, Priority: spec.Priority, Caps: spec.Caps, Budget: spec.Budget, Created: now, Updated: now,
	}
	msgs := []llmos.Message{{Role: llmos.RoleSystem, Content: k.cfg.System}}
	if spec.Task != "" {
		msgs = append(msgs, llmos.Message{Role: llmos.RoleUser, Content: spec.Task})
	} else {
		p.Task = "(chat)"
	}
	if err := k.cfg.Store.CreateProcess(ctx, p, msgs); err != nil {
		return nil, err
	}
	k.event(ctx, &Event{PID: p.PID, Kind: "spawn", Model: p.Model, State: p.State, Message: spec.Task})
	k.remember(ctx, p, 0, msgs)
	return p, nil
}

// Process returns a process as `llmos ps` should show it: a process left
// running by a kernel that no longer beats is shown interrupted.
func (k *Kernel) Process(ctx context.Context, pid int64) (*Process, error) {
	p, err := k.cfg.Store.Process(ctx, pid)
	if err != nil {
		return nil, err
	}
	k.fixStale(p)
	return p, nil
}

// Processes lists every process, oldest first, as Process shows them.
func (k *Kernel) Processes(ctx context.Context) ([]*Process, error) {
	ps, err := k.cfg.Store.Processes(ctx)
	for _, p := range ps {
		k.fixStale(p)
	}
	return ps, err
}

func (k *Kernel) fixStale(p *Process) {
	if p.State != StateRunning || k.isRunning(p.PID) {
		return
	}
	beat := p.Heartbeat
	if beat.IsZero() {
		beat = p.Updated
	}
	if time.Since(beat) > StaleAfter {
		p.State = StateInterrupted
		if p.Error == "" {
			p.Error, p.ErrorCode = "its kernel stopped while it was running", llmos.CodeCanceled
		}
	}
}

func (k *Kernel) isRunning(pid int64) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.running[pid]
	return ok
}

// Send adds a user message to a process's conversation and runs it until it
// answers: one turn of a chat. The process then waits for the next message.
func (k *Kernel) Send(ctx context.Context, pid int64, text string, opts RunOptions) (*Process, error) {
	p, err := k.Process(ctx, pid)
	if err != nil {
		return nil, err
	}
	if p.State.Final() || p.State == StateRunning {
		return p, llmos.Errorf(llmos.CodeConflict, "process %d is %s", pid, p.State)
	}
	p.State = StateRunnable
	p.Updated = time.Now().UTC()
	msg := []llmos.Message{{Role: llmos.RoleUser, Content: text}}
	if err := k.cfg.Store.CommitStep(ctx, p, msg); err != nil {
		return p, err
	}
	if history, err := k.cfg.Store.Messages(ctx, pid); err == nil {
		k.remember(ctx, p, len(history)-1, msg)
	}
	opts.Interactive = true
	return k.Run(ctx, pid, opts)
}

// RunOptions tune one run of a process.
type RunOptions struct {
	// Stream receives the model's text as it arrives; behind a monitor,
	// nothing is streamed, since the user sees a reply only once it is vetted.
	Stream func(llmos.Delta)
	// OnEvent sees every event of the trace as it is written.
	OnEvent func(Event)
	// Interactive leaves the process waiting for another message after it
	// answers, instead of done.
	Interactive bool
}

var (
	errKilled     = llmos.Errorf(llmos.CodeCanceled, "killed")
	errTimeBudget = llmos.Errorf(llmos.CodeBudget, "time budget exhausted")
)

// Run runs a process's agent loop from its last completed step until it
// answers, fails, exhausts a budget, is killed, or ctx is cancelled (then it
// is left interrupted, to be resumed by another Run). It returns the process
// as it stopped; the error is the reason it did not finish, if any.
func (k *Kernel) Run(ctx context.Context, pid int64, opts RunOptions) (*Process, error) {
	p, err := k.Process(ctx, pid)
	if err != nil {
		return nil, err
	}
	switch p.State {
	case StateRunnable, StateInterrupted:
	case StateWaiting:
		if !opts.Interactive {
			return p, llmos.Errorf(llmos.CodeConflict, "process %d is waiting for a message; use llmos chat", pid)
		}
	default:
		return p, llmos.Errorf(llmos.CodeConflict, "process %d is %s and cannot run", pid, p.State)
	}
	model, err := k.model(p.Model)
	if err != nil {
		return p, err
	}
	msgs, err := k.cfg.Store.Messages(ctx, pid)
	if err != nil {
		return p, err
	}

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	k.mu.Lock()
	if _, dup := k.running[pid]; dup {
		k.mu.Unlock()
		return p, llmos.Errorf(llmos.CodeConflict, "process %d is already running", pid)
	}
	k.running[pid] = cancel
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		delete(k.running, pid)
		k.mu.Unlock()
	}()
	if p.Budget.MaxTime > 0 {
		left := p.Budget.MaxTime - p.Elapsed
		stop := time.AfterFunc(max(left, 0), func() { cancel(errTimeBudget) })
		defer stop.Stop()
	}
	go k.watch(runCtx, pid, cancel)

	r := &run{k: k, p: p, model: model, msgs: msgs, opts: opts, started: time.Now()}
	if k.cfg.Monitor != nil {
		if r.mon, err = k.cfg.Monitor.Session(ctx, p); err != nil {
			return p, err
		}
	}
	k.setState(ctx, r, StateRunning, "", "")
	return r.loop(runCtx)
}

// watch refreshes the heartbeat of a running process and stops it when a kill
// is asked for from another kernel (`llmos kill` in another terminal).
func (k *Kernel) watch(ctx context.Context, pid int64, cancel context.CancelCauseFunc) {
	t := time.NewTicker(k.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			kill, err := k.cfg.Store.Heartbeat(ctx, pid)
			if err != nil && ctx.Err() == nil {
				k.log.Warn("heartbeat", "pid", pid, "err", err)
			}
			if kill {
				cancel(errKilled)
				return
			}
		}
	}
}

// Kill stops a process: at once if this kernel runs it, through the store
// if another does, and directly if nobody does.
func (k *Kernel) Kill(ctx context.Context, pid int64) (*Process, error) {
	k.mu.Lock()
	cancel, here := k.running[pid]
	k.mu.Unlock()
	if here {
		cancel(errKilled)
		return k.waitStopped(ctx, pid)
	}
	p, err := k.Process(ctx, pid)
	if err != nil {
		return nil, err
	}
	if p.State.Final() {
		return p, llmos.Errorf(llmos.CodeConflict, "process %d is already %s", pid, p.State)
	}
	if p.State == StateRunning {
		if err := k.cfg.Store.RequestKill(ctx, pid); err != nil {
			return p, err
		}
		return k.waitStopped(ctx, pid)
	}
	p.State, p.Error, p.ErrorCode, p.Updated = StateKilled, "killed", llmos.CodeCanceled, time.Now().UTC()
	if err := k.cfg.Store.SaveProcess(ctx, p); err != nil {
		return p, err
	}
	k.event(ctx, &Event{PID: pid, Kind: "state", State: StateKilled, Message: "killed"})
	return p, nil
}

// waitStopped waits until a process leaves the running state; a process whose
// kernel stopped beating is marked killed directly.
func (k *Kernel) waitStopped(ctx context.Context, pid int64) (*Process, error) {
	deadline := time.Now().Add(StaleAfter + 2*k.cfg.Poll)
	for {
		p, err := k.Process(ctx, pid)
		if err != nil {
			return nil, err
		}
		if p.State != StateRunning {
			if p.State == StateInterrupted {
				p.State, p.Error, p.ErrorCode, p.Updated = StateKilled, "killed", llmos.CodeCanceled, time.Now().UTC()
				return p, k.cfg.Store.SaveProcess(ctx, p)
			}
			return p, nil
		}
		if time.Now().After(deadline) {
			return p, llmos.Errorf(llmos.CodeUnavailable, "process %d did not stop in time", pid)
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-time.After(k.cfg.Poll / 4):
		}
	}
}

func (k *Kernel) model(name string) (Model, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if m, ok := k.models[name]; ok {
		return m, nil
	}
	m, err := k.cfg.Open(name)
	if err != nil {
		return nil, err
	}
	k.models[name] = m
	return m, nil
}

// ProviderOf returns the provider part of a model name: "openai" for
// "openai:gpt-4o-mini", the whole name when it has no colon.
func ProviderOf(model string) string {
	provider, _, _ := strings.Cut(model, ":")
	return provider
}

// ModelOf returns the model part of a model name, "" when it has no colon.
func ModelOf(model string) string {
	_, name, _ := strings.Cut(model, ":")
	return name
}

// remember hands committed messages to the memory, if there is one; a
// failure there is logged, not fatal: the messages are durable in the store.
func (k *Kernel) remember(ctx context.Context, p *Process, from int, msgs []llmos.Message) {
	if k.cfg.Memory == nil {
		return
	}
	if err := k.cfg.Memory.Remember(context.WithoutCancel(ctx), p, from, msgs); err != nil {
		k.log.Warn("remember", "pid", p.PID, "err", err)
	}
}

func (k *Kernel) event(ctx context.Context, e *Event) {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if err := k.cfg.Store.AppendEvent(context.WithoutCancel(ctx), e); err != nil {
		k.log.Warn("trace", "pid", e.PID, "err", err)
	}
}

func (k *Kernel) setState(ctx context.Context, r *run, s State, code llmos.Code, msg string) {
	r.p.State, r.p.ErrorCode, r.p.Error = s, code, msg
	r.p.Updated = time.Now().UTC()
	r.p.Heartbeat = r.p.Updated
	if err := k.cfg.Store.SaveProcess(context.WithoutCancel(ctx), r.p); err != nil {
		k.log.Error("save process", "pid", r.p.PID, "err", err)
	}
	r.emit(ctx, &Event{PID: r.p.PID, Kind: "state", Step: r.p.Steps, State: s, Code: code, Message: msg})
}

// stopReason turns why a run stopped into a state, a code and a message.
func stopReason(ctx context.Context, err error) (State, llmos.Code, string) {
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errKilled):
		return StateKilled, llmos.CodeCanceled, "killed"
	case errors.Is(cause, errTimeBudget):
		return StateFailed, llmos.CodeBudget, "time budget exhausted"
	case ctx.Err() != nil:
		return StateInterrupted, llmos.CodeCanceled, "interrupted; resume it with llmos resume"
	}
	return StateFailed, llmos.ErrorCode(err), llmos.ErrorMessage(err)
}

// budgetError says which budget a process has exhausted, or nil.
func budgetError(p *Process) error {
	b := p.Budget
	switch {
	case b.MaxSteps > 0 && p.Steps >= b.MaxSteps:
		return llmos.Errorf(llmos.CodeBudget, "step budget of %d exhausted: the model was still calling tools", b.MaxSteps)
	case b.MaxTokens > 0 && p.Usage.Total() >= b.MaxTokens:
		return llmos.Errorf(llmos.CodeBudget, "token budget of %d exhausted (%d used)", b.MaxTokens, p.Usage.Total())
	case b.MaxTime > 0 && p.Elapsed >= b.MaxTime:
		return llmos.Errorf(llmos.CodeBudget, "time budget of %v exhausted", b.MaxTime)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
