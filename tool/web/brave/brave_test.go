package brave

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

const key = "BSA-test-key-123"

// serve answers every request with the fixture and status, after checking
// the request looks like one to Brave's web search.
func serve(t *testing.T, status int, fixture string, header http.Header) *Client {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil && fixture != "" {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/res/v1/web/search" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("X-Subscription-Token"); got != key {
			t.Errorf("X-Subscription-Token = %q", got)
		}
		if r.URL.Query().Get("q") != "golang" || r.URL.Query().Get("count") == "" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return &Client{Key: key, BaseURL: srv.URL + "/res/v1/web/search", HTTP: srv.Client()}
}

func TestSearch(t *testing.T) {
	c := serve(t, 200, "results.json", nil)
	rs, err := c.Search(context.Background(), "golang", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("got %d results: %+v", len(rs), rs)
	}
	if rs[0].Title != "The Go Programming Language" || rs[0].URL != "https://go.dev/" {
		t.Errorf("first result %+v", rs[0])
	}
	if want := "Go is an open source programming language that makes it simple to build secure, scalable systems."; rs[0].Snippet != want {
		t.Errorf("snippet %q, want the <strong> tags removed: %q", rs[0].Snippet, want)
	}
	if rs, _ := c.Search(context.Background(), "golang", 1); len(rs) != 1 {
		t.Errorf("count 1 gave %d results", len(rs))
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		fixture string
		header  http.Header
		code    llmos.Code
		msg     string
		retry   time.Duration
	}{
		{"unauthorized", 401, "token_invalid.json", nil, llmos.CodeUnauthenticated, "key rejected for brave", 0},
		{"token invalid as 422", 422, "token_invalid.json", nil, llmos.CodeUnauthenticated, "key rejected for brave", 0},
		{"forbidden", 403, "", nil, llmos.CodeUnauthenticated, "key rejected for brave", 0},
		{"rate limited, retry-after", 429, "rate_limited.json", http.Header{"Retry-After": {"3"}}, llmos.CodeRateLimited, "rate limiting", 3 * time.Second},
		{"rate limited, per-second window", 429, "rate_limited.json",
			http.Header{"X-Ratelimit-Reset": {"1, 1419704"}, "X-Ratelimit-Remaining": {"0, 1882"}}, llmos.CodeRateLimited, "Request rate limit exceeded", time.Second},
		{"rate limited, monthly quota", 429, "rate_limited.json",
			http.Header{"X-Ratelimit-Reset": {"1, 86400"}, "X-Ratelimit-Remaining": {"0, 0"}}, llmos.CodeRateLimited, "rate limiting", 24 * time.Hour},
		{"validation", 422, "validation.json", nil, llmos.CodeInvalid, "Unable to validate", 0},
		{"server error", 500, "", nil, llmos.CodeUnavailable, "brave failed (HTTP 500)", 0},
		{"bad gateway", 502, "", nil, llmos.CodeUnavailable, "HTTP 502", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, tc.status, tc.fixture, tc.header)
			_, err := c.Search(context.Background(), "golang", 5)
			if llmos.ErrorCode(err) != tc.code {
				t.Fatalf("code %q (%v), want %q", llmos.ErrorCode(err), err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q lacks %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("message shows the key: %q", err)
			}
			if got := llmos.RetryAfterOf(err); got != tc.retry {
				t.Errorf("RetryAfter %v, want %v", got, tc.retry)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"web": {"results": [`))
	}))
	defer srv.Close()
	c := &Client{Key: key, BaseURL: srv.URL}
	if _, err := c.Search(context.Background(), "golang", 5); llmos.ErrorCode(err) != llmos.CodeBadResponse {
		t.Errorf("truncated JSON: %v (%s)", err, llmos.ErrorCode(err))
	}
}

func TestNoKey(t *testing.T) {
	_, err := New("").Search(context.Background(), "golang", 5)
	if llmos.ErrorCode(err) != llmos.CodeUnauthenticated || !strings.Contains(err.Error(), "BRAVE_API_KEY") {
		t.Errorf("no key: %v", err)
	}
}

func TestCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	c := &Client{Key: key, BaseURL: srv.URL}
	start := time.Now()
	_, err := c.Search(ctx, "golang", 5)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled search: %v after %v", err, time.Since(start))
	}
}
