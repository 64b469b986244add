package ollama

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/embed/internal/remote"
	"github.com/llmos/llmos/internal/wire"
)

// name is how errors name this provider.
const name = "ollama"

// DefaultModel is the model used when Config.Model is empty.
const DefaultModel = "nomic-embed-text"

// DefaultHost is where Ollama listens unless OLLAMA_HOST says otherwise.
const DefaultHost = "http://127.0.0.1:11434"

// maxItems is the most texts one request carries.
const maxItems = 128

// maxReply bounds the size of a reply read: 128 vectors of 8192 numbers in
// JSON fit well within it.
const maxReply = 64 << 20

// Config says which model to use and where Ollama is.
type Config struct {
	// Model is the embedding model, such as "nomic-embed-text" or
	// "all-minilm:33m"; DefaultModel when empty.
	Model string
	// Dimensions asks the model for shorter vectors (models that support
	// it); the model's own dimension when zero.
	Dimensions int
	// Host is Ollama's address, as in OLLAMA_HOST; DefaultHost when empty.
	Host string
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	// HTTPClient makes the requests; http.DefaultClient when nil.
	HTTPClient *http.Client
}

// Embedder embeds through Ollama. It is safe for concurrent use.
type Embedder struct {
	url     string
	model   string
	dims    int
	key     string
	client  *http.Client
	batcher *remote.Batcher
}

// New returns an Embedder for cfg. It makes no request.
func New(cfg Config) (*Embedder, error) {
	base, err := hostURL(cfg.Host)
	if err != nil {
		return nil, err
	}
	if cfg.Dimensions < 0 {
		return nil, llmos.Errorf(llmos.CodeInvalid, "%s: dimensions must not be negative", name)
	}
	model := cfg.Model
	if model == "" {
		model = DefaultModel
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	e := &Embedder{
		url:     base + "/api/embed",
		model:   model,
		dims:    cfg.Dimensions,
		key:     cfg.APIKey,
		client:  hc,
		batcher: &remote.Batcher{Provider: name, MaxItems: maxItems},
	}
	e.batcher.SetDim(cfg.Dimensions)
	return e, nil
}

// hostURL reads an OLLAMA_HOST value into a base URL without a trailing
// slash.
func hostURL(host string) (string, error) {
	host = strings.TrimSpace(host)
	if host == "" {
		return DefaultHost, nil
	}
	if !strings.Contains(host, "://") {
		host = "http://" + host
	}
	u, err := url.Parse(host)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return "", llmos.Errorf(llmos.CodeInvalid, "%s: host %q is not an address such as %s", name, host, DefaultHost)
	}
	if u.Port() == "" && u.Scheme == "http" {
		u.Host = net.JoinHostPort(u.Hostname(), "11434")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Name returns "ollama:MODEL", with "@N" appended when Config.Dimensions
// asked for N dimensions.
func (e *Embedder) Name() string {
	if e.dims > 0 {
		return fmt.Sprintf("%s:%s@%d", name, e.model, e.dims)
	}
	return name + ":" + e.model
}

// Dim returns the vectors' dimension, 0 until the first reply.
func (e *Embedder) Dim() int { return e.batcher.Dim() }

// Embed returns one normalised vector per text, in order. An empty text is
// an invalid error and sends nothing. Errors carry codes: not_found for a
// model Ollama has not pulled, unauthenticated for a rejected key,
// unavailable when Ollama is not running or fails, bad_response for a reply
// that does not hold one vector per text, canceled when ctx is done.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return e.batcher.Embed(ctx, texts, e.call)
}

type request struct {
	Model      string   `json:"model"`
	Input      []string `json:"input"`
	Dimensions int      `json:"dimensions,omitempty"`
}

func (e *Embedder) call(ctx context.Context, texts []string) ([][]float32, error) {
	body, err := json.Marshal(request{Model: e.model, Input: texts, Dimensions: e.dims})
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInternal, "cannot encode the request")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInvalid, name+": cannot make the request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if e.key != "" {
		req.Header.Set("Authorization", "Bearer "+e.key)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, wire.TransportError(ctx, name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		return nil, wire.TransportError(ctx, name, err)
	}
	if resp.StatusCode >= 400 {
		return nil, wire.StatusError(name, resp.StatusCode, resp.Header, remote.Redact(errorMessage(raw), e.key))
	}
	if len(raw) > maxReply {
		return nil, wire.Malformed(name, errors.New("the reply is too large"))
	}
	var r struct {
		Embeddings [][]float32 `json:"embeddings"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, wire.Malformed(name, err)
	}
	if r.Embeddings == nil {
		return nil, wire.Malformed(name, errors.New("the reply has no embeddings"))
	}
	return r.Embeddings, nil
}

// errorMessage reads Ollama's {"error":"..."} body.
func errorMessage(raw []byte) string {
	var v struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &v) == nil {
		return v.Error
	}
	return ""
}
