package target

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/redteam"
)

// Template describes the HTTP request of the http target, as read from a
// JSON file (--http-template):
//
//	{
//	  "method": "POST",
//	  "url": "https://api.example.com/v1/chat",
//	  "headers": {"Authorization": "Bearer ${EXAMPLE_API_KEY}"},
//	  "body": {"messages": [{"role": "system", "content": "{{system}}"},
//	                        {"role": "user", "content": "{{prompt}}"}]},
//	  "reply": "choices[0].message.content"
//	}
//
// In the body, {{prompt}} is replaced by the prompt (documents appended as
// quoted material) and {{system}} by the system prompt, both JSON-escaped
// without quotes, so they belong inside a JSON string. When the template
// has no {{system}} the system text opens the prompt instead, as for the
// command target. ${VAR} in the URL and the headers is read from the
// environment, so keys stay out of the file. Body may be a JSON value or a
// string holding any text.
type Template struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
	// Reply is the path to the reply's text in the JSON answer (see
	// ParsePath); empty for the whole body as text.
	Reply string `json:"reply"`
}

// HTTP is a target that is any HTTP API, through a Template.
type HTTP struct {
	method  string
	url     string
	headers http.Header
	body    string
	system  bool
	reply   Path
	raw     bool
	// Client makes the requests; one with a 2 minute timeout when nil.
	Client *http.Client
}

// LoadTemplate reads a Template from a JSON file.
func LoadTemplate(path string) (Template, error) {
	var t Template
	b, err := os.ReadFile(path)
	if err != nil {
		return t, llmos.Errorf(llmos.CodeNotFound, "cannot read the HTTP template %s: %v", path, errors.Unwrap(err))
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, llmos.Errorf(llmos.CodeInvalid, "the HTTP template %s is not valid JSON: %v", path, err)
	}
	return t, nil
}

// NewHTTP checks t and returns a target for it; getenv expands ${VAR} in
// the URL and headers.
func NewHTTP(t Template, getenv func(string) string) (*HTTP, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	h := &HTTP{method: strings.ToUpper(t.Method), url: os.Expand(t.URL, getenv), headers: http.Header{}}
	if h.method == "" {
		h.method = http.MethodPost
	}
	if !strings.HasPrefix(h.url, "http://") && !strings.HasPrefix(h.url, "https://") {
		return nil, llmos.Errorf(llmos.CodeInvalid, "the HTTP template needs an http:// or https:// url")
	}
	for k, v := range t.Headers {
		h.headers.Set(k, os.Expand(v, getenv))
	}
	if len(bytes.TrimSpace(t.Body)) > 0 {
		var s string
		if json.Unmarshal(t.Body, &s) == nil {
			h.body = s
		} else {
			h.body = string(t.Body)
			if h.headers.Get("Content-Type") == "" {
				h.headers.Set("Content-Type", "application/json")
			}
		}
	}
	if h.body != "" && !strings.Contains(h.body, "{{prompt}}") {
		return nil, llmos.Errorf(llmos.CodeInvalid, "the HTTP template's body has no {{prompt}}")
	}
	h.system = strings.Contains(h.body, "{{system}}")
	var err error
	if h.reply, err = ParsePath(t.Reply); err != nil {
		return nil, err
	}
	h.raw = t.Reply == ""
	return h, nil
}

// Name implements redteam.Target.
func (h *HTTP) Name() string { return "http" }

// Send implements redteam.Target: one request from the template. A status
// of 429 is rate_limited (with Retry-After), 5xx unavailable, any other
// non-2xx status bad_response, as is an answer without the reply path.
func (h *HTTP) Send(ctx context.Context, req redteam.Request) (redteam.Reply, error) {
	prompt := WithDocuments(req.Prompt, req.Documents)
	if !h.system {
		prompt = WithSystem(req)
	}
	body := strings.NewReplacer("{{prompt}}", jsonEscape(prompt), "{{system}}", jsonEscape(req.System)).Replace(h.body)
	hr, err := http.NewRequestWithContext(ctx, h.method, h.url, strings.NewReader(body))
	if err != nil {
		return redteam.Reply{}, llmos.Errorf(llmos.CodeInvalid, "the HTTP template's request is invalid")
	}
	hr.Header = h.headers.Clone()
	client := h.Client
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	resp, err := client.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return redteam.Reply{}, llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "cancelled")
		}
		return redteam.Reply{}, llmos.Wrap(err, llmos.CodeUnavailable, "the HTTP target did not answer")
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return redteam.Reply{}, llmos.Wrap(err, llmos.CodeUnavailable, "the HTTP target's answer was cut short")
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e := llmos.Errorf(llmos.CodeRateLimited, "the HTTP target is rate limiting (429)")
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return redteam.Reply{}, e
	case resp.StatusCode >= 500:
		return redteam.Reply{}, llmos.Errorf(llmos.CodeUnavailable, "the HTTP target answered %d", resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return redteam.Reply{}, llmos.Errorf(llmos.CodeBadResponse, "the HTTP target answered %d", resp.StatusCode)
	}
	if h.raw {
		return redteam.Reply{Text: string(b)}, nil
	}
	text, err := h.reply.Eval(b)
	if err != nil {
		return redteam.Reply{}, err
	}
	return redteam.Reply{Text: text}, nil
}

// jsonEscape is s as the inside of a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
