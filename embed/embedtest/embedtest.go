// Package embedtest is the conformance suite every remote embedder passes
// (embed/openai, embed/gemini, embed/ollama). It serves recorded replies in the
// provider's own wire format from an httptest server and checks that the
// adapter turns them into the same vectors and the same errors.
//
// An adapter keeps its fixtures in testdata/wire: for each scenario S, S.http
// is the raw HTTP response the provider's server would send (status line,
// headers, blank line, body), and S.request.json is the golden request the
// adapter must send, rewritten by `go test -embedtest.update`. The fixtures
// must decode to the values fixed here:
//
//   - batch: the three vectors RawVectors for the three Texts, in any order
//     the API allows (OpenAI's carry an index); usage, if any, is ignored;
//   - wrong_count: two vectors for three texts;
//   - ragged: vectors of different lengths;
//   - malformed: a 200 reply that is not valid JSON;
//   - unauthorized: the provider's reply to a bad key;
//   - rate_limited: a 429 asking to wait 7 seconds;
//   - server_error: a 500.
//
// The suite also checks what needs no fixture: no texts make no request, an
// empty text is refused before sending, a reset connection is unavailable,
// and a cancelled call returns promptly with code canceled.
package embedtest

import (
	"context"
	"flag"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wiretest"
)

// The flag has its own name so that a test binary may also import
// providertest, whose flag is -update.
var update = flag.Bool("embedtest.update", false, "rewrite the golden request files in testdata/wire")

// Embedder is the interface under test; it is embed.Embedder, declared again
// here so that adapters' own tests can use the suite without an import cycle.
type Embedder interface {
	Name() string
	Dim() int
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Harness tells the suite how to make the embedder under test.
type Harness struct {
	// Provider is the provider's name as errors should name it ("openai").
	Provider string
	// New returns an embedder that sends its requests to baseURL with key,
	// for a model whose dimension it does not know beforehand.
	New func(baseURL, key string) (Embedder, error)
	// Dir is the folder of fixtures; testdata/wire when empty.
	Dir string
}

// Key is the API key the suite gives to New; the adapter must send it.
const Key = "sk-test-0123456789"

// Texts are embedded in the batch scenario, in this order.
var Texts = []string{
	"The cat sat on the mat.",
	"Quarterly revenue grew by twelve percent.",
	"Lisbon is the capital of Portugal.",
}

// RawVectors are the vectors the batch fixtures hold for Texts, before
// normalisation; the embedder must return them normalised.
var RawVectors = [][]float32{
	{0.3, 0.4, 0, 0, 0},
	{0, 0, 1, 0, 0},
	{0.1, -0.2, 0.2, 0.4, -0.4},
}

// WantDim is the dimension of RawVectors.
const WantDim = 5

// WantRetry is the wait the rate_limited fixture asks for.
const WantRetry = 7 * time.Second

// Run runs the whole suite against the embedder h makes.
func Run(t *testing.T, h Harness) {
	if h.Dir == "" {
		h.Dir = filepath.Join("testdata", "wire")
	}
	t.Run("batch", func(t *testing.T) {
		srv, rec := h.serve(t, "batch")
		e := h.embedder(t, srv.URL)
		if e.Name() == "" {
			t.Errorf("Name is empty")
		}
		got, err := e.Embed(context.Background(), Texts)
		if err != nil {
			t.Fatalf("Embed: %v", err)
		}
		checkVectors(t, got)
		if d := e.Dim(); d != WantDim {
			t.Errorf("Dim after a reply = %d, want %d", d, WantDim)
		}
		h.checkRequest(t, "batch", rec)
	})
	for _, c := range []struct {
		scenario string
		code     llmos.Code
		msg      string
	}{
		{"unauthorized", llmos.CodeUnauthenticated, "key rejected for " + h.Provider},
		{"rate_limited", llmos.CodeRateLimited, ""},
		{"server_error", llmos.CodeUnavailable, ""},
		{"malformed", llmos.CodeBadResponse, ""},
		{"wrong_count", llmos.CodeBadResponse, ""},
		{"ragged", llmos.CodeBadResponse, ""},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			srv, _ := h.serve(t, c.scenario)
			e := h.embedder(t, srv.URL)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			vecs, err := e.Embed(ctx, Texts)
			if err == nil {
				t.Fatalf("Embed succeeded with %d vectors, want an error", len(vecs))
			}
			if got := llmos.ErrorCode(err); got != c.code {
				t.Fatalf("error %q has code %q, want %q", err, got, c.code)
			}
			if c.msg != "" && !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not say %q", err, c.msg)
			}
			if c.code == llmos.CodeRateLimited {
				if got := llmos.RetryAfterOf(err); got != WantRetry {
					t.Errorf("RetryAfter = %v, want %v", got, WantRetry)
				}
			}
			if strings.Contains(err.Error(), Key) {
				t.Errorf("error %q shows the key", err)
			}
		})
	}
	t.Run("no_texts", func(t *testing.T) {
		srv, hits := never(t)
		e := h.embedder(t, srv.URL)
		for _, in := range [][]string{nil, {}} {
			got, err := e.Embed(context.Background(), in)
			if err != nil || len(got) != 0 {
				t.Errorf("Embed(%#v) = %d vectors, %v; want none and no error", in, len(got), err)
			}
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("%d requests sent for no texts", n)
		}
	})
	t.Run("empty_text", func(t *testing.T) {
		srv, hits := never(t)
		e := h.embedder(t, srv.URL)
		_, err := e.Embed(context.Background(), []string{"fine", ""})
		if got := llmos.ErrorCode(err); got != llmos.CodeInvalid {
			t.Errorf("error %v has code %q, want %q", err, got, llmos.CodeInvalid)
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("%d requests sent with an empty text", n)
		}
	})
	t.Run("connection_reset", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0)
				}
				conn.Close()
			}
		}))
		defer srv.Close()
		e := h.embedder(t, srv.URL)
		_, err := e.Embed(context.Background(), Texts)
		if got := llmos.ErrorCode(err); got != llmos.CodeUnavailable {
			t.Fatalf("error %v has code %q, want %q", err, got, llmos.CodeUnavailable)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		e := h.embedder(t, srv.URL)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := e.Embed(ctx, Texts)
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("cancelled call returned after %v", took)
		}
		if got := llmos.ErrorCode(err); got != llmos.CodeCanceled {
			t.Errorf("error %v has code %q, want %q", err, got, llmos.CodeCanceled)
		}
	})
	t.Run("cancelled_before", func(t *testing.T) {
		srv, hits := never(t)
		e := h.embedder(t, srv.URL)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := e.Embed(ctx, Texts)
		if got := llmos.ErrorCode(err); got != llmos.CodeCanceled {
			t.Errorf("error %v has code %q, want %q", err, got, llmos.CodeCanceled)
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("%d requests sent with a cancelled context", n)
		}
	})
}

func (h Harness) embedder(t *testing.T, url string) Embedder {
	t.Helper()
	e, err := h.New(url, Key)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// never starts a server that fails the test if it gets a request.
func never(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, `{"error":"unexpected request"}`, http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// checkVectors compares got with RawVectors normalised.
func checkVectors(t *testing.T, got [][]float32) {
	t.Helper()
	if len(got) != len(RawVectors) {
		t.Fatalf("got %d vectors, want %d", len(got), len(RawVectors))
	}
	for i, raw := range RawVectors {
		var norm float64
		for _, x := range raw {
			norm += float64(x) * float64(x)
		}
		norm = math.Sqrt(norm)
		if len(got[i]) != len(raw) {
			t.Errorf("vector %d has %d dimensions, want %d", i, len(got[i]), len(raw))
			continue
		}
		for j, x := range raw {
			if want := float64(x) / norm; math.Abs(float64(got[i][j])-want) > 1e-6 {
				t.Errorf("vector %d = %v, want %v normalised", i, got[i], raw)
				break
			}
		}
	}
}

// serve starts a server replaying the fixture of a scenario and recording the
// request it gets.
func (h Harness) serve(t *testing.T, scenario string) (*httptest.Server, *wiretest.Request) {
	t.Helper()
	return wiretest.Serve(t, filepath.Join(h.Dir, scenario+".http"))
}

// checkRequest checks that the key was sent and compares the request with its
// golden file.
func (h Harness) checkRequest(t *testing.T, scenario string, rec *wiretest.Request) {
	t.Helper()
	rec.Check(t, filepath.Join(h.Dir, scenario+".request.json"), Key, *update, "embedtest.update")
}
