package kernel

import (
	"context"

	"github.com/llmos/llmos"
)

// Model is a language model behind a provider's API: the kernel's CPU.
//
// Generate sends req and returns the model's reply. When stream is non-nil the
// text of the reply is also passed to it piece by piece as it arrives. Errors
// are *llmos.Error with codes: rate_limited (with RetryAfter) and unavailable
// may be retried by the scheduler; a cancelled ctx returns code canceled at once.
type Model interface {
	Generate(ctx context.Context, req *llmos.Request, stream func(llmos.Delta)) (*llmos.Response, error)
}
