// Package providertest is the conformance suite that every model provider
// adapter passes. It serves recorded responses in the provider's own wire
// format from an httptest server and checks that the adapter turns them into
// the same llmos values: plain and streamed replies, tool calls (several in a
// turn, arguments split across stream chunks), usage, and each kind of failure.
//
// An adapter package keeps its fixtures in testdata/wire: for each scenario S,
// S.http is the raw HTTP response the provider's server would send (status
// line, headers, blank line, body; a stream fixture is cut where the scenario
// says), and S.request.json is the golden request the adapter must send, kept
// up to date with `go test -update`. The suite fixes what every fixture must
// decode to, so the adapters cannot drift apart.
package providertest

import (
	"context"
	"encoding/json"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wiretest"
)

var update = flag.Bool("update", false, "rewrite the golden request files in testdata/wire")

// Model is the interface under test; it is the kernel's Model.
type Model interface {
	Generate(ctx context.Context, req *llmos.Request, stream func(llmos.Delta)) (*llmos.Response, error)
}

// Harness tells the suite how to make the adapter under test.
type Harness struct {
	// Provider is the provider's name as errors should name it ("openai").
	Provider string
	// New returns a model that sends its requests to baseURL with apiKey.
	New func(baseURL, apiKey string) (Model, error)
	// Dir is the folder of fixtures; testdata/wire when empty.
	Dir string
}

// Key is the API key the suite gives to New; the adapter must send it.
const Key = "sk-test-0123456789"

// The values every fixture must decode to.
var (
	WantText      = "Hello from llmos."
	WantTextUsage = llmos.Usage{InputTokens: 12, OutputTokens: 5}
	WantCalcArgs  = `{"expression":"12345 * 6789"}`
	WantCallUsage = llmos.Usage{InputTokens: 20, OutputTokens: 15}
	WantTwoArgs   = []string{`{"expression":"2+2"}`, `{"expression":"3*3"}`}
	WantTwoUsage  = llmos.Usage{InputTokens: 25, OutputTokens: 30}
	WantAnswer    = "12345 * 6789 = 83810205."
	WantRetry     = 7 * time.Second
)

// The requests the suite sends.
var calcTool = llmos.ToolDef{
	Name:        "calc",
	Description: "Evaluates an arithmetic expression exactly.",
	Parameters:  json.RawMessage(`{"type":"object","properties":{"expression":{"type":"string","description":"the expression"}},"required":["expression"]}`),
}

func textRequest() *llmos.Request {
	return &llmos.Request{
		Model: "test-model",
		Messages: []llmos.Message{
			{Role: llmos.RoleSystem, Content: "You are terse."},
			{Role: llmos.RoleUser, Content: "Say hello."},
		},
		MaxTokens: 100,
	}
}

func toolRequest() *llmos.Request {
	return &llmos.Request{
		Model: "test-model",
		Messages: []llmos.Message{
			{Role: llmos.RoleSystem, Content: "Use the calculator."},
			{Role: llmos.RoleUser, Content: "What is 12345 * 6789?"},
		},
		Tools:     []llmos.ToolDef{calcTool},
		MaxTokens: 100,
	}
}

func resultRequest() *llmos.Request {
	r := toolRequest()
	r.Messages = append(r.Messages,
		llmos.Message{Role: llmos.RoleAssistant, ToolCalls: []llmos.ToolCall{{ID: "call_1", Name: "calc", Arguments: WantCalcArgs}}},
		llmos.Message{Role: llmos.RoleTool, ToolCallID: "call_1", Name: "calc", Content: "83810205"},
	)
	return r
}

// Run runs the whole suite against the adapter h makes.
func Run(t *testing.T, h Harness) {
	if h.Dir == "" {
		h.Dir = filepath.Join("testdata", "wire")
	}
	t.Run("text", func(t *testing.T) {
		resp := h.ok(t, "text", textRequest(), false)
		checkText(t, resp)
	})
	t.Run("text_stream", func(t *testing.T) {
		resp, deltas := h.stream(t, "text_stream", textRequest())
		checkText(t, resp)
		if len(deltas) < 2 {
			t.Errorf("got %d deltas, want the text in at least 2 pieces", len(deltas))
		}
		if got := strings.Join(deltas, ""); got != WantText {
			t.Errorf("deltas join to %q, want %q", got, WantText)
		}
	})
	t.Run("tool_call", func(t *testing.T) {
		resp := h.ok(t, "tool_call", toolRequest(), false)
		checkCalls(t, resp, []string{WantCalcArgs})
		checkUsage(t, resp, WantCallUsage)
	})
	t.Run("tool_call_stream", func(t *testing.T) {
		resp, _ := h.stream(t, "tool_call_stream", toolRequest())
		checkCalls(t, resp, []string{WantCalcArgs})
		checkUsage(t, resp, WantCallUsage)
	})
	t.Run("two_tool_calls_stream", func(t *testing.T) {
		resp, _ := h.stream(t, "two_tool_calls_stream", toolRequest())
		checkCalls(t, resp, WantTwoArgs)
		checkUsage(t, resp, WantTwoUsage)
	})
	t.Run("tool_result", func(t *testing.T) {
		resp := h.ok(t, "tool_result", resultRequest(), false)
		if resp.Message.Content != WantAnswer {
			t.Errorf("content %q, want %q", resp.Message.Content, WantAnswer)
		}
	})
	for _, c := range []struct {
		scenario string
		stream   bool
		code     llmos.Code
		msg      string
	}{
		{"unauthorized", false, llmos.CodeUnauthenticated, "key rejected for " + h.Provider},
		{"forbidden", false, llmos.CodeUnauthenticated, "key rejected for " + h.Provider},
		{"rate_limited", false, llmos.CodeRateLimited, ""},
		{"server_error", false, llmos.CodeUnavailable, ""},
		{"malformed", false, llmos.CodeBadResponse, ""},
		{"stream_truncated", true, llmos.CodeBadResponse, ""},
		{"stream_malformed", true, llmos.CodeBadResponse, ""},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			err := h.fail(t, c.scenario, textRequest(), c.stream)
			if got := llmos.ErrorCode(err); got != c.code {
				t.Fatalf("error %q has code %q, want %q", err, got, c.code)
			}
			if c.msg != "" && !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not say %q", err, c.msg)
			}
			if c.code == llmos.CodeRateLimited {
				if got := llmos.RetryAfterOf(err); got != WantRetry {
					t.Errorf("RetryAfter = %v, want %v", got, WantRetry)
				}
			}
			if strings.Contains(err.Error(), Key) {
				t.Errorf("error %q shows the key", err)
			}
		})
	}
	t.Run("connection_reset", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0)
				}
				conn.Close()
			}
		}))
		defer srv.Close()
		m := h.model(t, srv.URL)
		_, err := m.Generate(context.Background(), textRequest(), nil)
		if got := llmos.ErrorCode(err); got != llmos.CodeUnavailable {
			t.Fatalf("error %v has code %q, want %q", err, got, llmos.CodeUnavailable)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		m := h.model(t, srv.URL)
		for _, stream := range []bool{false, true} {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			start := time.Now()
			var fn func(llmos.Delta)
			if stream {
				fn = func(llmos.Delta) {}
			}
			_, err := m.Generate(ctx, textRequest(), fn)
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("stream=%v: cancelled call returned after %v", stream, took)
			}
			if got := llmos.ErrorCode(err); got != llmos.CodeCanceled {
				t.Errorf("stream=%v: error %v has code %q, want %q", stream, err, got, llmos.CodeCanceled)
			}
			cancel()
		}
	})
}

func (h Harness) model(t *testing.T, url string) Model {
	t.Helper()
	m, err := h.New(url, Key)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

// serve starts a server replaying the fixture of a scenario and recording the
// request it gets.
func (h Harness) serve(t *testing.T, scenario string) (*httptest.Server, *wiretest.Request) {
	t.Helper()
	return wiretest.Serve(t, filepath.Join(h.Dir, scenario+".http"))
}

func (h Harness) ok(t *testing.T, scenario string, req *llmos.Request, stream bool) *llmos.Response {
	t.Helper()
	srv, rec := h.serve(t, scenario)
	m := h.model(t, srv.URL)
	var fn func(llmos.Delta)
	if stream {
		fn = func(llmos.Delta) {}
	}
	resp, err := m.Generate(context.Background(), req, fn)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	h.checkRequest(t, scenario, rec)
	return resp
}

func (h Harness) stream(t *testing.T, scenario string, req *llmos.Request) (*llmos.Response, []string) {
	t.Helper()
	srv, rec := h.serve(t, scenario)
	m := h.model(t, srv.URL)
	var deltas []string
	resp, err := m.Generate(context.Background(), req, func(d llmos.Delta) {
		if d.Text != "" {
			deltas = append(deltas, d.Text)
		}
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	h.checkRequest(t, scenario, rec)
	return resp, deltas
}

func (h Harness) fail(t *testing.T, scenario string, req *llmos.Request, stream bool) error {
	t.Helper()
	srv, _ := h.serve(t, scenario)
	m := h.model(t, srv.URL)
	var fn func(llmos.Delta)
	if stream {
		fn = func(llmos.Delta) {}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := m.Generate(ctx, req, fn)
	if err == nil {
		t.Fatalf("Generate succeeded with %+v, want an error", resp)
	}
	return err
}

// checkRequest checks that the key was sent and compares the request with its
// golden file.
func (h Harness) checkRequest(t *testing.T, scenario string, rec *wiretest.Request) {
	t.Helper()
	rec.Check(t, filepath.Join(h.Dir, scenario+".request.json"), Key, *update, "update")
}

func checkText(t *testing.T, resp *llmos.Response) {
	t.Helper()
	if resp.Message.Role != llmos.RoleAssistant {
		t.Errorf("role %q, want assistant", resp.Message.Role)
	}
	if resp.Message.Content != WantText {
		t.Errorf("content %q, want %q", resp.Message.Content, WantText)
	}
	if len(resp.Message.ToolCalls) != 0 {
		t.Errorf("unexpected tool calls %+v", resp.Message.ToolCalls)
	}
	if resp.StopReason != "stop" {
		t.Errorf("stop reason %q, want stop", resp.StopReason)
	}
	checkUsage(t, resp, WantTextUsage)
}

func checkUsage(t *testing.T, resp *llmos.Response, want llmos.Usage) {
	t.Helper()
	if resp.Usage != want {
		t.Errorf("usage %+v, want %+v", resp.Usage, want)
	}
}

func checkCalls(t *testing.T, resp *llmos.Response, args []string) {
	t.Helper()
	calls := resp.Message.ToolCalls
	if len(calls) != len(args) {
		t.Fatalf("got %d tool calls %+v, want %d", len(calls), calls, len(args))
	}
	ids := map[string]bool{}
	for i, c := range calls {
		if c.Name != "calc" {
			t.Errorf("call %d names %q, want calc", i, c.Name)
		}
		if c.ID == "" || ids[c.ID] {
			t.Errorf("call %d has id %q, want a unique non-empty id", i, c.ID)
		}
		ids[c.ID] = true
		if !jsonEqual(c.Arguments, args[i]) {
			t.Errorf("call %d arguments %s, want %s", i, c.Arguments, args[i])
		}
	}
	if resp.StopReason != "tool_calls" {
		t.Errorf("stop reason %q, want tool_calls", resp.StopReason)
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
