package python_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/sandbox"
	"github.com/llmos/llmos/tool/python"
)

func newPython(t *testing.T, opts python.Options) (*python.Python, *sandbox.Sandbox) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{Base: t.TempDir(), Mode: sandbox.ModeBwrap})
	if err != nil {
		if llmos.ErrorCode(err) == llmos.CodeUnavailable {
			t.Skipf("no sandbox on this machine: %v", err)
		}
		t.Fatal(err)
	}
	if _, err := os.Stat(sandbox.PythonPath); err != nil {
		t.Skipf("%s is missing: apt-get install python3", sandbox.PythonPath)
	}
	py := python.New(sb, opts)
	t.Cleanup(func() { py.Shutdown(context.Background()) })
	return py, sb
}

// call runs the tool as the kernel would, for process pid.
func call(t *testing.T, tool llmos.Tool, pid int64, code string, session bool) string {
	t.Helper()
	args, _ := json.Marshal(map[string]any{"code": code, "session": session})
	ctx := llmos.WithCaller(context.Background(), llmos.Caller{PID: pid})
	out, err := tool.Call(ctx, args)
	if err != nil {
		t.Fatalf("python %q: %v", code, err)
	}
	return out
}

func TestOneShot(t *testing.T) {
	py, sb := newPython(t, python.Options{})
	tool := py.Tool()
	out := call(t, tool, 5, "import sys\nprint(sum(range(10)))\nopen('r.txt','w').write('x'*2000)\nsys.exit(2)", false)
	for _, want := range []string{"exit code 2", "stdout:\n45\n", "files written: r.txt (2.0 KB)"} {
		if !strings.Contains(out, want) {
			t.Errorf("result lacks %q:\n%s", want, out)
		}
	}
	dir, _ := sb.Scratch(5)
	if _, err := os.Stat(filepath.Join(dir, "r.txt")); err != nil {
		t.Errorf("the file is not in the scratch folder of pid 5: %v", err)
	}
	// A fresh interpreter each time: nothing survives but files.
	out = call(t, tool, 5, "print(open('r.txt').read()[:3]); print('sys' in dir())", false)
	if !strings.Contains(out, "stdout:\nxxx\nFalse") {
		t.Errorf("second run:\n%s", out)
	}
	out = call(t, tool, 5, "raise ValueError('bad')", false)
	if !strings.Contains(out, "exit code 1") || !strings.Contains(out, "ValueError: bad") {
		t.Errorf("exception:\n%s", out)
	}
	// Debian's python3, whatever is first on PATH outside.
	out = call(t, tool, 5, "import sys; print(sys.executable)", false)
	if !strings.Contains(out, "/usr/bin/python3") {
		t.Errorf("interpreter:\n%s", out)
	}
}

func TestSessionKeepsState(t *testing.T) {
	py, _ := newPython(t, python.Options{})
	tool := py.Tool()
	out := call(t, tool, 1, "import math\nx = 6 * 7\ndef f(n): return n + x", true)
	if !strings.HasPrefix(out, "[a new Python session started]") || !strings.Contains(out, "exit code 0") {
		t.Fatalf("first call:\n%s", out)
	}
	out = call(t, tool, 1, "f(1), math.pi > 3", true)
	if strings.Contains(out, "session started") || !strings.Contains(out, "stdout:\n(43, True)") {
		t.Errorf("state lost:\n%s", out)
	}
	// An exception and sys.exit keep the session.
	out = call(t, tool, 1, "x = 1\n1/0", true)
	if !strings.Contains(out, "exit code 1") || !strings.Contains(out, "ZeroDivisionError") || strings.Contains(out, "_run") {
		t.Errorf("exception:\n%s", out)
	}
	out = call(t, tool, 1, "import sys; sys.exit(3)", true)
	if !strings.Contains(out, "SystemExit: 3") {
		t.Errorf("sys.exit:\n%s", out)
	}
	out = call(t, tool, 1, "print(x); import os; os.system('echo from a child'); open('s.txt','w').write('1')", true)
	if !strings.Contains(out, "stdout:\n1\nfrom a child") || !strings.Contains(out, "files written: s.txt") {
		t.Errorf("after exception:\n%s", out)
	}
	// input() sees no input rather than the protocol.
	out = call(t, tool, 1, "input()", true)
	if !strings.Contains(out, "EOFError") {
		t.Errorf("input:\n%s", out)
	}
	// Another process has its own session.
	out = call(t, tool, 2, "print('x' in dir())", true)
	if !strings.Contains(out, "session started") || !strings.Contains(out, "stdout:\nFalse") {
		t.Errorf("pid 2:\n%s", out)
	}
	// Close ends it: the next call starts afresh.
	py.Close(1)
	out = call(t, tool, 1, "print('x' in dir())", true)
	if !strings.HasPrefix(out, "[a new Python session started]") || !strings.Contains(out, "stdout:\nFalse") {
		t.Errorf("after Close:\n%s", out)
	}
}

// TestSessionCrash: os._exit kills the interpreter; the call says the state
// is lost and the next call starts a new session that says so too.
func TestSessionCrash(t *testing.T) {
	py, _ := newPython(t, python.Options{})
	tool := py.Tool()
	call(t, tool, 1, "x = 1", true)
	out := call(t, tool, 1, "import os; os._exit(3)", true)
	if !strings.Contains(out, "exit code 3") || !strings.Contains(out, "state is lost") {
		t.Errorf("crash:\n%s", out)
	}
	out = call(t, tool, 1, "print('x' in dir())", true)
	if !strings.Contains(out, "the previous one ended with exit code 3, and its variables are gone") || !strings.Contains(out, "stdout:\nFalse") {
		t.Errorf("after the crash:\n%s", out)
	}
	// Killed by a signal.
	out = call(t, tool, 1, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)", true)
	if !strings.Contains(out, "killed by signal 9") {
		t.Errorf("signal:\n%s", out)
	}
	out = call(t, tool, 1, "print(1)", true)
	if !strings.Contains(out, "session started") {
		t.Errorf("after the signal:\n%s", out)
	}
}

func TestSessionTimeout(t *testing.T) {
	py, _ := newPython(t, python.Options{Limits: sandbox.Limits{Wall: time.Second, CPU: time.Minute}})
	tool := py.Tool()
	call(t, tool, 1, "x = 1", true)
	start := time.Now()
	out := call(t, tool, 1, "while True: pass", true)
	if !strings.Contains(out, "wall time limit of 1s reached") || !strings.Contains(out, "state is lost") || time.Since(start) > 5*time.Second {
		t.Errorf("timeout after %v:\n%s", time.Since(start), out)
	}
	out = call(t, tool, 1, "print('x' in dir())", true)
	if !strings.Contains(out, "the previous one timed out") || !strings.Contains(out, "stdout:\nFalse") {
		t.Errorf("after the timeout:\n%s", out)
	}
	// The context's deadline (the kernel's tool timeout) stops a call too.
	ctx, cancel := context.WithTimeout(llmos.WithCaller(context.Background(), llmos.Caller{PID: 1}), 300*time.Millisecond)
	defer cancel()
	r, _, err := py.Run(ctx, 1, "import time; time.sleep(10)", true)
	if err != nil || !r.TimedOut {
		t.Errorf("deadline: %v %+v", err, r)
	}
}

func TestSessionCPULimit(t *testing.T) {
	py, _ := newPython(t, python.Options{Limits: sandbox.Limits{CPU: time.Second, Wall: 30 * time.Second}})
	tool := py.Tool()
	call(t, tool, 1, "x = 1", true)
	out := call(t, tool, 1, "while True: pass", true)
	if !strings.Contains(out, "CPU time limit") {
		t.Errorf("cpu:\n%s", out)
	}
}

func TestSessionOutputCut(t *testing.T) {
	py, _ := newPython(t, python.Options{Limits: sandbox.Limits{OutputBytes: 100}})
	tool := py.Tool()
	out := call(t, tool, 1, "print('y' * 100000)", true)
	if !strings.Contains(out, strings.Repeat("y", 100)+"\n"+fmt.Sprintf(sandbox.CutNote, 100)) || strings.Contains(out, strings.Repeat("y", 101)) {
		t.Errorf("cut:\n%s", out)
	}
	out = call(t, tool, 1, "print('ok')", true)
	if !strings.Contains(out, "stdout:\nok") {
		t.Errorf("after a big output:\n%s", out)
	}
}

// TestConcurrentCalls: calls of one process queue for its interpreter.
func TestConcurrentCalls(t *testing.T) {
	py, _ := newPython(t, python.Options{})
	tool := py.Tool()
	call(t, tool, 1, "n = 0", true)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call(t, tool, 1, "n += 1", true)
		}()
	}
	wg.Wait()
	if out := call(t, tool, 1, "n", true); !strings.Contains(out, "stdout:\n5") {
		t.Errorf("n:\n%s", out)
	}
}

// TestThroughSyscalls: the kernel's syscall table checks the exec
// capability and the schema, and labels the result as tool output.
func TestThroughSyscalls(t *testing.T) {
	py, _ := newPython(t, python.Options{})
	calls := kernel.NewSyscalls()
	if err := calls.Register(py.Tool()); err != nil {
		t.Fatal(err)
	}
	ctx := llmos.WithCaller(context.Background(), llmos.Caller{PID: 9})
	msg := calls.Dispatch(ctx, nil, llmos.ToolCall{ID: "1", Name: "python", Arguments: `{"code":"print(1)"}`}, time.Minute)
	if !msg.IsError || !strings.Contains(msg.Content, `capability "exec"`) {
		t.Errorf("without exec: %+v", msg)
	}
	msg = calls.Dispatch(ctx, []string{"exec"}, llmos.ToolCall{ID: "2", Name: "python", Arguments: `{"code":1}`}, time.Minute)
	if !msg.IsError {
		t.Errorf("bad arguments: %+v", msg)
	}
	msg = calls.Dispatch(ctx, []string{"exec"}, llmos.ToolCall{ID: "3", Name: "python", Arguments: `{"code":"print(6*7)"}`}, time.Minute)
	if msg.IsError || !strings.Contains(msg.Content, "stdout:\n42") || msg.Label.Trusted() {
		t.Errorf("with exec: %+v", msg)
	}
}
