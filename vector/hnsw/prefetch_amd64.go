//go:build !purego

package hnsw

import "unsafe"

// prefetch asks the CPU to start loading the cache lines of [p, p+n), n > 0,
// without waiting for them. Go has no prefetch intrinsic; a search touches
// vectors in random places, and on a virtual machine a cache miss there can
// cost half a microsecond, so the search prefetches the next vector while it
// computes the distance to the current one.
//
//go:noescape
func prefetch(p unsafe.Pointer, n uintptr)
