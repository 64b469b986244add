package gemini

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/genai"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/embed/internal/remote"
	"github.com/llmos/llmos/internal/googleai"
)

// name is how errors name this provider.
const name = "gemini"

// DefaultModel is the model used when Config.Model is empty.
const DefaultModel = "gemini-embedding-001"

// DefaultBaseURL is the Gemini Developer API's root.
const DefaultBaseURL = googleai.DefaultBaseURL

// maxItems is the most texts batchEmbedContents takes at once.
const maxItems = 100

// knownDims are the default dimensions of Google's embedding models.
var knownDims = map[string]int{
	"gemini-embedding-001":       3072,
	"gemini-embedding-exp-03-07": 3072,
	"text-embedding-004":         768,
	"embedding-001":              768,
}

// Config says which model to use and where the API is.
type Config struct {
	// Model is the embedding model, with or without "models/";
	// DefaultModel when empty.
	Model string
	// Dimensions asks the model for shorter vectors (outputDimensionality);
	// the model's own dimension when zero.
	Dimensions int
	// BaseURL is the root of the API; DefaultBaseURL when empty. A trailing
	// version segment ("/v1beta", "/v1") picks the API version.
	BaseURL string
	// APIKey is sent in the x-goog-api-key header. It is required.
	APIKey string
	// HTTPClient sends the requests; a plain client when nil. It is copied,
	// not modified.
	HTTPClient *http.Client
}

// Embedder embeds through the Gemini API. It is safe for concurrent use.
type Embedder struct {
	client  *genai.Client
	model   string
	dims    int
	key     string
	batcher *remote.Batcher
}

// New returns an Embedder for cfg. It does no I/O. It fails with code
// unauthenticated when cfg.APIKey is empty and invalid when cfg.BaseURL is
// not an absolute URL.
func New(cfg Config) (*Embedder, error) {
	if cfg.APIKey == "" {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "no API key for %s: set GEMINI_API_KEY", name)
	}
	if cfg.Dimensions < 0 {
		return nil, llmos.Errorf(llmos.CodeInvalid, "%s: dimensions must not be negative", name)
	}
	model := strings.TrimPrefix(cfg.Model, "models/")
	if model == "" {
		model = DefaultModel
	}
	client, err := googleai.NewClient(name, cfg.BaseURL, cfg.APIKey, cfg.HTTPClient)
	if err != nil {
		return nil, err
	}
	e := &Embedder{
		client:  client,
		model:   model,
		dims:    cfg.Dimensions,
		key:     cfg.APIKey,
		batcher: &remote.Batcher{Provider: name, MaxItems: maxItems},
	}
	if cfg.Dimensions > 0 {
		e.batcher.SetDim(cfg.Dimensions)
	} else {
		e.batcher.SetDim(knownDims[model])
	}
	return e, nil
}

// Name returns "gemini:MODEL", with "@N" appended when Config.Dimensions
// asked for N dimensions.
func (e *Embedder) Name() string {
	if e.dims > 0 {
		return fmt.Sprintf("%s:%s@%d", name, e.model, e.dims)
	}
	return name + ":" + e.model
}

// Dim returns the vectors' dimension, 0 while unknown.
func (e *Embedder) Dim() int { return e.batcher.Dim() }

// Embed returns one normalised vector per text, in order (Gemini's reduced
// vectors are not normalised by the API; these are). An empty text is an
// invalid error and sends nothing. Errors carry codes: unauthenticated for a
// rejected key, rate_limited with the wait asked for, unavailable for 5xx
// and transport failures, bad_response for a reply that does not hold one
// vector per text, canceled when ctx is done.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return e.batcher.Embed(ctx, texts, e.call)
}

func (e *Embedder) call(ctx context.Context, texts []string) ([][]float32, error) {
	contents := make([]*genai.Content, len(texts))
	for i, t := range texts {
		contents[i] = &genai.Content{Parts: []*genai.Part{{Text: t}}}
	}
	var config *genai.EmbedContentConfig
	if e.dims > 0 {
		config = &genai.EmbedContentConfig{OutputDimensionality: genai.Ptr(int32(e.dims))}
	}
	callCtx, sink := googleai.WithSink(ctx)
	resp, err := e.client.Models.EmbedContent(callCtx, e.model, contents, config)
	if err != nil {
		return nil, callError(ctx, err, sink.Get(), e.key)
	}
	out := make([][]float32, len(resp.Embeddings))
	for i, emb := range resp.Embeddings {
		if emb != nil {
			out[i] = emb.Values
		}
	}
	return out, nil
}
