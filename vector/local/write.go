package local

import (
	"context"
	"maps"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/hnsw"
)

// prepared is an item made ready for the log and the indexes outside the
// lock: its record encoded, its terms counted, its vector in the graph.
type prepared struct {
	d   *doc
	vec []float32
	tfs []termFreq
	n   int // terms
	rec []byte

	sealed []byte // replay: the sealed part of its record, to open
	gone   bool   // replay: its key is gone (crypto-shredded)
}

// Upsert adds items, replacing those with the same IDs, and returns once they
// are durable (fsynced; writers that wait together share one fsync). Items
// of one call are logged together but are not atomic: after a crash, an
// Upsert that had not returned may have kept a prefix of its items.
//
// An item needs an ID, and a text, a vector or both; its text must be valid
// UTF-8; its vector must be finite, not zero, and of the index's dimension
// (fixed by the first vector ever upserted). Items without a vector are found
// by text only. Any invalid item fails the whole call with code invalid
// before anything is written.
func (x *Index) Upsert(ctx context.Context, items []vector.Item) error {
	if err := ctx.Err(); err != nil {
		return llmos.Wrap(err, llmos.CodeCanceled, "vector: upsert cancelled")
	}
	if len(items) == 0 {
		return nil
	}
	batchDim, firstID := 0, ""
	for i := range items {
		it := &items[i]
		if err := validItem(it); err != nil {
			return err
		}
		if n := len(it.Vector); n > 0 {
			if batchDim == 0 {
				batchDim, firstID = n, it.ID
			} else if n != batchDim {
				return llmos.Errorf(llmos.CodeInvalid, "vector: item %q has a vector of dimension %d, item %q one of dimension %d", clip(it.ID), n, clip(firstID), batchDim)
			}
		}
	}
	x.mu.RLock()
	cur := x.dim
	x.mu.RUnlock()
	if batchDim != 0 && cur != 0 && batchDim != cur {
		return dimError(batchDim, cur)
	}
	for i := range items {
		if len(items[i].Vector) > 0 {
			if err := validVector(items[i].Vector); err != nil {
				return llmos.Errorf(llmos.CodeInvalid, "vector: item %q: %s", clip(items[i].ID), err.Msg)
			}
		}
	}
	g, err := x.graphFor(batchDim)
	if err != nil {
		return err
	}

	prep := make([]prepared, len(items))
	for i := range items {
		it := items[i]
		it.Vector = nil
		it.Meta = maps.Clone(it.Meta)
		it.Label.Sources = slices.Clone(it.Label.Sources)
		p := &prep[i]
		p.d = &doc{item: it, node: noNode}
		if items[i].Vector != nil {
			p.vec = slices.Clone(items[i].Vector)
		}
		if p.rec, p.d.kid, err = x.encodeUpsert(&items[i]); err != nil {
			return err
		}
		p.tfs, p.n = analyze(it.Text)
	}
	if err := addNodes(ctx, g, prep); err != nil {
		return err
	}

	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		dropNodes(g, prep)
		return errClosed()
	}
	var buf []byte
	if batchDim > 0 && !x.dimLogged {
		buf = appendDim(buf, x.dim)
	}
	off := x.wal.size + int64(len(buf))
	for i := range prep {
		p := &prep[i]
		p.d.off, p.d.size = off, int64(len(p.rec))
		off += p.d.size
		buf = append(buf, p.rec...)
	}
	seq, err := x.wal.append(buf)
	if err != nil {
		x.mu.Unlock()
		dropNodes(g, prep)
		x.log.Error("vector: writing the log failed", "dir", x.dir, "err", err)
		return llmos.Wrap(err, llmos.CodeUnavailable, "vector: writing the index log failed")
	}
	if batchDim > 0 {
		x.dimLogged = true
	}
	var dead []uint32
	for i := range prep {
		dead = x.apply(prep[i].d, prep[i].tfs, prep[i].n, dead)
	}
	g = x.graph // a batch without vectors may replace items with them
	x.mu.Unlock()
	for _, n := range dead {
		g.Delete(n)
	}
	return x.commit(seq, len(prep))
}

// commit waits for the append seq to be durable.
func (x *Index) commit(seq uint64, records int) error {
	if err := x.wal.syncTo(seq); err != nil {
		x.log.Error("vector: fsync of the log failed; the index takes no more writes until reopened", "dir", x.dir, "err", err)
		return llmos.Wrap(err, llmos.CodeUnavailable, "vector: the index log could not be made durable")
	}
	x.noteWrites(records)
	return nil
}

func validItem(it *vector.Item) error {
	if it.ID == "" {
		return llmos.Errorf(llmos.CodeInvalid, "vector: an item has an empty id")
	}
	if !utf8.ValidString(it.Text) {
		return llmos.Errorf(llmos.CodeInvalid, "vector: the text of item %q is not valid UTF-8", clip(it.ID))
	}
	if it.Text == "" && len(it.Vector) == 0 {
		return llmos.Errorf(llmos.CodeInvalid, "vector: item %q has neither a text nor a vector", clip(it.ID))
	}
	return nil
}

// validVector checks that v can be compared by cosine.
func validVector(v []float32) *llmos.Error {
	if len(v) > maxDim {
		return llmos.Errorf(llmos.CodeInvalid, "the vector has dimension %d; the most is %d", len(v), maxDim)
	}
	var norm float64
	for _, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return llmos.Errorf(llmos.CodeInvalid, "the vector has a component that is not a finite number")
		}
		norm += float64(f) * float64(f)
	}
	if norm == 0 {
		return llmos.Errorf(llmos.CodeInvalid, "the vector is zero, so it has no direction to compare")
	}
	return nil
}

// graphFor returns the graph for a batch whose vectors have dimension dim
// (0 for a batch without vectors, which needs no graph), creating it when the
// batch is the first with vectors.
func (x *Index) graphFor(dim int) (*hnsw.Graph, error) {
	x.mu.RLock()
	cur, g, closed := x.dim, x.graph, x.closed
	x.mu.RUnlock()
	if closed {
		return nil, errClosed()
	}
	if dim == 0 || cur == dim {
		return g, nil
	}
	if cur != 0 {
		return nil, dimError(dim, cur)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.dim == 0 {
		g, err := x.newGraph(dim)
		if err != nil {
			return nil, err
		}
		x.dim, x.graph = dim, g
	}
	if x.dim != dim {
		return nil, dimError(dim, x.dim)
	}
	return x.graph, nil
}

func dimError(got, want int) error {
	return llmos.Errorf(llmos.CodeInvalid, "vector: a vector has dimension %d; the index holds vectors of dimension %d", got, want)
}

// addNodes adds the vectors of prep to g, in parallel for large batches, and
// sets the docs' nodes. On failure it removes the nodes it added.
func addNodes(ctx context.Context, g *hnsw.Graph, prep []prepared) error {
	err := parallel(ctx, len(prep), func(i int) error {
		if prep[i].vec == nil {
			return nil
		}
		n, err := g.Add(prep[i].vec)
		if err != nil {
			return err
		}
		prep[i].d.node = n
		return nil
	})
	if err == nil {
		return nil
	}
	dropNodes(g, prep)
	switch llmos.ErrorCode(err) {
	case llmos.CodeCanceled:
		return llmos.Wrap(err, llmos.CodeCanceled, "vector: upsert cancelled")
	case llmos.CodeInternal:
		return llmos.Wrap(err, llmos.CodeInternal, "vector: adding to the graph failed")
	}
	return err
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// dropNodes tombstones the nodes added for a batch that was not logged.
func dropNodes(g *hnsw.Graph, prep []prepared) {
	for i := range prep {
		if n := prep[i].d.node; n != noNode {
			g.Delete(n)
			prep[i].d.node = noNode
		}
	}
}

// apply makes d, already logged, the item of its id. It returns dead with
// the node of the item it replaces, if any, appended: the caller tombstones
// those once it has released the lock (the graph's snapshot holds the
// graph's own lock for a while, and searches should not wait behind it).
// The caller holds the write lock.
func (x *Index) apply(d *doc, tfs []termFreq, n int, dead []uint32) []uint32 {
	if old := x.items[d.item.ID]; old != nil {
		dead = x.remove(old, dead)
	} else {
		x.ids.add(d.item.ID)
	}
	x.items[d.item.ID] = d
	x.liveBytes += d.size
	if d.node != noNode {
		x.growNodes(d.node)
		x.nodes[d.node] = d
		x.vecs++
	}
	x.text.add(d, tfs, n)
	return dead
}

// growNodes makes room in x.nodes for node.
func (x *Index) growNodes(node uint32) {
	if n := int(node) + 1; n > len(x.nodes) {
		old := len(x.nodes)
		x.nodes = slices.Grow(x.nodes, n-old)[:n]
		clear(x.nodes[old:])
	}
}

// remove takes d out of the maps and the text index, and appends its node to
// dead. The caller holds the write lock.
func (x *Index) remove(d *doc, dead []uint32) []uint32 {
	delete(x.items, d.item.ID)
	x.liveBytes -= d.size
	if d.node != noNode {
		x.nodes[d.node] = nil
		x.vecs--
		dead = append(dead, d.node)
	}
	x.text.remove(d)
	x.ids.removed++
	return dead
}

// Delete removes the items with these ids and returns once that is durable;
// ids that are not there are ignored. The ids found are logged as one record,
// so a Delete is atomic.
func (x *Index) Delete(ctx context.Context, ids []string) error {
	if err := ctx.Err(); err != nil {
		return llmos.Wrap(err, llmos.CodeCanceled, "vector: delete cancelled")
	}
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return errClosed()
	}
	var found []string
	seen := map[string]bool{}
	for _, id := range ids {
		if x.items[id] != nil && !seen[id] {
			seen[id] = true
			found = append(found, id)
		}
	}
	if len(found) == 0 {
		// Nothing to write; but an earlier write that removed these ids may
		// still be on its way to the disk: wait for it, as if we had written.
		seq := x.wal.seq.Load()
		x.mu.Unlock()
		return x.commit(seq, 0)
	}
	seq, err := x.wal.append(appendDelete(nil, found))
	if err != nil {
		x.mu.Unlock()
		x.log.Error("vector: writing the log failed", "dir", x.dir, "err", err)
		return llmos.Wrap(err, llmos.CodeUnavailable, "vector: writing the index log failed")
	}
	var dead []uint32
	for _, id := range found {
		dead = x.remove(x.items[id], dead)
	}
	g := x.graph
	x.mu.Unlock()
	for _, n := range dead {
		g.Delete(n)
	}
	return x.commit(seq, 1)
}
