package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/tool/web/search"
)

// Capability is the capability both tools need.
const Capability = "net"

// DefaultMaxChars and LimitMaxChars bound the text web_fetch returns in one
// call; a longer page is read on with offset.
const (
	DefaultMaxChars = 20000
	LimitMaxChars   = 100000
)

const searchSchema = `{
  "type": "object",
  "properties": {
    "query": {"type": "string", "minLength": 1, "maxLength": 400, "description": "What to search the web for."},
    "count": {"type": "integer", "minimum": 1, "maximum": 10, "description": "How many results to return (default 5)."}
  },
  "required": ["query"],
  "additionalProperties": false
}`

const fetchSchema = `{
  "type": "object",
  "properties": {
    "url": {"type": "string", "minLength": 1, "maxLength": 8192, "description": "The http or https URL of the page."},
    "offset": {"type": "integer", "minimum": 0, "description": "Where to start in the page's text, in bytes: the offset a previous, cut result gave (default 0)."},
    "max_chars": {"type": "integer", "minimum": 500, "maximum": 100000, "description": "The most text to return, in bytes (default 20000)."}
  },
  "required": ["url"],
  "additionalProperties": false
}`

// Tools returns the browser driver's syscalls, web_search and web_fetch,
// both needing the capability "net" and labelling their results as coming
// from the web (untrusted). web_search uses the backend NewSearch picks from
// getenv; if none is configured the tool is still there, and each call
// fails with the advice of what to set. web_fetch uses a Fetcher with cfg.
func Tools(getenv func(string) string, cfg Config) []llmos.Tool {
	s, serr := NewSearch(getenv)
	f := NewFetcher(cfg)
	return []llmos.Tool{
		{
			ToolDef: llmos.ToolDef{
				Name: "web_search",
				Description: "Search the web. Returns a numbered list of results, each a title, a URL and a snippet. " +
					"Use web_fetch to read a result. Results are untrusted text from the web.",
				Parameters: json.RawMessage(searchSchema),
			},
			Capabilities: []string{Capability},
			Source:       llmos.SourceWeb,
			Call: func(ctx context.Context, args json.RawMessage) (string, error) {
				var a struct {
					Query string `json:"query"`
					Count int    `json:"count"`
				}
				if err := json.Unmarshal(args, &a); err != nil {
					return "", llmos.Wrap(err, llmos.CodeInvalid, `web_search expects {"query": "...", "count": 5}`)
				}
				if serr != nil {
					return "", serr
				}
				q := strings.TrimSpace(a.Query)
				if q == "" {
					return "", llmos.Errorf(llmos.CodeInvalid, "web_search needs a query")
				}
				rs, err := s.Search(ctx, q, search.Count(a.Count, 5, 10))
				if err != nil {
					return "", err
				}
				return search.Format(q, rs), nil
			},
		},
		{
			ToolDef: llmos.ToolDef{
				Name: "web_fetch",
				Description: "Fetch a public web page by URL and return its main text as Markdown (HTML), or as it is (text, JSON). " +
					"Long pages come in parts: call again with the offset given. Pages that robots.txt closes, " +
					"private and local addresses, and other content types are refused. The text is untrusted.",
				Parameters: json.RawMessage(fetchSchema),
			},
			Capabilities: []string{Capability},
			Source:       llmos.SourceWeb,
			Call: func(ctx context.Context, args json.RawMessage) (string, error) {
				var a struct {
					URL      string `json:"url"`
					Offset   int    `json:"offset"`
					MaxChars int    `json:"max_chars"`
				}
				if err := json.Unmarshal(args, &a); err != nil {
					return "", llmos.Wrap(err, llmos.CodeInvalid, `web_fetch expects {"url": "https://..."}`)
				}
				page, err := f.Fetch(ctx, a.URL)
				if err != nil {
					return "", err
				}
				return FormatPage(page, a.Offset, a.MaxChars), nil
			},
		},
	}
}

// FormatPage writes the part of a page a model reads in one call: a header
// with its URL and title, then up to maxChars bytes of its text from
// offset (cut on character boundaries), and a note saying how to read on
// when there is more, or that the page was larger than the fetch limit.
func FormatPage(p *Page, offset, maxChars int) string {
	if maxChars <= 0 {
		maxChars = DefaultMaxChars
	}
	maxChars = min(maxChars, LimitMaxChars)
	text := p.Markdown
	total := len(text)
	offset = max(0, min(offset, total))
	for offset > 0 && offset < total && !utf8.RuneStart(text[offset]) {
		offset--
	}
	end := min(total, offset+maxChars)
	for end < total && end > offset && !utf8.RuneStart(text[end]) {
		end--
	}
	var b strings.Builder
	fmt.Fprintf(&b, "URL: %s\n", p.URL)
	if p.Title != "" {
		fmt.Fprintf(&b, "Title: %s\n", p.Title)
	}
	fmt.Fprintf(&b, "Content-Type: %s\n\n", p.ContentType)
	switch {
	case total == 0:
		b.WriteString("(the page has no readable text)")
	case offset >= total:
		fmt.Fprintf(&b, "(the offset %d is past the end of the text, which has %d bytes)", offset, total)
	default:
		b.WriteString(text[offset:end])
	}
	if end < total || offset > 0 {
		fmt.Fprintf(&b, "\n\n[Bytes %d to %d of %d.", offset, end, total)
		if end < total {
			fmt.Fprintf(&b, " To read on, call web_fetch with offset %d.", end)
		}
		b.WriteString("]")
	}
	if p.Truncated {
		b.WriteString("\n\n[The page was larger than the fetch limit; only its first part was read.]")
	}
	return b.String()
}
