package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/provider/providertest"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Provider: "openai",
		New: func(baseURL, apiKey string) (providertest.Model, error) {
			return New(Config{BaseURL: baseURL, APIKey: apiKey})
		},
	})
}

// canned is an http.RoundTripper that answers every request with one reply
// and keeps the last request, so tests need no sockets.
type canned struct {
	status int
	header http.Header
	body   string
	req    *http.Request
	sent   []byte
}

func (c *canned) RoundTrip(r *http.Request) (*http.Response, error) {
	c.req = r
	if r.Body != nil {
		c.sent, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	h := c.header
	if h == nil {
		h = http.Header{"Content-Type": {"application/json"}}
	}
	return &http.Response{
		StatusCode: c.status,
		Header:     h.Clone(),
		Body:       io.NopCloser(strings.NewReader(c.body)),
		Request:    r,
	}, nil
}

func cannedModel(t *testing.T, c *canned, cfg Config) *Model {
	t.Helper()
	cfg.HTTPClient = &http.Client{Transport: c}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const okReply = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m",
"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],
"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`

func hello() *llmos.Request {
	return &llmos.Request{Model: "m", Messages: []llmos.Message{{Role: llmos.RoleUser, Content: "hi"}}, MaxTokens: 50}
}

// The token limit goes as max_completion_tokens to OpenAI and as max_tokens to
// every other server.
func TestTokenLimitField(t *testing.T) {
	temp := 0.25
	for _, c := range []struct {
		base, want, not string
	}{
		{"", "max_completion_tokens", "max_tokens"},
		{"https://api.openai.com/v1", "max_completion_tokens", "max_tokens"},
		{"http://127.0.0.1:11434/v1", "max_tokens", "max_completion_tokens"},
		{"http://localhost:8000/v1", "max_tokens", "max_completion_tokens"},
	} {
		rt := &canned{status: 200, body: okReply}
		m := cannedModel(t, rt, Config{BaseURL: c.base, APIKey: "k-123456"})
		req := hello()
		req.Temperature = &temp
		if _, err := m.Generate(context.Background(), req, nil); err != nil {
			t.Fatalf("%q: %v", c.base, err)
		}
		var body map[string]any
		if err := json.Unmarshal(rt.sent, &body); err != nil {
			t.Fatal(err)
		}
		if body[c.want] != 50.0 || body[c.not] != nil {
			t.Errorf("%q: body %s, want %s=50 and no %s", c.base, rt.sent, c.want, c.not)
		}
		if body["temperature"] != 0.25 {
			t.Errorf("%q: temperature %v, want 0.25", c.base, body["temperature"])
		}
		if c.base == "" && rt.req.URL.String() != "https://api.openai.com/v1/chat/completions" {
			t.Errorf("default URL %s", rt.req.URL)
		}
	}
}

// The adapter sends only what Config says, whatever the environment holds.
func TestIgnoresEnvironment(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-from-env")
	t.Setenv("OPENAI_BASE_URL", "http://env.invalid/v1")
	t.Setenv("OPENAI_ORG_ID", "org-env")
	t.Setenv("OPENAI_CUSTOM_HEADERS", "X-From-Env: yes")
	rt := &canned{status: 200, body: okReply}
	m := cannedModel(t, rt, Config{Name: "ollama", BaseURL: "http://127.0.0.1:11434/v1"})
	resp, err := m.Generate(context.Background(), hello(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "hi" || resp.Usage != (llmos.Usage{InputTokens: 3, OutputTokens: 1}) {
		t.Errorf("response %+v", resp)
	}
	if got := rt.req.URL.String(); got != "http://127.0.0.1:11434/v1/chat/completions" {
		t.Errorf("URL %s", got)
	}
	for _, h := range []string{"Authorization", "OpenAI-Organization", "X-From-Env"} {
		if v := rt.req.Header.Get(h); v != "" {
			t.Errorf("header %s: %q sent", h, v)
		}
	}
}

func TestErrors(t *testing.T) {
	sse := http.Header{"Content-Type": {"text/event-stream"}}
	for _, c := range []struct {
		name   string
		rt     canned
		stream bool
		code   llmos.Code
		says   string
	}{
		{"vllm error format", canned{status: 400, body: `{"object":"error","message":"max_tokens is too large","type":"BadRequestError","param":null,"code":400}`},
			false, llmos.CodeInvalid, "max_tokens is too large"},
		{"ollama model missing", canned{status: 404, body: `{"error":{"message":"model \"m\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`},
			false, llmos.CodeNotFound, "try pulling it first"},
		{"proxy html", canned{status: 502, header: http.Header{"Content-Type": {"text/html"}}, body: "<html>Bad Gateway</html>"},
			false, llmos.CodeUnavailable, "HTTP 502"},
		{"proxy html stream", canned{status: 503, header: http.Header{"Content-Type": {"text/html"}}, body: "<html>busy</html>"},
			true, llmos.CodeUnavailable, "HTTP 503"},
		{"key echoed", canned{status: 401, body: `{"error":{"message":"bad key k-secret-key-1"}}`},
			false, llmos.CodeUnauthenticated, "[redacted]"},
		{"html 200", canned{status: 200, header: http.Header{"Content-Type": {"text/html"}}, body: "<html>login</html>"},
			false, llmos.CodeBadResponse, "malformed"},
		{"no choices", canned{status: 200, body: `{"id":"x","object":"chat.completion","choices":[]}`},
			false, llmos.CodeBadResponse, "no choices"},
		{"no message", canned{status: 200, body: `{"choices":[{"index":0,"message":7,"finish_reason":"stop"}]}`},
			false, llmos.CodeBadResponse, "no message"},
		{"error event", canned{status: 200, header: sse, body: "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n"},
			true, llmos.CodeUnavailable, "overloaded"},
		{"json instead of sse", canned{status: 200, body: okReply},
			true, llmos.CodeBadResponse, "ended before"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := cannedModel(t, &c.rt, Config{Name: "srv", BaseURL: "http://127.0.0.1:1/v1", APIKey: "k-secret-key-1"})
			var fn func(llmos.Delta)
			if c.stream {
				fn = func(llmos.Delta) {}
			}
			_, err := m.Generate(context.Background(), hello(), fn)
			if got := llmos.ErrorCode(err); got != c.code {
				t.Fatalf("error %v has code %q, want %q", err, got, c.code)
			}
			if !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "srv") {
				t.Errorf("error %q does not name srv and say %q", err, c.says)
			}
			if strings.Contains(err.Error(), "k-secret-key-1") {
				t.Errorf("error %q shows the key", err)
			}
		})
	}
}

// One Model serves many goroutines at once.
func TestConcurrent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, okReply)
	}))
	defer srv.Close()
	m, err := New(Config{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if resp, err := m.Generate(context.Background(), hello(), nil); err != nil || resp.Message.Content != "hi" {
				t.Errorf("Generate: %+v, %v", resp, err)
			}
		})
	}
	wg.Wait()
}

func TestInvalidRequests(t *testing.T) {
	m := cannedModel(t, &canned{status: 200, body: okReply}, Config{BaseURL: "http://127.0.0.1:1"})
	for name, req := range map[string]*llmos.Request{
		"no model":    {Messages: hello().Messages},
		"bad role":    {Model: "m", Messages: []llmos.Message{{Role: "robot", Content: "x"}}},
		"tool no id":  {Model: "m", Messages: []llmos.Message{{Role: llmos.RoleTool, Content: "x"}}},
		"bad schema":  {Model: "m", Tools: []llmos.ToolDef{{Name: "t", Parameters: json.RawMessage(`[1]`)}}},
		"null schema": {Model: "m", Tools: []llmos.ToolDef{{Name: "t", Parameters: json.RawMessage(`null`)}}},
	} {
		if _, err := m.Generate(context.Background(), req, nil); llmos.ErrorCode(err) != llmos.CodeInvalid {
			t.Errorf("%s: error %v, want code invalid", name, err)
		}
	}
	if _, err := New(Config{BaseURL: "127.0.0.1:8080"}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("base URL without scheme: error %v, want code invalid", err)
	}
}

// A tool's schema reaches the server with its properties in their order.
func TestToolSchemaOrder(t *testing.T) {
	rt := &canned{status: 200, body: okReply}
	m := cannedModel(t, rt, Config{BaseURL: "http://127.0.0.1:1"})
	req := hello()
	req.Tools = []llmos.ToolDef{
		{Name: "move", Parameters: json.RawMessage(`{"type":"object","properties":{"z":{"type":"number"},"a":{"type":"number"}}}`)},
		{Name: "noargs", Description: "takes nothing"},
	}
	if _, err := m.Generate(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"properties":{"z":{"type":"number"},"a":{"type":"number"}}`,
		`{"function":{"name":"noargs","description":"takes nothing","parameters":{"properties":{},"type":"object"}},"type":"function"}`,
	} {
		if !bytes.Contains(rt.sent, []byte(want)) {
			t.Errorf("request %s\nlacks %s", rt.sent, want)
		}
	}
}

// sseBody joins chunks into an event stream ending with [DONE].
func sseBody(chunks ...string) string {
	var b strings.Builder
	for _, c := range chunks {
		b.WriteString("data: " + c + "\n\n")
	}
	b.WriteString("data: [DONE]\n\n")
	return b.String()
}

// The accumulator's step table: how tool calls are assembled from the ways
// servers cut them up.
func TestStreamToolCalls(t *testing.T) {
	const stop = `{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`
	for _, c := range []struct {
		name   string
		chunks []string
		want   []llmos.ToolCall
		reason string
	}{
		{"openai: id first, arguments in pieces", []string{
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"calc","arguments":""}}]}}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}}]}`,
			stop,
		}, []llmos.ToolCall{{ID: "c1", Name: "calc", Arguments: `{"a":1}`}}, "tool_calls"},
		{"interleaved indexes", []string{
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"f","arguments":"{"}},{"index":1,"id":"c2","function":{"name":"g","arguments":"["}}]}}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"]"}},{"index":0,"function":{"arguments":"}"}}]}}]}`,
			stop,
		}, []llmos.ToolCall{{ID: "c1", Name: "f", Arguments: "{}"}, {ID: "c2", Name: "g", Arguments: "[]"}}, "tool_calls"},
		{"whole calls all under index 0", []string{
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"f","arguments":"{}"}}]}}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c2","function":{"name":"g","arguments":"{}"}}]}}]}`,
			stop,
		}, []llmos.ToolCall{{ID: "c1", Name: "f", Arguments: "{}"}, {ID: "c2", Name: "g", Arguments: "{}"}}, "tool_calls"},
		{"no index, no ids, name repeated, stop", []string{
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"name":"f","arguments":"{\"x\""}}]}}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"name":"f","arguments":":2}"}}]}}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		}, []llmos.ToolCall{{ID: "call_0", Name: "f", Arguments: `{"x":2}`}}, "tool_calls"},
		{"huge index, duplicate ids", []string{
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":9223372036854775807,"id":"c","function":{"name":"f","arguments":"{}"}}]}}]}`,
			`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":-4,"id":"c","function":{"name":"g","arguments":"{}"}}]}}]}`,
			stop,
		}, []llmos.ToolCall{{ID: "c", Name: "f", Arguments: "{}"}, {ID: "c_1", Name: "g", Arguments: "{}"}}, "tool_calls"},
		{"other choices ignored", []string{
			`{"choices":[{"index":1,"delta":{"tool_calls":[{"index":0,"id":"x","function":{"name":"f","arguments":"{}"}}]}}]}`,
			`{"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"length"}]}`,
		}, nil, "length"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rt := &canned{status: 200, header: http.Header{"Content-Type": {"text/event-stream"}}, body: sseBody(c.chunks...)}
			m := cannedModel(t, rt, Config{BaseURL: "http://127.0.0.1:1"})
			resp, err := m.Generate(context.Background(), hello(), func(llmos.Delta) {})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(resp.Message.ToolCalls)
			want, _ := json.Marshal(c.want)
			if !bytes.Equal(got, want) {
				t.Errorf("calls %s\nwant  %s", got, want)
			}
			if resp.StopReason != c.reason {
				t.Errorf("stop reason %q, want %q", resp.StopReason, c.reason)
			}
		})
	}
}

func TestStreamRefusalIsText(t *testing.T) {
	rt := &canned{status: 200, header: http.Header{"Content-Type": {"text/event-stream"}}, body: sseBody(
		`{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":"I can't"}}]}`,
		`{"choices":[{"index":0,"delta":{"refusal":" help."},"finish_reason":"stop"}]}`,
	)}
	m := cannedModel(t, rt, Config{BaseURL: "http://127.0.0.1:1"})
	var got strings.Builder
	resp, err := m.Generate(context.Background(), hello(), func(d llmos.Delta) { got.WriteString(d.Text) })
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "I can't help." || got.String() != resp.Message.Content {
		t.Errorf("content %q, streamed %q", resp.Message.Content, got.String())
	}
}

// FuzzStream feeds arbitrary event streams to Generate: it must not panic,
// must fail only with bad_response or unavailable, and a reply it accepts
// must hold together.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "wire", "*stream*.http"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if _, body, ok := bytes.Cut(raw, []byte("\r\n\r\n")); ok {
			f.Add(body)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rt := &canned{status: 200, header: http.Header{"Content-Type": {"text/event-stream"}}, body: string(body)}
		m := cannedModel(t, rt, Config{BaseURL: "http://127.0.0.1:1"})
		var streamed strings.Builder
		resp, err := m.Generate(context.Background(), hello(), func(d llmos.Delta) { streamed.WriteString(d.Text) })
		if err != nil {
			var e *llmos.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *llmos.Error", err)
			}
			if e.Code != llmos.CodeBadResponse && e.Code != llmos.CodeUnavailable {
				t.Fatalf("error %v has code %q", err, e.Code)
			}
			return
		}
		if resp.Message.Role != llmos.RoleAssistant || resp.StopReason == "" {
			t.Fatalf("incomplete response %+v", resp)
		}
		if streamed.String() != resp.Message.Content {
			t.Fatalf("streamed %q, content %q", streamed.String(), resp.Message.Content)
		}
		ids := map[string]bool{}
		for _, c := range resp.Message.ToolCalls {
			if c.ID == "" || ids[c.ID] {
				t.Fatalf("tool call id %q empty or repeated in %+v", c.ID, resp.Message.ToolCalls)
			}
			ids[c.ID] = true
		}
	})
}
