package searxng

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmos/llmos"
)

func serve(t *testing.T, status int, fixture, contentType string, header http.Header) *Client {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		body = []byte(fixture) // a literal body
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/searx/search" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if q := r.URL.Query(); q.Get("q") != "golang" || q.Get("format") != "json" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL + "/searx/")
	if err != nil {
		t.Fatal(err)
	}
	c.HTTP = srv.Client()
	return c
}

func TestSearch(t *testing.T) {
	c := serve(t, 200, "results.json", "application/json", nil)
	rs, err := c.Search(context.Background(), "golang", 10)
	if err != nil {
		t.Fatal(err)
	}
	// The duplicate of go.dev and the javascript: URL are dropped.
	if len(rs) != 3 {
		t.Fatalf("got %d results: %+v", len(rs), rs)
	}
	if rs[0].URL != "https://go.dev/" || rs[1].Title != "Go (programming language) - Wikipedia" || rs[2].URL != "https://github.com/golang/go" {
		t.Errorf("results %+v", rs)
	}
	if !strings.Contains(rs[1].Snippet, "syntax & the efficiency") {
		t.Errorf("entities not decoded: %q", rs[1].Snippet)
	}
	if rs, _ := c.Search(context.Background(), "golang", 2); len(rs) != 2 {
		t.Errorf("count 2 gave %d", len(rs))
	}
}

func TestEmpty(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := os.ReadFile("testdata/empty.json")
		w.Write(b)
	}))
	defer srv.Close()
	c, _ := New(srv.URL)
	rs, err := c.Search(context.Background(), "zxqvvy unfindable", 5)
	if err != nil || len(rs) != 0 {
		t.Errorf("%v, %v", rs, err)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		ctype  string
		header http.Header
		code   llmos.Code
		msg    string
		retry  time.Duration
	}{
		// SearXNG answers 403 when format=json is not among search.formats.
		{"json disabled", 403, "403 Forbidden", "text/plain", nil, llmos.CodeDenied, "search.formats", 0},
		{"limiter", 429, "Too Many Requests", "text/plain", http.Header{"Retry-After": {"10"}}, llmos.CodeRateLimited, "searxng is rate limiting us (HTTP 429): Too Many Requests", 10 * time.Second},
		{"server error page", 500, "<!DOCTYPE html><html><head><style>body{}</style></head><body>Internal Server Error</body></html>", "text/html", nil, llmos.CodeUnavailable, "searxng failed (HTTP 500)", 0},
		{"bad gateway", 502, "", "text/plain", nil, llmos.CodeUnavailable, "HTTP 502", 0},
		{"malformed", 200, `{"results": [{"url": 5}]}`, "application/json", nil, llmos.CodeBadResponse, "malformed", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, tc.status, tc.body, tc.ctype, tc.header)
			_, err := c.Search(context.Background(), "golang", 5)
			if llmos.ErrorCode(err) != tc.code {
				t.Fatalf("code %q (%v), want %q", llmos.ErrorCode(err), err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q lacks %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), "style") {
				t.Errorf("message shows the error page: %q", err)
			}
			if got := llmos.RetryAfterOf(err); got != tc.retry {
				t.Errorf("RetryAfter %v, want %v", got, tc.retry)
			}
		})
	}
}

func TestNew(t *testing.T) {
	for _, bad := range []string{"", "localhost:8888", "ftp://x", "http://", "::"} {
		if _, err := New(bad); llmos.ErrorCode(err) != llmos.CodeInvalid {
			t.Errorf("New(%q): %v", bad, err)
		}
	}
	if _, err := New("http://localhost:8888"); err != nil {
		t.Error(err)
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there now
	c, _ := New(base)
	_, err := c.Search(context.Background(), "golang", 5)
	if llmos.ErrorCode(err) != llmos.CodeUnavailable || !strings.Contains(err.Error(), "cannot reach searxng") {
		t.Errorf("closed server: %v (%s)", err, llmos.ErrorCode(err))
	}
}
