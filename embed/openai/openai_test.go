package openai

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/embed/embedtest"
)

func TestConformance(t *testing.T) {
	embedtest.Run(t, embedtest.Harness{
		Provider: "openai",
		New: func(baseURL, key string) (embedtest.Embedder, error) {
			return New(Config{Model: "test-model", BaseURL: baseURL, APIKey: key})
		},
	})
}

// fake answers each request with vectors whose first component is the
// number in the text, in reverse order with an index, and records batch
// sizes.
type fake struct {
	mu      sync.Mutex
	batches []int
	base64  bool
	noIndex bool
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Input      []string `json:"input"`
		Model      string   `json:"model"`
		Dimensions int      `json:"dimensions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	f.mu.Lock()
	f.batches = append(f.batches, len(req.Input))
	f.mu.Unlock()
	type item struct {
		Index     *int `json:"index,omitempty"`
		Embedding any  `json:"embedding"`
	}
	var data []item
	for i := len(req.Input) - 1; i >= 0; i-- {
		n, _ := strconv.Atoi(req.Input[i])
		v := []float32{float32(n), 1}
		it := item{Index: &i, Embedding: v}
		if f.base64 {
			b := make([]byte, 8)
			binary.LittleEndian.PutUint32(b, math.Float32bits(v[0]))
			binary.LittleEndian.PutUint32(b[4:], math.Float32bits(v[1]))
			it.Embedding = base64.StdEncoding.EncodeToString(b)
		}
		if f.noIndex {
			it.Index = nil
		}
		data = append(data, it)
	}
	if f.noIndex {
		for i, j := 0, len(data)-1; i < j; i, j = i+1, j-1 {
			data[i], data[j] = data[j], data[i]
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model})
}

func numbers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i + 1)
	}
	return out
}

func checkOrder(t *testing.T, vecs [][]float32, n int) {
	t.Helper()
	if len(vecs) != n {
		t.Fatalf("got %d vectors, want %d", len(vecs), n)
	}
	for i, v := range vecs {
		// v is (i+1, 1) normalised: v[0]/v[1] = i+1.
		if got := math.Round(float64(v[0] / v[1])); got != float64(i+1) {
			t.Fatalf("vector %d is for text %v", i, got)
		}
		if norm := math.Hypot(float64(v[0]), float64(v[1])); math.Abs(norm-1) > 1e-5 {
			t.Fatalf("vector %d has norm %v", i, norm)
		}
	}
}

func TestBatchesAndOrder(t *testing.T) {
	f := &fake{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	e, err := New(Config{Model: "m", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	vecs, err := e.Embed(context.Background(), numbers(5000))
	if err != nil {
		t.Fatal(err)
	}
	checkOrder(t, vecs, 5000)
	if fmt.Sprint(f.batches) != "[2048 2048 904]" {
		t.Errorf("batches %v, want [2048 2048 904]", f.batches)
	}
	if e.Dim() != 2 {
		t.Errorf("Dim = %d, want 2 learned from the reply", e.Dim())
	}
}

func TestByteBudget(t *testing.T) {
	f := &fake{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	e, _ := New(Config{Model: "m", BaseURL: srv.URL})
	texts := make([]string, 7)
	for i := range texts {
		// 100,000 bytes each, starting with the number: three fit a request.
		s := strconv.Itoa(i+1) + " "
		texts[i] = s + string(make([]byte, 100_000-len(s)))
		b := []byte(texts[i])
		for j := len(s); j < len(b); j++ {
			b[j] = 'x'
		}
		texts[i] = string(b)
	}
	if _, err := e.Embed(context.Background(), texts); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(f.batches) != "[3 3 1]" {
		t.Errorf("batches %v, want [3 3 1]", f.batches)
	}
}

func TestBase64AndNoIndex(t *testing.T) {
	for _, f := range []*fake{{base64: true}, {noIndex: true}} {
		srv := httptest.NewServer(f)
		e, _ := New(Config{Model: "m", BaseURL: srv.URL})
		vecs, err := e.Embed(context.Background(), numbers(10))
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		checkOrder(t, vecs, 10)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, body := range []string{
		`{"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[1]}]}`,
		`{"data":[{"index":0,"embedding":[1]},{"index":5,"embedding":[1]}]}`,
		`{"data":[{"index":0,"embedding":[1]},{"embedding":[1]}]}`,
		`{"data":[{"index":0,"embedding":null},{"index":1,"embedding":[1]}]}`,
		`{"data":[{"index":0,"embedding":"!!"},{"index":1,"embedding":[1]}]}`,
		`{"object":"list"}`,
		`[]`,
	} {
		_, err := decode("openai", []byte(body), 2)
		if llmos.ErrorCode(err) != llmos.CodeBadResponse {
			t.Errorf("decode(%s) = %v, want bad_response", body, err)
		}
	}
}

func TestNameAndDims(t *testing.T) {
	e, err := New(Config{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Name() != "openai:text-embedding-3-small" || e.Dim() != 1536 {
		t.Errorf("default: %s %d", e.Name(), e.Dim())
	}
	e, _ = New(Config{Model: "text-embedding-3-large", Dimensions: 256, APIKey: "k"})
	if e.Name() != "openai:text-embedding-3-large@256" || e.Dim() != 256 {
		t.Errorf("reduced: %s %d", e.Name(), e.Dim())
	}
	if _, err := New(Config{BaseURL: "ftp://x"}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("bad base URL: %v", err)
	}
}

func TestDimensionsSentAndChecked(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&got)
		w.Write([]byte(`{"data":[{"index":0,"embedding":[1,2,3]}]}`))
	}))
	defer srv.Close()
	e, _ := New(Config{Model: "m", Dimensions: 4, BaseURL: srv.URL})
	_, err := e.Embed(context.Background(), []string{"x"})
	if got["dimensions"] != float64(4) {
		t.Errorf("request %v does not ask for 4 dimensions", got)
	}
	if llmos.ErrorCode(err) != llmos.CodeBadResponse {
		t.Errorf("3 dimensions for 4: %v, want bad_response", err)
	}
}
