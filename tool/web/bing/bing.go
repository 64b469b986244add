// Package bing is the web search backend for the Bing Web Search API v7
// (GET https://api.bing.microsoft.com/v7.0/search?q=..., with the key in
// the Ocp-Apim-Subscription-Key header; the key comes from BING_API_KEY and
// another endpoint, such as a regional one, from BING_ENDPOINT).
package bing

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wire"
	"github.com/llmos/llmos/tool/web/search"
)

// Endpoint is the Bing web search API.
const Endpoint = "https://api.bing.microsoft.com/v7.0/search"

// MaxResults is the most results one search returns.
const MaxResults = 50

// Client searches with the Bing Web Search API.
type Client struct {
	// Key is the subscription key. It is sent only in its header and never
	// appears in an error.
	Key string
	// BaseURL replaces Endpoint when set; see SearchURL.
	BaseURL string
	// HTTP sends the requests; search.DefaultClient() when nil.
	HTTP *http.Client
}

// New returns a client that uses key and, when endpoint is not empty, that
// endpoint instead of Endpoint.
func New(key, endpoint string) *Client { return &Client{Key: key, BaseURL: endpoint} }

// Name is "bing".
func (c *Client) Name() string { return "bing" }

// SearchURL is the URL searched for a base: the base itself when it ends in
// /search, base/search when it ends in /v7.0, and base/v7.0/search
// otherwise; so both https://api.bing.microsoft.com and the full URL work.
func SearchURL(base string) string {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	switch {
	case base == "":
		return Endpoint
	case strings.HasSuffix(base, "/search"):
		return base
	case strings.HasSuffix(base, "/v7.0"):
		return base + "/search"
	}
	return base + "/v7.0/search"
}

// reply is the part of Bing's JSON reply that is read.
type reply struct {
	WebPages struct {
		Value []struct {
			Name    string `json:"name"`
			URL     string `json:"url"`
			Snippet string `json:"snippet"`
		} `json:"value"`
	} `json:"webPages"`
}

// errorReply covers Bing's two error bodies: the API's own
// {"_type":"ErrorResponse","errors":[{"code","message"}]} and the gateway's
// {"error":{"code":"401","message":"Access denied ..."}}.
type errorReply struct {
	Errors []struct {
		Code    string `json:"code"`
		SubCode string `json:"subCode"`
		Message string `json:"message"`
	} `json:"errors"`
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Search asks Bing for query and returns up to count web pages (default 5,
// at most MaxResults).
func (c *Client) Search(ctx context.Context, query string, count int) ([]search.Result, error) {
	if c.Key == "" {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "no key for bing: set BING_API_KEY")
	}
	count = search.Count(count, 5, MaxResults)
	q := url.Values{"q": {query}, "count": {strconv.Itoa(count)}, "responseFilter": {"Webpages"}, "textDecorations": {"false"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, SearchURL(c.BaseURL)+"?"+q.Encode(), nil)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInvalid, "BING_ENDPOINT is not a usable URL")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Ocp-Apim-Subscription-Key", c.Key)
	rep, err := search.Do(ctx, c.HTTP, "bing", req)
	if err != nil {
		return nil, err
	}
	if !rep.OK() {
		return nil, statusError(rep)
	}
	var r reply
	if err := json.Unmarshal(rep.Body, &r); err != nil {
		return nil, wire.Malformed("bing", err)
	}
	var out []search.Result
	for _, x := range r.WebPages.Value {
		out = append(out, search.Result{
			Title:   search.Clean(x.Name, 200),
			URL:     x.URL,
			Snippet: search.Clean(x.Snippet, 400),
		})
	}
	return search.Tidy(out, count), nil
}

// statusError maps an error reply, with Bing's message as the detail.
func statusError(rep *search.Reply) error {
	var er errorReply
	_ = json.Unmarshal(rep.Body, &er)
	msg := er.Error.Message
	if len(er.Errors) > 0 {
		msg = er.Errors[0].Message
	}
	return wire.StatusError("bing", rep.Status, rep.Header, search.Clean(msg, 200))
}
