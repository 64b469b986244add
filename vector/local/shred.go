package local

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/llmos/llmos"
)

// DeleteNamespace deletes every item of namespace ns and rewrites the
// index's files without them: the log is compacted and a fresh snapshot is
// written, so that afterwards no file of the index holds them, under any
// key. It returns the number of items deleted. ns is a key namespace: ""
// and "default" both name the items without a namespace and those of
// namespace "default".
//
// Deleting a namespace's key (crypto-shredding it) makes its records in the
// log unreadable, but the snapshot, sealed under "_index", holds the items
// of every namespace: call DeleteNamespace before the key is deleted. If
// the deletion is durable but the files could not be rewritten, the count
// comes back with an error (code unavailable); calling again rewrites them.
// Copies of damaged logs kept by a repair (vector.log.damaged-*) are not
// rewritten: in an encrypted index their records are sealed under the
// namespace's key, and are shredded with it.
func (x *Index) DeleteNamespace(ctx context.Context, ns string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, llmos.Wrap(err, llmos.CodeCanceled, "vector: delete cancelled")
	}
	kns := keyNS(ns)
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return 0, errClosed()
	}
	var ids []string
	for id, d := range x.items {
		if keyNS(d.item.Namespace) == kns {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	seq := x.wal.seq.Load() // with nothing to delete, wait for earlier writes
	if len(ids) > 0 {
		var err error
		if seq, err = x.wal.append(appendDelete(nil, ids)); err != nil {
			x.mu.Unlock()
			x.log.Error("vector: writing the log failed", "dir", x.dir, "err", err)
			return 0, llmos.Wrap(err, llmos.CodeUnavailable, "vector: writing the index log failed")
		}
		var dead []uint32
		for _, id := range ids {
			dead = x.remove(x.items[id], dead)
		}
		g := x.graph
		x.mu.Unlock()
		for _, n := range dead {
			g.Delete(n)
		}
	} else {
		x.mu.Unlock()
	}
	if err := x.commit(seq, 1); err != nil {
		return 0, err
	}

	x.snapMu.Lock()
	defer x.snapMu.Unlock()
	x.mu.RLock()
	closed := x.closed
	x.mu.RUnlock()
	if closed {
		return len(ids), errClosed()
	}
	if _, _, err := x.compact(); err != nil {
		x.log.Error("vector: compacting the log after deleting a namespace failed", "dir", x.dir, "err", err)
		return len(ids), llmos.Wrap(err, llmos.CodeUnavailable, "vector: the items were deleted, but the index log could not be rewritten without them")
	}
	if err := x.snapshot(); err != nil {
		x.log.Error("vector: writing the snapshot after deleting a namespace failed", "dir", x.dir, "err", err)
		// The snapshot on disk is of the old log, which no longer exists: it
		// would not be used again, but still holds the items.
		os.Remove(x.path(snapName))
		syncDir(x.dir)
		return len(ids), llmos.Wrap(err, llmos.CodeUnavailable, "vector: the items were deleted, but the index snapshot could not be rewritten without them")
	}
	x.log.Info("vector: namespace deleted", "dir", x.dir, "namespace", kns, "items", len(ids))
	return len(ids), nil
}

// unsealAll opens the sealed records of prep, replayed from the log. An item
// whose key is gone is dropped and counts as deleted (dead gets the node of
// the item of its id, if any); any other failure of the cipher is returned.
// It checks the dimension of the vectors against dim, or fixes it.
func (x *Index) unsealAll(ctx context.Context, prep []prepared, dead []uint32, dim int) ([]prepared, []uint32, int, error) {
	if err := parallel(ctx, len(prep), func(i int) error {
		p := &prep[i]
		if p.sealed == nil {
			return nil
		}
		it, err := x.unseal(p.d.item.ID, p.d.item.Namespace, p.sealed, p.d.off)
		p.sealed = nil
		if k := (*keyError)(nil); errors.As(err, &k) && k.shredded() {
			p.gone = true
			return nil
		}
		if err != nil {
			return err
		}
		p.vec, it.Vector = it.Vector, nil
		p.d.item = it
		return nil
	}); err != nil {
		return nil, nil, 0, err
	}
	kept := prep[:0]
	for _, p := range prep {
		if p.gone {
			x.shredded[keyNS(p.d.item.Namespace)]++
			if d := x.items[p.d.item.ID]; d != nil {
				dead = x.remove(d, dead)
			}
			continue
		}
		if n := len(p.vec); n > 0 {
			if dim == 0 {
				dim = n // a dim record lost to a repair
			} else if n != dim {
				return nil, nil, 0, fmt.Errorf("item %q at byte %d has dimension %d, not %d", clip(p.d.item.ID), p.d.off, n, dim)
			}
		}
		kept = append(kept, p)
	}
	return kept, dead, dim, nil
}

// dropShredded returns the docs of an encrypted snapshot but those whose key
// is gone. It opens one record per namespace and key id: a key deleted
// (code not_found) drops every item it sealed; any other failure of the
// cipher is returned, to fail Open; a record that does not read is damage
// to the snapshot.
func (x *Index) dropShredded(docs []*doc) ([]*doc, error) {
	type group struct {
		ns  string
		kid uint32
	}
	first := map[group]*doc{}
	for _, d := range docs {
		g := group{keyNS(d.item.Namespace), d.kid}
		if first[g] == nil {
			first[g] = d
		}
	}
	gone := map[group]bool{}
	for g, d := range first {
		_, err := x.readItem(d.off, d.size, d.item.ID)
		var k *keyError
		switch {
		case errors.As(err, &k) && k.shredded():
			gone[g] = true
		case k != nil:
			return nil, err
		case err != nil:
			return nil, fmt.Errorf("%w: the record of item %q at byte %d: %v", errSnapshot, clip(d.item.ID), d.off, err)
		}
	}
	if len(gone) == 0 {
		return docs, nil
	}
	kept := docs[:0]
	for _, d := range docs {
		if g := (group{keyNS(d.item.Namespace), d.kid}); gone[g] {
			x.shredded[g.ns]++
			continue
		}
		kept = append(kept, d)
	}
	return kept, nil
}

// repairKind returns the kind of log that a repair writes, from the kind its
// damaged header said (kindAny if unreadable) and the records read.
func (x *Index) repairKind(kind byte, finals []final) (byte, error) {
	if kind == kindAny {
		plain, sealed := 0, 0
		for _, f := range finals {
			switch {
			case f.deleted:
			case f.s.rec.op == opSealed:
				sealed++
			default:
				plain++
			}
		}
		switch {
		case plain > 0 && sealed > 0:
			return 0, &openFailure{llmos.Errorf(llmos.CodeUnauthenticated, "vector: the damaged log of the index in %s holds both encrypted and plaintext items; it cannot be repaired", x.dir)}
		case sealed > 0, plain == 0 && x.opts.Cipher != nil:
			kind = kindSealed
		default:
			kind = kindPlain
		}
	}
	if kind == kindSealed && x.opts.Cipher == nil {
		return 0, &openFailure{errNoKey(x.dir)}
	}
	return kind, nil
}

// settle finishes Open for encryption: it warns once per namespace whose
// items were skipped because its key is gone, and replaces the snapshot
// that may hold them; and it encrypts a plaintext index opened with a
// Cipher.
func (x *Index) settle(ctx context.Context) error {
	for ns, n := range x.shredded {
		x.log.Warn("vector: the key of a namespace is gone; its items are skipped as deleted (crypto-shredded)", "dir", x.dir, "namespace", ns, "items", n)
	}
	if x.opts.Cipher != nil && x.wal.kind != kindSealed {
		if x.opts.Sealed {
			return llmos.Errorf(llmos.CodeUnauthenticated, "the vector index in %s is in plaintext, but it was sealed: "+
				"its files were replaced by someone without the key; move them aside to start anew", x.dir)
		}
		return x.encrypt(ctx)
	}
	if len(x.shredded) == 0 {
		return nil
	}
	// The snapshot, sealed under "_index", may still hold them.
	x.snapMu.Lock()
	defer x.snapMu.Unlock()
	x.snapGen, x.snapOff = 0, 0
	if err := x.snapshot(); err != nil {
		os.Remove(x.path(snapName))
		syncDir(x.dir)
		x.log.Warn("vector: no snapshot written after skipping crypto-shredded items; the old one is removed", "dir", x.dir, "err", err)
	}
	return nil
}

// encrypt rewrites a plaintext index sealed, at Open. Copies of damaged logs
// (plaintext) are removed first; then every live item's record is read,
// sealed and written to a new log, which is renamed over the old one, and
// the plaintext snapshot is replaced by an encrypted one. A crash before the
// rename leaves the plaintext index, encrypted again at the next Open; after
// it, a plaintext snapshot beside the encrypted log is removed at Open.
func (x *Index) encrypt(ctx context.Context) error {
	start := time.Now()
	old := x.wal
	docs := make([]*doc, 0, len(x.items))
	for _, d := range x.items {
		docs = append(docs, d)
	}
	slices.SortFunc(docs, func(a, b *doc) int { return cmp.Compare(a.off, b.off) })
	x.log.Warn("vector: the index is not encrypted; encrypting it now", "dir", x.dir, "items", len(docs))
	copies, _ := filepath.Glob(x.path(logName) + ".damaged-*")
	for _, c := range copies {
		if err := os.Remove(c); err != nil {
			return llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot remove a plaintext copy of a damaged log")
		}
		x.log.Warn("vector: removed a plaintext copy of a damaged log", "dir", x.dir, "file", filepath.Base(c))
	}
	type place struct {
		off, size int64
		kid       uint32
	}
	places := make([]place, len(docs))
	gen := newGen()
	err := writeFileSync(old.path, func(bw *bufio.Writer) error {
		if _, err := bw.Write(encodeHeader(gen, kindSealed)); err != nil {
			return err
		}
		pos := int64(headerSize)
		if x.dim != 0 {
			rec := appendDim(nil, x.dim)
			if _, err := bw.Write(rec); err != nil {
				return err
			}
			pos += int64(len(rec))
		}
		for i, d := range docs {
			if i%1024 == 1023 && ctx.Err() != nil {
				return ctx.Err()
			}
			it, err := x.readItem(d.off, d.size, d.item.ID)
			if err != nil {
				return err
			}
			rec, kid, err := x.encodeUpsert(&it)
			if err != nil {
				return err
			}
			if _, err := bw.Write(rec); err != nil {
				return err
			}
			places[i] = place{pos, int64(len(rec)), kid}
			pos += int64(len(rec))
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "vector: open cancelled")
		}
		var le *llmos.Error
		if errors.As(err, &le) {
			return err
		}
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("vector: cannot encrypt the index in %s", x.dir))
	}
	w, err := openLog(old.path)
	if err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot open the encrypted index log")
	}
	old.close()
	x.wal = w
	x.liveBytes = 0
	for i, d := range docs {
		d.off, d.size, d.kid = places[i].off, places[i].size, places[i].kid
		x.liveBytes += d.size
	}
	x.dimLogged = x.dim != 0
	os.Remove(x.path(snapName))
	syncDir(x.dir)

	x.snapMu.Lock()
	defer x.snapMu.Unlock()
	x.snapGen, x.snapOff = 0, 0
	if err := x.snapshot(); err != nil {
		x.log.Warn("vector: no snapshot written after encrypting the index; the next open replays the log", "dir", x.dir, "err", err)
	}
	x.log.Info("vector: index encrypted", "dir", x.dir, "items", len(docs), "took", time.Since(start))
	return nil
}
