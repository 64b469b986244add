package ollama

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/embed/embedtest"
)

func TestConformance(t *testing.T) {
	embedtest.Run(t, embedtest.Harness{
		Provider: "ollama",
		New: func(baseURL, key string) (embedtest.Embedder, error) {
			return New(Config{Model: "test-model", Host: baseURL, APIKey: key})
		},
	})
}

func TestModelNotPulled(t *testing.T) {
	raw, err := os.ReadFile("testdata/wire/not_found.http")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(raw), "\r\n\r\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		w.Write([]byte(body))
	}))
	defer srv.Close()
	e, _ := New(Config{Host: srv.URL})
	_, err = e.Embed(context.Background(), []string{"x"})
	if llmos.ErrorCode(err) != llmos.CodeNotFound || !strings.Contains(err.Error(), "try pulling it") {
		t.Errorf("error %v, want not_found that says to pull the model", err)
	}
}

func TestBatches(t *testing.T) {
	var batches []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/embed" {
			http.NotFound(w, r)
			return
		}
		var req request
		json.NewDecoder(r.Body).Decode(&req)
		batches = append(batches, len(req.Input))
		var out [][]float64
		for _, s := range req.Input {
			var n float64
			fmt.Sscan(s, &n)
			out = append(out, []float64{n, 1})
		}
		json.NewEncoder(w).Encode(map[string]any{"model": req.Model, "embeddings": out})
	}))
	defer srv.Close()
	e, err := New(Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if e.Dim() != 0 || e.Name() != "ollama:nomic-embed-text" {
		t.Errorf("before a call: Dim %d Name %q", e.Dim(), e.Name())
	}
	texts := make([]string, 300)
	for i := range texts {
		texts[i] = fmt.Sprint(i + 1)
	}
	vecs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vecs {
		if got := v[0] / v[1]; got < float32(i)+0.5 || got > float32(i)+1.5 {
			t.Fatalf("vector %d is for text %v", i, got)
		}
	}
	if fmt.Sprint(batches) != "[128 128 44]" {
		t.Errorf("batches %v", batches)
	}
	if e.Dim() != 2 {
		t.Errorf("Dim = %d after a reply, want 2", e.Dim())
	}
}

func TestHostURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                       DefaultHost,
		"0.0.0.0":                "http://0.0.0.0:11434",
		"myhost:8080":            "http://myhost:8080",
		"http://10.0.0.2:11434/": "http://10.0.0.2:11434",
		"https://ollama.example": "https://ollama.example",
		"[::1]":                  "http://[::1]:11434",
	} {
		if got, err := hostURL(in); err != nil || got != want {
			t.Errorf("hostURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := hostURL("ftp://x"); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("ftp: %v", err)
	}
}
