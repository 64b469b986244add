package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/llmos/llmos/cli"
)

type result struct {
	code           int
	stdout, stderr string
}

// llmos runs the command in-process, as the binary would, with the variables in vars.
func llmos(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := cli.Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return vars[k] },
	}
	code := cli.Main(context.Background(), args, env)
	return result{code, out.String(), errb.String()}
}

func home(t *testing.T) map[string]string {
	return map[string]string{"LLMOS_HOME": t.TempDir()}
}

func TestRunOffline(t *testing.T) {
	vars := home(t)
	r := llmos(t, vars, "", "run", "what is 12345 * 6789")
	if r.code != 0 || r.stdout != "83810205\n" {
		t.Fatalf("run: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "offline kernel (rules, not a model)") {
		t.Errorf("stderr %q does not say the offline kernel is rules", r.stderr)
	}
	r = llmos(t, vars, "", "run", "write me a poem")
	if r.code != 0 || !strings.Contains(r.stdout, "LLMOS_MODEL") {
		t.Errorf("help answer: %+v", r)
	}

	// ps in a later run sees both processes, as JSON too.
	r = llmos(t, vars, "", "ps", "--json")
	var ps []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &ps); err != nil || len(ps) != 2 {
		t.Fatalf("ps --json: %v\n%s", err, r.stdout)
	}
	if ps[0]["state"] != "done" || ps[0]["result"] != "83810205" || ps[0]["pid"] != float64(1) {
		t.Errorf("ps[0] = %v", ps[0])
	}
	r = llmos(t, vars, "", "ps")
	if !strings.Contains(r.stdout, "PID") || !strings.Contains(r.stdout, "what is 12345 * 6789") {
		t.Errorf("ps: %s", r.stdout)
	}

	r = llmos(t, vars, "", "logs", "1")
	for _, want := range []string{"spawn", "model_call", "syscall", `calc({"expression":"12345 * 6789"}) -> ok 83810205`, "done"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("logs lack %q:\n%s", want, r.stdout)
		}
	}
	r = llmos(t, vars, "", "logs", "--json", "1")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) < 4 || !json.Valid([]byte(lines[0])) {
		t.Errorf("logs --json: %s", r.stdout)
	}
	r = llmos(t, vars, "", "run", "--json", "what is 2^10")
	var p map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p["result"] != "1024" {
		t.Errorf("run --json: %v %s", err, r.stdout)
	}
}

func TestBadInput(t *testing.T) {
	vars := home(t)
	for _, c := range []struct {
		args []string
		vars map[string]string
		code int
		want string
	}{
		{[]string{"run", "--model", "nosuch:model", "hi"}, nil, 2, `unknown model provider "nosuch"`},
		{[]string{"run", "--model", "openai", "hi"}, nil, 2, "names no model"},
		{[]string{"run", "--model", "openai:gpt-4o-mini", "hi"}, nil, 6, "set OPENAI_API_KEY"},
		{[]string{"run", "hi"}, map[string]string{"LLMOS_MODEL": "anthropic:claude-sonnet-4-5"}, 6, "set ANTHROPIC_API_KEY"},
		{[]string{"run", "--max-steps", "x", "hi"}, nil, 2, "invalid argument"},
		{[]string{"run", "--priority", "urgent", "hi"}, nil, 2, "--priority"},
		{[]string{"run"}, nil, 2, "requires at least 1 arg"},
		{[]string{"run", "  "}, nil, 2, "task is empty"},
		{[]string{"frobnicate"}, nil, 2, "unknown command"},
		{[]string{"kill", "42"}, nil, 3, "no process 42"},
		{[]string{"kill", "abc"}, nil, 2, "not a process id"},
		{[]string{"logs", "7"}, nil, 3, "no process 7"},
		{[]string{"resume", "9"}, nil, 3, "no process 9"},
		{[]string{"ps"}, map[string]string{"LLMOS_MAX_STEPS": "many"}, 2, "LLMOS_MAX_STEPS"},
	} {
		v := map[string]string{}
		for k, x := range vars {
			v[k] = x
		}
		for k, x := range c.vars {
			v[k] = x
		}
		r := llmos(t, v, "", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("llmos %s: code %d, stderr %q; want code %d saying %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.want)
		}
		if strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, "panic") {
			t.Errorf("llmos %s printed a stack trace: %s", strings.Join(c.args, " "), r.stderr)
		}
	}
}

func TestKillAndResumeErrors(t *testing.T) {
	vars := home(t)
	llmos(t, vars, "", "run", "what is 1+1")
	if r := llmos(t, vars, "", "kill", "1"); r.code != 4 || !strings.Contains(r.stderr, "already done") {
		t.Errorf("kill a done process: %+v", r)
	}
	if r := llmos(t, vars, "", "resume", "1"); r.code != 4 || !strings.Contains(r.stderr, "done") {
		t.Errorf("resume a done process: %+v", r)
	}
}

func TestModelsHidesKeys(t *testing.T) {
	vars := home(t)
	vars["OPENAI_API_KEY"] = "sk-very-secret-value"
	r := llmos(t, vars, "", "models", "--json")
	if strings.Contains(r.stdout, "sk-very-secret-value") {
		t.Fatal("models printed a key")
	}
	var out struct {
		Default   string
		Providers []struct {
			Name   string
			KeySet bool `json:"key_set"`
			Ready  bool
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range out.Providers {
		seen[p.Name] = true
		if p.Name == "openai" && (!p.KeySet || !p.Ready) {
			t.Errorf("openai: %+v", p)
		}
		if p.Name == "anthropic" && (p.KeySet || p.Ready) {
			t.Errorf("anthropic: %+v", p)
		}
	}
	for _, n := range []string{"offline", "openai", "anthropic", "gemini", "ollama"} {
		if !seen[n] {
			t.Errorf("models does not list %s", n)
		}
	}
	r = llmos(t, vars, "", "models")
	if !strings.Contains(r.stdout, "OPENAI_API_KEY set") || !strings.Contains(r.stdout, "ANTHROPIC_API_KEY missing") {
		t.Errorf("models:\n%s", r.stdout)
	}
	if r := llmos(t, vars, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "llmos ") {
		t.Errorf("version: %+v", r)
	}
}

// With a model configured, the model is given the calculator, calls it, and
// answers with its result: here an OpenAI-compatible server replays the wire
// format of each turn.
func TestRunWithModel(t *testing.T) {
	var seenTools bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sk-test" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`)
			return
		}
		var req struct {
			Messages []struct {
				Role    string `json:"role"`
				Content any    `json:"content"`
			} `json:"messages"`
			Tools []struct {
				Function struct{ Name string } `json:"function"`
			} `json:"tools"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		for _, tl := range req.Tools {
			seenTools = seenTools || tl.Function.Name == "calc"
		}
		w.Header().Set("Content-Type", "application/json")
		last := req.Messages[len(req.Messages)-1]
		if last.Role == "tool" {
			fmt.Fprintf(w, `{"id":"chatcmpl-2","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"12345 * 6789 = %v"},"finish_reason":"stop"}],"usage":{"prompt_tokens":60,"completion_tokens":12,"total_tokens":72}}`, last.Content)
			return
		}
		io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc","type":"function","function":{"name":"calc","arguments":"{\"expression\":\"12345 * 6789\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":50,"completion_tokens":20,"total_tokens":70}}`)
	}))
	defer srv.Close()
	vars := home(t)
	vars["LLMOS_MODEL"] = "openai:gpt-4o-mini"
	vars["OPENAI_BASE_URL"] = srv.URL + "/v1"
	vars["OPENAI_API_KEY"] = "sk-test"
	r := llmos(t, vars, "", "run", "what is 12345 * 6789")
	if r.code != 0 || r.stdout != "12345 * 6789 = 83810205\n" || !seenTools {
		t.Fatalf("run: %+v (tools offered: %v)", r, seenTools)
	}
	vars["OPENAI_API_KEY"] = "sk-wrong"
	r = llmos(t, vars, "", "run", "what is 1+1")
	if r.code != 6 || !strings.Contains(r.stderr, "key rejected for openai") || strings.Contains(r.stderr, "sk-wrong") {
		t.Errorf("wrong key: %+v", r)
	}
}

func TestChatOffline(t *testing.T) {
	vars := home(t)
	r := llmos(t, vars, "what is 6 * 7\nwhat is 2^8\n/exit\n", "chat")
	if r.code != 0 || r.stdout != "42\n256\n" {
		t.Fatalf("chat: %+v", r)
	}
	r = llmos(t, vars, "", "ps", "--json")
	var ps []map[string]any
	json.Unmarshal([]byte(r.stdout), &ps)
	if len(ps) != 1 || ps[0]["state"] != "done" || ps[0]["steps"] != float64(4) {
		t.Errorf("one process for the chat, done after 4 steps: %s", r.stdout)
	}
}

// A judging model decides the open-ended families instead of string checks:
// an echoing target "complies" with every harmful request by string checks,
// and this judge says none of the replies is a hit.
func TestScanJudge(t *testing.T) {
	var judged atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		judged.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"j","object":"chat.completion","created":1,"model":"judge","choices":[{"index":0,"message":{"role":"assistant","content":"{\"hit\": false, \"score\": 0.1, \"reason\": \"the reply only repeats the request\"}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":50,"completion_tokens":20,"total_tokens":70}}`)
	}))
	defer srv.Close()
	vars := home(t)
	vars["OPENAI_BASE_URL"] = srv.URL + "/v1"
	args := []string{"scan", "--json", "--target", "command", "--command", "cat", "--family", "harmful_content", "--limit", "2"}
	plain := llmos(t, vars, "", args...)
	judgedRun := llmos(t, vars, "", append(args, "--judge", "openai:judge")...)
	var a, b struct{ Attempts, Hits int }
	json.Unmarshal([]byte(plain.stdout), &a)
	json.Unmarshal([]byte(judgedRun.stdout), &b)
	if a.Attempts != 2 || a.Hits != 2 {
		t.Fatalf("without a judge: %+v (%s)", a, plain.stderr)
	}
	if b.Attempts != 2 || b.Hits != 0 || judged.Load() != 2 {
		t.Errorf("with the judge: %+v, %d judged (%s)", b, judged.Load(), judgedRun.stderr)
	}
}
