package gemini

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genai"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/googleai"
	"github.com/llmos/llmos/provider/providertest"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Provider: "gemini",
		New: func(baseURL, apiKey string) (providertest.Model, error) {
			return New(Config{BaseURL: baseURL, APIKey: apiKey})
		},
	})
}

// server answers every request with status and body, counting the requests
// and keeping the last body.
type server struct {
	*httptest.Server
	hits  atomic.Int32
	body  atomic.Value // []byte
	path  atomic.Value // string
	query atomic.Value // string
}

func newServer(t *testing.T, status int, header http.Header, body string) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		s.body.Store(b)
		s.path.Store(r.URL.Path)
		s.query.Store(r.URL.RawQuery)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func newModel(t *testing.T, url string) *Model {
	t.Helper()
	m, err := New(Config{BaseURL: url, APIKey: providertest.Key})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func hello() *llmos.Request {
	return &llmos.Request{Model: "gemini-2.5-flash", Messages: []llmos.Message{{Role: llmos.RoleUser, Content: "hi"}}}
}

func TestErrors(t *testing.T) {
	sse := http.Header{"Content-Type": {"text/event-stream"}}
	for _, c := range []struct {
		name   string
		status int
		header http.Header
		body   string
		stream bool
		code   llmos.Code
		retry  time.Duration
		says   string
	}{
		{"401", 401, nil, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`,
			false, llmos.CodeUnauthenticated, 0, "key rejected for gemini (HTTP 401)"},
		{"400 API_KEY_INVALID", 400, nil, `{"error":{"code":400,"message":"API key expired. Please renew the API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`,
			true, llmos.CodeUnauthenticated, 0, "key rejected for gemini (HTTP 400)"},
		{"400 other", 400, nil, `{"error":{"code":400,"message":"* GenerateContentRequest.contents: contents is not specified","status":"INVALID_ARGUMENT"}}`,
			false, llmos.CodeInvalid, 0, "contents is not specified"},
		{"404 model", 404, nil, `{"error":{"code":404,"message":"models/nope is not found for API version v1beta","status":"NOT_FOUND"}}`,
			false, llmos.CodeNotFound, 0, "models/nope"},
		{"429 Retry-After header only", 429, http.Header{"Retry-After": {"3"}}, `{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}`,
			false, llmos.CodeRateLimited, 3 * time.Second, ""},
		{"429 longer of header and body", 429, http.Header{"Retry-After": {"2"}}, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"12.5s"}]}}`,
			true, llmos.CodeRateLimited, 12500 * time.Millisecond, ""},
		{"500 not JSON", 502, nil, `<html>bad gateway</html>`, false, llmos.CodeUnavailable, 0, ""},
		{"error event in stream", 200, sse,
			"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel\"}],\"role\": \"model\"},\"index\": 0}]}\r\n\r\n" +
				"data: {\"error\": {\"code\": 503,\"message\": \"The model is overloaded.\",\"status\": \"UNAVAILABLE\"}}\r\n\r\n",
			true, llmos.CodeUnavailable, 0, "overloaded"},
		{"error event without code", 200, sse,
			"data: {\"error\": {\"message\": \"quota\",\"status\": \"RESOURCE_EXHAUSTED\",\"details\": [{\"@type\": \"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\": \"30s\"}]}}\r\n\r\n",
			true, llmos.CodeRateLimited, 30 * time.Second, ""},
		{"stream line that is not data", 200, sse, "event: ping\r\n\r\n", true, llmos.CodeBadResponse, 0, ""},
		{"no candidates", 200, nil, `{"modelVersion": "gemini-2.5-flash"}`, false, llmos.CodeBadResponse, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t, c.status, c.header, c.body)
			var fn func(llmos.Delta)
			if c.stream {
				fn = func(llmos.Delta) {}
			}
			_, err := newModel(t, s.URL).Generate(context.Background(), hello(), fn)
			if got := llmos.ErrorCode(err); got != c.code {
				t.Fatalf("error %v has code %q, want %q", err, got, c.code)
			}
			if got := llmos.RetryAfterOf(err); got != c.retry {
				t.Errorf("RetryAfter = %v, want %v", got, c.retry)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q does not say %q", err, c.says)
			}
			if n := s.hits.Load(); n != 1 {
				t.Errorf("the server got %d requests, want 1 (no retries)", n)
			}
		})
	}
}

func TestNoRetriesOnTransportFailure(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	for _, stream := range []func(llmos.Delta){nil, func(llmos.Delta) {}} {
		hits.Store(0)
		_, err := newModel(t, srv.URL).Generate(context.Background(), hello(), stream)
		if got := llmos.ErrorCode(err); got != llmos.CodeUnavailable {
			t.Errorf("error %v has code %q, want unavailable", err, got)
		}
		if n := hits.Load(); n != 1 {
			t.Errorf("the server got %d requests, want 1", n)
		}
	}
}

func TestNew(t *testing.T) {
	// The SDK's variables must not fill in or override the config.
	t.Setenv("GEMINI_API_KEY", "from-env")
	t.Setenv("GOOGLE_API_KEY", "from-env")
	t.Setenv("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:1/")
	t.Setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
	if _, err := New(Config{}); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
		t.Errorf("New without a key: %v, want unauthenticated", err)
	}
	if _, err := New(Config{APIKey: "k", BaseURL: "not a url"}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("New with a bad URL: %v, want invalid", err)
	}
	m, err := New(Config{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	cc := m.client.ClientConfig()
	if cc.HTTPOptions.BaseURL != DefaultBaseURL || cc.APIKey != "k" || cc.Backend != genai.BackendGeminiAPI {
		t.Errorf("client config %q %q %v, want the default URL, key k, Gemini API", cc.HTTPOptions.BaseURL, cc.APIKey, cc.Backend)
	}

	// A version in the base URL is used, not doubled.
	s := newServer(t, 200, nil, `{"candidates":[{"content":{"parts":[{"text":"ok"}],"role":"model"},"finishReason":"STOP"}]}`)
	m, err = New(Config{APIKey: "k", BaseURL: s.URL + "/proxy/v1/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Generate(context.Background(), hello(), nil); err != nil {
		t.Fatal(err)
	}
	if got, want := s.path.Load(), "/proxy/v1/models/gemini-2.5-flash:generateContent"; got != want {
		t.Errorf("path %q, want %q", got, want)
	}
}

func TestStreamAsksForSSE(t *testing.T) {
	s := newServer(t, 200, http.Header{"Content-Type": {"text/event-stream"}},
		"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"ok\"}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}]}\r\n\r\n")
	var got []string
	resp, err := newModel(t, s.URL).Generate(context.Background(), hello(), func(d llmos.Delta) { got = append(got, d.Text) })
	if err != nil {
		t.Fatal(err)
	}
	if q := s.query.Load(); q != "alt=sse" {
		t.Errorf("query %q, want alt=sse", q)
	}
	if s.path.Load() != "/v1beta/models/gemini-2.5-flash:streamGenerateContent" {
		t.Errorf("path %q", s.path.Load())
	}
	if len(got) != 1 || got[0] != "ok" || resp.Message.Content != "ok" || resp.StopReason != "stop" {
		t.Errorf("deltas %q, response %+v", got, resp)
	}
}

func TestSplitBaseURL(t *testing.T) {
	for _, c := range []struct{ in, base, version string }{
		{"", DefaultBaseURL, "v1beta"},
		{"https://generativelanguage.googleapis.com", "https://generativelanguage.googleapis.com/", "v1beta"},
		{"https://generativelanguage.googleapis.com/v1beta/", "https://generativelanguage.googleapis.com/", "v1beta"},
		{"http://127.0.0.1:8080/gw/v1alpha", "http://127.0.0.1:8080/gw/", "v1alpha"},
		{"http://proxy/gemini", "http://proxy/gemini/", "v1beta"},
	} {
		base, version, err := googleai.SplitBaseURL(name, c.in)
		if err != nil || base != c.base || version != c.version {
			t.Errorf("splitBaseURL(%q) = %q, %q, %v; want %q, %q", c.in, base, version, err, c.base, c.version)
		}
	}
}

// A Gemini 3 reply carries ids and a thought signature on its first call; the
// next request must send both back.
func TestThoughtSignatureRoundTrip(t *testing.T) {
	s := newServer(t, 200, nil, `{
  "candidates": [{"content": {"parts": [
      {"functionCall": {"id": "fc7", "name": "calc", "args": {"expression": "2+2"}}, "thoughtSignature": "c2lnLW9uZQ=="},
      {"functionCall": {"name": "calc", "args": {"expression": "3*3"}}}
    ], "role": "model"}, "finishReason": "STOP", "index": 0}],
  "usageMetadata": {"promptTokenCount": 30, "candidatesTokenCount": 10, "thoughtsTokenCount": 90, "totalTokenCount": 130}
}`)
	m := newModel(t, s.URL)
	req := hello()
	resp, err := m.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Usage != (llmos.Usage{InputTokens: 30, OutputTokens: 100}) {
		t.Errorf("usage %+v, want thoughts counted as output", resp.Usage)
	}
	calls := resp.Message.ToolCalls
	if len(calls) != 2 || calls[0].ID != "fc7__ts_c2lnLW9uZQ" || calls[1].ID != "call_1" {
		t.Fatalf("calls %+v", calls)
	}
	req.Messages = append(req.Messages, resp.Message,
		llmos.Message{Role: llmos.RoleTool, ToolCallID: calls[0].ID, Content: "4"},
		llmos.Message{Role: llmos.RoleTool, ToolCallID: calls[1].ID, Name: "calc", Content: "no", IsError: true},
	)
	if _, err := m.Generate(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Contents []json.RawMessage `json:"contents"`
	}
	if err := json.Unmarshal(s.body.Load().([]byte), &body); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"parts":[{"text":"hi"}],"role":"user"}`,
		`{"parts":[{"functionCall":{"args":{"expression":"2+2"},"id":"fc7","name":"calc"},"thoughtSignature":"c2lnLW9uZQ=="},` +
			`{"functionCall":{"args":{"expression":"3*3"},"name":"calc"}}],"role":"model"}`,
		`{"parts":[{"functionResponse":{"id":"fc7","name":"calc","response":{"result":"4"}}},` +
			`{"functionResponse":{"name":"calc","response":{"error":"no"}}}],"role":"user"}`,
	}
	if len(body.Contents) != len(want) {
		t.Fatalf("sent %d contents, want %d: %s", len(body.Contents), len(want), s.body.Load())
	}
	for i := range want {
		if !jsonEqual(string(body.Contents[i]), want[i]) {
			t.Errorf("content %d:\n got %s\nwant %s", i, body.Contents[i], want[i])
		}
	}
}

func TestCallIDs(t *testing.T) {
	for _, c := range []struct {
		in, id, sig string
	}{
		{"call_0", "", ""},
		{"call_12__ts_c2ln", "", "sig"},
		{"fc7__ts_c2ln", "fc7", "sig"},
		{"toolu_01A", "toolu_01A", ""},
		{"call_abc", "call_abc", ""},
		{"x__ts_!!", "x__ts_!!", ""},
	} {
		id, sig := splitCallID(c.in)
		if id != c.id || string(sig) != c.sig {
			t.Errorf("splitCallID(%q) = %q, %q; want %q, %q", c.in, id, sig, c.id, c.sig)
		}
	}
}

func FuzzCallID(f *testing.F) {
	f.Add("fc7", []byte("signature"))
	f.Add("call_3", []byte{0, 255})
	f.Fuzz(func(t *testing.T, id string, sig []byte) {
		if strings.Contains(id, sigSep) {
			return
		}
		gotID, gotSig := splitCallID(joinCallID(id, sig))
		if madeUpID.MatchString(id) {
			id = ""
		}
		if gotID != id || string(gotSig) != string(sig) {
			t.Errorf("round trip of %q, %x gave %q, %x", id, sig, gotID, gotSig)
		}
	})
}

func TestReply(t *testing.T) {
	for _, c := range []struct {
		name, body, stop, content string
	}{
		{"max tokens", `{"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"finishReason":"MAX_TOKENS"}]}`, "length", "Hel"},
		{"safety", `{"candidates":[{"finishReason":"SAFETY"}]}`, "safety", ""},
		{"blocked prompt", `{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":7}}`, "prohibited_content", ""},
		{"thoughts left out", `{"candidates":[{"content":{"parts":[{"text":"hmm","thought":true},{"text":"Yes."}],"role":"model"},"finishReason":"STOP"}]}`, "stop", "Yes."},
		{"malformed call", `{"candidates":[{"finishReason":"MALFORMED_FUNCTION_CALL"}]}`, "malformed_function_call", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t, 200, nil, c.body)
			resp, err := newModel(t, s.URL).Generate(context.Background(), hello(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StopReason != c.stop || resp.Message.Content != c.content {
				t.Errorf("got %q, %q; want %q, %q", resp.StopReason, resp.Message.Content, c.stop, c.content)
			}
		})
	}
}

func TestBuildRequest(t *testing.T) {
	temp := 0.25
	req := &llmos.Request{
		Model: "m",
		Messages: []llmos.Message{
			{Role: llmos.RoleSystem, Content: "one"},
			{Role: llmos.RoleUser, Content: "q"},
			{Role: llmos.RoleSystem, Content: "two"},
			{Role: llmos.RoleAssistant, Content: "let me see", ToolCalls: []llmos.ToolCall{{ID: "call_0", Name: "f", Arguments: "not json"}}},
			{Role: llmos.RoleTool, ToolCallID: "call_0", Content: "r"},
			{Role: llmos.RoleAssistant},
			{Role: llmos.RoleUser, Content: "thanks"},
		},
		Tools:       []llmos.ToolDef{{Name: "f", Description: "d"}},
		MaxTokens:   64,
		Temperature: &temp,
	}
	contents, config, err := buildRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(map[string]any{"contents": contents, "system": config.SystemInstruction,
		"max": config.MaxOutputTokens, "temp": config.Temperature, "tools": config.Tools})
	want := `{"contents":[
		{"parts":[{"text":"q"}],"role":"user"},
		{"parts":[{"text":"let me see"},{"functionCall":{"args":{"arguments":"not json"},"name":"f"}}],"role":"model"},
		{"parts":[{"functionResponse":{"name":"f","response":{"result":"r"}}}],"role":"user"},
		{"parts":[{"text":"thanks"}],"role":"user"}],
	  "system":{"parts":[{"text":"one"},{"text":"two"}]},
	  "max":64,"temp":0.25,
	  "tools":[{"functionDeclarations":[{"description":"d","name":"f"}]}]}`
	if !jsonEqual(string(got), want) {
		t.Errorf("got %s\nwant %s", got, want)
	}

	req.Tools[0].Parameters = json.RawMessage(`{"type":`)
	if _, _, err := buildRequest(req); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("bad tool schema: %v, want invalid", err)
	}
	if _, _, err := buildRequest(&llmos.Request{Model: "m", Messages: []llmos.Message{{Role: "robot", Content: "x"}}}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("unknown role: %v, want invalid", err)
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
