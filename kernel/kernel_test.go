package kernel_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/provider/scripted"
	"github.com/llmos/llmos/sched"
	"github.com/llmos/llmos/store/sqlite"
	"github.com/llmos/llmos/tool/calc"
)

type rig struct {
	k     *kernel.Kernel
	db    *sqlite.DB
	model *scripted.Model
	path  string
}

func newRig(t testing.TB, model *scripted.Model, tools ...llmos.Tool) *rig {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	return openRig(t, path, model, tools...)
}

func openRig(t testing.TB, path string, model *scripted.Model, tools ...llmos.Tool) *rig {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	calls := kernel.NewSyscalls()
	for _, tool := range append([]llmos.Tool{calc.Tool()}, tools...) {
		if err := calls.Register(tool); err != nil {
			t.Fatal(err)
		}
	}
	k, err := kernel.New(kernel.Config{
		Store: db, Sched: sched.New(sched.Config{BaseBackoff: time.Millisecond}), Syscalls: calls,
		Open: func(string) (kernel.Model, error) { return model, nil },
		Poll: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{k: k, db: db, model: model, path: path}
}

func (r *rig) spawn(t testing.TB, spec kernel.Spec) *kernel.Process {
	t.Helper()
	if spec.Model == "" {
		spec.Model = "scripted:test"
	}
	if spec.Task == "" {
		spec.Task = "what is 12345 * 6789"
	}
	p, err := r.k.Spawn(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func tool(name string, fn func(ctx context.Context, args json.RawMessage) (string, error), caps ...string) llmos.Tool {
	return llmos.Tool{
		ToolDef:      llmos.ToolDef{Name: name, Description: name, Parameters: json.RawMessage(`{"type":"object"}`)},
		Capabilities: caps,
		Call:         fn,
	}
}

func TestRunCallsToolAndAnswers(t *testing.T) {
	r := newRig(t, scripted.New(scripted.Call("calc", `{"expression":"12345 * 6789"}`), scripted.Say("83810205")))
	p := r.spawn(t, kernel.Spec{})
	p, err := r.k.Run(context.Background(), p.PID, kernel.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.State != kernel.StateDone || p.Result != "83810205" || p.Steps != 2 {
		t.Fatalf("process %+v", p)
	}
	reqs := r.model.Requests()
	if len(reqs[0].Tools) != 1 || reqs[0].Tools[0].Name != "calc" || reqs[0].Model != "test" {
		t.Errorf("first request: model %q tools %+v", reqs[0].Model, reqs[0].Tools)
	}
	last := reqs[1].Messages[len(reqs[1].Messages)-1]
	if last.Role != llmos.RoleTool || last.Content != "83810205" || !last.Label.Trusted() {
		t.Errorf("tool result given to the model (calc results are trusted): %+v", last)
	}
	msgs, _ := r.db.Messages(context.Background(), p.PID)
	if len(msgs) != 5 { // system, user, assistant call, tool result, answer
		t.Errorf("stored %d messages, want 5", len(msgs))
	}
	evs, _ := r.db.Events(context.Background(), p.PID, 0)
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind]++
		if e.Kind == "syscall" && (e.Tool != "calc" || e.Result != "83810205" || string(e.Args) != `{"expression":"12345 * 6789"}`) {
			t.Errorf("syscall event %+v", e)
		}
		if e.Kind == "model_call" && e.Usage == nil {
			t.Errorf("model_call event without usage: %+v", e)
		}
	}
	if kinds["model_call"] != 2 || kinds["syscall"] != 1 || kinds["spawn"] != 1 {
		t.Errorf("trace kinds %v", kinds)
	}
}

// A model that sends broken or schema-violating arguments gets an error it
// can read, and the process goes on.
func TestBadToolCallsBecomeErrorResults(t *testing.T) {
	panicky := tool("boom", func(context.Context, json.RawMessage) (string, error) { panic("tool bug") })
	r := newRig(t, scripted.New(
		scripted.Call("calc", `{"expression": "1+`),    // not JSON
		scripted.Call("calc", `{"expr":"1+1"}`),        // violates the schema
		scripted.Call("calc", `{"expression":"1/0"}`),  // the tool's own error
		scripted.Call("nope", `{}`),                    // no such tool
		scripted.Call("boom", `{}`),                    // panics
		scripted.Call("calc", `["expression", "1+1"]`), // not an object
		scripted.Say("gave up"),
	), panicky)
	p := r.spawn(t, kernel.Spec{})
	p, err := r.k.Run(context.Background(), p.PID, kernel.RunOptions{})
	if err != nil || p.State != kernel.StateDone {
		t.Fatalf("run: %+v, %v", p, err)
	}
	reqs := r.model.Requests()
	want := []string{"not valid JSON", "do not match its schema", "division by zero", `no tool named "nope"`, "boom failed with an internal error", "do not match its schema"}
	for i, w := range want {
		msgs := reqs[i+1].Messages
		last := msgs[len(msgs)-1]
		if !last.IsError || !strings.Contains(last.Content, w) {
			t.Errorf("call %d: result %+v, want an error saying %q", i, last, w)
		}
	}
}

func TestStepBudgetStopsToolLoop(t *testing.T) {
	m := scripted.New(scripted.Call("calc", `{"expression":"1+1"}`))
	m.Repeat = true
	r := newRig(t, m)
	p := r.spawn(t, kernel.Spec{Budget: kernel.Budget{MaxSteps: 4}})
	p, err := r.k.Run(context.Background(), p.PID, kernel.RunOptions{})
	if llmos.ErrorCode(err) != llmos.CodeBudget || p.State != kernel.StateFailed || p.Steps != 4 {
		t.Fatalf("got %+v, %v; want failed after 4 steps with budget_exhausted", p, err)
	}
	if !strings.Contains(p.Error, "step budget of 4") {
		t.Errorf("error %q does not name the budget", p.Error)
	}
	// The trace of every step survived.
	evs, _ := r.db.Events(context.Background(), p.PID, 0)
	n := 0
	for _, e := range evs {
		if e.Kind == "syscall" {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d syscalls in the trace, want 4", n)
	}
}

func TestTokenAndTimeBudgets(t *testing.T) {
	m := scripted.New(scripted.Call("calc", `{"expression":"1+1"}`))
	m.Repeat = true
	r := newRig(t, m)
	p := r.spawn(t, kernel.Spec{Budget: kernel.Budget{MaxTokens: 300}})
	p, err := r.k.Run(context.Background(), p.PID, kernel.RunOptions{})
	if llmos.ErrorCode(err) != llmos.CodeBudget || p.Usage.Total() < 300 || p.Steps < 2 || p.Steps > 6 {
		t.Errorf("token budget: %+v, %v", p, err)
	}

	slow := scripted.New(scripted.Turn{Delay: time.Hour})
	r = newRig(t, slow)
	p = r.spawn(t, kernel.Spec{Budget: kernel.Budget{MaxTime: 50 * time.Millisecond}})
	start := time.Now()
	p, err = r.k.Run(context.Background(), p.PID, kernel.RunOptions{})
	if llmos.ErrorCode(err) != llmos.CodeBudget || p.State != kernel.StateFailed || time.Since(start) > 5*time.Second {
		t.Errorf("time budget: %+v, %v after %v", p, err, time.Since(start))
	}
}

// The tool calls of one turn run at once: each waits for the other.
func TestParallelToolCalls(t *testing.T) {
	var arrived atomic.Int32
	both := make(chan struct{})
	wait := tool("wait", func(ctx context.Context, _ json.RawMessage) (string, error) {
		if arrived.Add(1) == 2 {
			close(both)
		}
		select {
		case <-both:
			return "met", nil
		case <-time.After(5 * time.Second):
			return "", errors.New("alone")
		}
	})
	r := newRig(t, scripted.New(scripted.Call("wait", `{}`, "wait", `{}`), scripted.Say("ok")), wait)
	p := r.spawn(t, kernel.Spec{})
	p, err := r.k.Run(context.Background(), p.PID, kernel.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	msgs := r.model.Requests()[1].Messages
	for _, m := range msgs[len(msgs)-2:] {
		if m.Content != "met" {
			t.Errorf("tool result %+v, want both calls to meet", m)
		}
	}
}

func TestCapabilities(t *testing.T) {
	secret := tool("secret", func(context.Context, json.RawMessage) (string, error) { return "classified", nil }, "secrets")
	r := newRig(t, scripted.New(scripted.Call("secret", `{}`), scripted.Say("done")), secret)
	p := r.spawn(t, kernel.Spec{Caps: []string{"math"}})
	if _, err := r.k.Run(context.Background(), p.PID, kernel.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	reqs := r.model.Requests()
	for _, d := range reqs[0].Tools {
		if d.Name == "secret" {
			t.Error("a tool the process may not call was offered to the model")
		}
	}
	last := reqs[1].Messages[len(reqs[1].Messages)-1]
	if !last.IsError || !strings.Contains(last.Content, "permission denied") || strings.Contains(last.Content, "classified") {
		t.Errorf("forbidden call returned %+v", last)
	}
}

// Ctrl-C in the middle of a step leaves the process interrupted at its last
// completed step; resume finishes it without repeating committed steps.
func TestInterruptAndResume(t *testing.T) {
	m := scripted.New(scripted.Call("calc", `{"expression":"2+2"}`), scripted.Turn{Delay: time.Hour}, scripted.Say("4"))
	r := newRig(t, m)
	p := r.spawn(t, kernel.Spec{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	p, err := r.k.Run(ctx, p.PID, kernel.RunOptions{})
	if p.State != kernel.StateInterrupted || llmos.ErrorCode(err) != llmos.CodeCanceled || p.Steps != 1 {
		t.Fatalf("after Ctrl-C: %+v, %v", p, err)
	}

	// A new kernel on the same file, as after a restart.
	r2 := openRig(t, r.path, m)
	got, _ := r2.k.Process(context.Background(), p.PID)
	if got.State != kernel.StateInterrupted {
		t.Fatalf("stored state %s, want interrupted", got.State)
	}
	p, err = r2.k.Run(context.Background(), p.PID, kernel.RunOptions{})
	if err != nil || p.State != kernel.StateDone || p.Result != "4" || p.Steps != 2 {
		t.Fatalf("resume: %+v, %v", p, err)
	}
	reqs := m.Requests()
	resumed := reqs[len(reqs)-1].Messages
	if len(resumed) != 4 || resumed[3].Content != "4" {
		t.Errorf("resumed conversation: %+v", resumed)
	}
	msgs, _ := r2.db.Messages(context.Background(), p.PID)
	if len(msgs) != 5 {
		t.Errorf("stored %d messages, want 5 (no step repeated)", len(msgs))
	}
	if _, err := r2.k.Run(context.Background(), p.PID, kernel.RunOptions{}); llmos.ErrorCode(err) != llmos.CodeConflict {
		t.Errorf("running a done process: %v, want conflict", err)
	}
}

// llmos kill from another kernel (another terminal) stops a running process
// and cancels its model call.
func TestKillFromAnotherKernel(t *testing.T) {
	m := scripted.New(scripted.Turn{Delay: time.Hour})
	r := newRig(t, m)
	other := openRig(t, r.path, m)
	p := r.spawn(t, kernel.Spec{})
	done := make(chan error, 1)
	go func() {
		_, err := r.k.Run(context.Background(), p.PID, kernel.RunOptions{})
		done <- err
	}()
	for {
		q, _ := other.k.Process(context.Background(), p.PID)
		if q.State == kernel.StateRunning {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	q, err := other.k.Kill(context.Background(), p.PID)
	if err != nil || q.State != kernel.StateKilled {
		t.Fatalf("kill: %+v, %v", q, err)
	}
	select {
	case err := <-done:
		if llmos.ErrorCode(err) != llmos.CodeCanceled {
			t.Errorf("run ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the killed process kept running")
	}
	if _, err := other.k.Kill(context.Background(), p.PID); llmos.ErrorCode(err) != llmos.CodeConflict {
		t.Errorf("killing twice: %v, want conflict", err)
	}
}

// A process left running by a kernel that crashed shows as interrupted and
// can be resumed.
func TestStaleRunningIsInterrupted(t *testing.T) {
	r := newRig(t, scripted.New(scripted.Say("back")))
	p := r.spawn(t, kernel.Spec{})
	p.State = kernel.StateRunning
	p.Updated = time.Now().Add(-time.Minute)
	p.Heartbeat = time.Time{}
	if err := r.db.SaveProcess(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	got, _ := r.k.Process(context.Background(), p.PID)
	if got.State != kernel.StateInterrupted {
		t.Fatalf("state %s, want interrupted", got.State)
	}
	got, err := r.k.Run(context.Background(), p.PID, kernel.RunOptions{})
	if err != nil || got.Result != "back" {
		t.Fatalf("resume: %+v, %v", got, err)
	}
}

func TestChatTurnsShareOneProcess(t *testing.T) {
	r := newRig(t, scripted.New(scripted.Say("hello there"), scripted.Call("calc", `{"expression":"6*7"}`), scripted.Say("42")))
	p, err := r.k.Spawn(context.Background(), kernel.Spec{Model: "scripted:test"})
	if err != nil {
		t.Fatal(err)
	}
	var streamed strings.Builder
	opts := kernel.RunOptions{Stream: func(d llmos.Delta) { streamed.WriteString(d.Text) }}
	p, err = r.k.Send(context.Background(), p.PID, "hi", opts)
	if err != nil || p.State != kernel.StateWaiting || p.Result != "hello there" || streamed.String() != "hello there" {
		t.Fatalf("first turn: %+v, %v, streamed %q", p, err, streamed.String())
	}
	p, err = r.k.Send(context.Background(), p.PID, "what is 6*7", opts)
	if err != nil || p.Result != "42" || p.Steps != 3 {
		t.Fatalf("second turn: %+v, %v", p, err)
	}
	msgs := r.model.Requests()[2].Messages
	if msgs[1].Content != "hi" || msgs[3].Content != "what is 6*7" {
		t.Errorf("the second turn did not see the first: %+v", msgs)
	}
}

// A model that keeps failing is retried within bounds, then reported plainly.
func TestModelFailuresReported(t *testing.T) {
	r := newRig(t, scripted.New(scripted.Fail(llmos.CodeUnauthenticated, 0)))
	p := r.spawn(t, kernel.Spec{})
	p, err := r.k.Run(context.Background(), p.PID, kernel.RunOptions{})
	if llmos.ErrorCode(err) != llmos.CodeUnauthenticated || p.State != kernel.StateFailed {
		t.Fatalf("got %+v, %v", p, err)
	}

	m := scripted.New(scripted.Fail(llmos.CodeRateLimited, time.Millisecond), scripted.Fail(llmos.CodeUnavailable, 0), scripted.Say("fine"))
	r = newRig(t, m)
	p = r.spawn(t, kernel.Spec{})
	p, err = r.k.Run(context.Background(), p.PID, kernel.RunOptions{})
	if err != nil || p.Result != "fine" {
		t.Fatalf("transient failures not retried: %+v, %v", p, err)
	}
}

func BenchmarkStep(b *testing.B) {
	turns := make([]scripted.Turn, 0, b.N+1)
	for range b.N {
		turns = append(turns, scripted.Call("calc", `{"expression":"12345 * 6789"}`))
	}
	m := scripted.New(append(turns, scripted.Say("done"))...)
	r := newRig(b, m)
	p := r.spawn(b, kernel.Spec{Budget: kernel.Budget{MaxSteps: b.N + 1}})
	b.ResetTimer()
	if _, err := r.k.Run(context.Background(), p.PID, kernel.RunOptions{}); err != nil {
		b.Fatal(err)
	}
}
