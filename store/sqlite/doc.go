// Package sqlite is the embedded durable store of llmos: one SQLite file under
// $LLMOS_HOME, through a pure-Go driver (modernc.org/sqlite), so the binary
// needs no cgo. It implements kernel.Store (processes, their conversations and
// traces) and memory.Store (recall search, core memory blocks, memory
// metadata). Several llmos commands may open the same file at once (one runs a
// process while another lists or kills it): the file is in WAL mode and
// writers wait for each other.
//
// # Encryption at rest
//
// Open keeps everything in plaintext (tests, tools). OpenWith given a Cipher
// (security/vault implements it) seals every value that a user or a model
// wrote before it reaches the file, with AES-256-GCM under the data key of
// the namespace (the user) it belongs to:
//
//	column                  namespace             associated data
//	processes.data          the process's         processes/<pid>
//	messages.data           the process's         messages/<pid>/<seq>
//	events.data             the process's         events/<pid>/<seq>
//	core_blocks.value       the block's           core/<ns>/<name>
//	memory_meta.value       "_system"             meta/<key>
//
// The associated data binds each value to its row, so sealed values cannot be
// swapped between rows or processes unnoticed. What stays in the clear is
// schema-like: pids, parents, states, model names, times, event kinds,
// namespace names, core block names ("persona", "human") and meta keys.
//
// Recall search cannot index ciphertext, so with a Cipher user and assistant
// messages are indexed in messages_blind: each word is split as FTS5's
// unicode61 tokenizer would, Porter-stemmed (the same stemmer FTS5's porter
// tokenizer applies), and replaced by Cipher.Blind(ns, stem), a keyed
// deterministic token. A query gets the same transform, so BM25 ranking and
// stemming ("running" finds "runs") work as in the plaintext index
// messages_fts. The blind index reveals which messages share words and how
// often (never the words themselves, nor anything without the namespace key).
//
// With a Cipher the connection also sets secure_delete (deleted or
// overwritten content is zeroed in the file) and keeps temporary tables in
// memory. A plaintext database opened with a Cipher is converted when it is
// opened: every plaintext value is sealed and its index entries moved to the
// blind index in one transaction, then the file is vacuumed and the WAL
// truncated, so no page of the old plaintext remains. Once a file has been
// opened with a Cipher, open it with one always: without it, reading a sealed
// value is an error (CodeUnauthenticated), and a plaintext value read with a
// Cipher is refused as well (it could have been planted in the file).
//
// A value that does not open (wrong key, altered value, shredded namespace)
// is the cipher's *llmos.Error with its code kept (CodeUnauthenticated,
// CodeNotFound), never garbage. Processes skips the processes whose
// namespace key was deleted (CodeNotFound) and fails on any other error.
// DeleteNamespace deletes the rows of a namespace; together with deleting its
// key in the vault this crypto-shreds a user.
package sqlite
