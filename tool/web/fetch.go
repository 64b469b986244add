package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html/charset"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wire"
)

// The defaults of Config.
const (
	DefaultMaxBytes     = 2 << 20
	DefaultTimeout      = 20 * time.Second
	DefaultMaxRedirects = 5
	DefaultUserAgent    = "llmos/1.0 (AI agent; +https://github.com/llmos/llmos)"
)

// Config sets the limits and the reach of a Fetcher. The zero Config is the
// safe default: public addresses only, 2 MiB, 20 s, 5 redirects.
type Config struct {
	// AllowPrivate lets the fetcher reach every address: loopback, private,
	// link-local (cloud metadata), CGNAT and the rest. Only for machines
	// whose local network an agent may read.
	AllowPrivate bool
	// Allow lists exceptions to the public-only rule: CIDRs ("10.1.0.0/16"),
	// addresses ("127.0.0.1", "::1") and host names ("wiki.corp.example",
	// or "*.corp.example" for its subdomains), whose addresses are then all
	// allowed.
	Allow []string
	// MaxBytes is the most of a body that is read (default 2 MiB); the rest
	// is dropped and the Page marked Truncated.
	MaxBytes int64
	// Timeout bounds a whole fetch, robots.txt and redirects included
	// (default 20 s).
	Timeout time.Duration
	// MaxRedirects is the most redirects followed (default 5; negative
	// follows none).
	MaxRedirects int
	// UserAgent is sent with every request (default DefaultUserAgent).
	// robots.txt is read for the product token Agent whatever it says.
	UserAgent string
	// Resolver looks up host names (default net.DefaultResolver).
	Resolver Resolver
	// Dial, if set, makes the connections instead of a net.Dialer. It is
	// only ever given an IP:port that has passed the checks: a hook for
	// tests and for routing through a sandbox.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// Page is a fetched web page made readable.
type Page struct {
	// URL is where the page was found, after redirects.
	URL string `json:"url"`
	// Title is the page's title, if it has one.
	Title string `json:"title,omitempty"`
	// Markdown is the page's text: the main content of an HTML page as
	// Markdown, or the body itself for text and JSON.
	Markdown string `json:"markdown"`
	// ContentType is the media type of the body, such as "text/html".
	ContentType string `json:"content_type"`
	// Truncated says the body was longer than MaxBytes and was cut.
	Truncated bool `json:"truncated,omitempty"`
}

// Fetcher fetches web pages for agents: HTTP GET with limits on size, time
// and redirects, robots.txt respected, and no way to reach loopback, private,
// link-local or other non-public addresses unless the Config allows them.
// It is safe for concurrent use and caches robots.txt per site.
type Fetcher struct {
	cfg    Config
	pol    policy
	polErr error
	page   *http.Client // follows redirects checking URL and robots.txt
	robot  *http.Client // follows redirects checking URL only
	robots robotsCache
	now    func() time.Time
}

// NewFetcher returns a Fetcher with cfg, its zero fields set to the
// defaults. An allowlist entry that cannot be read makes every Fetch fail
// with an error that names it.
func NewFetcher(cfg Config) *Fetcher {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	f := &Fetcher{cfg: cfg, now: time.Now}
	f.pol, f.polErr = newPolicy(cfg)
	d := &dialer{pol: f.pol, resolver: cfg.Resolver, dial: cfg.Dial, net: net.Dialer{Timeout: 10 * time.Second}}
	tr := &http.Transport{
		// No proxy: the checked address must be the one connected to.
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		IdleConnTimeout:        30 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	f.page = &http.Client{Transport: tr, CheckRedirect: f.checkRedirect(true)}
	f.robot = &http.Client{Transport: tr, CheckRedirect: f.checkRedirect(false)}
	return f
}

// checkRedirect judges every hop like the first URL: the same URL checks,
// and for pages robots.txt too.
func (f *Fetcher) checkRedirect(robots bool) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > f.cfg.MaxRedirects {
			return llmos.Errorf(llmos.CodeInvalid, "web_fetch stopped after %d redirects", max(f.cfg.MaxRedirects, 0))
		}
		if _, err := f.pol.checkURL(req.URL.String()); err != nil {
			return err
		}
		if robots {
			return f.checkRobots(req.Context(), req.URL)
		}
		return nil
	}
}

// Fetch gets the page at rawURL and makes it readable. It refuses URLs that
// are not http or https, that carry a user name or password, or whose host
// is or resolves to an address the Config does not allow, at every redirect;
// it refuses pages that robots.txt closes to Agent, and bodies other than
// HTML, text and JSON. Errors are *llmos.Error: denied for refusals,
// invalid for bad URLs and content, not_found, unavailable and rate_limited
// for what the site answered, canceled when ctx ends.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (*Page, error) {
	if f.polErr != nil {
		return nil, f.polErr
	}
	u, err := f.pol.checkURL(rawURL)
	if err != nil {
		return nil, err
	}
	u.Fragment, u.RawFragment = "", ""
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	if err := f.checkRobots(ctx, u); err != nil {
		return nil, f.failure(parent, ctx, u.Host, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInvalid, "not a valid URL")
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.9,text/*;q=0.8,*/*;q=0.1")
	resp, err := f.page.Do(req)
	if err != nil {
		return nil, f.failure(parent, ctx, u.Host, err)
	}
	defer resp.Body.Close()
	final := resp.Request.URL
	if err := statusError(final.Host, resp); err != nil {
		return nil, err
	}
	body := io.LimitReader(resp.Body, f.cfg.MaxBytes+1)
	kind, mediaType, err := contentKind(resp.Header.Get("Content-Type"), &body)
	if err != nil {
		return nil, err
	}
	if kind == kindOther {
		return nil, llmos.Errorf(llmos.CodeInvalid, "web_fetch reads HTML, text and JSON; %s is %s", truncate(final.String(), 200), mediaType)
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, f.failure(parent, ctx, final.Host, err)
	}
	page := &Page{URL: final.String(), ContentType: mediaType}
	if int64(len(raw)) > f.cfg.MaxBytes {
		raw, page.Truncated = raw[:f.cfg.MaxBytes], true
	}
	text := decode(raw, resp.Header.Get("Content-Type"), kind == kindHTML)
	if kind == kindHTML {
		page.Title, page.Markdown = htmlToMarkdown(ctx, text, final)
	} else {
		page.Markdown = text
	}
	return page, nil
}

// checkRobots refuses u if the robots.txt of its site closes it to Agent.
func (f *Fetcher) checkRobots(ctx context.Context, u *url.URL) error {
	key := siteKey(u)
	r, ok := f.robots.get(key, f.now())
	if !ok {
		var ttl time.Duration
		var err error
		r, ttl, err = f.fetchRobots(ctx, u)
		if err != nil {
			return err
		}
		f.robots.put(key, r, ttl, f.now())
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	if !r.Allowed(path) {
		if r.disallowAll {
			return denied("the robots.txt of %s could not be read (a server error), so its pages are not fetched for now", truncate(u.Host, 100))
		}
		return denied("the robots.txt of %s does not let %s fetch %s", truncate(u.Host, 100), Agent, truncate(path, 200))
	}
	return nil
}

// fetchRobots reads the robots.txt of u's site with the same protections
// as a page. As RFC 9309 says, a 4xx means no rules, and a 5xx (or 429)
// means keep out, which is remembered only for a short while.
func (f *Fetcher) fetchRobots(ctx context.Context, u *url.URL) (*Robots, time.Duration, error) {
	ru := url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ru.String(), nil)
	if err != nil {
		return nil, 0, llmos.Wrap(err, llmos.CodeInvalid, "not a valid URL")
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	resp, err := f.robot.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		body, err := io.ReadAll(io.LimitReader(resp.Body, MaxRobotsBytes))
		if err != nil {
			return nil, 0, err
		}
		return ParseRobots(body, Agent), robotsTTL, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return &Robots{disallowAll: true}, robotsErrTTL, nil
	default:
		return &Robots{}, robotsTTL, nil
	}
}

// siteKey names the site of u for the robots cache: scheme, host and port.
func siteKey(u *url.URL) string {
	host, port := canonicalHost(u.Hostname()), u.Port()
	if port == "" || u.Scheme == "http" && port == "80" || u.Scheme == "https" && port == "443" {
		return u.Scheme + "://" + host
	}
	return u.Scheme + "://" + net.JoinHostPort(host, port)
}

// failure turns an error of the round trip into an llmos error: refusals
// and our own errors as they are, then a cancelled caller, our time limit,
// and failures to connect.
func (f *Fetcher) failure(parent, ctx context.Context, host string, err error) error {
	var le *llmos.Error
	if errors.As(err, &le) {
		return le
	}
	if parent.Err() != nil {
		return llmos.Wrap(err, llmos.CodeCanceled, "web_fetch cancelled")
	}
	var ne net.Error
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("%s did not answer within %v", truncate(host, 100), f.cfg.Timeout))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot fetch from %s: %s", truncate(host, 100), truncate(err.Error(), 200)))
}

// statusError maps a reply that is not a success.
func statusError(host string, resp *http.Response) error {
	s := resp.StatusCode
	if s >= 200 && s < 300 {
		return nil
	}
	text := fmt.Sprintf("HTTP %d %s", s, http.StatusText(s))
	host = truncate(host, 100)
	switch {
	case s == http.StatusNotFound || s == http.StatusGone:
		return llmos.Errorf(llmos.CodeNotFound, "%s has no such page (%s)", host, text)
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return llmos.Errorf(llmos.CodeDenied, "%s refused access (%s)", host, text)
	case s == http.StatusTooManyRequests:
		e := llmos.Errorf(llmos.CodeRateLimited, "%s is rate limiting us (%s)", host, text)
		e.RetryAfter = wire.RetryAfter(resp.Header)
		return e
	case s >= 500 || s == http.StatusRequestTimeout:
		return llmos.Errorf(llmos.CodeUnavailable, "%s failed (%s)", host, text)
	case s >= 300 && s < 400:
		return llmos.Errorf(llmos.CodeInvalid, "%s answered with a redirect web_fetch cannot follow (%s)", host, text)
	}
	return llmos.Errorf(llmos.CodeInvalid, "%s refused the request (%s)", host, text)
}

type kind int

const (
	kindOther kind = iota
	kindHTML
	kindText
)

// contentKind sorts a body by its Content-Type, or, if it has none or a
// vague one, by sniffing its first bytes (which stay readable from *body).
func contentKind(header string, body *io.Reader) (kind, string, error) {
	mt, _, err := mime.ParseMediaType(header)
	if header == "" || err != nil || mt == "application/octet-stream" {
		head := make([]byte, 512)
		n, rerr := io.ReadFull(*body, head)
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return kindOther, "", llmos.Wrap(rerr, llmos.CodeUnavailable, "the connection failed while reading the page")
		}
		head = head[:n]
		*body = io.MultiReader(bytes.NewReader(head), *body)
		mt, _, _ = mime.ParseMediaType(http.DetectContentType(head))
	}
	mt = strings.ToLower(mt)
	switch {
	case mt == "text/html" || mt == "application/xhtml+xml":
		return kindHTML, mt, nil
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", strings.HasSuffix(mt, "+json"), mt == "application/x-ndjson",
		mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "application/javascript", mt == "application/yaml", mt == "application/x-yaml", mt == "application/toml":
		return kindText, mt, nil
	}
	if mt == "" {
		mt = "of an unknown type"
	}
	return kindOther, mt, nil
}

// decode turns a body into UTF-8 text, reading its charset from the
// Content-Type or, for HTML, from its meta tags.
func decode(raw []byte, contentType string, isHTML bool) string {
	if !isHTML {
		if _, params, err := mime.ParseMediaType(contentType); err != nil || params["charset"] == "" {
			return strings.ToValidUTF8(string(raw), "\uFFFD")
		}
	}
	r, err := charset.NewReader(bytes.NewReader(raw), contentType)
	if err != nil {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}
