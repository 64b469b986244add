package embed

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/llmos/llmos"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestOpen(t *testing.T) {
	for _, c := range []struct {
		name    string
		getenv  func(string) string
		want    string
		wantDim int
	}{
		{"", nil, "offline:hash-v1-384", 384},
		{"offline", env(), "offline:hash-v1-384", 384},
		{"offline:512", env(), "offline:hash-v1-512", 512},
		{"offline:hash-v1-256", env(), "offline:hash-v1-256", 256},
		{"openai:text-embedding-3-small", env("OPENAI_API_KEY", "sk-x"), "openai:text-embedding-3-small", 1536},
		{"openai", env("OPENAI_API_KEY", "sk-x"), "openai:text-embedding-3-small", 1536},
		{"openai:text-embedding-3-large@256", env("OPENAI_API_KEY", "sk-x"), "openai:text-embedding-3-large@256", 256},
		{"openai:bge-m3", env("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"), "openai:bge-m3", 0},
		{"gemini:gemini-embedding-001", env("GEMINI_API_KEY", "k"), "gemini:gemini-embedding-001", 3072},
		{"gemini:text-embedding-004", env("GOOGLE_API_KEY", "k"), "gemini:text-embedding-004", 768},
		{"ollama:nomic-embed-text", env(), "ollama:nomic-embed-text", 0},
		{"ollama:all-minilm:33m", env("OLLAMA_HOST", "0.0.0.0:11434"), "ollama:all-minilm:33m", 0},
	} {
		e, err := Open(c.name, c.getenv)
		if err != nil {
			t.Errorf("Open(%q): %v", c.name, err)
			continue
		}
		if e.Name() != c.want || e.Dim() != c.wantDim {
			t.Errorf("Open(%q) = %s with %d dimensions, want %s with %d", c.name, e.Name(), e.Dim(), c.want, c.wantDim)
		}
		// The name opens the same embedder again.
		again, err := Open(e.Name(), c.getenv)
		if err != nil || again.Name() != e.Name() {
			t.Errorf("Open(%q) does not round-trip: %v", e.Name(), err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		code llmos.Code
		says string
	}{
		{"cohere:embed-v3", llmos.CodeInvalid, "unknown embedder provider"},
		{"openai:text-embedding-3-small", llmos.CodeUnauthenticated, "no API key for openai: set OPENAI_API_KEY"},
		{"gemini:gemini-embedding-001", llmos.CodeUnauthenticated, "no API key for gemini: set GEMINI_API_KEY"},
		{"offline:hash-v0-384", llmos.CodeInvalid, "rebuild the index"},
		{"offline:7", llmos.CodeInvalid, "dimension"},
		{"offline:big", llmos.CodeInvalid, "dimension"},
		{"openai:m@x", llmos.CodeInvalid, "dimensions"},
	} {
		_, err := Open(c.name, env())
		if llmos.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.says) {
			t.Errorf("Open(%q) = %v, want %s saying %q", c.name, err, c.code, c.says)
		}
	}
}

func TestDimensionAndCosine(t *testing.T) {
	e, _ := Open("offline", nil)
	d, err := Dimension(context.Background(), e)
	if err != nil || d != 384 {
		t.Errorf("Dimension = %d, %v", d, err)
	}
	vecs, _ := e.Embed(context.Background(), []string{"I bought a car", "She purchased a vehicle", "the weather is cold"})
	if a, b := Cosine(vecs[0], vecs[1]), Cosine(vecs[0], vecs[2]); a <= b {
		t.Errorf("paraphrase %.3f is not above unrelated %.3f", a, b)
	}
	if c := Cosine([]float32{3, 4}, []float32{6, 8}); math.Abs(float64(c)-1) > 1e-6 {
		t.Errorf("Cosine of parallel vectors = %v", c)
	}
	if c := Cosine([]float32{0, 0}, []float32{1, 0}); c != 0 {
		t.Errorf("Cosine with zero = %v", c)
	}
}
