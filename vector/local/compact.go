package local

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
)

// compact rewrites the log with only the records of live items, and returns
// the log's size before and after. The caller holds snapMu.
//
// The live records as of a cut are copied to a temporary file without the
// index's lock, fsynced; then, under the write lock, the records written
// since the cut are copied after them verbatim, the file is fsynced and
// renamed over the log, and the directory is fsynced. A crash before the
// rename leaves the old log (the temporary file is removed at Open); after
// it, the new one, whose new generation makes the old snapshot stale, so the
// next Open rebuilds from the log until the snapshot that follows is written.
func (x *Index) compact() (before, after int64, err error) {
	w := x.wal
	x.mu.RLock()
	cut, dim := w.size, x.dim
	docs := make([]*doc, 0, len(x.items))
	for _, d := range x.items {
		docs = append(docs, d)
	}
	x.mu.RUnlock()
	slices.SortFunc(docs, func(a, b *doc) int { return cmp.Compare(a.off, b.off) }) // read the old log in order

	gen := newGen()
	tmp := w.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, 0, err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	bw.Write(encodeHeader(gen, w.kind))
	pos := int64(headerSize)
	if dim != 0 {
		rec := appendDim(nil, dim)
		bw.Write(rec)
		pos += int64(len(rec))
	}
	var buf []byte
	for _, d := range docs {
		buf = slices.Grow(buf[:0], int(d.size))[:d.size]
		if _, err := w.f.ReadAt(buf, d.off); err != nil {
			return 0, 0, err
		}
		if _, n, err := parseFrame(buf); err != nil || int64(n) != d.size {
			return 0, 0, fmt.Errorf("%w: the record of item %q at byte %d does not read back", ErrCorrupt, clip(d.item.ID), d.off)
		}
		if _, err := bw.Write(buf); err != nil {
			return 0, 0, err
		}
		d.newOff = pos
		pos += d.size
	}
	if err := bw.Flush(); err != nil {
		return 0, 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, 0, err
	}

	x.mu.Lock()
	defer x.mu.Unlock()
	if err := w.failed(); err != nil {
		return 0, 0, err
	}
	before = w.size
	base := pos
	if _, err := io.Copy(f, io.NewSectionReader(w.f, cut, w.size-cut)); err != nil {
		return 0, 0, err
	}
	after = base + w.size - cut
	for _, d := range x.items {
		if d.off < cut && d.newOff == 0 {
			return 0, 0, fmt.Errorf("item %q was not copied", clip(d.item.ID))
		}
	}
	if err := f.Sync(); err != nil {
		return 0, 0, err
	}
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	if err := os.Rename(tmp, w.path); err != nil {
		return 0, 0, err
	}
	done = true
	old := w.f
	w.f, w.gen, w.size = f, gen, after
	w.synced = w.seq.Load() // all of it is in the new file, fsynced
	old.Close()
	for _, d := range x.items {
		if d.off >= cut {
			d.off = base + d.off - cut
		} else {
			d.off = d.newOff
		}
		d.newOff = 0
	}
	if err := syncDir(x.dir); err != nil {
		// The rename may not survive a crash, and writes from now on go to
		// the new file: take no more of them.
		w.fail(err)
		return before, after, err
	}
	return before, after, nil
}
