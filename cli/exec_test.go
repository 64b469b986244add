package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/sandbox"
)

// execRun runs llmos exec or doctor in-process, as the binary would.
func execRun(t *testing.T, home, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return mainRun(map[string]string{"LLMOS_HOME": home}, stdin, args...)
}

func needSandbox(t *testing.T) {
	t.Helper()
	if _, err := sandbox.New(sandbox.Config{Base: t.TempDir()}); err != nil {
		t.Skipf("no sandbox on this machine: %v", err)
	}
	if _, err := os.Stat(sandbox.PythonPath); err != nil {
		t.Skipf("%s is missing", sandbox.PythonPath)
	}
}

func TestExecPython(t *testing.T) {
	needSandbox(t)
	home := t.TempDir()
	code, out, errs := execRun(t, home, "", "exec", "python", "-c", "import sys, os; print(6*7, sys.argv[1:], os.getcwd())", "a", "--b")
	if code != 0 || out != "42 ['a', '--b'] /scratch\n" {
		t.Fatalf("-c: %d %q %q", code, out, errs)
	}
	code, _, _ = execRun(t, home, "", "exec", "python", "-c", "import sys; sys.exit(3)")
	if code != 3 {
		t.Errorf("exit code: %d", code)
	}
	script := filepath.Join(t.TempDir(), "script.py")
	os.WriteFile(script, []byte("import sys\nprint('file', sys.argv)\nprint(input())\n"), 0o600)
	code, out, errs = execRun(t, home, "from stdin\n", "exec", "python", script, "x")
	if code != 0 || out != "file ['script.py', 'x']\nfrom stdin\n" {
		t.Errorf("file: %d %q %q", code, out, errs)
	}
	code, out, _ = execRun(t, home, "print('piped')", "exec", "python")
	if code != 0 || out != "piped\n" {
		t.Errorf("stdin: %d %q", code, out)
	}
	code, _, errs = execRun(t, home, "", "exec", "python", filepath.Join(home, "missing.py"))
	if code != llmos.ExitCode(llmos.Errorf(llmos.CodeNotFound, "")) || !strings.Contains(errs, "cannot read") {
		t.Errorf("missing file: %d %q", code, errs)
	}
	// The scratch folder is removed afterwards.
	if ents, _ := os.ReadDir(filepath.Join(home, "scratch")); len(ents) != 0 {
		t.Errorf("scratch folders left: %v", ents)
	}
}

func TestExecShell(t *testing.T) {
	needSandbox(t)
	home := t.TempDir()
	code, out, _ := execRun(t, home, "", "exec", "shell", "--", "echo hi; id -u; exit 5")
	if code != 5 || out != "hi\n65534\n" {
		t.Errorf("script: %d %q", code, out)
	}
	code, out, _ = execRun(t, home, "", "exec", "shell", "--", "sh", "-c", "echo $0 $1", "zero", "one two")
	if code != 0 || out != "zero one two\n" {
		t.Errorf("argv: %d %q", code, out)
	}
	code, _, errs := execRun(t, home, "", "exec", "shell", "--timeout", "500ms", "--", "sleep 10")
	if code != 137 || !strings.Contains(errs, "stopped: wall time limit") {
		t.Errorf("timeout: %d %q", code, errs)
	}
	code, out, _ = execRun(t, home, "", "--json", "exec", "shell", "--output", "10", "--", "seq 100; exit 2")
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 2 || r["exit_code"] != float64(2) || r["truncated"] != true ||
		!strings.HasPrefix(r["stdout"].(string), "1\n2\n3\n4\n5") {
		t.Errorf("json: %d %v %s", code, err, out)
	}
	code, out, _ = execRun(t, home, "", "exec", "shell", "--keep", "--", "echo kept > f")
	if code != 0 {
		t.Errorf("keep: %d", code)
	}
	if m, _ := filepath.Glob(filepath.Join(home, "scratch", "exec-*", "f")); len(m) != 1 {
		t.Errorf("--keep did not keep the folder: %v", m)
	}
}

func TestExecNoSandbox(t *testing.T) {
	home := t.TempDir()
	code, out, errs := execRun(t, home, "", "exec", "shell", "--no-sandbox", "--", "echo unsafe")
	if code != 0 || out != "unsafe\n" || !strings.Contains(errs, "WARNING: the sandbox is OFF") {
		t.Errorf("no sandbox: %d %q %q", code, out, errs)
	}
}

func TestDoctor(t *testing.T) {
	code, out, errs := execRun(t, t.TempDir(), "", "doctor")
	if !strings.Contains(out, "sandbox") || !strings.Contains(out, "python") || !strings.Contains(out, "landlock") {
		t.Errorf("doctor: %d %q %q", code, out, errs)
	}
	t.Logf("%s", out)
	code2, out, _ := execRun(t, t.TempDir(), "", "--json", "doctor")
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil || code2 != code {
		t.Fatalf("doctor --json: %v %d %s", err, code2, out)
	}
	if r["active"] == "bwrap" && (code != 0 || !strings.HasPrefix(r["test_run"].(string), "ok")) {
		t.Errorf("active but: %d %v", code, r["test_run"])
	}
	if r["active"] == "" && code != llmos.ExitCode(llmos.Errorf(llmos.CodeUnavailable, "")) {
		t.Errorf("no sandbox, exit code %d", code)
	}
}
