package local

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/hnsw"
)

// exactBelow is the number of matching items under which a filtered vector
// search scans them exactly instead of walking the graph; it also does when
// they are fewer than 1 in exactFraction of the items.
const (
	exactBelow    = 2048
	exactFraction = 50
)

// Search returns the K best items for q (10 if K is zero), best first.
//
// A vector-only query ranks by cosine similarity (the score), a text-only
// one by BM25 (the score); both together take the best max(4K, 50) of each
// ranking and fuse them with vector.Fuse (the score is the fused one). The
// filter applies before ranking: when it matches few items, they are scanned
// exactly, so K results come back whenever K items match. A query text that
// is all stop words matches nothing. Results carry no vector (Get has it).
func (x *Index) Search(ctx context.Context, q vector.Query) ([]vector.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeCanceled, "vector: search cancelled")
	}
	k := q.K
	if k == 0 {
		k = 10
	}
	if k < 0 {
		return nil, llmos.Errorf(llmos.CodeInvalid, "vector: a search for %d results", q.K)
	}
	if q.Vector == nil && q.Text == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "vector: a query needs a vector, a text or both")
	}
	terms := queryTerms(q.Text)

	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, errClosed()
	}
	k = min(k, max(len(x.items), 1)) // so a huge K allocates nothing huge
	n := k
	if q.Vector != nil && q.Text != "" {
		n = max(4*k, 50)
	}
	if q.Vector != nil {
		if x.dim != 0 && len(q.Vector) != x.dim {
			return nil, llmos.Errorf(llmos.CodeInvalid, "vector: the query vector has dimension %d; the index holds vectors of dimension %d", len(q.Vector), x.dim)
		}
		if err := validVector(q.Vector); err != nil {
			return nil, llmos.Errorf(llmos.CodeInvalid, "vector: the query: %s", err.Msg)
		}
	}
	all := zeroFilter(&q.Filter)
	var dense, text []vector.Result
	if q.Vector != nil && x.graph != nil {
		hits, err := x.dense(ctx, q.Vector, n, &q.Filter, all)
		if err != nil {
			return nil, err
		}
		dense = make([]vector.Result, len(hits))
		for i, h := range hits {
			dense[i] = vector.Result{Item: copyItem(x.nodes[h.Node]), Score: float64(1 - h.Distance)}
		}
	}
	if q.Text != "" {
		for _, s := range x.text.search(terms, n, func(d *doc) bool { return all || q.Filter.Match(&d.item) }) {
			text = append(text, vector.Result{Item: copyItem(s.d), Score: s.score})
		}
	}
	switch {
	case q.Vector != nil && q.Text != "":
		return vector.Fuse(k, dense, text), nil
	case q.Vector != nil:
		return dense, nil
	}
	return text, nil
}

// dense returns the n nodes nearest to v that pass the filter. The caller
// holds the read lock.
func (x *Index) dense(ctx context.Context, v []float32, n int, f *vector.Filter, all bool) ([]hnsw.Hit, error) {
	nodes := x.nodes
	if all {
		allow := func(node uint32) bool { return int(node) < len(nodes) && nodes[node] != nil }
		hits := x.graph.Search(v, n, max(x.opts.EfSearch, n), allow)
		if len(hits) < min(n, x.vecs) {
			hits = x.graph.Exact(v, n, allow)
		}
		return hits, nil
	}
	// Mark the matching nodes, then choose between an exact scan of them and
	// a filtered walk of the graph.
	bits := make([]uint64, (len(nodes)+63)/64)
	count := 0
	for i, d := range nodes {
		if i%65536 == 65535 && ctx.Err() != nil {
			return nil, llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "vector: search cancelled")
		}
		if d != nil && f.Match(&d.item) {
			bits[i/64] |= 1 << (i % 64)
			count++
		}
	}
	if count == 0 {
		return nil, nil
	}
	allow := func(node uint32) bool { return int(node) < len(nodes) && bits[node/64]&(1<<(node%64)) != 0 }
	if count <= exactBelow || count*exactFraction <= x.vecs {
		return x.graph.Exact(v, n, allow), nil
	}
	// The fewer the matches, the wider the walk must be to find n of them.
	ef := min(max(x.opts.EfSearch, n)*x.vecs/count, max(x.opts.EfSearch, n, 4096))
	hits := x.graph.Search(v, n, ef, allow)
	if len(hits) < min(n, count) {
		hits = x.graph.Exact(v, n, allow)
	}
	return hits, nil
}

func zeroFilter(f *vector.Filter) bool {
	return f.Namespace == "" && f.After.IsZero() && f.Before.IsZero() && len(f.Sources) == 0 && len(f.Meta) == 0
}

// copyItem returns d's item with its own metadata map and label, so callers
// cannot change what the index holds.
func copyItem(d *doc) vector.Item {
	it := d.item
	it.Meta = maps.Clone(it.Meta)
	it.Label.Sources = slices.Clone(it.Label.Sources)
	return it
}

// Get returns the item with this id, with its vector exactly as it was
// upserted (read back from the log); code not_found if there is none.
func (x *Index) Get(ctx context.Context, id string) (vector.Item, error) {
	if err := ctx.Err(); err != nil {
		return vector.Item{}, llmos.Wrap(err, llmos.CodeCanceled, "vector: get cancelled")
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return vector.Item{}, errClosed()
	}
	d := x.items[id]
	if d == nil {
		return vector.Item{}, llmos.Errorf(llmos.CodeNotFound, "vector: no item %q", clip(id))
	}
	it := copyItem(d)
	if d.node != noNode {
		rec, err := x.readItem(d.off, d.size, id)
		var k *keyError
		if errors.As(err, &k) {
			return vector.Item{}, llmos.Wrap(err, llmos.ErrorCode(k.err), fmt.Sprintf("vector: the record of item %q does not open: %s", clip(id), llmos.ErrorMessage(k.err)))
		}
		if err != nil {
			x.log.Error("vector: reading an item's record from the log failed", "dir", x.dir, "offset", d.off, "err", err)
			return vector.Item{}, llmos.Wrap(ErrCorrupt, llmos.CodeInternal, "vector: the item's record could not be read")
		}
		it.Vector = rec.Vector
	}
	return it, nil
}

// idList keeps the ids in ascending order for List. New ids wait in pending
// (appended under the index's write lock) and are merged in by the next List;
// the ids of removed items stay until a merge, and List skips them.
type idList struct {
	mu      sync.Mutex
	sorted  []string
	pending []string
	removed int
}

func (l *idList) add(id string) { l.pending = append(l.pending, id) }

// view returns the sorted ids, merging what is pending first. The caller
// holds the index's read lock, so no id is added meanwhile.
func (l *idList) view(live map[string]*doc) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) == 0 && l.removed <= len(l.sorted)/4 {
		return l.sorted
	}
	slices.Sort(l.pending)
	out := make([]string, 0, len(live))
	i, j := 0, 0
	for i < len(l.sorted) || j < len(l.pending) {
		var id string
		if j == len(l.pending) || i < len(l.sorted) && l.sorted[i] < l.pending[j] {
			id, i = l.sorted[i], i+1
		} else {
			id, j = l.pending[j], j+1
		}
		if live[id] != nil && (len(out) == 0 || out[len(out)-1] != id) {
			out = append(out, id)
		}
	}
	l.sorted, l.pending, l.removed = out, nil, 0
	return out
}

// List returns up to limit items that match f, in ascending order of ID,
// after the ID after ("" for the start); limit <= 0 means no limit. Items
// carry no vector.
func (x *Index) List(ctx context.Context, f vector.Filter, after string, limit int) ([]vector.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeCanceled, "vector: list cancelled")
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, errClosed()
	}
	ids := x.ids.view(x.items)
	i := sort.SearchStrings(ids, after)
	if i < len(ids) && ids[i] == after {
		i++
	}
	all := zeroFilter(&f)
	var out []vector.Item
	for n := 0; i < len(ids) && (limit <= 0 || len(out) < limit); i, n = i+1, n+1 {
		if n%65536 == 65535 && ctx.Err() != nil {
			return nil, llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "vector: list cancelled")
		}
		d := x.items[ids[i]]
		if d != nil && (all || f.Match(&d.item)) {
			out = append(out, copyItem(d))
		}
	}
	return out, nil
}
