// Package wiretest serves recorded HTTP responses to adapters under test and
// checks the requests they send against golden files: the machinery shared by
// the conformance suites of remote APIs (provider/providertest,
// embed/embedtest).
//
// A fixture is a raw HTTP response: status line, headers, a blank line, the
// body. A golden request is the method, path and JSON body the adapter sent,
// indented, so that a change to what we send shows up as a diff.
package wiretest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
)

// Serve starts a server that answers every request with the fixture in
// file, written line by line and flushed as a streaming server would, and
// records the last request it got.
func Serve(t *testing.T, file string) (*httptest.Server, *Request) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	rec := &Request{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.set(r, body)
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), r)
		if err != nil {
			t.Errorf("fixture %s: %v", file, err)
			w.WriteHeader(599)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			if k != "Content-Length" && k != "Transfer-Encoding" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(resp.StatusCode)
		lines := bufio.NewReader(resp.Body)
		for {
			line, err := lines.ReadString('\n')
			w.Write([]byte(line))
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			if err != nil {
				break
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

// Request is the request a fixture server got.
type Request struct {
	mu     sync.Mutex
	method string
	path   string
	header http.Header
	query  string
	body   []byte
}

func (r *Request) set(req *http.Request, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.method, r.path, r.header, r.query, r.body = req.Method, req.URL.Path, req.Header.Clone(), req.URL.RawQuery, body
}

// Check checks that key was sent, in a header or the query, and compares the
// request with the golden file; with update set it rewrites the file.
// flag names the test flag that sets update, for the message.
func (r *Request) Check(t *testing.T, golden, key string, update bool, flag string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	sent := strings.Contains(r.query, key)
	for _, vs := range r.header {
		for _, v := range vs {
			sent = sent || strings.Contains(v, key)
		}
	}
	if !sent {
		t.Errorf("the API key was not sent in a header or the query")
	}
	var body any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("request body is not JSON: %v\n%s", err, r.body)
	}
	got, _ := json.MarshalIndent(map[string]any{"method": r.method, "path": r.path, "body": body}, "", "  ")
	got = append(got, '\n')
	if update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("golden request: %v (run go test -%s to write it)", err, flag)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("request differs from %s (go test -%s rewrites it):\n got: %s\nwant: %s", golden, flag, got, want)
	}
}
