// Package brave is the web search backend for the Brave Search API
// (GET https://api.search.brave.com/res/v1/web/search?q=..., with the key in
// the X-Subscription-Token header; the key comes from BRAVE_API_KEY).
package brave

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wire"
	"github.com/llmos/llmos/tool/web/search"
)

// Endpoint is the Brave web search API.
const Endpoint = "https://api.search.brave.com/res/v1/web/search"

// MaxResults is the most results one search returns (the API's own limit).
const MaxResults = 20

// Client searches with the Brave Search API.
type Client struct {
	// Key is the subscription token. It is sent only in its header and
	// never appears in an error.
	Key string
	// BaseURL replaces Endpoint when set (tests, proxies).
	BaseURL string
	// HTTP sends the requests; search.DefaultClient() when nil.
	HTTP *http.Client
}

// New returns a client that uses key.
func New(key string) *Client { return &Client{Key: key} }

// Name is "brave".
func (c *Client) Name() string { return "brave" }

// reply is the part of Brave's JSON reply that is read.
type reply struct {
	Web struct {
		Results []struct {
			Title       string `json:"title"`
			URL         string `json:"url"`
			Description string `json:"description"`
		} `json:"results"`
	} `json:"web"`
}

// errorReply is Brave's error body:
// {"type":"ErrorResponse","error":{"code":"...","detail":"...","status":422}}.
type errorReply struct {
	Error struct {
		Code   string `json:"code"`
		Detail string `json:"detail"`
		Status int    `json:"status"`
	} `json:"error"`
}

// Search asks Brave for query and returns up to count web results
// (default 5, at most MaxResults).
func (c *Client) Search(ctx context.Context, query string, count int) ([]search.Result, error) {
	if c.Key == "" {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "no key for brave: set BRAVE_API_KEY")
	}
	count = search.Count(count, 5, MaxResults)
	endpoint := Endpoint
	if c.BaseURL != "" {
		endpoint = c.BaseURL
	}
	q := url.Values{"q": {query}, "count": {strconv.Itoa(count)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?"+q.Encode(), nil)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInvalid, "the brave endpoint is not a usable URL")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Subscription-Token", c.Key)
	rep, err := search.Do(ctx, c.HTTP, "brave", req)
	if err != nil {
		return nil, err
	}
	if !rep.OK() {
		return nil, statusError(rep)
	}
	var r reply
	if err := json.Unmarshal(rep.Body, &r); err != nil {
		return nil, wire.Malformed("brave", err)
	}
	var out []search.Result
	for _, x := range r.Web.Results {
		out = append(out, search.Result{
			Title:   search.Clean(x.Title, 200),
			URL:     x.URL,
			Snippet: search.Clean(x.Description, 400),
		})
	}
	return search.Tidy(out, count), nil
}

// statusError maps an error reply. Brave answers a bad token with 401, or
// with 422 and the code SUBSCRIPTION_TOKEN_INVALID; both say the key was
// rejected. A 429 without Retry-After waits for the reset of the exhausted
// window in X-RateLimit-Reset.
func statusError(rep *search.Reply) error {
	var er errorReply
	_ = json.Unmarshal(rep.Body, &er)
	status := rep.Status
	if strings.Contains(er.Error.Code, "TOKEN_INVALID") {
		status = http.StatusUnauthorized
	}
	e := wire.StatusError("brave", status, rep.Header, search.Clean(er.Error.Detail, 200))
	if e.Code == llmos.CodeRateLimited && e.RetryAfter == 0 {
		e.RetryAfter = resetAfter(rep.Header.Get("X-RateLimit-Remaining"), rep.Header.Get("X-RateLimit-Reset"))
	}
	return e
}

// resetAfter reads the rate-limit headers: X-RateLimit-Reset "1, 1419704"
// gives the seconds until each of the plan's windows (per second, per
// month) resets, and X-RateLimit-Remaining "0, 9000" what is left in each.
// The wait is the longest reset among the windows that are used up, or the
// first window's when none says so.
func resetAfter(remaining, reset string) time.Duration {
	resets := numbers(reset)
	left := numbers(remaining)
	wait := -1
	for i, r := range resets {
		if i < len(left) && left[i] == 0 && r > wait {
			wait = r
		}
	}
	if wait < 0 && len(resets) > 0 {
		wait = resets[0]
	}
	if wait < 0 {
		return 0
	}
	return time.Duration(wait) * time.Second
}

// numbers parses a comma-separated list of counts; a bad entry is -1.
func numbers(v string) []int {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			n = -1
		}
		out = append(out, n)
	}
	return out
}
