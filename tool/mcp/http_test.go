package mcp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llmos/llmos"
)

// swappable serves the current handler, which a test can replace to make
// the server forget its sessions, as a restarted server does.
type swappable struct{ h atomic.Pointer[http.Handler] }

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }

func (s *swappable) restart() {
	var h http.Handler = sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return testServer() }, nil)
	s.h.Store(&h)
}

func TestHTTP(t *testing.T) {
	const token = "Bearer t0ken-secret"
	sw := &swappable{}
	sw.restart()
	var requests atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Header.Get("Authorization") != token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		sw.ServeHTTP(w, r)
	}))
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log, logs := testLogger()

	_, err := connect(ctx, "web", Server{URL: ts.URL}, log)
	if llmos.ErrorCode(err) != llmos.CodeUnavailable {
		t.Errorf("without the header: %v", err)
	}

	c, err := connect(ctx, "web", Server{URL: ts.URL, Headers: map[string]string{"Authorization": token}}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, err := c.Tools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tools := byName(t, list)
	if out, err := call(t, tools["mcp.web.echo"], `{"text":"over http"}`, 10*time.Second); err != nil || out != "over http" {
		t.Errorf("echo: %q, %v", out, err)
	}
	if _, err := call(t, tools["mcp.web.slow"], `{"seconds":5}`, 200*time.Millisecond); llmos.ErrorCode(err) != llmos.CodeUnavailable {
		t.Errorf("slow: %v", err)
	}

	// The server restarts and forgets the session: one call fails, the next
	// opens a new session.
	sw.restart()
	var out string
	for range 3 {
		out, err = call(t, tools["mcp.web.echo"], `{"text":"again"}`, 10*time.Second)
		if err == nil {
			break
		}
		t.Logf("after the restart: %v", err)
	}
	if err != nil || out != "again" {
		t.Errorf("echo after the restart: %q, %v", out, err)
	}

	// The server goes away: an error, not a panic.
	ts.Close()
	if _, err := call(t, tools["mcp.web.echo"], `{"text":"gone"}`, 10*time.Second); err == nil {
		t.Error("a call to a closed server succeeded")
	}
	if strings.Contains(logs.String(), "t0ken-secret") {
		t.Error("the log holds the token")
	}
}

func TestHeaderTransport(t *testing.T) {
	var got []string
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.URL.Host+":"+r.Header.Get("Authorization"))
		return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
	})
	ht := &headerTransport{base: base, url: "https://mcp.example.com/mcp", headers: map[string]string{"Authorization": "Bearer x"}}
	for _, u := range []string{"https://mcp.example.com/mcp", "https://evil.example.net/steal"} {
		req, _ := http.NewRequest(http.MethodPost, u, nil)
		if _, err := ht.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if req.Header.Get("Authorization") != "" {
			t.Error("the caller's request was modified")
		}
	}
	if got[0] != "mcp.example.com:Bearer x" || got[1] != "evil.example.net:" {
		t.Errorf("headers sent: %q", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
