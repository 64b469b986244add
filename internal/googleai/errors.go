// Package googleai holds what the two adapters on Google's genai SDK
// (provider/gemini and embed/gemini) share: the mapping of its errors to llmos
// errors (statuses and google.rpc status names to codes, a bad key, 400
// API_KEY_INVALID, to unauthenticated, and the wait of a 429 from its
// RetryInfo or Retry-After), the base URL and API version, and the capture
// of error replies' headers, which the SDK drops.
package googleai

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/genai"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wire"
)

// Map turns an error of the genai SDK into an llmos error naming provider.
// header holds the headers of the HTTP error reply, if there was one; key,
// if not empty, is removed from any message the API sent back.
func Map(ctx context.Context, name string, err error, header http.Header, key string) *llmos.Error {
	if ctx.Err() != nil {
		return wire.TransportError(ctx, name, err)
	}
	var api genai.APIError
	if errors.As(err, &api) {
		return apiError(name, api, header, key)
	}
	var apiPtr *genai.APIError
	if errors.As(err, &apiPtr) && apiPtr != nil {
		return apiError(name, *apiPtr, header, key)
	}
	// Keep the SDK's wrapping (which may quote the whole reply) out of the
	// message: the decoding error says enough.
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return wire.Malformed(name, syn)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return wire.Malformed(name, typ)
	}
	if strings.Contains(err.Error(), "invalid stream chunk") {
		return wire.Malformed(name, errors.New("a stream line is not a data line"))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return wire.TransportError(ctx, name, ue)
	}
	return wire.TransportError(ctx, name, err)
}

// apiError maps an error reply of the API, from an HTTP status or an error
// event in a stream. Gemini answers a bad key with 400 API_KEY_INVALID, which
// is mapped like a 401. The wait of a 429 is the longer of the
// google.rpc.RetryInfo delay in the body and the Retry-After header.
func apiError(name string, api genai.APIError, header http.Header, key string) *llmos.Error {
	msg := api.Message
	if len(key) >= 4 {
		msg = strings.ReplaceAll(msg, key, "[redacted]")
	}
	status := api.Code
	if status == 0 {
		status = rpcStatus[api.Status]
	}
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status == http.StatusBadRequest && badKey(api.Details) {
		e := wire.StatusError(name, http.StatusUnauthorized, header, msg)
		e.Msg = strings.Replace(e.Msg, "(HTTP 401)", "(HTTP 400)", 1)
		return e
	}
	e := wire.StatusError(name, status, header, msg)
	if e.Code == llmos.CodeRateLimited {
		e.RetryAfter = max(e.RetryAfter, retryDelay(api.Details))
	}
	return e
}

// rpcStatus maps the google.rpc status names to HTTP statuses, for an error
// that carries a status but no code.
var rpcStatus = map[string]int{
	"INVALID_ARGUMENT":    http.StatusBadRequest,
	"FAILED_PRECONDITION": http.StatusBadRequest,
	"OUT_OF_RANGE":        http.StatusBadRequest,
	"UNAUTHENTICATED":     http.StatusUnauthorized,
	"PERMISSION_DENIED":   http.StatusForbidden,
	"NOT_FOUND":           http.StatusNotFound,
	"ALREADY_EXISTS":      http.StatusConflict,
	"ABORTED":             http.StatusConflict,
	"RESOURCE_EXHAUSTED":  http.StatusTooManyRequests,
	"CANCELLED":           499,
	"INTERNAL":            http.StatusInternalServerError,
	"UNKNOWN":             http.StatusInternalServerError,
	"DATA_LOSS":           http.StatusInternalServerError,
	"UNIMPLEMENTED":       http.StatusNotImplemented,
	"UNAVAILABLE":         http.StatusServiceUnavailable,
	"DEADLINE_EXCEEDED":   http.StatusGatewayTimeout,
}

// badKey reports whether the details of an error hold a
// google.rpc.ErrorInfo saying the API key is invalid or expired.
func badKey(details []map[string]any) bool {
	for _, d := range details {
		if t, _ := d["@type"].(string); !strings.HasSuffix(t, "google.rpc.ErrorInfo") {
			continue
		}
		switch d["reason"] {
		case "API_KEY_INVALID", "API_KEY_EXPIRED":
			return true
		}
	}
	return false
}

// retryDelay reads the delay of a google.rpc.RetryInfo in the details of an
// error: a protobuf Duration in JSON, such as "7s" or "0.5s". Zero if none.
func retryDelay(details []map[string]any) time.Duration {
	for _, d := range details {
		if t, _ := d["@type"].(string); !strings.HasSuffix(t, "google.rpc.RetryInfo") {
			continue
		}
		s, _ := d["retryDelay"].(string)
		if !strings.HasSuffix(s, "s") {
			continue
		}
		if v, err := time.ParseDuration(s); err == nil && v > 0 {
			return v
		}
	}
	return 0
}
