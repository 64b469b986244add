package gemini

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"google.golang.org/genai"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/googleai"
	"github.com/llmos/llmos/internal/wire"
)

// name is how errors name this provider.
const name = "gemini"

// DefaultBaseURL is the Gemini Developer API's root, used when Config.BaseURL
// is empty.
const DefaultBaseURL = googleai.DefaultBaseURL

// Config says where the Gemini Developer API is and how to call it.
type Config struct {
	// BaseURL is the root of the API, such as DefaultBaseURL (used when
	// empty). A trailing version segment ("/v1beta", "/v1") is accepted and
	// picks the API version; v1beta is used otherwise.
	BaseURL string
	// APIKey is sent in the x-goog-api-key header. It is required: the SDK's
	// own environment variables are never consulted.
	APIKey string
	// HTTPClient sends the requests; a plain client when nil. It is copied,
	// not modified.
	HTTPClient *http.Client
}

// Model is a Gemini model behind the Gemini Developer API. It implements the
// kernel's Model interface and is safe for concurrent use.
type Model struct {
	client *genai.Client
}

// New returns a Model for cfg. It does no I/O. It fails with code
// unauthenticated when cfg.APIKey is empty and invalid when cfg.BaseURL is
// not an absolute URL.
//
// The SDK is configured so that nothing in the environment overrides cfg
// (GEMINI_API_KEY, GOOGLE_API_KEY, GOOGLE_GEMINI_BASE_URL,
// GOOGLE_GENAI_USE_VERTEXAI are all ignored), so that it never retries a
// request, and so that it never continues a reply on its own: retries belong
// to the scheduler.
func New(cfg Config) (*Model, error) {
	if cfg.APIKey == "" {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "no API key for %s: set GEMINI_API_KEY", name)
	}
	client, err := googleai.NewClient(name, cfg.BaseURL, cfg.APIKey, cfg.HTTPClient)
	if err != nil {
		return nil, err
	}
	return &Model{client: client}, nil
}

// Generate sends req to the model named by req.Model ("gemini-2.5-flash",
// with or without the "models/" prefix) and returns its reply. With a nil
// stream it makes one generateContent call; otherwise it calls
// streamGenerateContent over server-sent events, passing each piece of text
// to stream as it arrives and collecting function calls until the end.
//
// Errors carry codes: unauthenticated for a rejected key (HTTP 401, 403, or
// Gemini's 400 API_KEY_INVALID), rate_limited with RetryAfter taken from the
// error's google.rpc.RetryInfo or a Retry-After header, unavailable for 5xx
// and transport failures, bad_response for a malformed reply or a stream
// that ends before a finish reason, canceled as soon as ctx is done.
func (m *Model) Generate(ctx context.Context, req *llmos.Request, stream func(llmos.Delta)) (*llmos.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, wire.TransportError(ctx, name, err)
	}
	if req == nil || strings.TrimSpace(req.Model) == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "%s: no model named in the request", name)
	}
	contents, config, err := buildRequest(req)
	if err != nil {
		return nil, err
	}
	callCtx, sink := googleai.WithSink(ctx)
	var r reply
	if stream == nil {
		resp, err := m.client.Models.GenerateContent(callCtx, req.Model, contents, config)
		if err != nil {
			return nil, callError(ctx, err, sink.Get())
		}
		r.add(resp)
		if !r.done && len(r.calls) == 0 && r.text.Len() == 0 {
			return nil, wire.Malformed(name, errors.New("the reply has no candidates"))
		}
		return r.response(), nil
	}
	for chunk, err := range m.client.Models.GenerateContentStream(callCtx, req.Model, contents, config) {
		if err != nil {
			return nil, callError(ctx, err, sink.Get())
		}
		if text := r.add(chunk); text != "" {
			stream(llmos.Delta{Text: text})
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, wire.TransportError(ctx, name, err)
	}
	if !r.done {
		return nil, wire.Truncated(name)
	}
	return r.response(), nil
}
