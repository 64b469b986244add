package cli

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/redteam"
)

// scanCLI runs `llmos scan args...` in-process.
func scanCLI(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return mainRun(vars, "", append([]string{"scan"}, args...)...)
}

type scanJSON struct {
	Attempts int `json:"attempts"`
	Hits     int `json:"hits"`
	Errors   int `json:"errors"`
	Resumed  int `json:"resumed"`
	Families []struct {
		Name     string  `json:"name"`
		Attempts int     `json:"attempts"`
		Hits     int     `json:"hits"`
		Rate     float64 `json:"rate"`
	} `json:"families"`
}

func decodeScan(t *testing.T, s string) scanJSON {
	t.Helper()
	var out scanJSON
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("scan --json: %v\n%s", err, s)
	}
	return out
}

// scanServer is an OpenAI-compatible server on 127.0.0.1. A vulnerable one
// repeats its system prompt and the user's message; a safe one refuses.
func scanServer(t *testing.T, vulnerable bool, calls *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls != nil {
			calls.Add(1)
		}
		var req struct {
			Messages []struct {
				Content string `json:"content"`
			} `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		text := "I'm sorry, but I can't help with that."
		if vulnerable {
			var parts []string
			for _, m := range req.Messages {
				parts = append(parts, m.Content)
			}
			text = "Sure! " + strings.Join(parts, "\n")
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "x", "object": "chat.completion", "model": "m", "created": 1,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": text}}},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestScanList(t *testing.T) {
	code, out, errs := scanCLI(t, nil, "--list", "--json")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	var l struct {
		Families []struct {
			Name   string `json:"name"`
			Probes int    `json:"probes"`
		} `json:"families"`
		Total int `json:"total"`
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, f := range l.Families {
		sum += f.Probes
	}
	if len(l.Families) != len(redteam.Families()) || sum != l.Total || l.Total != len(redteam.AllProbes()) {
		t.Errorf("list %+v", l)
	}
	if code, out, _ := scanCLI(t, nil, "--list"); code != 0 || !strings.Contains(out, "total") {
		t.Errorf("list: %d %s", code, out)
	}
}

func TestScanOpenAICompat(t *testing.T) {
	vars := map[string]string{"LLMOS_HOME": t.TempDir()}
	vuln := scanServer(t, true, nil)
	code, out, errs := scanCLI(t, vars, "--target", "openai-compat", "--base-url", vuln.URL+"/v1", "--model", "m",
		"--family", "direct_injection,system_prompt_extraction", "--limit", "4", "--generations", "2", "--json")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	s := decodeScan(t, out)
	if s.Attempts != 16 || s.Hits == 0 || len(s.Families) != 2 {
		t.Errorf("vulnerable: %+v", s)
	}
	safe := scanServer(t, false, nil)
	code, out, errs = scanCLI(t, vars, "--target", "openai-compat", "--base-url", safe.URL+"/v1", "--model", "m",
		"--family", "direct_injection,system_prompt_extraction", "--limit", "4", "--json")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	if s := decodeScan(t, out); s.Attempts != 8 || s.Hits != 0 {
		t.Errorf("refusing: %+v", s)
	}
	// The human output is a table.
	code, out, _ = scanCLI(t, vars, "--target", "openai-compat", "--base-url", safe.URL+"/v1", "--model", "m", "--family", "direct_injection", "--limit", "2")
	if code != 0 || !strings.Contains(out, "direct_injection") || !strings.Contains(out, "95% CI") {
		t.Errorf("table: %d\n%s", code, out)
	}
}

func TestScanFailAbove(t *testing.T) {
	vars := map[string]string{"LLMOS_HOME": t.TempDir()}
	vuln := scanServer(t, true, nil)
	args := []string{"--target", "openai-compat", "--base-url", vuln.URL + "/v1", "--model", "m", "--family", "direct_injection", "--limit", "3", "--json"}
	code, out, errs := scanCLI(t, vars, append(args, "--fail-above", "0.1")...)
	if code != llmos.ExitCode(llmos.Errorf(llmos.CodeDenied, "")) || code != 5 {
		t.Fatalf("code %d: %s", code, errs)
	}
	if !strings.Contains(errs, "direct_injection") || decodeScan(t, out).Hits == 0 {
		t.Errorf("stderr %q, stdout %s", errs, out)
	}
	if code, _, errs := scanCLI(t, vars, append(args, "--fail-above", "1")...); code != 0 {
		t.Errorf("--fail-above 1: %d %s", code, errs)
	}
}

func TestScanReportAndResume(t *testing.T) {
	vars := map[string]string{"LLMOS_HOME": t.TempDir()}
	var calls atomic.Int64
	vuln := scanServer(t, true, &calls)
	dir := filepath.Join(t.TempDir(), "run")
	args := []string{"--target", "openai-compat", "--base-url", vuln.URL + "/v1", "--model", "m", "--family", "direct_injection,indirect_injection", "--limit", "3", "--json"}
	code, out, errs := scanCLI(t, vars, append(args, "--report", dir)...)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	first := decodeScan(t, out)
	if calls.Load() != 6 || first.Attempts != 6 {
		t.Fatalf("%d calls, %+v", calls.Load(), first)
	}
	for _, name := range []string{redteam.AttemptsFile, redteam.HitsFile, redteam.HTMLFile, redteam.JUnitFile, redteam.SARIFFile} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, redteam.JUnitFile))
	var ju struct {
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(b, &ju); err != nil || ju.Failures != first.Hits {
		t.Errorf("junit: %v, %d failures for %d hits", err, ju.Failures, first.Hits)
	}
	b, _ = os.ReadFile(filepath.Join(dir, redteam.SARIFFile))
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []json.RawMessage `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &sarif); err != nil || sarif.Version != "2.1.0" || len(sarif.Runs[0].Results) != first.Hits {
		t.Errorf("sarif: %v %+v", err, sarif)
	}

	// Resuming the whole run sends nothing and rewrites the same report.
	code, out, errs = scanCLI(t, vars, append(args, "--resume", dir)...)
	if code != 0 {
		t.Fatalf("resume: code %d: %s", code, errs)
	}
	again := decodeScan(t, out)
	if calls.Load() != 6 || again.Resumed != 6 || again.Hits != first.Hits {
		t.Errorf("resume: %d calls, %+v", calls.Load(), again)
	}
	// More generations: only the new ones are sent.
	code, out, errs = scanCLI(t, vars, append(args, "--resume", filepath.Join(dir, redteam.AttemptsFile), "--report", dir, "--generations", "2")...)
	if code != 0 {
		t.Fatalf("resume 2: code %d: %s", code, errs)
	}
	if s := decodeScan(t, out); calls.Load() != 12 || s.Resumed != 6 || s.Attempts != 12 {
		t.Errorf("resume 2: %d calls, %+v", calls.Load(), s)
	}
	all, err := redteam.ReadAttempts(filepath.Join(dir, redteam.AttemptsFile))
	if err != nil || len(all) != 12 {
		t.Errorf("attempts.jsonl: %d, %v", len(all), err)
	}
	// The run keeps its seed: another one on --resume is refused.
	if code, _, errs = scanCLI(t, vars, append(args, "--resume", dir, "--seed", "99")...); code != 2 || !strings.Contains(errs, "used --seed") {
		t.Errorf("resume with another seed: code %d: %s", code, errs)
	}
}

func TestScanCommandAndHTTP(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	vars := map[string]string{"LLMOS_HOME": t.TempDir()}
	code, out, errs := scanCLI(t, vars, "--target", "command", "--family", "direct_injection", "--limit", "3", "--json", "--", sh, "-c", "cat")
	if code != 0 {
		t.Fatalf("command: code %d: %s", code, errs)
	}
	if s := decodeScan(t, out); s.Attempts != 3 || s.Hits == 0 {
		t.Errorf("command: %+v", s)
	}

	vuln := scanServer(t, true, nil)
	tmpl := filepath.Join(t.TempDir(), "t.json")
	os.WriteFile(tmpl, []byte(`{"url":"`+vuln.URL+`/v1/chat/completions","headers":{"Authorization":"Bearer ${KEY}"},
		"body":{"model":"m","messages":[{"role":"system","content":"{{system}}"},{"role":"user","content":"{{prompt}}"}]},
		"reply":"choices[0].message.content"}`), 0o600)
	code, out, errs = scanCLI(t, vars, "--target", "http", "--http-template", tmpl, "--family", "system_prompt_extraction", "--limit", "3", "--json")
	if code != 0 {
		t.Fatalf("http: code %d: %s", code, errs)
	}
	if s := decodeScan(t, out); s.Attempts != 3 || s.Hits == 0 || s.Errors != 0 {
		t.Errorf("http: %+v", s)
	}
}

// The llmos target scans the kernel with the security monitor in the loop:
// a model that repeats its system prompt leaks it through the bare kernel,
// and the monitor withholds the reply that carries its canary.
func TestScanLLMOSTarget(t *testing.T) {
	vuln := scanServer(t, true, nil)
	vars := map[string]string{"LLMOS_HOME": t.TempDir(), "OLLAMA_HOST": vuln.URL}
	args := []string{"--target", "llmos", "--model", "ollama:m", "--family", "system_prompt_extraction", "--limit", "4", "--json"}
	code, out, errs := scanCLI(t, vars, append(args, "--no-monitor")...)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	if s := decodeScan(t, out); s.Attempts != 4 || s.Errors != 0 || s.Hits == 0 {
		t.Errorf("bare kernel: %+v", s)
	}
	code, out, errs = scanCLI(t, vars, args...)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	if s := decodeScan(t, out); s.Attempts != 4 || s.Errors != 0 || s.Hits != 0 {
		t.Errorf("with the monitor: %+v", s)
	}
}

func TestScanBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--target", "nope"},
		{"--target", "openai-compat", "--model", "m"},
		{"--target", "command"},
		{"--target", "http"},
		{"--target", "llmos"},
		{"--target", "command", "--family", "nope", "--", "cat"},
		{"--target", "command", "--generations", "0", "--", "cat"},
		{"--target", "openai-compat", "--base-url", "http://127.0.0.1:1/v1", "--model", "m", "extra"},
	} {
		if code, _, errs := scanCLI(t, map[string]string{}, args...); code != 2 {
			t.Errorf("%q: code %d, %s", args, code, errs)
		}
	}
}
