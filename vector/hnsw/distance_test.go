package hnsw

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestKernels checks the kernels in use (assembly on amd64) against float64
// sums, for every length up to 300 and unaligned slices, and the int8
// kernel exactly.
func TestKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := make([]float32, 301)
	b := make([]float32, 301)
	ai := make([]int8, 301)
	bi := make([]int8, 301)
	for i := range a {
		a[i] = 4*r.Float32() - 2
		b[i] = 4*r.Float32() - 2
		ai[i] = int8(r.IntN(255) - 127)
		bi[i] = int8(r.IntN(255) - 127)
	}
	for n := 0; n <= 300; n++ {
		for _, off := range []int{0, 1} {
			x, y := a[off:off+n], b[1-off:1-off+n]
			var wl2, wdot float64
			var wi8 int32
			for i := range x {
				d := float64(x[i]) - float64(y[i])
				wl2 += d * d
				wdot += float64(x[i]) * float64(y[i])
				wi8 += int32(ai[off+i]) * int32(bi[1-off+i])
			}
			tol := 1e-5 * float64(n+1)
			for name, pair := range map[string][2]float64{
				"l2": {float64(l2(x, y)), wl2}, "dot": {float64(dot(x, y)), wdot},
				"l2Go": {float64(l2Go(x, y)), wl2}, "dotGo": {float64(dotGo(x, y)), wdot},
			} {
				if math.Abs(pair[0]-pair[1]) > tol {
					t.Fatalf("%s, n=%d off=%d: %v, want %v", name, n, off, pair[0], pair[1])
				}
			}
			if got := dotInt8(ai[off:off+n], bi[1-off:1-off+n]); got != wi8 {
				t.Fatalf("dotInt8, n=%d: %d, want %d", n, got, wi8)
			}
			if got := dotInt8Go(ai[off:off+n], bi[1-off:1-off+n]); got != wi8 {
				t.Fatalf("dotInt8Go, n=%d: %d, want %d", n, got, wi8)
			}
		}
	}
	// The extremes of the codes do not overflow.
	big := make([]int8, MaxDim)
	for i := range big {
		big[i] = -127
	}
	if got := dotInt8(big, big); got != 127*127*MaxDim {
		t.Errorf("dotInt8 of %d × -127 = %d", MaxDim, got)
	}
}

func TestQuantize(t *testing.T) {
	v := []float32{0.5, -1, 0.25, 0, 1e-3}
	c := make([]int8, len(v))
	s := quantize(v, c)
	if c[1] != -127 || c[0] != 64 || c[3] != 0 {
		t.Errorf("codes %v", c)
	}
	for i := range v {
		if d := math.Abs(float64(s)*float64(c[i]) - float64(v[i])); d > float64(s)/2+1e-9 {
			t.Errorf("value %d decodes off by %v", i, d)
		}
	}
	if s := quantize([]float32{0, 0}, c[:2]); s != 0 || c[0] != 0 {
		t.Errorf("zero vector: scale %v codes %v", s, c[:2])
	}
}

func BenchmarkKernels(b *testing.B) {
	data := clustered(11, 2, 384)
	codes := [2][]int8{make([]int8, 384), make([]int8, 384)}
	quantize(data[0], codes[0])
	quantize(data[1], codes[1])
	for _, dim := range []int{128, 384} {
		x, y := data[0][:dim], data[1][:dim]
		var sink float32
		var sinki int32
		for _, k := range []struct {
			name string
			f    func()
		}{
			{"l2", func() { sink += l2(x, y) }},
			{"l2Go", func() { sink += l2Go(x, y) }},
			{"dot", func() { sink += dot(x, y) }},
			{"dotGo", func() { sink += dotGo(x, y) }},
			{"dotInt8", func() { sinki += dotInt8(codes[0][:dim], codes[1][:dim]) }},
			{"dotInt8Go", func() { sinki += dotInt8Go(codes[0][:dim], codes[1][:dim]) }},
		} {
			b.Run(k.name+"/"+itoa(dim), func(b *testing.B) {
				for range b.N {
					k.f()
				}
			})
		}
		_, _ = sink, sinki
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
