//go:build !amd64 || purego

package hnsw

// useAsm is false: there are no assembly kernels for this architecture (or
// the purego build tag is set), and the Go kernels of distance.go run.
const useAsm = false

func l2AVX2(a, b *float32, n int) float32 { panic("unreachable") }

func dotAVX2(a, b *float32, n int) float32 { panic("unreachable") }

func dotInt8AVX2(a, b *int8, n int) int32 { panic("unreachable") }
