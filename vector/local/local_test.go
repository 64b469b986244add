package local

import (
	"testing"

	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/vectortest"
)

func TestConformance(t *testing.T) {
	vectortest.Run(t, vectortest.Harness{
		Open: func(t *testing.T) vector.Index { return open(t, t.TempDir(), Options{}) },
		Reopen: func(t *testing.T, idx vector.Index) vector.Index {
			x := idx.(*Index)
			if err := x.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return open(t, x.dir, x.opts)
		},
	})
}
