package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/provider/providertest"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Provider: "anthropic",
		New: func(baseURL, apiKey string) (providertest.Model, error) {
			return New(Config{BaseURL: baseURL, APIKey: apiKey})
		},
	})
}

func TestNewNeedsKey(t *testing.T) {
	_, err := New(Config{})
	if got := llmos.ErrorCode(err); got != llmos.CodeUnauthenticated {
		t.Fatalf("New without a key: error %v has code %q, want unauthenticated", err, got)
	}
}

// serve answers every request with the given status, content type and body,
// and records the last request's body and headers.
type served struct {
	body   []byte
	header http.Header
}

func serve(t *testing.T, status int, header map[string]string, body string) (string, *served) {
	t.Helper()
	rec := &served{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.body, _ = io.ReadAll(r.Body)
		rec.header = r.Header.Clone()
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, rec
}

func newModel(t *testing.T, url string) *Model {
	t.Helper()
	m, err := New(Config{BaseURL: url, APIKey: "sk-ant-test"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var sse = map[string]string{"Content-Type": "text/event-stream; charset=utf-8"}

const messageStart = "event: message_start\n" +
	`data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}` + "\n\n"

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		header map[string]string
		body   string
		stream bool
		code   llmos.Code
		retry  time.Duration
	}{
		{
			name: "overloaded 529", status: 529, header: map[string]string{"Content-Type": "application/json"},
			body: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
			code: llmos.CodeUnavailable,
		},
		{
			name: "overloaded in stream", status: 200, header: sse, stream: true,
			body: messageStart + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
			code: llmos.CodeUnavailable,
		},
		{
			name: "rate limit in stream", status: 200, header: sse, stream: true,
			body: messageStart + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}\n\n",
			code: llmos.CodeRateLimited,
		},
		{
			name: "invalid request in stream", status: 200, header: sse, stream: true,
			body: messageStart + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"bad\"}}\n\n",
			code: llmos.CodeInvalid,
		},
		{
			name: "error event that is not JSON", status: 200, header: sse, stream: true,
			body: messageStart + "event: error\ndata: oops\n\n",
			code: llmos.CodeUnavailable,
		},
		{
			name: "rate limited in stream request", status: 429, stream: true,
			header: map[string]string{"Content-Type": "application/json", "Retry-After": "3"},
			body:   `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`,
			code:   llmos.CodeRateLimited, retry: 3 * time.Second,
		},
		{
			name: "bad request", status: 400, header: map[string]string{"Content-Type": "application/json"},
			body: `{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: must be positive"}}`,
			code: llmos.CodeInvalid,
		},
		{
			name: "HTML from a proxy", status: 502, header: map[string]string{"Content-Type": "text/html"},
			body: "<html>Bad Gateway</html>",
			code: llmos.CodeUnavailable,
		},
		{
			name: "valid JSON that is not a message", status: 200, header: map[string]string{"Content-Type": "application/json"},
			body: `{"hello":"world"}`,
			code: llmos.CodeBadResponse,
		},
		{
			name: "delta for a block never started", status: 200, header: sse, stream: true,
			body: messageStart + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":4,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n",
			code: llmos.CodeBadResponse,
		},
		{
			name: "stream with no events", status: 200, header: sse, stream: true,
			body: "",
			code: llmos.CodeBadResponse,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			url, _ := serve(t, c.status, c.header, c.body)
			var fn func(llmos.Delta)
			if c.stream {
				fn = func(llmos.Delta) {}
			}
			_, err := newModel(t, url).Generate(context.Background(), &llmos.Request{Model: "m", Messages: []llmos.Message{{Role: llmos.RoleUser, Content: "hi"}}}, fn)
			if got := llmos.ErrorCode(err); got != c.code {
				t.Fatalf("error %v has code %q, want %q", err, got, c.code)
			}
			t.Logf("error: %v", err)
			if got := llmos.RetryAfterOf(err); got != c.retry {
				t.Errorf("RetryAfter = %v, want %v", got, c.retry)
			}
			if strings.Contains(err.Error(), "sk-ant-test") {
				t.Errorf("error %q shows the key", err)
			}
		})
	}
}

// TestEnvironmentIgnored checks that the SDK's ANTHROPIC_* variables do not
// override the Config: the key and base URL are the caller's.
func TestEnvironmentIgnored(t *testing.T) {
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("ANTHROPIC_API_KEY", "sk-from-env")
	t.Setenv("ANTHROPIC_AUTH_TOKEN", "tok-from-env")
	t.Setenv("ANTHROPIC_CUSTOM_HEADERS", "X-Leak: yes")
	url, rec := serve(t, 200, map[string]string{"Content-Type": "application/json"},
		`{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`)
	resp, err := newModel(t, url).Generate(context.Background(), &llmos.Request{Model: "m", Messages: []llmos.Message{{Role: llmos.RoleUser, Content: "hi"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "ok" {
		t.Errorf("content %q", resp.Message.Content)
	}
	for k, vs := range rec.header {
		for _, v := range vs {
			if strings.Contains(v, "from-env") || k == "X-Leak" {
				t.Errorf("header %s: %s came from the environment", k, v)
			}
		}
	}
	if !strings.Contains(rec.header.Get("Authorization")+rec.header.Get("X-Api-Key"), "sk-ant-test") {
		t.Errorf("the configured key was not sent: %v", rec.header)
	}
}

// TestLargeMaxTokensStreams checks that a non-streaming call whose max_tokens
// the SDK refuses to wait for is streamed instead of failing.
func TestLargeMaxTokensStreams(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "wire", "text_stream.http"))
	if err != nil {
		t.Fatal(err)
	}
	_, events, _ := strings.Cut(string(body), "\n\n")
	url, rec := serve(t, 200, sse, events)
	resp, err := newModel(t, url).Generate(context.Background(), &llmos.Request{
		Model: "m", MaxTokens: 64000, Messages: []llmos.Message{{Role: llmos.RoleUser, Content: "hi"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != providertest.WantText {
		t.Errorf("content %q, want %q", resp.Message.Content, providertest.WantText)
	}
	var sent map[string]any
	json.Unmarshal(rec.body, &sent)
	if sent["stream"] != true || sent["max_tokens"] != float64(64000) {
		t.Errorf("sent stream=%v max_tokens=%v, want a stream of 64000", sent["stream"], sent["max_tokens"])
	}
}

// TestParams checks the mapping of a request onto the API's parameters.
func TestParams(t *testing.T) {
	temp := 0.5
	req := &llmos.Request{
		Model: "claude-test",
		Messages: []llmos.Message{
			{Role: llmos.RoleSystem, Content: "Be brief."},
			{Role: llmos.RoleSystem, Content: "Use tools."},
			{Role: llmos.RoleUser, Content: "Add and fail."},
			{Role: llmos.RoleAssistant, Content: "Calling.", ToolCalls: []llmos.ToolCall{
				{ID: "t1", Name: "calc", Arguments: `{"expression": "1+1"}`},
				{ID: "t2", Name: "calc", Arguments: `{"expression": `},
				{ID: "t3", Name: "calc", Arguments: `[1]`},
			}},
			{Role: llmos.RoleTool, ToolCallID: "t1", Name: "calc", Content: "2"},
			{Role: llmos.RoleTool, ToolCallID: "t2", Name: "calc", Content: "invalid arguments", IsError: true},
			{Role: llmos.RoleTool, ToolCallID: "t3", Name: "calc"},
			{Role: llmos.RoleUser, Content: "And now?"},
			{Role: llmos.RoleAssistant},
			{Role: llmos.RoleUser, Content: ""},
		},
		Tools: []llmos.ToolDef{
			{Name: "calc", Description: "Adds.", Parameters: json.RawMessage(`{"type":"object","properties":{"expression":{"type":"string"}},"required":["expression"],"additionalProperties":false}`)},
			{Name: "now", Parameters: nil},
		},
		Temperature: &temp,
	}
	got, err := json.Marshal(buildParams(req))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
	  "model": "claude-test",
	  "max_tokens": 4096,
	  "system": [{"type": "text", "text": "Be brief.\n\nUse tools."}],
	  "messages": [
	    {"role": "user", "content": [{"type": "text", "text": "Add and fail."}]},
	    {"role": "assistant", "content": [
	      {"type": "text", "text": "Calling."},
	      {"type": "tool_use", "id": "t1", "name": "calc", "input": {"expression": "1+1"}},
	      {"type": "tool_use", "id": "t2", "name": "calc", "input": {}},
	      {"type": "tool_use", "id": "t3", "name": "calc", "input": {}}
	    ]},
	    {"role": "user", "content": [
	      {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "2"}]},
	      {"type": "tool_result", "tool_use_id": "t2", "content": [{"type": "text", "text": "invalid arguments"}], "is_error": true},
	      {"type": "tool_result", "tool_use_id": "t3"},
	      {"type": "text", "text": "And now?"}
	    ]}
	  ],
	  "tools": [
	    {"name": "calc", "description": "Adds.", "input_schema": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"], "additionalProperties": false}},
	    {"name": "now", "input_schema": {"type": "object", "properties": {}}}
	  ]
	}`
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		pretty, _ := json.MarshalIndent(g, "", "  ")
		t.Errorf("params:\n%s", pretty)
	}
}

func TestStopReason(t *testing.T) {
	for in, want := range map[string]string{
		"end_turn": "stop", "stop_sequence": "stop", "tool_use": "tool_calls",
		"max_tokens": "length", "model_context_window_exceeded": "length",
		"refusal": "refusal", "pause_turn": "pause_turn",
	} {
		if got := stopReason(sdk.StopReason(in)); got != want {
			t.Errorf("stopReason(%q) = %q, want %q", in, got, want)
		}
	}
}

// bodyTransport answers every request with a fixed streamed body, without a
// network.
type bodyTransport struct{ body []byte }

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": {"text/event-stream"}},
		Body:       io.NopCloser(bytes.NewReader(b.body)),
		Request:    r,
	}, nil
}

// FuzzStream feeds arbitrary event streams to Generate: whatever the server
// sends, it must return a response or an error with a code, never panic.
func FuzzStream(f *testing.F) {
	for _, name := range []string{"text_stream", "tool_call_stream", "two_tool_calls_stream", "stream_truncated", "stream_malformed"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "wire", name+".http"))
		if err != nil {
			f.Fatal(err)
		}
		_, body, _ := strings.Cut(string(raw), "\n\n")
		f.Add([]byte(body))
	}
	f.Add([]byte(messageStart + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := New(Config{BaseURL: "http://anthropic.invalid", APIKey: "k", HTTPClient: &http.Client{Transport: bodyTransport{body}}})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := m.Generate(context.Background(), &llmos.Request{Model: "m", Messages: []llmos.Message{{Role: llmos.RoleUser, Content: "hi"}}}, func(llmos.Delta) {})
		if err != nil {
			if llmos.ErrorCode(err) == llmos.CodeInternal {
				t.Errorf("error %v has no code", err)
			}
			return
		}
		if resp == nil || resp.Message.Role != llmos.RoleAssistant {
			t.Errorf("bad response %+v", resp)
		}
	})
}
