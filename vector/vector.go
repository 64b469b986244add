// Package vector is llmos's disk: an index of items (a text, its embedding,
// the label of where it came from, a time and metadata) searched by meaning
// and by words at once. Archival memory (package memory) stores everything it
// keeps here.
//
// Index is the interface every backend implements: vector/local, the
// embedded default (our own HNSW graph from vector/hnsw, BM25, and a
// write-ahead log under $LLMOS_HOME), and vector/weaviate, for a cluster.
// vector/vectortest is the conformance suite they all pass.
//
// A Query may carry a vector, a text, or both. With both, the search is
// hybrid: the dense (vector) ranking and the BM25 (text) ranking are fused by
// reciprocal rank (see Fuse). Filters (namespace, time range, label sources,
// metadata) apply before ranking, so K results come back whenever K items match.
package vector

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/llmos/llmos"
)

// Item is one stored thing.
type Item struct {
	// ID is the caller's id, kept as given; any non-empty string.
	ID string `json:"id"`
	// Namespace separates the memories of different users or processes.
	Namespace string    `json:"ns,omitempty"`
	Text      string    `json:"text"`
	Vector    []float32 `json:"-"`
	Time      time.Time `json:"time,omitzero"`
	// Label says where the text came from; retrieved memories stay untrusted
	// when their sources were.
	Label llmos.Label       `json:"label,omitzero"`
	Meta  map[string]string `json:"meta,omitempty"`
}

// Filter narrows a search or a listing. Zero fields match everything.
type Filter struct {
	Namespace string
	// After and Before bound Item.Time: After <= Time < Before.
	After, Before time.Time
	// Sources matches items whose label includes at least one of these.
	Sources []llmos.Source
	// Meta matches items that have every one of these key-value pairs.
	Meta map[string]string
}

// Match reports whether an item passes the filter.
func (f *Filter) Match(it *Item) bool {
	if f.Namespace != "" && it.Namespace != f.Namespace {
		return false
	}
	if !f.After.IsZero() && it.Time.Before(f.After) {
		return false
	}
	if !f.Before.IsZero() && !it.Time.Before(f.Before) {
		return false
	}
	if len(f.Sources) > 0 && !slices.ContainsFunc(it.Label.Sources, func(s llmos.Source) bool { return slices.Contains(f.Sources, s) }) {
		return false
	}
	for k, v := range f.Meta {
		if it.Meta[k] != v {
			return false
		}
	}
	return true
}

// Query is a search.
type Query struct {
	// Vector is the dense query; nil for a text-only search.
	Vector []float32
	// Text is the BM25 query; empty for a vector-only search.
	Text string
	// K is how many results to return; 10 if zero.
	K      int
	Filter Filter
}

// Result is an item found by a search. Score is higher for better matches:
// the cosine similarity for a vector-only search, the BM25 score for a
// text-only one, and the fused reciprocal-rank score for a hybrid one.
type Result struct {
	Item
	Score float64 `json:"score"`
}

// Index is a store of items searchable by vector and by text.
//
// Upsert replaces items with the same ID. Every item of one index has a vector
// of the same dimension (the first item fixes it); a mismatch is an invalid
// error naming both dimensions. A nil error means the items are durable.
type Index interface {
	Upsert(ctx context.Context, items []Item) error
	// Delete removes the items; ids that are not there are ignored.
	Delete(ctx context.Context, ids []string) error
	// Get returns one item, with its vector; code not_found if absent.
	Get(ctx context.Context, id string) (Item, error)
	Search(ctx context.Context, q Query) ([]Result, error)
	// List returns up to limit items that match f, in ascending order of ID,
	// starting after the ID after ("" for the start): a cursor for paging.
	List(ctx context.Context, f Filter, after string, limit int) ([]Item, error)
	// Len is the number of items.
	Len(ctx context.Context) (int, error)
	Close() error
}

// RRFK is the constant of reciprocal rank fusion: a result at rank r (from 1)
// of one ranking scores 1/(RRFK + r).
const RRFK = 60

// Fuse merges rankings (each best first) by reciprocal rank fusion and
// returns the k best, best first; ties keep the order of first appearance.
func Fuse(k int, rankings ...[]Result) []Result {
	return FuseWeighted(k, nil, rankings...)
}

// FuseWeighted is Fuse with a weight per ranking (nil weighs each 1): a
// result at rank r of ranking i scores weights[i]/(RRFK + r).
func FuseWeighted(k int, weights []float64, rankings ...[]Result) []Result {
	score := map[string]float64{}
	first := map[string]Result{}
	var order []string
	for i, ranking := range rankings {
		w := 1.0
		if i < len(weights) {
			w = weights[i]
		}
		for r, res := range ranking {
			if _, seen := first[res.ID]; !seen {
				first[res.ID] = res
				order = append(order, res.ID)
			}
			score[res.ID] += w / float64(RRFK+r+1)
		}
	}
	out := make([]Result, 0, len(order))
	for _, id := range order {
		res := first[id]
		res.Score = score[id]
		out = append(out, res)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if k > 0 && len(out) > k {
		out = out[:k]
	}
	return out
}
