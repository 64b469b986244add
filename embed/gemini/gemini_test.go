package gemini

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/embed/embedtest"
)

func TestConformance(t *testing.T) {
	embedtest.Run(t, embedtest.Harness{
		Provider: "gemini",
		New: func(baseURL, key string) (embedtest.Embedder, error) {
			return New(Config{Model: "test-model", BaseURL: baseURL, APIKey: key})
		},
	})
}

func TestBatchesAndDimensions(t *testing.T) {
	var mu sync.Mutex
	var batches []int
	var paths []string
	var dims []any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Requests []map[string]any `json:"requests"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		batches = append(batches, len(req.Requests))
		paths = append(paths, r.URL.Path)
		dims = append(dims, req.Requests[0]["outputDimensionality"])
		mu.Unlock()
		var out []map[string]any
		for _, rq := range req.Requests {
			text := rq["content"].(map[string]any)["parts"].([]any)[0].(map[string]any)["text"].(string)
			var n float64
			fmt.Sscan(text, &n)
			out = append(out, map[string]any{"values": []float64{n, 1, 0}})
		}
		json.NewEncoder(w).Encode(map[string]any{"embeddings": out})
	}))
	defer srv.Close()
	e, err := New(Config{Model: "models/m", Dimensions: 3, BaseURL: srv.URL + "/v1", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Name() != "gemini:m@3" || e.Dim() != 3 {
		t.Errorf("Name %q Dim %d", e.Name(), e.Dim())
	}
	texts := make([]string, 250)
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
	if fmt.Sprint(batches) != "[100 100 50]" {
		t.Errorf("batches %v", batches)
	}
	if paths[0] != "/v1/models/m:batchEmbedContents" {
		t.Errorf("path %q", paths[0])
	}
	if dims[0] != float64(3) {
		t.Errorf("outputDimensionality %v, want 3", dims[0])
	}
}

func TestNew(t *testing.T) {
	if _, err := New(Config{}); llmos.ErrorCode(err) != llmos.CodeUnauthenticated || !strings.Contains(err.Error(), "GEMINI_API_KEY") {
		t.Errorf("no key: %v", err)
	}
	if _, err := New(Config{APIKey: "k", BaseURL: "nohost"}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("bad URL: %v", err)
	}
	e, err := New(Config{APIKey: "k"})
	if err != nil || e.Name() != "gemini:gemini-embedding-001" || e.Dim() != 3072 {
		t.Errorf("default: %v %v", e, err)
	}
}
