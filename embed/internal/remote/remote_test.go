package remote

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/llmos/llmos"
)

func TestBatches(t *testing.T) {
	b := &Batcher{Provider: "p", MaxItems: 3, MaxBytes: 10}
	var sizes []int
	texts := []string{"aaaa", "bbbb", "cccc", "d", "e", "f", "g", strings.Repeat("h", 50), "i"}
	out, err := b.Embed(context.Background(), texts, func(_ context.Context, batch []string) ([][]float32, error) {
		sizes = append(sizes, len(batch))
		vecs := make([][]float32, len(batch))
		for i, s := range batch {
			vecs[i] = []float32{float32(s[0]), 0, 0}
		}
		return vecs, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 4+4 fit 10 bytes, then 4+1+1, then 1+1 and the long one alone, then i.
	if fmt.Sprint(sizes) != "[2 3 2 1 1]" {
		t.Errorf("batches %v", sizes)
	}
	for i, v := range out {
		if v[0] != 1 {
			t.Errorf("vector %d = %v, not normalised", i, v)
		}
	}
	if b.Dim() != 3 {
		t.Errorf("Dim = %d", b.Dim())
	}
}

func TestChecks(t *testing.T) {
	for _, c := range []struct {
		name string
		vecs [][]float32
		dim  int
	}{
		{"count", [][]float32{{1}}, 0},
		{"ragged", [][]float32{{1, 2}, {1}}, 0},
		{"empty", [][]float32{{}, {}}, 0},
		{"dimension", [][]float32{{1, 2}, {3, 4}}, 3},
		{"nan", [][]float32{{1, float32(math.NaN())}, {3, 4}}, 0},
		{"inf", [][]float32{{1, float32(math.Inf(1))}, {3, 4}}, 0},
	} {
		b := &Batcher{Provider: "p", MaxItems: 10}
		b.SetDim(c.dim)
		_, err := b.Embed(context.Background(), []string{"a", "b"}, func(context.Context, []string) ([][]float32, error) {
			return c.vecs, nil
		})
		if llmos.ErrorCode(err) != llmos.CodeBadResponse {
			t.Errorf("%s: %v, want bad_response", c.name, err)
		}
	}
}

func TestEmptyAndCancel(t *testing.T) {
	b := &Batcher{Provider: "p", MaxItems: 10}
	never := func(context.Context, []string) ([][]float32, error) {
		t.Fatal("called")
		return nil, nil
	}
	if out, err := b.Embed(context.Background(), nil, never); err != nil || len(out) != 0 {
		t.Errorf("no texts: %v %v", out, err)
	}
	if _, err := b.Embed(context.Background(), []string{"x", " \n"}, never); llmos.ErrorCode(err) != llmos.CodeInvalid || !strings.Contains(err.Error(), "text 2 of 2 is empty") {
		t.Errorf("blank text: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Embed(ctx, []string{"x"}, never); llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("cancelled: %v", err)
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("bad key sk-secret-1 here", "sk-secret-1"); strings.Contains(got, "secret") {
		t.Errorf("Redact = %q", got)
	}
	if got := Redact("abc", ""); got != "abc" {
		t.Errorf("Redact with no key = %q", got)
	}
}
