// Package store holds llmos's durable state: processes, their conversations and
// their traces. The kernel owns the interface (kernel.Store); each backend is a
// package of its own: store/sqlite, the embedded default, and later
// store/postgres for several nodes. store/storetest is the conformance suite
// every backend passes.
package store
