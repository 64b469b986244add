// Package searxng is the web search backend for a SearXNG instance, through
// its JSON API (GET {base}/search?q=...&format=json). The instance must have
// "json" among the search.formats of its settings.yml; otherwise it answers
// 403, which this package reports as such.
package searxng

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wire"
	"github.com/llmos/llmos/tool/web/search"
)

// MaxResults is the most results one search returns.
const MaxResults = 20

// Client searches one SearXNG instance.
type Client struct {
	// BaseURL is the instance's address, such as http://localhost:8888.
	BaseURL string
	// HTTP sends the requests; search.DefaultClient() when nil.
	HTTP *http.Client
}

// New returns a client of the instance at baseURL, which must be an
// absolute http or https URL.
func New(baseURL string) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "SEARXNG_URL must be an http or https URL such as http://localhost:8888, got %q", baseURL)
	}
	return &Client{BaseURL: u.String()}, nil
}

// Name is "searxng".
func (c *Client) Name() string { return "searxng" }

// reply is the part of SearXNG's JSON reply that is read.
type reply struct {
	Results []struct {
		URL     string `json:"url"`
		Title   string `json:"title"`
		Content string `json:"content"`
	} `json:"results"`
}

// Search asks the instance for query and returns up to count results
// (default 5, at most MaxResults), in its order.
func (c *Client) Search(ctx context.Context, query string, count int) ([]search.Result, error) {
	count = search.Count(count, 5, MaxResults)
	base := strings.TrimRight(c.BaseURL, "/")
	q := url.Values{"q": {query}, "format": {"json"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/search?"+q.Encode(), nil)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInvalid, "SEARXNG_URL is not a usable URL")
	}
	req.Header.Set("Accept", "application/json")
	rep, err := search.Do(ctx, c.HTTP, "searxng", req)
	if err != nil {
		return nil, err
	}
	if !rep.OK() {
		return nil, statusError(rep)
	}
	var r reply
	if err := json.Unmarshal(rep.Body, &r); err != nil {
		return nil, wire.Malformed("searxng", err)
	}
	var out []search.Result
	for _, x := range r.Results {
		out = append(out, search.Result{
			Title:   search.Clean(x.Title, 200),
			URL:     x.URL,
			Snippet: search.Clean(x.Content, 400),
		})
	}
	return search.Tidy(out, count), nil
}

// statusError maps an error reply. SearXNG has no key: a 403 means the JSON
// format is turned off on the instance.
func statusError(rep *search.Reply) error {
	if rep.Status == http.StatusForbidden {
		return llmos.Errorf(llmos.CodeDenied, "the SearXNG instance refused the JSON API (HTTP 403): add json to search.formats in its settings.yml")
	}
	return wire.StatusError("searxng", rep.Status, rep.Header, detail(rep.Body))
}

// detail is a short text from an error reply: SearXNG answers errors in
// plain text, or in HTML pages whose text is not worth showing.
func detail(body []byte) string {
	s := strings.TrimSpace(string(body))
	if strings.HasPrefix(s, "<") {
		return ""
	}
	return search.Clean(s, 200)
}
