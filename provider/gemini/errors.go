package gemini

import (
	"context"
	"net/http"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/googleai"
)

// callError turns an error of the SDK into an llmos error. header holds the
// headers of the HTTP error reply, if there was one.
func callError(ctx context.Context, err error, header http.Header) *llmos.Error {
	return googleai.Map(ctx, name, err, header, "")
}
