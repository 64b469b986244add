package hnsw

import "math"

// The distance kernels. On amd64 with AVX2 and FMA, the assembly of
// distance_amd64.s runs; elsewhere (and with the purego build tag) the Go
// kernels below. The Go compiler does not vectorise loops, so each Go kernel
// runs independent accumulators over slices re-sliced to a common length
// (which removes the bounds checks): the additions of one step do not wait
// on each other, which keeps the floating-point units busy. On the
// benchmark's 128-d vectors the Go L2 kernel takes about 60 ns and the AVX2
// one about 10 ns.

// l2 returns the squared Euclidean distance between a and b (len(b) >= len(a)).
func l2(a, b []float32) float32 {
	b = b[:len(a)]
	if useAsm && len(a) > 0 {
		return l2AVX2(&a[0], &b[0], len(a))
	}
	return l2Go(a, b)
}

// dot returns the inner product of a and b (len(b) >= len(a)).
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	if useAsm && len(a) > 0 {
		return dotAVX2(&a[0], &b[0], len(a))
	}
	return dotGo(a, b)
}

// dotInt8 returns the inner product of two int8 codes (len(b) >= len(a)).
// It cannot overflow for len(a) <= MaxDim: 127*127*65536 < 2^31.
func dotInt8(a, b []int8) int32 {
	b = b[:len(a)]
	if useAsm && len(a) > 0 {
		return dotInt8AVX2(&a[0], &b[0], len(a))
	}
	return dotInt8Go(a, b)
}

func l2Go(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		d0 := aa[0] - bb[0]
		d1 := aa[1] - bb[1]
		d2 := aa[2] - bb[2]
		d3 := aa[3] - bb[3]
		d4 := aa[4] - bb[4]
		d5 := aa[5] - bb[5]
		d6 := aa[6] - bb[6]
		d7 := aa[7] - bb[7]
		s0 += d0*d0 + d4*d4
		s1 += d1*d1 + d5*d5
		s2 += d2*d2 + d6*d6
		s3 += d3*d3 + d7*d7
	}
	for ; i < len(a); i++ {
		d := a[i] - b[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += aa[0]*bb[0] + aa[4]*bb[4]
		s1 += aa[1]*bb[1] + aa[5]*bb[5]
		s2 += aa[2]*bb[2] + aa[6]*bb[6]
		s3 += aa[3]*bb[3] + aa[7]*bb[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func dotInt8Go(a, b []int8) int32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += int32(aa[0])*int32(bb[0]) + int32(aa[4])*int32(bb[4])
		s1 += int32(aa[1])*int32(bb[1]) + int32(aa[5])*int32(bb[5])
		s2 += int32(aa[2])*int32(bb[2]) + int32(aa[6])*int32(bb[6])
		s3 += int32(aa[3])*int32(bb[3]) + int32(aa[7])*int32(bb[7])
	}
	for ; i < len(a); i++ {
		s0 += int32(a[i]) * int32(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// distance is the metric's distance between a and b: squared Euclidean for
// L2, 1 - dot for Cosine (on unit vectors) and Dot.
func distance(m Metric, a, b []float32) float32 {
	if m == L2 {
		return l2(a, b)
	}
	return 1 - dot(a, b)
}

// normalize scales v to unit length in place (the norm computed in float64);
// a zero vector stays zero.
func normalize(v []float32) {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		return
	}
	n = math.Sqrt(n)
	for i, x := range v {
		v[i] = float32(float64(x) / n)
	}
}

// quantize writes the symmetric int8 code of v to dst (len(dst) == len(v))
// and returns its scale: v[i] ≈ scale * dst[i]. Each vector has its own scale
// (its largest magnitude over 127), so codes need no training and vectors can
// be added one at a time.
func quantize(v []float32, dst []int8) float32 {
	dst = dst[:len(v)]
	var mx float32
	for _, x := range v {
		if x < 0 {
			x = -x
		}
		if x > mx {
			mx = x
		}
	}
	if mx == 0 {
		clear(dst)
		return 0
	}
	inv := 127 / mx
	for i, x := range v {
		r := x * inv
		if r >= 0 {
			r += 0.5
		} else {
			r -= 0.5
		}
		r = min(max(r, -127), 127)
		dst[i] = int8(r)
	}
	return mx / 127
}

// finite reports whether every value of v is a number other than ±Inf.
func finite(v []float32) bool {
	for _, x := range v {
		if x-x != 0 { // NaN - NaN and Inf - Inf are NaN
			return false
		}
	}
	return true
}
