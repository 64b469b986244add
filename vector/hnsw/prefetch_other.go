//go:build !amd64 || purego

package hnsw

import "unsafe"

// prefetch does nothing here: there is no assembly for this architecture.
func prefetch(p unsafe.Pointer, n uintptr) {}
