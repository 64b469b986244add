// Package remote holds what the remote embedders (embed/openai, embed/gemini,
// embed/ollama) share: refusing empty texts before anything is sent, splitting
// a large input into batches the provider accepts, and checking each reply
// (one vector per text, one dimension throughout, finite numbers) before
// normalising it, so that every adapter fails the same way.
package remote

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wire"
)

// Call sends one batch of texts to the provider and returns its vectors,
// raw, in the order of the texts.
type Call func(ctx context.Context, texts []string) ([][]float32, error)

// Batcher embeds through a provider's API. Its zero value is not usable:
// set Provider and MaxItems. It is safe for concurrent use.
type Batcher struct {
	// Provider names the provider in errors ("openai").
	Provider string
	// MaxItems is the most texts one request may carry.
	MaxItems int
	// MaxBytes bounds the summed length of the texts of one request; no
	// bound when zero. A single longer text still goes alone.
	MaxBytes int

	mu  sync.Mutex
	dim int
}

// SetDim fixes the dimension every reply must have; 0 learns it from the
// first reply.
func (b *Batcher) SetDim(d int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dim = d
}

// Dim returns the dimension, 0 while unknown.
func (b *Batcher) Dim() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dim
}

// Embed refuses empty texts with an invalid error, then calls call on
// successive batches, checking ctx between them, and returns the vectors,
// L2-normalised, in the order of texts. No texts give no vectors and no call.
// A reply with the wrong number of vectors, vectors of different lengths, a
// length other than the known dimension, or a number that is not finite is a
// bad_response error.
func (b *Batcher) Embed(ctx context.Context, texts []string, call Call) ([][]float32, error) {
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, wire.TransportError(ctx, b.Provider, err)
	}
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			return nil, llmos.Errorf(llmos.CodeInvalid, "%s: text %d of %d is empty: embedding models need some text", b.Provider, i+1, len(texts))
		}
	}
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); {
		end := b.cut(texts, start)
		if err := ctx.Err(); err != nil {
			return nil, wire.TransportError(ctx, b.Provider, err)
		}
		vecs, err := call(ctx, texts[start:end])
		if err != nil {
			return nil, err
		}
		if err := b.check(vecs, end-start); err != nil {
			return nil, err
		}
		out = append(out, vecs...)
		start = end
	}
	return out, nil
}

// cut returns the end of the batch that begins at start.
func (b *Batcher) cut(texts []string, start int) int {
	end, size := start, 0
	for end < len(texts) && end-start < max(b.MaxItems, 1) {
		size += len(texts[end])
		if b.MaxBytes > 0 && size > b.MaxBytes && end > start {
			break
		}
		end++
	}
	return end
}

// check validates one reply of n vectors and normalises it in place.
func (b *Batcher) check(vecs [][]float32, n int) error {
	if len(vecs) != n {
		return wire.Malformed(b.Provider, fmt.Errorf("%d vectors for %d texts", len(vecs), n))
	}
	d := len(vecs[0])
	for i, v := range vecs {
		if len(v) == 0 {
			return wire.Malformed(b.Provider, fmt.Errorf("vector %d is empty", i+1))
		}
		if len(v) != d {
			return wire.Malformed(b.Provider, fmt.Errorf("vectors of %d and %d dimensions in one reply", d, len(v)))
		}
	}
	b.mu.Lock()
	if b.dim == 0 {
		b.dim = d
	}
	want := b.dim
	b.mu.Unlock()
	if d != want {
		return wire.Malformed(b.Provider, fmt.Errorf("vectors of %d dimensions, want %d", d, want))
	}
	for i, v := range vecs {
		if !Normalize(v) {
			return wire.Malformed(b.Provider, fmt.Errorf("vector %d holds a number that is not finite", i+1))
		}
	}
	return nil
}

// Normalize scales v in place to unit length; a zero vector stays zero. It
// reports false, leaving v as it was, if v holds a NaN or an infinity.
func Normalize(v []float32) bool {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return false
	}
	if sum == 0 {
		return true
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
	return true
}

// Redact removes key from text that came from a server.
func Redact(s, key string) string {
	if len(key) >= 4 {
		s = strings.ReplaceAll(s, key, "[redacted]")
	}
	return s
}
