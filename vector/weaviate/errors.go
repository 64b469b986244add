package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/llmos/llmos"
)

func asClientError(err error, target **fault.WeaviateClientError) bool { return errors.As(err, target) }

// wrap turns an error of the Weaviate client into an *llmos.Error whose
// message says what failed, names the server and never holds the API key.
func (x *Index) wrap(ctx context.Context, err error, what string) error {
	return mapError(ctx, err, x.url, x.apiKey, what)
}

func mapError(ctx context.Context, err error, url, apiKey, what string) error {
	if err == nil {
		return nil
	}
	var le *llmos.Error
	if errors.As(err, &le) {
		return err
	}
	if ctx.Err() != nil {
		return llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "weaviate: "+what+": cancelled")
	}
	cause := err
	// The client nests its errors: a derived error may hold a status error.
	for {
		var we *fault.WeaviateClientError
		if !errors.As(cause, &we) {
			break
		}
		if we.IsUnexpectedStatusCode {
			return statusError(err, we.StatusCode, serverMessage([]byte(we.Msg)), url, apiKey, what)
		}
		if we.DerivedFromError == nil {
			break
		}
		cause = we.DerivedFromError
	}
	var ne net.Error
	if errors.As(cause, &ne) || errors.Is(cause, context.DeadlineExceeded) || isConnError(cause) {
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("weaviate at %s is unreachable (%s)", url, what))
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(cause, &se) || errors.As(cause, &te) {
		return llmos.Wrap(err, llmos.CodeBadResponse, fmt.Sprintf("weaviate at %s sent a malformed answer (%s)", url, what))
	}
	return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("weaviate at %s: %s failed", url, what))
}

// isConnError recognises the transport errors that are not net.Errors.
func isConnError(err error) bool {
	s := err.Error()
	for _, w := range []string{"connection refused", "connection reset", "EOF", "no such host", "broken pipe"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// statusError maps an HTTP status of Weaviate to an llmos code.
func statusError(err error, status int, msg, url, apiKey, what string) error {
	msg = redact(msg, apiKey)
	detail := ""
	if msg != "" {
		detail = ": " + msg
	}
	switch {
	case status == http.StatusUnauthorized:
		return llmos.Wrap(err, llmos.CodeUnauthenticated, fmt.Sprintf("weaviate at %s rejected the credentials (%s): check the API key", url, what))
	case status == http.StatusForbidden:
		return llmos.Wrap(err, llmos.CodeUnauthenticated, fmt.Sprintf("weaviate at %s: the API key is not allowed this (%s)", url, what))
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return llmos.Wrap(err, llmos.CodeInvalid, fmt.Sprintf("weaviate: %s was refused%s", what, detail))
	case status == http.StatusNotFound:
		return llmos.Wrap(err, llmos.CodeNotFound, fmt.Sprintf("weaviate at %s: %s: not found", url, what))
	case status == http.StatusTooManyRequests:
		return llmos.Wrap(err, llmos.CodeRateLimited, fmt.Sprintf("weaviate at %s is busy (%s)", url, what))
	case status >= 500:
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("weaviate at %s failed (%s, status %d)%s", url, what, status, detail))
	}
	return llmos.Wrap(err, llmos.CodeBadResponse, fmt.Sprintf("weaviate at %s answered status %d (%s)", url, status, what))
}

// serverMessage extracts the messages of a Weaviate error body
// ({"error":[{"message":...}]}), or returns the body itself, shortened.
func serverMessage(body []byte) string {
	var er models.ErrorResponse
	if json.Unmarshal(body, &er) == nil && len(er.Error) > 0 {
		var msgs []string
		for _, e := range er.Error {
			if e != nil && e.Message != "" {
				msgs = append(msgs, e.Message)
			}
		}
		return shorten(strings.Join(msgs, "; "))
	}
	return shorten(strings.TrimSpace(string(body)))
}

// itemError maps the message Weaviate gave for one object of a batch.
func itemError(msg, id, apiKey string) error {
	msg = shorten(redact(msg, apiKey))
	if dimensionError(msg) {
		return llmos.Errorf(llmos.CodeInvalid, "weaviate: item %s was refused: %s", quote(id), msg)
	}
	return llmos.Errorf(llmos.CodeUnavailable, "weaviate: item %s was not stored: %s", quote(id), msg)
}

// gqlError maps the errors of a GraphQL answer.
func (x *Index) gqlError(errs []*models.GraphQLError, what string) error {
	var msgs []string
	for _, e := range errs {
		if e != nil {
			msgs = append(msgs, e.Message)
		}
	}
	msg := shorten(redact(strings.Join(msgs, "; "), x.apiKey))
	if dimensionError(msg) {
		return llmos.Errorf(llmos.CodeInvalid, "weaviate: %s was refused: %s", what, msg)
	}
	return llmos.Errorf(llmos.CodeUnavailable, "weaviate at %s: %s failed: %s", x.url, what, msg)
}

// dimensionError recognises Weaviate's messages for vectors of the wrong length.
func dimensionError(msg string) bool {
	return strings.Contains(msg, "vector lengths") || strings.Contains(msg, "vector dimensions") ||
		strings.Contains(msg, "vector with length")
}

func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[redacted]")
}

func shorten(s string) string {
	const max = 300
	if len(s) > max {
		return strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}
