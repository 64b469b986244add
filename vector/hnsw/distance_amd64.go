//go:build !purego

package hnsw

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2 and FMA kernels of distance_amd64.s, on CPUs that
// have both (every x86-64 server since about 2015).
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func l2AVX2(a, b *float32, n int) float32

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func dotInt8AVX2(a, b *int8, n int) int32
