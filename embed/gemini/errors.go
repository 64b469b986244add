package gemini

import (
	"context"
	"net/http"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/googleai"
)

// callError turns an error of the SDK into an llmos error, with the key
// removed from anything the API sent back.
func callError(ctx context.Context, err error, header http.Header, key string) *llmos.Error {
	return googleai.Map(ctx, name, err, header, key)
}
