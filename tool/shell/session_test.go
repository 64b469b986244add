package shell_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/tool/shell"
)

func session(t *testing.T, sh *shell.Shell, pid int64, in shell.SessionInput) string {
	t.Helper()
	out, err := sh.Session(context.Background(), pid, in)
	if err != nil {
		t.Fatalf("%+v: %v", in, err)
	}
	return out
}

func TestSessionKeepsState(t *testing.T) {
	sh, _ := newShell(t, shell.Options{Policy: &shell.Policy{Deny: []string{"rm"}}})
	out := session(t, sh, 1, shell.SessionInput{Input: "mkdir -p d && cd d && X=42 && echo in $(pwd)"})
	if !strings.HasPrefix(out, "[a new terminal session started]\nin /scratch/d\n[exit code 0]") {
		t.Fatalf("first:\n%q", out)
	}
	out = session(t, sh, 1, shell.SessionInput{Input: "echo $X $(pwd); false"})
	if out != "42 /scratch/d\n[exit code 1]" {
		t.Errorf("state:\n%q", out)
	}
	// Several lines, and a loop over lines.
	out = session(t, sh, 1, shell.SessionInput{Input: "echo a\nfor i in 1 2; do\necho $i\ndone\necho b"})
	if out != "a\n1\n2\nb\n[exit code 0]" {
		t.Errorf("lines:\n%q", out)
	}
	// The policy checks the input; nothing of it runs.
	if _, err := sh.Session(context.Background(), 1, shell.SessionInput{Input: "echo x > kept; (rm kept)"}); llmos.ErrorCode(err) != llmos.CodeDenied {
		t.Errorf("policy: %v", err)
	}
	// A terminal: isatty holds.
	out = session(t, sh, 1, shell.SessionInput{Input: "test -t 0 && test -t 1 && echo tty"})
	if !strings.HasPrefix(out, "tty\n") {
		t.Errorf("tty:\n%q", out)
	}
	// Another process, another shell.
	out = session(t, sh, 2, shell.SessionInput{Input: "echo ${X:-unset}"})
	if !strings.Contains(out, "unset") {
		t.Errorf("pid 2:\n%q", out)
	}
	// exit ends the session; the next call starts a new one.
	out = session(t, sh, 1, shell.SessionInput{Input: "exit 3"})
	if !strings.Contains(out, "the shell exited with code 3") {
		t.Errorf("exit:\n%q", out)
	}
	out = session(t, sh, 1, shell.SessionInput{Input: "echo ${X:-gone}"})
	if !strings.HasPrefix(out, "[a new terminal session started]\ngone") {
		t.Errorf("after exit:\n%q", out)
	}
}

// TestSessionInteractive: a program reading the terminal gets the next
// input; a long command is read on later; Ctrl-C stops it.
func TestSessionInteractive(t *testing.T) {
	sh, _ := newShell(t, shell.Options{})
	session(t, sh, 1, shell.SessionInput{Input: "true"})
	start := time.Now()
	out := session(t, sh, 1, shell.SessionInput{Input: "printf 'name? '; read n; echo hello $n"})
	if !strings.Contains(out, "name? ") || !strings.Contains(out, "still running") || time.Since(start) > 8*time.Second {
		t.Errorf("waiting for input after %v:\n%q", time.Since(start), out)
	}
	out = session(t, sh, 1, shell.SessionInput{Input: "world"})
	if out != "hello world\n[exit code 0]" {
		t.Errorf("answer:\n%q", out)
	}
	// A command still running when the wait ends; read on; then interrupt.
	wait := 0.5
	out = session(t, sh, 1, shell.SessionInput{Input: "echo start; sleep 1; echo middle; sleep 100; echo never", WaitSeconds: &wait})
	if !strings.Contains(out, "still running") {
		t.Errorf("running:\n%q", out)
	}
	seen := out
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(seen, "middle") && time.Now().Before(deadline); {
		seen += session(t, sh, 1, shell.SessionInput{WaitSeconds: &wait})
	}
	if i, j := strings.Index(seen, "start"), strings.Index(seen, "middle"); i < 0 || j < i {
		t.Errorf("read on:\n%q", seen)
	}
	start = time.Now()
	out = session(t, sh, 1, shell.SessionInput{Interrupt: true})
	if strings.Contains(out, "never") || !strings.Contains(out, "[exit code 130]") || time.Since(start) > 5*time.Second {
		t.Errorf("interrupt after %v:\n%q", time.Since(start), out)
	}
	out = session(t, sh, 1, shell.SessionInput{Input: "echo alive"})
	if out != "alive\n[exit code 0]" {
		t.Errorf("after interrupt:\n%q", out)
	}
	if out := session(t, sh, 1, shell.SessionInput{Close: true}); !strings.Contains(out, "closed") {
		t.Errorf("close: %q", out)
	}
}
