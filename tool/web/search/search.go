// Package search holds what the web search backends of llmos share: the
// Result they return, the HTTP round trip to a search API with its size
// limit and error mapping, and the cleaning of titles and snippets.
//
// Each backend lives in its own package beside this one (tool/web/searxng,
// tool/web/brave, tool/web/bing) and returns []Result; package web picks
// one of them from the environment and makes it the web_search tool.
package search

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wire"
)

// Result is one hit of a web search.
type Result struct {
	Title   string `json:"title"`
	URL     string `json:"url"`
	Snippet string `json:"snippet,omitempty"`
}

// MaxReply bounds the body of a search API's reply that is read.
const MaxReply = 4 << 20

// Timeout bounds one search request when the backend is given no client.
const Timeout = 20 * time.Second

// DefaultClient is the HTTP client backends use when given none: it follows
// the environment's proxy settings and gives up after Timeout.
func DefaultClient() *http.Client { return &http.Client{Timeout: Timeout} }

// Reply is a search API's answer, read whole.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req with hc and reads the reply, whatever its status. A failure
// to get a reply becomes an error from wire.TransportError under the name
// provider; a body over MaxReply bytes is a bad_response error.
func Do(ctx context.Context, hc *http.Client, provider string, req *http.Request) (*Reply, error) {
	if hc == nil {
		hc = DefaultClient()
	}
	resp, err := hc.Do(req.WithContext(ctx))
	if err != nil {
		return nil, wire.TransportError(ctx, provider, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxReply+1))
	if err != nil {
		return nil, wire.TransportError(ctx, provider, err)
	}
	if len(body) > MaxReply {
		return nil, llmos.Errorf(llmos.CodeBadResponse, "%s sent a reply larger than %d bytes", provider, MaxReply)
	}
	return &Reply{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// OK reports whether the reply has a 2xx status.
func (r *Reply) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Clean turns a title or snippet from a search API into one line of plain
// text: tags such as <strong> removed, entities decoded, runs of white space
// and control characters made one space, and the result cut to max bytes
// (on a rune boundary, with "..." added) when max > 0.
func Clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.ContainsAny(s, "<&") {
		s = textOf(s)
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\uFEFF' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if max > 0 && len(out) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = strings.TrimSpace(out[:cut]) + "..."
	}
	return out
}

// textOf returns the text of an HTML fragment, entities decoded.
func textOf(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			if string(name) == "br" || string(name) == "p" {
				b.WriteByte(' ')
			}
		}
	}
}

// Format writes results as the compact numbered text a model reads: a
// line naming the query, then per result its number and title, with its URL
// and snippet indented on the lines below.
func Format(query string, results []Result) string {
	if len(results) == 0 {
		return fmt.Sprintf("No results for %q.", query)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Results for %q:\n", query)
	for i, r := range results {
		title := r.Title
		if title == "" {
			title = "(no title)"
		}
		fmt.Fprintf(&b, "\n%d. %s\n   %s\n", i+1, title, r.URL)
		if r.Snippet != "" {
			fmt.Fprintf(&b, "   %s\n", r.Snippet)
		}
	}
	return b.String()
}

// Count clamps a requested number of results to 1..max, with def for zero
// or less.
func Count(n, def, max int) int {
	if n <= 0 {
		n = def
	}
	return min(n, max)
}

// Tidy drops results whose URL is not http or https and repeated URLs, and
// keeps the first n.
func Tidy(rs []Result, n int) []Result {
	out := make([]Result, 0, min(len(rs), n))
	seen := map[string]bool{}
	for _, r := range rs {
		if len(out) == n {
			break
		}
		u := strings.TrimSpace(r.URL)
		lower := strings.ToLower(u)
		if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") || seen[u] {
			continue
		}
		seen[u] = true
		r.URL = u
		out = append(out, r)
	}
	return out
}
