package bing

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

const key = "0123456789abcdef0123456789abcdef"

func serve(t *testing.T, status int, fixture string, header http.Header) *Client {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil && fixture != "" {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v7.0/search" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("Ocp-Apim-Subscription-Key"); got != key {
			t.Errorf("Ocp-Apim-Subscription-Key = %q", got)
		}
		if r.URL.Query().Get("q") != "golang" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	// The endpoint is given as a base, the way BING_ENDPOINT usually is.
	return &Client{Key: key, BaseURL: srv.URL + "/", HTTP: srv.Client()}
}

func TestSearch(t *testing.T) {
	c := serve(t, 200, "results.json", nil)
	rs, err := c.Search(context.Background(), "golang", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[1].Title != "Go (programming language) - Wikipedia" ||
		rs[1].URL != "https://en.wikipedia.org/wiki/Go_(programming_language)" || !strings.HasPrefix(rs[1].Snippet, "Go is a statically typed") {
		t.Errorf("results %+v", rs)
	}
}

func TestSearchURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                                    Endpoint,
		"https://api.bing.microsoft.com":      Endpoint,
		"https://api.bing.microsoft.com/":     Endpoint,
		"https://api.bing.microsoft.com/v7.0": Endpoint,
		Endpoint:                              Endpoint,
		"https://example.cognitiveservices.azure.com/bing/v7.0/search": "https://example.cognitiveservices.azure.com/bing/v7.0/search",
	} {
		if got := SearchURL(in); got != want {
			t.Errorf("SearchURL(%q) = %q, want %q", in, got, want)
		}
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
		{"access denied", 401, "access_denied.json", nil, llmos.CodeUnauthenticated, "key rejected for bing (HTTP 401): Access denied", 0},
		{"forbidden", 403, "access_denied.json", nil, llmos.CodeUnauthenticated, "key rejected for bing", 0},
		{"rate limited", 429, "rate_limited.json", http.Header{"Retry-After": {"1"}}, llmos.CodeRateLimited, "Rate limit is exceeded", time.Second},
		{"invalid request", 400, "invalid_request.json", nil, llmos.CodeInvalid, "Required parameter is missing", 0},
		{"server error", 500, "server_error.json", nil, llmos.CodeUnavailable, "bing failed (HTTP 500)", 0},
		{"unavailable", 503, "", nil, llmos.CodeUnavailable, "HTTP 503", 0},
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
		w.Write([]byte(`<html>not json</html>`))
	}))
	defer srv.Close()
	c := New(key, srv.URL)
	if _, err := c.Search(context.Background(), "golang", 5); llmos.ErrorCode(err) != llmos.CodeBadResponse {
		t.Errorf("HTML instead of JSON: %v (%s)", err, llmos.ErrorCode(err))
	}
}

func TestNoKey(t *testing.T) {
	_, err := New("", "").Search(context.Background(), "golang", 5)
	if llmos.ErrorCode(err) != llmos.CodeUnauthenticated || !strings.Contains(err.Error(), "BING_API_KEY") {
		t.Errorf("no key: %v", err)
	}
}
