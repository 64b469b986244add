package openai

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/embed/internal/remote"
	"github.com/llmos/llmos/internal/wire"
)

// DefaultModel is the model used when Config.Model is empty.
const DefaultModel = "text-embedding-3-small"

// The API's limits on one request.
const (
	maxItems = 2048
	maxBytes = 300_000
)

// knownDims are the default dimensions of OpenAI's embedding models.
var knownDims = map[string]int{
	"text-embedding-3-small": 1536,
	"text-embedding-3-large": 3072,
	"text-embedding-ada-002": 1536,
}

// Config says which model to use, on which server, and how.
type Config struct {
	// Model is the embedding model; DefaultModel when empty.
	Model string
	// Dimensions asks the model for shorter vectors (text-embedding-3 and
	// later accept it); the model's own dimension when zero.
	Dimensions int
	// Name is the provider as errors and Name show it; "openai" when empty.
	Name string
	// BaseURL is the API root, such as https://api.openai.com/v1 (used when
	// empty) or http://127.0.0.1:8000/v1.
	BaseURL string
	// APIKey is sent as a bearer token; when empty no Authorization header
	// is sent, as local servers need none.
	APIKey string
	// HTTPClient makes the requests; http.DefaultClient when nil.
	HTTPClient *http.Client
}

// Embedder embeds through an Embeddings endpoint. It is safe for concurrent
// use.
type Embedder struct {
	name    string
	model   string
	dims    int
	key     string
	service openai.EmbeddingService
	batcher *remote.Batcher
}

// New returns an Embedder for cfg. It makes no request. Its dimension is
// cfg.Dimensions, or the known dimension of OpenAI's models, or else learned
// from the first reply.
func New(cfg Config) (*Embedder, error) {
	name := cfg.Name
	if name == "" {
		name = "openai"
	}
	model := cfg.Model
	if model == "" {
		model = DefaultModel
	}
	if cfg.Dimensions < 0 {
		return nil, llmos.Errorf(llmos.CodeInvalid, "%s: dimensions must not be negative", name)
	}
	// The service is built directly rather than through openai.NewClient,
	// which would read OPENAI_API_KEY, OPENAI_BASE_URL and others from the
	// environment.
	opts := []option.RequestOption{
		option.WithEnvironmentProduction(),
		option.WithMaxRetries(0),
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, llmos.Errorf(llmos.CodeInvalid, "%s: base URL %q is not an http(s) URL", name, cfg.BaseURL)
		}
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	opts = append(opts, option.WithHTTPClient(hc))
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	}
	e := &Embedder{
		name:    name,
		model:   model,
		dims:    cfg.Dimensions,
		key:     cfg.APIKey,
		service: openai.NewEmbeddingService(opts...),
		batcher: &remote.Batcher{Provider: name, MaxItems: maxItems, MaxBytes: maxBytes},
	}
	if d := cfg.Dimensions; d > 0 {
		e.batcher.SetDim(d)
	} else {
		e.batcher.SetDim(knownDims[model])
	}
	return e, nil
}

// Name returns provider:model, such as "openai:text-embedding-3-small", with
// "@N" appended when Config.Dimensions asked for N dimensions.
func (e *Embedder) Name() string {
	if e.dims > 0 {
		return fmt.Sprintf("%s:%s@%d", e.name, e.model, e.dims)
	}
	return e.name + ":" + e.model
}

// Dim returns the vectors' dimension, 0 while unknown.
func (e *Embedder) Dim() int { return e.batcher.Dim() }

// Embed returns one normalised vector per text, in order. An empty text is
// an invalid error and sends nothing. Errors carry codes: unauthenticated
// for a rejected key, rate_limited with the wait asked for, unavailable for
// 5xx and transport failures, bad_response for a reply that does not hold
// one vector per text, canceled when ctx is done.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return e.batcher.Embed(ctx, texts, e.call)
}

// call sends one batch.
func (e *Embedder) call(ctx context.Context, texts []string) ([][]float32, error) {
	params := openai.EmbeddingNewParams{
		Model: e.model,
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts},
	}
	if e.dims > 0 {
		params.Dimensions = param.NewOpt(int64(e.dims))
	}
	var raw []byte
	var httpResp *http.Response
	// The body is taken as bytes and decoded here, so that anything that is
	// not an embedding list, whatever its content type, is bad_response.
	_, err := e.service.New(ctx, params, option.WithResponseBodyInto(&raw), option.WithResponseInto(&httpResp))
	if err != nil {
		return nil, e.callError(ctx, err, httpResp)
	}
	return decode(e.name, raw, len(texts))
}

// reply is the body of a successful call.
type reply struct {
	Data []struct {
		Index     *int            `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	} `json:"data"`
}

// decode reads the vectors of a reply of n texts, put in order by their
// index fields (all present, distinct and in range), or in the order sent
// when no item has one.
func decode(name string, raw []byte, n int) ([][]float32, error) {
	var r reply
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, wire.Malformed(name, err)
	}
	if r.Data == nil {
		return nil, wire.Malformed(name, errors.New("the reply has no data"))
	}
	if len(r.Data) != n {
		return nil, wire.Malformed(name, fmt.Errorf("%d vectors for %d texts", len(r.Data), n))
	}
	out := make([][]float32, n)
	indexed := 0
	for _, d := range r.Data {
		if d.Index != nil {
			indexed++
		}
	}
	if indexed != 0 && indexed != n {
		return nil, wire.Malformed(name, errors.New("some vectors have an index and some do not"))
	}
	for i, d := range r.Data {
		at := i
		if d.Index != nil {
			at = *d.Index
			if at < 0 || at >= n || out[at] != nil {
				return nil, wire.Malformed(name, fmt.Errorf("vector index %d is out of range or repeated", at))
			}
		}
		v, err := vector(d.Embedding)
		if err != nil {
			return nil, wire.Malformed(name, fmt.Errorf("vector %d: %w", i+1, err))
		}
		out[at] = v
	}
	return out, nil
}

// vector decodes an embedding: an array of numbers, or a base64 string of
// little-endian float32s.
func vector(raw json.RawMessage) ([]float32, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b)%4 != 0 {
			return nil, errors.New("the base64 embedding is not a list of float32s")
		}
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return v, nil
	}
	var v []float32
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errors.New("no embedding")
	}
	return v, nil
}

// callError maps a failed call to an llmos error. resp is the raw HTTP
// response when there was one: it still carries the status when the SDK
// could not decode an error body.
func (e *Embedder) callError(ctx context.Context, err error, resp *http.Response) *llmos.Error {
	if ctx.Err() != nil {
		return wire.TransportError(ctx, e.name, err)
	}
	var apiErr *openai.Error
	if errors.As(err, &apiErr) && apiErr.StatusCode >= 400 {
		detail := apiErr.Message
		if detail == "" {
			detail = bodyDetail(apiErr.Response)
		}
		return wire.StatusError(e.name, apiErr.StatusCode, header(apiErr.Response), remote.Redact(detail, e.key))
	}
	if resp != nil && resp.StatusCode >= 400 {
		return wire.StatusError(e.name, resp.StatusCode, resp.Header, remote.Redact(bodyDetail(resp), e.key))
	}
	return wire.TransportError(ctx, e.name, err)
}

func header(resp *http.Response) http.Header {
	if resp == nil {
		return nil
	}
	return resp.Header
}

// bodyDetail reads the message of an error body in the forms compatible
// servers use: {"error":{"message":...}}, {"error":"..."} or {"message":...}.
func bodyDetail(resp *http.Response) string {
	if resp == nil || resp.Body == nil {
		return ""
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return wire.ErrorDetail(raw)
}
