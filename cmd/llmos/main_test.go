package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// build compiles the llmos binary a user runs.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "llmos")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestCtrlCThenResume interrupts the real binary in the middle of a model
// call, as Ctrl-C does, and resumes the process from its last completed step
// with another run of the binary.
func TestCtrlCThenResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := build(t)
	var calls atomic.Int32
	var answer atomic.Bool
	second := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if n == 1 {
			io.WriteString(w, `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"calc","arguments":"{\"expression\":\"12345 * 6789\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":50,"completion_tokens":20,"total_tokens":70}}`)
			return
		}
		if !answer.Load() {
			second <- struct{}{}
			<-r.Context().Done() // hang until the client goes away
			return
		}
		if !bytes.Contains(body, []byte(`"tool_call_id":"call_1"`)) || bytes.Count(body, []byte(`"role":"tool"`)) != 1 {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":{"message":"resume lost or repeated the step: %s"}}`, strings.ReplaceAll(string(body), `"`, `'`))
			return
		}
		io.WriteString(w, `{"id":"c3","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"83810205"},"finish_reason":"stop"}],"usage":{"prompt_tokens":70,"completion_tokens":5,"total_tokens":75}}`)
	}))
	defer srv.Close()

	env := append(os.Environ(), "LLMOS_HOME="+t.TempDir(), "LLMOS_MODEL=openai:test-model",
		"OPENAI_BASE_URL="+srv.URL+"/v1", "OPENAI_API_KEY=sk-test")
	cmd := exec.Command(bin, "run", "what is 12345 * 6789")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-second:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the second model call never came; stderr: %s", stderr.String())
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("after SIGINT: %v, stderr %q; want exit code 130", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "llmos resume 1") || strings.Contains(stderr.String(), "goroutine") {
		t.Errorf("stderr %q", stderr.String())
	}

	ps := exec.Command(bin, "ps", "--json")
	ps.Env = env
	out, err := ps.Output()
	if err != nil {
		t.Fatal(err)
	}
	var procs []struct {
		State string
		Steps int
	}
	if err := json.Unmarshal(out, &procs); err != nil || len(procs) != 1 || procs[0].State != "interrupted" || procs[0].Steps != 1 {
		t.Fatalf("ps after Ctrl-C: %s (%v)", out, err)
	}

	answer.Store(true)
	resume := exec.Command(bin, "resume", "1")
	resume.Env = env
	out, err = resume.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "83810205" {
		t.Fatalf("resume: %v: %s", err, out)
	}

	logs := exec.Command(bin, "logs", "1")
	logs.Env = env
	out, _ = logs.Output()
	for _, want := range []string{"interrupted", "calc(", "done"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the trace lacks %q:\n%s", want, out)
		}
	}
}
