package gemini

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"google.golang.org/genai"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wire"
)

// name is how errors name this provider.
const name = "gemini"

// DefaultBaseURL is the Gemini Developer API's root, used when Config.BaseURL
// is empty.
const DefaultBaseURL = "https://generativelanguage.googleapis.com/"

// defaultVersion is the API version used when the base URL names none.
const defaultVersion = "v1beta"

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
	base, version, err := splitBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc.Transport = headerTap{base: rt}
	client, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:     cfg.APIKey,
		Backend:    genai.BackendGeminiAPI,
		HTTPClient: hc,
		HTTPOptions: genai.HTTPOptions{
			BaseURL:    base,
			APIVersion: version,
			// One attempt: the scheduler decides about retries.
			RetryOptions: &genai.HTTPRetryOptions{Attempts: genai.Ptr[int32](1)},
		},
	})
	if err != nil {
		// The SDK's error prints the whole config, key included: drop it.
		return nil, llmos.Errorf(llmos.CodeInvalid, "%s: cannot configure the client", name)
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
	sink := &headerSink{}
	callCtx := context.WithValue(ctx, sinkKey{}, sink)
	var r reply
	if stream == nil {
		resp, err := m.client.Models.GenerateContent(callCtx, req.Model, contents, config)
		if err != nil {
			return nil, callError(ctx, err, sink.get())
		}
		r.add(resp)
		if !r.done && len(r.calls) == 0 && r.text.Len() == 0 {
			return nil, wire.Malformed(name, errors.New("the reply has no candidates"))
		}
		return r.response(), nil
	}
	for chunk, err := range m.client.Models.GenerateContentStream(callCtx, req.Model, contents, config) {
		if err != nil {
			return nil, callError(ctx, err, sink.get())
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

var versionRE = regexp.MustCompile(`^v[0-9]+((alpha|beta)[0-9]*)?$`)

// splitBaseURL returns the base URL the SDK should use and the API version:
// a trailing version segment of raw is moved out of the URL.
func splitBaseURL(raw string) (base, version string, err error) {
	if raw == "" {
		return DefaultBaseURL, defaultVersion, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", "", llmos.Errorf(llmos.CodeInvalid, "%s: base URL %q is not an absolute URL", name, raw)
	}
	version = defaultVersion
	p := strings.TrimRight(u.Path, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 && versionRE.MatchString(p[i+1:]) {
		version, p = p[i+1:], p[:i]
	}
	u.Path, u.RawPath = p+"/", ""
	return u.String(), version, nil
}

// The SDK's APIError does not keep the reply's headers, so a RoundTripper
// records the headers of an error reply into a sink that travels in the
// request's context; Retry-After is read from there.

type sinkKey struct{}

type headerSink struct {
	mu sync.Mutex
	h  http.Header
}

func (s *headerSink) set(h http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h = h
}

func (s *headerSink) get() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.h
}

type headerTap struct {
	base http.RoundTripper
}

func (t headerTap) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if resp != nil && resp.StatusCode >= 400 {
		if s, ok := r.Context().Value(sinkKey{}).(*headerSink); ok {
			s.set(resp.Header.Clone())
		}
	}
	return resp, err
}
