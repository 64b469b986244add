package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/tool/web/bing"
	"github.com/llmos/llmos/tool/web/brave"
	"github.com/llmos/llmos/tool/web/searxng"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestNewSearch(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string // backend name, or the error's text
		code llmos.Code
	}{
		{map[string]string{"SEARXNG_URL": "http://localhost:8888"}, "searxng", ""},
		{map[string]string{"BRAVE_API_KEY": "k"}, "brave", ""},
		{map[string]string{"BING_API_KEY": "k"}, "bing", ""},
		{map[string]string{"BRAVE_API_KEY": "k", "BING_API_KEY": "k", "SEARXNG_URL": "http://s"}, "searxng", ""},
		{map[string]string{"BRAVE_API_KEY": "k", "BING_API_KEY": "k"}, "brave", ""},
		{map[string]string{"LLMOS_SEARCH": "bing", "BRAVE_API_KEY": "k", "BING_API_KEY": "k"}, "bing", ""},
		{map[string]string{"LLMOS_SEARCH": " Brave ", "BRAVE_API_KEY": "k", "SEARXNG_URL": "http://s"}, "brave", ""},
		{map[string]string{}, "set SEARXNG_URL", llmos.CodeUnauthenticated},
		{map[string]string{"BRAVE_API_KEY": "  "}, "set SEARXNG_URL", llmos.CodeUnauthenticated},
		{map[string]string{"LLMOS_SEARCH": "brave", "BING_API_KEY": "k"}, "LLMOS_SEARCH=brave needs BRAVE_API_KEY", llmos.CodeUnauthenticated},
		{map[string]string{"LLMOS_SEARCH": "searxng"}, "needs SEARXNG_URL", llmos.CodeUnauthenticated},
		{map[string]string{"LLMOS_SEARCH": "bing"}, "needs BING_API_KEY", llmos.CodeUnauthenticated},
		{map[string]string{"LLMOS_SEARCH": "google", "BRAVE_API_KEY": "k"}, "searxng, brave, bing", llmos.CodeInvalid},
		{map[string]string{"SEARXNG_URL": "localhost:8888"}, "SEARXNG_URL must be", llmos.CodeInvalid},
	} {
		s, err := NewSearch(env(tc.env))
		if tc.code == "" {
			if err != nil || s.Name() != tc.want {
				t.Errorf("%v: %v, %v; want %s", tc.env, s, err, tc.want)
			}
			continue
		}
		if llmos.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (%s); want %s: %q", tc.env, err, llmos.ErrorCode(err), tc.code, tc.want)
		}
	}
	s, _ := NewSearch(env(map[string]string{"BING_API_KEY": "k", "BING_ENDPOINT": "https://eu.example/bing"}))
	if b := s.(*bing.Client); b.BaseURL != "https://eu.example/bing" {
		t.Errorf("BING_ENDPOINT ignored: %q", b.BaseURL)
	}
	var _ Searcher = (*brave.Client)(nil)
	var _ Searcher = (*searxng.Client)(nil)
}

// syscalls registers Tools in a kernel syscall table, which also checks
// their schemas.
func syscalls(t *testing.T, getenv func(string) string, cfg Config) *kernel.Syscalls {
	t.Helper()
	sc := kernel.NewSyscalls()
	for _, tool := range Tools(getenv, cfg) {
		if tool.Source != llmos.SourceWeb || len(tool.Capabilities) != 1 || tool.Capabilities[0] != "net" {
			t.Errorf("%s: source %q, capabilities %v", tool.Name, tool.Source, tool.Capabilities)
		}
		if err := sc.Register(tool); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(sc.Names(), ","); got != "web_fetch,web_search" {
		t.Fatalf("tools %s", got)
	}
	return sc
}

func call(sc *kernel.Syscalls, caps []string, name, args string) llmos.Message {
	return sc.Dispatch(context.Background(), caps, llmos.ToolCall{ID: "1", Name: name, Arguments: args}, 10*time.Second)
}

func TestWebSearchTool(t *testing.T) {
	fixture, err := os.ReadFile("searxng/testdata/results.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(fixture)
	}))
	defer srv.Close()
	sc := syscalls(t, env(map[string]string{"SEARXNG_URL": srv.URL}), Config{})

	msg := call(sc, []string{"net"}, "web_search", `{"query": "golang", "count": 2}`)
	if msg.IsError {
		t.Fatal(msg.Content)
	}
	want := "Results for \"golang\":\n\n1. The Go Programming Language\n   https://go.dev/\n   Go is an open source programming language that makes it simple to build secure, scalable systems.\n\n" +
		"2. Go (programming language) - Wikipedia\n   https://en.wikipedia.org/wiki/Go_(programming_language)\n"
	if !strings.HasPrefix(msg.Content, want) || strings.Contains(msg.Content, "3. ") {
		t.Errorf("content:\n%s", msg.Content)
	}
	if msg.Label.Trusted() || msg.Label.Sources[0] != llmos.SourceWeb {
		t.Errorf("label %+v", msg.Label)
	}
	if msg := call(sc, nil, "web_search", `{"query": "golang"}`); !msg.IsError || !strings.Contains(msg.Content, `capability "net"`) {
		t.Errorf("without net: %+v", msg)
	}
	for _, bad := range []string{`{}`, `{"query": ""}`, `{"query": "x", "count": 50}`, `{"query": "x", "extra": 1}`} {
		if msg := call(sc, []string{"net"}, "web_search", bad); !msg.IsError {
			t.Errorf("%s accepted", bad)
		}
	}
	if msg := call(sc, []string{"net"}, "web_search", `{"query": "   "}`); !msg.IsError || !strings.Contains(msg.Content, "needs a query") {
		t.Errorf("blank query: %+v", msg)
	}
}

func TestWebSearchNotConfigured(t *testing.T) {
	sc := syscalls(t, env(nil), Config{})
	msg := call(sc, []string{"net"}, "web_search", `{"query": "golang"}`)
	if !msg.IsError || !strings.Contains(msg.Content, "web search is not configured: set SEARXNG_URL") ||
		!strings.Contains(msg.Content, "BRAVE_API_KEY") || !strings.Contains(msg.Content, "BING_API_KEY") {
		t.Errorf("%+v", msg)
	}
}

func TestWebFetchTool(t *testing.T) {
	text := strings.Repeat("é", 600) // 1200 bytes
	n, _ := publicSite(t, "site.test", pages(map[string]string{"/long.txt": text}))
	n.host("evil.test", "127.0.0.1")
	sc := kernel.NewSyscalls()
	for _, tool := range Tools(env(nil), Config{Resolver: n, Dial: n.dial}) {
		if err := sc.Register(tool); err != nil {
			t.Fatal(err)
		}
	}
	msg := call(sc, []string{"net"}, "web_fetch", `{"url": "http://site.test/long.txt", "max_chars": 501}`)
	if msg.IsError {
		t.Fatal(msg.Content)
	}
	if msg.Label.Trusted() {
		t.Errorf("the page is trusted: %+v", msg.Label)
	}
	head := "URL: http://site.test/long.txt\nContent-Type: text/plain\n\n" + strings.Repeat("é", 250) +
		"\n\n[Bytes 0 to 500 of 1200. To read on, call web_fetch with offset 500.]"
	if msg.Content != head {
		t.Errorf("first part:\n%s", msg.Content)
	}
	// An offset inside a character starts at that character.
	msg = call(sc, []string{"net"}, "web_fetch", `{"url": "http://site.test/long.txt", "offset": 1001, "max_chars": 500}`)
	if !strings.HasSuffix(msg.Content, "\n\n"+strings.Repeat("é", 100)+"\n\n[Bytes 1000 to 1200 of 1200.]") {
		t.Errorf("last part:\n%s", msg.Content)
	}
	msg = call(sc, []string{"net"}, "web_fetch", `{"url": "http://site.test/long.txt", "offset": 5000}`)
	if !strings.Contains(msg.Content, "past the end") {
		t.Errorf("past the end:\n%s", msg.Content)
	}
	msg = call(sc, []string{"net"}, "web_fetch", `{"url": "http://evil.test/"}`)
	if !msg.IsError || !strings.Contains(msg.Content, "evil.test resolves to 127.0.0.1") {
		t.Errorf("evil.test: %+v", msg)
	}
	if msg := call(sc, []string{"fs"}, "web_fetch", `{"url": "http://site.test/long.txt"}`); !msg.IsError {
		t.Errorf("fetched without net")
	}
	for _, d := range n.dialed() {
		if d != publicIP+":80" {
			t.Errorf("dialed %s", d)
		}
	}
}

func ExampleFormatPage() {
	p := &Page{URL: "https://example.com/", Title: "Example", ContentType: "text/html", Markdown: "# Example\n\nHello."}
	fmt.Println(FormatPage(p, 0, 0))
	// Output:
	// URL: https://example.com/
	// Title: Example
	// Content-Type: text/html
	//
	// # Example
	//
	// Hello.
}
