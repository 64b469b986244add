package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/llmos/llmos"
)

// recover loads the index at Open: the snapshot if it is sound, then the log
// after it; or, without a usable snapshot, the whole log. Then it settles
// what encryption asks for (see settle).
func (x *Index) recover(ctx context.Context) error {
	if err := x.load(ctx); err != nil {
		return err
	}
	return x.settle(ctx)
}

// load loads the index from its files.
func (x *Index) load(ctx context.Context) error {
	logPath, snapPath := x.path(logName), x.path(snapName)
	os.Remove(logPath + ".tmp") // the leftovers of a crash during a rewrite
	os.Remove(snapPath + ".tmp")
	if _, err := os.Stat(logPath); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(snapPath); err == nil {
			return llmos.Wrap(ErrCorrupt, llmos.CodeConflict, fmt.Sprintf("vector: the index in %s has a snapshot but no log, and the log is what holds the items; it cannot be opened", x.dir))
		}
		kind := kindPlain
		if x.opts.Cipher != nil {
			kind = kindSealed
		}
		w, err := createLog(logPath, newGen(), kind)
		if err == nil {
			// The directory may be new too: make its entry durable.
			err = syncDir(filepath.Dir(filepath.Clean(x.dir)))
		}
		if err != nil {
			if w != nil {
				w.close()
			}
			return llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot create the index log")
		}
		x.wal = w
		return nil
	} else if err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot read the index log")
	}

	w, err := openLog(logPath)
	if errors.Is(err, errHeader) {
		return x.damaged(ctx, fmt.Errorf("the log header: %w", err))
	}
	if err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot open the index log")
	}
	x.wal = w
	if w.kind == kindSealed && x.opts.Cipher == nil {
		return errNoKey(x.dir)
	}

	err = x.fromSnapshot(ctx)
	var corrupt *corruptError
	var key *keyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &corrupt):
		return x.damaged(ctx, err)
	case ctx.Err() != nil:
		return llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "vector: open cancelled")
	case errors.As(err, &key) && key.ns == indexNS && key.shredded():
		x.log.Warn("vector: the key of the snapshot is gone; rebuilding the index from its log, which holds everything", "dir", x.dir)
	case failure(err, x.dir) != nil:
		return failure(err, x.dir)
	case errors.Is(err, os.ErrNotExist):
		x.log.Info("vector: no snapshot; loading the index from its log", "dir", x.dir)
	case errors.Is(err, errStaleSnapshot):
		x.log.Info("vector: the snapshot predates the last log compaction; rebuilding from the log", "dir", x.dir)
	case errors.Is(err, errPlainSnapshot):
		x.log.Info("vector: removing a plaintext snapshot left beside the encrypted log; rebuilding from the log", "dir", x.dir)
		os.Remove(snapPath)
	default:
		x.log.Warn("vector: the snapshot is unusable; rebuilding the index from its log, which holds everything", "dir", x.dir, "err", err)
	}
	x.reset()
	start := time.Now()
	if err := x.replay(ctx, headerSize); err != nil {
		if errors.As(err, &corrupt) {
			return x.damaged(ctx, err)
		}
		if ctx.Err() != nil {
			return llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "vector: open cancelled")
		}
		if f := failure(err, x.dir); f != nil {
			return f
		}
		return llmos.Wrap(err, llmos.CodeInternal, "vector: cannot load the index from its log")
	}
	x.log.Info("vector: index rebuilt from its log", "dir", x.dir, "items", len(x.items), "took", time.Since(start))
	x.noteWrites(max(x.opts.SnapshotEvery, 0)) // write a snapshot soon
	return nil
}

// errStaleSnapshot is the error of a snapshot of an older log generation:
// a crash came between a compaction and the snapshot that follows it.
var errStaleSnapshot = errors.New("snapshot of an older log")

// fromSnapshot loads the snapshot and replays the log after it.
func (x *Index) fromSnapshot(ctx context.Context) error {
	s, err := readSnapshot(x.path(snapName), x.wal.kind, x.opts.Cipher)
	if err != nil {
		return err
	}
	switch {
	case s.gen != x.wal.gen:
		return errStaleSnapshot
	case s.off < int64(headerSize) || s.off > x.wal.size:
		return fmt.Errorf("%w: it covers %d bytes of a log of %d", errSnapshot, s.off, x.wal.size)
	}
	if x.wal.kind == kindSealed {
		if s.docs, err = x.dropShredded(s.docs); err != nil {
			return err
		}
	}
	x.dim, x.dimLogged, x.graph = s.dim, s.dim != 0, s.graph
	tfs := make([][]termFreq, len(s.docs))
	lens := make([]int, len(s.docs))
	if err := parallel(ctx, len(s.docs), func(i int) error {
		tfs[i], lens[i] = analyze(s.docs[i].item.Text)
		return nil
	}); err != nil {
		return err
	}
	ids := make([]string, 0, len(s.docs))
	for i, d := range s.docs {
		if x.items[d.item.ID] != nil {
			return fmt.Errorf("%w: item %q twice", errSnapshot, clip(d.item.ID))
		}
		x.apply(d, tfs[i], lens[i], nil)
		ids = append(ids, d.item.ID)
	}
	slices.Sort(ids)
	x.ids = idList{sorted: ids}
	if err := x.replay(ctx, s.off); err != nil {
		return err
	}
	x.snapGen, x.snapOff = s.gen, s.off
	return x.heal()
}

// final is the last word of the log on one id.
type final struct {
	id      string
	s       scanned
	deleted bool
}

// collect scans the log from off and returns the final record of each id
// there, in order of first appearance, and the dimension it records (0 if
// none). With skip, damaged records are skipped (see wal.scan).
func collect(ctx context.Context, w *wal, off int64, skip bool, dim int) (out []final, newDim int, end, skipped int64, err error) {
	at := map[string]int{}
	set := func(f final) {
		if i, ok := at[f.id]; ok {
			out[i] = f
			return
		}
		at[f.id] = len(out)
		out = append(out, f)
	}
	records := 0
	end, skipped, err = w.scan(off, skip, func(s scanned) error {
		if records++; records%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		switch s.rec.op {
		case opDim:
			if dim != 0 && dim != s.rec.dim {
				return fmt.Errorf("the log records dimension %d after %d", s.rec.dim, dim)
			}
			dim = s.rec.dim
		case opSealed:
			if err := w.accepts(s); err != nil {
				return err
			}
			set(final{id: s.rec.item.ID, s: s})
		case opUpsert:
			if err := w.accepts(s); err != nil {
				return err
			}
			if n := len(s.rec.item.Vector); n > 0 {
				if dim == 0 {
					dim = n // a dim record lost to a repair
				} else if n != dim {
					return fmt.Errorf("item %q at byte %d has dimension %d, not %d", clip(s.rec.item.ID), s.off, n, dim)
				}
			}
			set(final{id: s.rec.item.ID, s: s})
		case opDelete:
			for _, id := range s.rec.ids {
				set(final{id: id, deleted: true})
			}
		}
		return nil
	})
	return out, dim, end, skipped, err
}

// replay applies the log from off to the state in memory and cuts a torn
// tail. It counts the records replayed as records to snapshot.
func (x *Index) replay(ctx context.Context, off int64) error {
	finals, dim, end, _, err := collect(ctx, x.wal, off, false, x.dim)
	if err != nil {
		return err
	}
	x.noteWrites(len(finals))
	if end < x.wal.size {
		x.log.Warn("vector: cutting a torn record at the end of the log (a write that was never acknowledged)", "dir", x.dir, "offset", end, "bytes", x.wal.size-end)
		if err := x.wal.truncate(end); err != nil {
			return err
		}
	}
	var dead []uint32
	prep := make([]prepared, 0, len(finals))
	sealed := false
	for _, f := range finals {
		if f.deleted {
			if d := x.items[f.id]; d != nil {
				dead = x.remove(d, dead)
			}
			continue
		}
		rec := f.s.rec
		p := prepared{d: &doc{item: rec.item, node: noNode, off: f.s.off, size: f.s.size}, vec: rec.item.Vector}
		p.d.item.Vector = nil
		if rec.op == opSealed {
			p.sealed, p.d.kid, sealed = rec.sealed, keyID(rec.sealed), true
		}
		prep = append(prep, p)
	}
	if sealed {
		if prep, dead, dim, err = x.unsealAll(ctx, prep, dead, dim); err != nil {
			return err
		}
	}
	if dim != x.dim {
		x.dim, x.dimLogged = dim, true
	}
	if x.dim != 0 && x.graph == nil {
		if x.graph, err = x.newGraph(x.dim); err != nil {
			return err
		}
	}
	if err := parallel(ctx, len(prep), func(i int) error {
		p := &prep[i]
		p.tfs, p.n = analyze(p.d.item.Text)
		if p.vec != nil {
			n, err := x.graph.Add(p.vec)
			if err != nil {
				return err
			}
			p.d.node, p.vec = n, nil
		}
		return nil
	}); err != nil {
		return err
	}
	for i := range prep {
		dead = x.apply(prep[i].d, prep[i].tfs, prep[i].n, dead)
	}
	for _, n := range dead {
		x.graph.Delete(n)
	}
	return nil
}

// heal makes the graph agree with the items after a snapshot was loaded:
// an item whose node is missing or deleted gets its vector added again from
// the log, and nodes no item points to (added while the snapshot was being
// written) are deleted.
func (x *Index) heal() error {
	g := x.graph
	if g == nil {
		return nil
	}
	fixed := 0
	for _, d := range x.items {
		if d.node == noNode || int(d.node) < g.Nodes() && !g.Deleted(d.node) && x.nodes[d.node] == d {
			continue
		}
		it, err := x.readItem(d.off, d.size, d.item.ID)
		if k := (*keyError)(nil); errors.As(err, &k) && !k.shredded() {
			return err
		}
		if err != nil || len(it.Vector) != x.dim {
			return fmt.Errorf("%w: the record of item %q at byte %d: %v", errSnapshot, clip(d.item.ID), d.off, err)
		}
		n, err := g.Add(it.Vector)
		if err != nil {
			return err
		}
		if int(d.node) < len(x.nodes) && x.nodes[d.node] == d {
			x.nodes[d.node] = nil
		}
		d.node = n
		x.growNodes(n)
		x.nodes[n] = d
		fixed++
	}
	for n := range uint32(g.Nodes()) {
		if (int(n) >= len(x.nodes) || x.nodes[n] == nil) && !g.Deleted(n) {
			g.Delete(n)
		}
	}
	if len(x.nodes) > g.Nodes() {
		x.nodes = x.nodes[:g.Nodes()]
	}
	if fixed > 0 {
		x.log.Warn("vector: the snapshot's graph missed some items; their vectors were added again from the log", "dir", x.dir, "items", fixed)
	}
	return nil
}

// damaged handles a log with damage that is not a torn tail: without Repair
// it is an error; with Repair, the damaged log is kept aside and replaced by
// one holding every record that could be read.
func (x *Index) damaged(ctx context.Context, cause error) error {
	if !x.opts.Repair {
		x.log.Error("vector: the index log is damaged", "dir", x.dir, "err", cause)
		return llmos.Wrap(fmt.Errorf("%w: %w", ErrCorrupt, cause), llmos.CodeConflict,
			fmt.Sprintf("vector: the log of the index in %s is damaged (%v), and valid records follow the damage, so it is not a write cut short by a crash; "+
				"open it with the Repair option to skip the damage (the damaged log is kept beside it)", x.dir, cause))
	}
	if x.wal != nil {
		x.wal.close()
		x.wal = nil
	}
	x.reset()
	logPath := x.path(logName)
	f, err := os.Open(logPath)
	if err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot read the index log")
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot read the index log")
	}
	raw := &wal{path: logPath, f: f, size: st.Size()}
	_, raw.kind = readHeader(f)
	finals, dim, end, skipped, err := collect(ctx, raw, int64(headerSize), true, 0)
	if err == nil {
		raw.kind, err = x.repairKind(raw.kind, finals)
	}
	if err != nil {
		f.Close()
		if fl := failure(err, x.dir); fl != nil {
			return fl
		}
		return llmos.Wrap(err, llmos.CodeInternal, "vector: cannot repair the index log")
	}
	skipped += st.Size() - end
	aside := fmt.Sprintf("%s.damaged-%s", logPath, time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Link(logPath, aside); err != nil {
		err = copyFile(f, aside)
		if err != nil {
			f.Close()
			return llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot keep a copy of the damaged log")
		}
	}
	kept := 0
	err = writeFileSync(logPath, func(w *bufio.Writer) error {
		if _, err := w.Write(encodeHeader(newGen(), raw.kind)); err != nil {
			return err
		}
		if dim != 0 {
			if _, err := w.Write(appendDim(nil, dim)); err != nil {
				return err
			}
		}
		for _, fin := range finals {
			if fin.deleted {
				continue
			}
			var rec []byte
			var err error
			if r := &fin.s.rec; r.op == opSealed {
				rec, err = appendSealed(nil, r.item.ID, r.item.Namespace, r.sealed)
			} else {
				rec, err = appendUpsert(nil, &r.item)
			}
			if err != nil {
				return err
			}
			if _, err := w.Write(rec); err != nil {
				return err
			}
			kept++
		}
		return nil
	})
	f.Close()
	if err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot write the repaired index log")
	}
	os.Remove(x.path(snapName))
	x.log.Warn("vector: repaired the damaged index log; what the damaged bytes held is lost", "dir", x.dir,
		"skipped_bytes", skipped, "items", kept, "damaged_copy", aside, "cause", cause)
	if x.wal, err = openLog(logPath); err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot open the repaired index log")
	}
	if err := x.replay(ctx, headerSize); err != nil {
		if f := failure(err, x.dir); f != nil {
			return f
		}
		return llmos.Wrap(err, llmos.CodeInternal, "vector: cannot load the repaired index log")
	}
	x.noteWrites(max(x.opts.SnapshotEvery, 0))
	return nil
}

func copyFile(src *os.File, dst string) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, io.NewSectionReader(src, 0, 1<<62))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// parallel calls fn(i) for i in [0, n) on GOMAXPROCS goroutines and returns
// the first error; it stops early when ctx is cancelled.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), (n+7)/8)
	if workers <= 1 {
		for i := range n {
			if i%1024 == 1023 && ctx.Err() != nil {
				return ctx.Err()
			}
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int, workers)
	)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		if i%1024 == 1023 && ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
