// Package local is the embedded default vector.Index: a durable, hybrid
// (dense + BM25) index in one directory, usually under $LLMOS_HOME. Archival
// memory stores everything it keeps here when no cluster is configured.
//
//	idx, err := local.Open(ctx, filepath.Join(home, "vector"), local.Options{})
//	...
//	err = idx.Upsert(ctx, []vector.Item{{ID: "m1", Text: "the cat is called Miso", Vector: emb}})
//	res, err := idx.Search(ctx, vector.Query{Vector: q, Text: "cat name", K: 5,
//		Filter: vector.Filter{Namespace: "alice"}})
//
// # Files
//
// The directory holds:
//
//   - vector.log, the log: the durable store. A 20-byte header (magic, a
//     random generation, CRC-32C), then records, each framed by its length
//     and the CRC-32C of length and payload: the dimension of the vectors
//     (written once, before the first vector), an upserted item (id,
//     namespace, text, time, label, metadata and the vector as given), or a
//     set of deleted ids. (An encrypted index seals its items: see
//     Encryption.)
//   - vector.snap, the snapshot: the items (without vectors), where each one's
//     record lies in the log, and the HNSW graph (package vector/hnsw), with
//     the log generation and offset it covers and a CRC-32C of the whole file.
//     It only makes Open fast; it holds nothing the log does not. The vectors
//     of graph nodes that no item points to (deleted or replaced items,
//     whose nodes the graph keeps as tombstones) are written as zeros.
//   - LOCK, flocked while the index is open, so that a second Open (in this
//     process or another) fails with code conflict instead of interleaving
//     appends.
//   - vector.log.damaged-<time>, only after a repair (see below).
//
// Files are replaced only by writing a temporary file, fsyncing it, renaming
// it over the old one and fsyncing the directory; temporary files left by a
// crash are removed at Open.
//
// # Durability
//
// Upsert and Delete append their records and fsync the log before they
// return nil; writers that wait at the same moment share one fsync (group
// commit). So an acknowledged write survives kill -9 and power loss. A write
// is visible to searches from the moment it is in the log, a little before
// it is durable: a search may see a write that a crash then takes back, but
// only one that was never acknowledged. The items of one Upsert call are
// separate records: a crash during the call may keep a prefix of them. A
// Delete is one record, atomic. If an fsync fails, the index takes no more
// writes (code unavailable) until it is reopened, since the kernel may have
// dropped the pages it could not write.
//
// At Open, the snapshot is loaded if its checksum, generation and offset
// agree with the log, and the log after its offset is replayed; otherwise the
// whole state (graph included) is rebuilt from the log and a warning is
// logged. Damage to the log is told apart by what follows it:
//
//   - A record cut short or failing its checksum, with no valid record after
//     it, is a torn tail: a write a crash interrupted, never acknowledged. It
//     is cut off, with a warning. (A bit flipped by the disk in the very last
//     record looks the same, and is lost the same way.)
//   - A damaged record followed by valid ones cannot be a torn write. Open
//     fails with code conflict and an error wrapping ErrCorrupt rather than
//     drop data silently. With Options.Repair, Open keeps a copy of the damaged
//     log (vector.log.damaged-<time>, a hard link where possible), skips the
//     damaged bytes up to the next valid record, writes a new log of every
//     item it could read, and logs what was skipped. Whatever the damaged
//     bytes held (an upsert, or a delete, whose item then comes back) is lost;
//     everything before and after is kept.
//
// A snapshot is written in the background every Options.SnapshotEvery
// records and on Close. When the log holds more than Options.CompactMin bytes
// of replaced and deleted items and is over twice the live data, it is
// compacted in the background: the live records are copied to a new log
// (writers go on meanwhile), the records written since are appended under the
// write lock, and the new log, with a new generation, is renamed over the old
// one. A crash between that rename and the next snapshot only costs a rebuild
// from the log at the next Open.
//
// # Encryption
//
// With Options.Cipher, no file of the index holds an item's text, metadata,
// label, time or vector in the clear. The Cipher (security/vault implements
// it) seals values under the data key of a namespace:
//
//   - The log's magic says it is encrypted ("LLMVLOG\x02" instead of
//     "LLMVLOG\x01"). Each upsert is a sealed record: the item's id and
//     namespace in the clear, which route it, then its text, time, label,
//     metadata and vector sealed under the item's namespace ("" counts as
//     "default"), with the id and namespace as associated data, so a sealed
//     record cannot be moved to another item. The frame and its CRC-32C are
//     those of any record, over the stored (sealed) bytes: torn and damaged
//     records are told apart as above. The dimension and delete records (ids
//     only) stay plain. Compaction copies sealed records as they are.
//   - The snapshot (magic "LLMVSNP\x02", a random stream id, CRC-32C) is
//     sealed under "_index" in chunks of 1 MiB, each framed by its length
//     and CRC-32C and sealed with the stream id, its number and whether it
//     is the last as associated data (the STREAM construction): it is
//     written and read a chunk at a time, and chunks moved, cut off or taken
//     from another snapshot do not open.
//
// A record or chunk that fails its CRC is damage, handled as above (a
// damaged snapshot is rebuilt from the log). One whose CRC holds but that the
// Cipher does not open fails Open with the Cipher's error and code (a wrong
// key, or tampering: code unauthenticated), never garbage; so does a
// plaintext item in an encrypted log. Only the last record of each id is
// opened at Open: older ones, replaced, are never read. A snapshot cut at a
// chunk boundary counts as damage.
//
// Crypto-shredding: when a namespace's key is deleted (Open of the Cipher
// fails with code not_found), its items count as deleted: at Open their
// records are skipped, with one warning per namespace, and if the snapshot
// held them (it opens one record per namespace and key id to find out) it is
// written again without them before Open returns. While the index is open,
// its items stay in memory and in the snapshots it writes, under the
// "_index" key: call DeleteNamespace first, which deletes them, compacts the
// log and writes a fresh snapshot, so that no file holds them under any key;
// then delete the key. A deleted "_index" key only costs a rebuild from the
// log.
//
// An encrypted index opened without a Cipher fails with code invalid ("the
// vector index in DIR is encrypted: no key given"). A plaintext index opened
// with one is encrypted at Open: copies of damaged logs (plaintext) are
// removed, every live item is sealed into a new log renamed over the old
// one, and the plaintext snapshot is replaced; a crash on the way leaves
// either the plaintext index, encrypted again at the next Open, or the
// encrypted log beside a plaintext snapshot, which the next Open removes.
// Old files are unlinked, not overwritten: their blocks stay on the disk
// until reused, as with any file system without encryption of its own.
//
//	idx, err := local.Open(ctx, dir, local.Options{Cipher: vault})
//	...
//	n, err := idx.DeleteNamespace(ctx, "alice") // then: vault deletes alice's key
//
// # Ranking
//
// Vectors are compared by cosine similarity: the graph normalises them, and
// a vector-only search scores by 1 - cosine distance. Get returns the vector
// exactly as upserted (read back from the log); Search and List results carry
// none. Items may have no vector (they are then found by text only), but
// every vector has the dimension fixed by the first one; texts must be valid
// UTF-8 (invalid text is rejected with code invalid, not repaired).
//
// Text is ranked by BM25 (k1 = 1.2, b = 0.75) over an inverted index kept in
// memory and rebuilt at Open. The tokenizer normalises to NFKC, lower-cases,
// splits on anything but letters, digits and combining marks, makes each Han,
// Hiragana and Katakana character a term, drops single ASCII letters and a
// short list of English stop words, and folds English plurals ("stories" →
// "story"). A query of stop words only matches nothing.
//
// A query with both a vector and a text takes the best max(4K, 50) of each
// ranking and fuses them with vector.Fuse (reciprocal rank fusion); the score
// is the fused one. Filters apply before ranking. A filtered vector search
// marks the matching items; when they are few (at most 2,048, or under 1 in
// 50 of the items) it scans them exactly, otherwise it walks the graph with
// the filter and a breadth widened by the filter's selectivity, and falls
// back to the exact scan if the walk finds fewer than K. So K results come
// back whenever K items match.
package local
