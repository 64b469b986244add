package llmos_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/llmos/llmos"
)

func TestErrorCodes(t *testing.T) {
	wrapped := fmt.Errorf("outer: %w", &llmos.Error{Code: llmos.CodeRateLimited, Msg: "slow down", RetryAfter: 3 * time.Second})
	for _, c := range []struct {
		err    error
		code   llmos.Code
		exit   int
		status int
		msg    string
		retry  bool
	}{
		{nil, "", 0, 200, "", false},
		{llmos.Errorf(llmos.CodeInvalid, "bad %s", "flag"), llmos.CodeInvalid, 2, 400, "bad flag", false},
		{llmos.Errorf(llmos.CodeNotFound, "no process 3"), llmos.CodeNotFound, 3, 404, "no process 3", false},
		{wrapped, llmos.CodeRateLimited, 7, 429, "slow down", true},
		{llmos.Errorf(llmos.CodeUnavailable, "down"), llmos.CodeUnavailable, 8, 503, "down", true},
		{context.Canceled, llmos.CodeCanceled, 130, 499, "cancelled", false},
		{errors.New("db: secret internals"), llmos.CodeInternal, 1, 500, "internal error", false},
		{llmos.Wrap(errors.New("secret internals"), llmos.CodeInternal, "x"), llmos.CodeInternal, 1, 500, "internal error", false},
	} {
		if got := llmos.ErrorCode(c.err); got != c.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", c.err, got, c.code)
		}
		if got := llmos.ExitCode(c.err); got != c.exit {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.exit)
		}
		if got := llmos.HTTPStatus(c.err); got != c.status {
			t.Errorf("HTTPStatus(%v) = %d, want %d", c.err, got, c.status)
		}
		if got := llmos.ErrorMessage(c.err); got != c.msg {
			t.Errorf("ErrorMessage(%v) = %q, want %q", c.err, got, c.msg)
		}
		if got := llmos.Retryable(c.err); got != c.retry {
			t.Errorf("Retryable(%v) = %v", c.err, got)
		}
	}
	if got := llmos.RetryAfterOf(wrapped); got != 3*time.Second {
		t.Errorf("RetryAfterOf = %v", got)
	}
}
