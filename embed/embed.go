package embed

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/embed/gemini"
	"github.com/llmos/llmos/embed/offline"
	"github.com/llmos/llmos/embed/ollama"
	"github.com/llmos/llmos/embed/openai"
)

// Embedder turns texts into vectors of a fixed dimension.
type Embedder interface {
	// Name identifies the model and its settings, such as
	// "offline:hash-v1-384" or "openai:text-embedding-3-small". Open accepts
	// it back. A change of Name or Dim means an index must be rebuilt.
	Name() string
	// Dim is the length of every vector. A remote embedder whose model it does
	// not know returns 0 until its first successful Embed; see Dimension.
	Dim() int
	// Embed returns one vector per text, in the order of texts, each
	// L2-normalised, so that a dot product is a cosine similarity. No texts
	// give no vectors and no request. Errors are *llmos.Error with a code.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Offline is the name of the default embedder, used when the name is empty.
const Offline = "offline"

// Open returns the embedder with the name, reading keys and addresses
// through getenv:
//
//   - "" or "offline": the offline embedder with its default dimension;
//     "offline:N" or its full name "offline:hash-v1-N" for N dimensions;
//   - "openai:MODEL": OPENAI_API_KEY, and OPENAI_BASE_URL for a compatible
//     server (which may need no key);
//   - "gemini:MODEL": GEMINI_API_KEY (or GOOGLE_API_KEY), GEMINI_BASE_URL;
//   - "ollama:MODEL": OLLAMA_HOST (default http://127.0.0.1:11434), and
//     OLLAMA_API_KEY when the server wants one.
//
// A provider named without a model gets its default one
// (text-embedding-3-small, gemini-embedding-001, nomic-embed-text), and
// "MODEL@N" asks a model that can shorten its vectors for N dimensions. Every
// embedder's Name opens the same embedder again. An
// unknown provider is an invalid error; a missing key is unauthenticated and
// says what to set. Open makes no request.
func Open(name string, getenv func(string) string) (Embedder, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	name = strings.TrimSpace(name)
	if name == "" || name == Offline {
		return offline.New(offline.DefaultDim), nil
	}
	prov, model, _ := strings.Cut(name, ":")
	model = strings.TrimSpace(model)
	if prov == Offline {
		return openOffline(name, model)
	}
	// A remote model may carry "@N", asking for N dimensions, as its Name
	// shows it.
	dims := 0
	if i := strings.LastIndex(model, "@"); i >= 0 {
		n, err := strconv.Atoi(model[i+1:])
		if err != nil || n <= 0 {
			return nil, llmos.Errorf(llmos.CodeInvalid, "embedder %q: after @ comes a number of dimensions, as %s:MODEL@256", name, prov)
		}
		model, dims = model[:i], n
	}
	switch prov {
	case "openai":
		base := getenv("OPENAI_BASE_URL")
		key := getenv("OPENAI_API_KEY")
		if key == "" && base == "" {
			return nil, noKey(prov, "OPENAI_API_KEY")
		}
		return openai.New(openai.Config{Model: model, Dimensions: dims, BaseURL: base, APIKey: key})
	case "gemini":
		key := getenv("GEMINI_API_KEY")
		if key == "" {
			key = getenv("GOOGLE_API_KEY")
		}
		if key == "" {
			return nil, noKey(prov, "GEMINI_API_KEY")
		}
		return gemini.New(gemini.Config{Model: model, Dimensions: dims, BaseURL: getenv("GEMINI_BASE_URL"), APIKey: key})
	case "ollama":
		return ollama.New(ollama.Config{Model: model, Dimensions: dims, Host: getenv("OLLAMA_HOST"), APIKey: getenv("OLLAMA_API_KEY")})
	}
	return nil, llmos.Errorf(llmos.CodeInvalid, "unknown embedder provider %q in %q: use one of %s, as provider:model (e.g. openai:text-embedding-3-small), or offline",
		prov, name, strings.Join(Names(), ", "))
}

// Names lists the embedder providers Open knows.
func Names() []string {
	return []string{"gemini", Offline, "ollama", "openai"}
}

func noKey(prov, v string) error {
	return llmos.Errorf(llmos.CodeUnauthenticated, "no API key for %s: set %s", prov, v)
}

// openOffline reads "offline:N" and "offline:hash-vV-N".
func openOffline(name, spec string) (Embedder, error) {
	dims := spec
	if i := strings.LastIndex(spec, "-"); i >= 0 {
		// The full name, hash-v1-384.
		if spec[:i] != offline.Version {
			return nil, llmos.Errorf(llmos.CodeInvalid, "embedder %q is not this build's offline embedder (%s-N): rebuild the index with %q",
				name, offline.Version, Offline)
		}
		dims = spec[i+1:]
	}
	n, err := strconv.Atoi(dims)
	if err != nil || n < offline.MinDim || n > offline.MaxDim {
		return nil, llmos.Errorf(llmos.CodeInvalid, "embedder %q: the offline dimension must be a number from %d to %d, as offline:%d",
			name, offline.MinDim, offline.MaxDim, offline.DefaultDim)
	}
	return offline.New(n), nil
}

// Dimension returns e.Dim(), first embedding a short probe text when e does
// not know its dimension yet (a remote model missing from its table).
func Dimension(ctx context.Context, e Embedder) (int, error) {
	if d := e.Dim(); d > 0 {
		return d, nil
	}
	vecs, err := e.Embed(ctx, []string{"dimension probe"})
	if err != nil {
		return 0, err
	}
	if len(vecs) != 1 || len(vecs[0]) == 0 {
		return 0, llmos.Errorf(llmos.CodeBadResponse, "%s returned no vector for a probe", e.Name())
	}
	return len(vecs[0]), nil
}

// Cosine returns the cosine similarity of a and b: their dot product divided
// by both norms, 0 when either is all zeros. For the normalised vectors an
// Embedder returns it is their dot product. It panics if the lengths differ.
func Cosine(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("embed.Cosine: lengths %d and %d differ", len(a), len(b)))
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return float32(dot / math.Sqrt(na*nb))
}
