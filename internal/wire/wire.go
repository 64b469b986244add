// Package wire holds what the adapters of remote APIs (model providers, embedders) share: turning HTTP statuses,
// transport failures and broken streams into llmos errors with codes, so that
// every provider fails the same way.
package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmos/llmos"
)

// StatusError turns a provider's HTTP error reply into an llmos error:
// 401 and 403 say the key was rejected, 429 carries the wait the provider
// asked for, 5xx and 408 are worth retrying, and other 4xx are invalid
// requests. detail is the provider's own message, if any; it is kept short.
func StatusError(provider string, status int, header http.Header, detail string) *llmos.Error {
	detail = shorten(detail)
	suffix := ""
	if detail != "" {
		suffix = ": " + detail
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return llmos.Errorf(llmos.CodeUnauthenticated, "key rejected for %s (HTTP %d)%s", provider, status, suffix)
	case status == http.StatusTooManyRequests:
		e := llmos.Errorf(llmos.CodeRateLimited, "%s is rate limiting us (HTTP 429)%s", provider, suffix)
		e.RetryAfter = RetryAfter(header)
		return e
	case status == http.StatusNotFound:
		return llmos.Errorf(llmos.CodeNotFound, "%s: not found (HTTP 404)%s", provider, suffix)
	case status >= 500 || status == http.StatusRequestTimeout || status == 529:
		return llmos.Errorf(llmos.CodeUnavailable, "%s failed (HTTP %d)%s", provider, status, suffix)
	default:
		return llmos.Errorf(llmos.CodeInvalid, "%s refused the request (HTTP %d)%s", provider, status, suffix)
	}
}

// RetryAfter reads how long a 429 asks us to wait: the retry-after-ms header
// when present, then Retry-After as seconds or as an HTTP date. Zero if none.
func RetryAfter(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// TransportError classifies a failure to get a reply at all: a cancelled
// context, a connection reset or refused, a reply that is not valid JSON, or a
// stream that ended early.
func TransportError(ctx context.Context, provider string, err error) *llmos.Error {
	var e *llmos.Error
	if errors.As(err, &e) {
		return e
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return llmos.Wrap(err, llmos.CodeCanceled, provider+" call cancelled")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return llmos.Wrap(err, llmos.CodeUnavailable, provider+" call timed out")
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) {
		return Malformed(provider, err)
	}
	return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot reach %s: %s", provider, shorten(err.Error())))
}

// Malformed reports a reply that could not be decoded.
func Malformed(provider string, err error) *llmos.Error {
	return llmos.Wrap(err, llmos.CodeBadResponse, fmt.Sprintf("%s sent a malformed reply: %s", provider, shorten(err.Error())))
}

// Truncated reports a stream that ended before the provider said it was done.
func Truncated(provider string) *llmos.Error {
	return llmos.Errorf(llmos.CodeBadResponse, "%s stream ended before the reply was complete", provider)
}

func shorten(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// ErrorDetail reads the message of an error body in the forms APIs and
// compatible servers use: {"error":{"message":...}}, {"error":"..."} or
// {"message":...}. Empty if the body is none of these.
func ErrorDetail(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	var inner struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(v.Error, &inner) == nil && inner.Message != "" {
		return inner.Message
	}
	var s string
	if json.Unmarshal(v.Error, &s) == nil && s != "" {
		return s
	}
	return v.Message
}
