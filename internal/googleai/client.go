package googleai

import (
	"context"

	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"google.golang.org/genai"

	"github.com/llmos/llmos"
)

var versionRE = regexp.MustCompile(`^v[0-9]+((alpha|beta)[0-9]*)?$`)

// DefaultBaseURL is the Gemini API's address.
const DefaultBaseURL = "https://generativelanguage.googleapis.com/"

// defaultVersion is the API version used when the base URL names none.
const defaultVersion = "v1beta"

// SplitBaseURL returns the base URL the SDK should use and the API version:
// a trailing version segment of raw is moved out of the URL. name is the
// adapter's, for errors.
func SplitBaseURL(name, raw string) (base, version string, err error) {
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

// HeaderSink receives the headers of an error reply.
type HeaderSink struct {
	mu sync.Mutex
	h  http.Header
}

func (s *HeaderSink) set(h http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h = h
}

// Get returns the headers recorded, or nil.
func (s *HeaderSink) Get() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.h
}

// WithSink returns a context whose calls record error headers into a new sink.
func WithSink(ctx context.Context) (context.Context, *HeaderSink) {
	s := &HeaderSink{}
	return context.WithValue(ctx, sinkKey{}, s), s
}

// Tap wraps a transport so that it records the headers of error replies
// into the sink of the request's context.
func Tap(base http.RoundTripper) http.RoundTripper { return headerTap{base: base} }

type headerTap struct {
	base http.RoundTripper
}

func (t headerTap) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if resp != nil && resp.StatusCode >= 400 {
		if s, ok := r.Context().Value(sinkKey{}).(*HeaderSink); ok {
			s.set(resp.Header.Clone())
		}
	}
	return resp, err
}

// NewClient returns a genai client for the Gemini Developer API at baseURL
// (DefaultBaseURL when empty) with key: environment variables are never
// consulted, the SDK makes one attempt per call (retries are the
// scheduler's), and error replies' headers are captured for WithSink.
// httpClient, if not nil, is copied, not changed.
func NewClient(name, baseURL, key string, httpClient *http.Client) (*genai.Client, error) {
	base, version, err := SplitBaseURL(name, baseURL)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{}
	if httpClient != nil {
		c := *httpClient
		hc = &c
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc.Transport = Tap(rt)
	client, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:     key,
		Backend:    genai.BackendGeminiAPI,
		HTTPClient: hc,
		HTTPOptions: genai.HTTPOptions{
			BaseURL:      base,
			APIVersion:   version,
			RetryOptions: &genai.HTTPRetryOptions{Attempts: genai.Ptr[int32](1)},
		},
	})
	if err != nil {
		// The SDK's error prints the whole config, key included: drop it.
		return nil, llmos.Errorf(llmos.CodeInvalid, "%s: cannot configure the client", name)
	}
	return client, nil
}
