package llmos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code classifies an error for machines: the CLI maps it to an exit code, the
// HTTP API to a status, and the scheduler decides from it whether to retry.
type Code string

// The error codes of llmos.
const (
	CodeInvalid         Code = "invalid"          // bad input from the user or a model
	CodeNotFound        Code = "not_found"        // no such process, model, tool...
	CodeConflict        Code = "conflict"         // the state does not allow it (resume a finished process)
	CodeDenied          Code = "denied"           // a capability or policy forbids it
	CodeUnauthenticated Code = "unauthenticated"  // a key is missing or was rejected
	CodeRateLimited     Code = "rate_limited"     // a provider said 429; RetryAfter says how long to wait
	CodeUnavailable     Code = "unavailable"      // a provider or backend failed in a way worth retrying
	CodeBadResponse     Code = "bad_response"     // a provider sent something malformed or cut short
	CodeBudget          Code = "budget_exhausted" // a step, token or time budget ran out
	CodeCanceled        Code = "canceled"         // the work was cancelled or interrupted
	CodeInternal        Code = "internal"         // a bug; details are logged, never shown
)

// Error is an error with a code. Msg is safe to show to a user or a model;
// Err, the cause, is for logs only.
type Error struct {
	Code Code
	Msg  string
	// RetryAfter is how long the provider asked us to wait, for CodeRateLimited.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Msg == "" && e.Err != nil {
		return e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the code and message, keeping err as its cause.
func Wrap(err error, code Code, msg string) *Error {
	return &Error{Code: code, Msg: msg, Err: err}
}

// ErrorCode returns the code of err: the code of the first *Error in its chain,
// CodeCanceled for a cancelled or expired context, and CodeInternal otherwise.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return CodeCanceled
	}
	return CodeInternal
}

// ErrorMessage returns the message of err that is safe to show: the message of
// the first *Error in its chain, or a generic one for internal errors.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal {
		return e.Error()
	}
	switch ErrorCode(err) {
	case CodeCanceled:
		return "cancelled"
	case "":
		return ""
	}
	return "internal error"
}

// Retryable reports whether the work that failed with err may succeed if tried again.
func Retryable(err error) bool {
	switch ErrorCode(err) {
	case CodeRateLimited, CodeUnavailable:
		return true
	}
	return false
}

// RetryAfterOf returns the wait a provider asked for, or zero.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// codes is the one table from error codes to CLI exit codes and HTTP statuses.
var codes = map[Code]struct {
	exit   int
	status int
}{
	CodeInvalid:         {2, http.StatusBadRequest},
	CodeNotFound:        {3, http.StatusNotFound},
	CodeConflict:        {4, http.StatusConflict},
	CodeDenied:          {5, http.StatusForbidden},
	CodeUnauthenticated: {6, http.StatusUnauthorized},
	CodeRateLimited:     {7, http.StatusTooManyRequests},
	CodeUnavailable:     {8, http.StatusServiceUnavailable},
	CodeBadResponse:     {9, http.StatusBadGateway},
	CodeBudget:          {10, http.StatusUnprocessableEntity},
	CodeCanceled:        {130, 499},
	CodeInternal:        {1, http.StatusInternalServerError},
}

// ExitCode maps err to the exit code of the llmos command: 0 for nil.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	if c, ok := codes[ErrorCode(err)]; ok {
		return c.exit
	}
	return 1
}

// HTTPStatus maps err to an HTTP status: 200 for nil.
func HTTPStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	if c, ok := codes[ErrorCode(err)]; ok {
		return c.status
	}
	return http.StatusInternalServerError
}
