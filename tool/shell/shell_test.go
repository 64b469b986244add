package shell_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/sandbox"
	"github.com/llmos/llmos/tool/shell"
)

func newShell(t *testing.T, opts shell.Options) (*shell.Shell, *sandbox.Sandbox) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{Base: t.TempDir(), Mode: sandbox.ModeBwrap})
	if err != nil {
		if llmos.ErrorCode(err) == llmos.CodeUnavailable {
			t.Skipf("no sandbox on this machine: %v", err)
		}
		t.Fatal(err)
	}
	sh := shell.New(sb, opts)
	t.Cleanup(func() { sh.Shutdown(context.Background()) })
	return sh, sb
}

func run(t *testing.T, tool llmos.Tool, pid int64, args any) (string, error) {
	t.Helper()
	b, _ := json.Marshal(args)
	return tool.Call(llmos.WithCaller(context.Background(), llmos.Caller{PID: pid}), b)
}

func TestShellTool(t *testing.T) {
	sh, sb := newShell(t, shell.Options{Policy: &shell.Policy{Deny: []string{"rm"}}})
	tool := sh.Tool()
	out, err := run(t, tool, 3, map[string]string{"command": "seq 5 | wc -l; echo made > f.txt; echo err >&2; exit 4"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"exit code 4", "stdout:\n5\n", "stderr:\nerr", "files written: f.txt (5 B)"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	dir, _ := sb.Scratch(3)
	if b, _ := os.ReadFile(filepath.Join(dir, "f.txt")); string(b) != "made\n" {
		t.Errorf("scratch: %q", b)
	}
	// The working directory is the process's scratch folder, kept between calls.
	out, _ = run(t, tool, 3, map[string]string{"command": "pwd; cat f.txt"})
	if !strings.Contains(out, "stdout:\n/scratch\nmade") {
		t.Errorf("second call:\n%s", out)
	}
	// Another process has another folder.
	out, _ = run(t, tool, 4, map[string]string{"command": "ls"})
	if strings.Contains(out, "f.txt") {
		t.Errorf("pid 4 sees pid 3's files:\n%s", out)
	}
	// A denied command hidden in a list does not run at all.
	_, err = run(t, tool, 3, map[string]string{"command": "touch ran; ls; rm -f f.txt"})
	if llmos.ErrorCode(err) != llmos.CodeDenied || !strings.Contains(err.Error(), "does not allow rm") {
		t.Errorf("denied: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Errorf("part of a denied command ran")
	}
	if _, err := os.Stat(filepath.Join(dir, "f.txt")); err != nil {
		t.Errorf("the denied rm ran")
	}
}

// TestShellThroughSyscalls: the schema is {"command": string}, the exec
// capability is needed, a denial reaches the model as an error result.
func TestShellThroughSyscalls(t *testing.T) {
	sh, _ := newShell(t, shell.Options{})
	calls := kernel.NewSyscalls()
	for _, tool := range []llmos.Tool{sh.Tool(), sh.SessionTool()} {
		if err := calls.Register(tool); err != nil {
			t.Fatal(err)
		}
	}
	ctx := llmos.WithCaller(context.Background(), llmos.Caller{PID: 1})
	msg := calls.Dispatch(ctx, []string{"net"}, llmos.ToolCall{ID: "1", Name: "shell", Arguments: `{"command":"id"}`}, time.Minute)
	if !msg.IsError || !strings.Contains(msg.Content, `"exec"`) {
		t.Errorf("without exec: %+v", msg)
	}
	msg = calls.Dispatch(ctx, []string{"exec"}, llmos.ToolCall{ID: "2", Name: "shell", Arguments: `{"cmd":"id"}`}, time.Minute)
	if !msg.IsError {
		t.Errorf("wrong schema: %+v", msg)
	}
	msg = calls.Dispatch(ctx, []string{"exec"}, llmos.ToolCall{ID: "3", Name: "shell", Arguments: `{"command":"sudo id"}`}, time.Minute)
	if !msg.IsError || !strings.Contains(msg.Content, "does not allow sudo") {
		t.Errorf("denied: %+v", msg)
	}
	msg = calls.Dispatch(ctx, []string{"exec"}, llmos.ToolCall{ID: "4", Name: "shell", Arguments: `{"command":"id -u"}`}, time.Minute)
	if msg.IsError || !strings.Contains(msg.Content, "65534") || msg.Label.Trusted() {
		t.Errorf("id: %+v", msg)
	}
}

func TestShellLimits(t *testing.T) {
	sh, _ := newShell(t, shell.Options{Limits: sandbox.Limits{Wall: time.Second, OutputBytes: 50}})
	r, err := sh.Run(context.Background(), 1, "sleep 10")
	if err != nil || !r.TimedOut {
		t.Errorf("timeout: %v %+v", err, r)
	}
	r, err = sh.Run(context.Background(), 1, "seq 1000")
	if err != nil || !r.Truncated || !strings.Contains(r.Text(), "[output cut at 50 bytes]") {
		t.Errorf("output: %v %s", err, r.Text())
	}
}
