package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmos/llmos/config"
	"github.com/llmos/llmos/security/audit"
)

// auditBuf is a buffer that a running command writes while the test reads.
type auditBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *auditBuf) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *auditBuf) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// auditCLI runs `llmos audit args...` in-process, as Main would.
func auditCLI(ctx context.Context, vars map[string]string, stdout *auditBuf, args ...string) (code int, stderr string) {
	return mainIn(ctx, vars, "", stdout, append([]string{"audit"}, args...)...)
}

func auditRun(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out auditBuf
	code, stderr = auditCLI(context.Background(), vars, &out, args...)
	return code, out.String(), stderr
}

// auditHome returns the variables of a fresh $LLMOS_HOME and its log's path.
func auditHome(t *testing.T) (map[string]string, string) {
	home := t.TempDir()
	return map[string]string{"LLMOS_HOME": home}, filepath.Join(home, audit.FileName)
}

// appendAudit appends n records to the log at path, as the monitor does.
func appendAudit(t *testing.T, path string, from, n int) {
	t.Helper()
	home := filepath.Dir(path)
	a := &app{env: Env{Stderr: io.Discard, Getenv: func(k string) string {
		if k == "LLMOS_HOME" {
			return home
		}
		return ""
	}}}
	opts, err := a.auditOptions(config.Config{Home: home})
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := from; i < from+n; i++ {
		_, err := l.Append(context.Background(), audit.Record{Kind: "verdict", PID: 4, Tool: "web_fetch", Action: "block",
			Reason: fmt.Sprintf("injection %d", i), Data: json.RawMessage(`{"score":0.9}`)})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditNoLog(t *testing.T) {
	vars, _ := auditHome(t)
	if code, out, errs := auditRun(t, vars, "verify"); code != 0 || out != "no audit log yet\n" {
		t.Errorf("verify: %d %q %q", code, out, errs)
	}
	code, out, _ := auditRun(t, vars, "verify", "--json")
	var rep audit.Report
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || !rep.OK || rep.Problems == nil {
		t.Errorf("verify --json: %d %v %s", code, err, out)
	}
	if code, out, errs := auditRun(t, vars, "tail"); code != 0 || out != "" || errs != "" {
		t.Errorf("tail: %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(vars["LLMOS_HOME"], audit.FileName)); err == nil {
		t.Error("tail created the log")
	}
}

func TestAuditVerifyAndTail(t *testing.T) {
	vars, path := auditHome(t)
	appendAudit(t, path, 1, 30)

	code, out, errs := auditRun(t, vars, "verify")
	if code != 0 || out != "audit log OK: 30 records, head 30\n" {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}

	code, out, _ = auditRun(t, vars, "tail", "-n", "5")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 5 || !strings.Contains(lines[4], "#30") {
		t.Fatalf("tail -n 5: %d\n%s", code, out)
	}
	for _, want := range []string{"verdict", "pid 4", "web_fetch", "block", "injection 30"} {
		if !strings.Contains(lines[4], want) {
			t.Errorf("the tail line lacks %q: %s", want, lines[4])
		}
	}
	if _, out, _ = auditRun(t, vars, "tail"); strings.Count(out, "\n") != 20 {
		t.Errorf("tail prints %d lines by default, want 20", strings.Count(out, "\n"))
	}
	if code, _, errs = auditRun(t, vars, "tail", "-n", "-1"); code != 2 {
		t.Errorf("tail -n -1: %d %s", code, errs)
	}

	_, out, _ = auditRun(t, vars, "tail", "-n", "2", "--json")
	lines = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var r audit.Record
	if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &r) != nil || r.Seq != 30 || r.Reason != "injection 30" || len(r.Hash) != 64 {
		t.Fatalf("tail --json: %s", out)
	}

	// Someone deletes record 10.
	b, _ := os.ReadFile(path)
	all := strings.SplitAfter(string(b), "\n")
	os.WriteFile(path, []byte(strings.Join(append(all[:9:9], all[10:]...), "")), 0o600)
	code, out, errs = auditRun(t, vars, "verify")
	if code != 4 || !strings.Contains(out, "deleted") || !strings.Contains(out, "line 10, seq 10") ||
		!strings.Contains(errs, "the audit log was altered: record 10 was deleted") {
		t.Fatalf("verify of a tampered log: %d\n%s%s", code, out, errs)
	}
	code, out, _ = auditRun(t, vars, "verify", "--json")
	var rep audit.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 4 || rep.OK || rep.Problems[0].Kind != audit.Deleted || rep.Problems[0].Line != 10 {
		t.Fatalf("verify --json: %d %v %s", code, err, out)
	}
}

func TestAuditTailFollow(t *testing.T) {
	vars, path := auditHome(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out auditBuf
	done := make(chan int)
	// The log does not exist yet when tail starts.
	go func() {
		code, _ := auditCLI(ctx, vars, &out, "tail", "--follow", "-n", "1")
		done <- code
	}()
	wait := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("tail --follow did not print %q:\n%s", want, out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	time.Sleep(100 * time.Millisecond)
	appendAudit(t, path, 1, 3)
	wait("injection 3")
	appendAudit(t, path, 4, 2)
	wait("injection 5")
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("tail --follow ended with %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("tail --follow did not stop when cancelled")
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Errorf("each record once, in order:\n%s", out.String())
	}
	for i, l := range lines {
		if !strings.Contains(l, fmt.Sprintf("#%-5d", i+1)) {
			t.Errorf("line %d: %s", i+1, l)
		}
	}

	// Following an existing log starts after its last record.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	var out2 auditBuf
	go func() {
		code, _ := auditCLI(ctx2, vars, &out2, "tail", "-f", "-n", "0", "--json")
		done <- code
	}()
	time.Sleep(200 * time.Millisecond)
	appendAudit(t, path, 6, 1)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out2.String(), "injection 6") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel2()
	<-done
	if got := strings.TrimSpace(out2.String()); strings.Count(got, "\n") != 0 || !strings.Contains(got, `"seq":6`) {
		t.Errorf("tail -f -n 0 --json: %s", got)
	}
}
