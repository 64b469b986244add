package memory

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
)

// Item is a memory as a caller stores it; a long text is stored as chunks
// that search returns under the item's own ID.
type Item struct {
	ID        string            `json:"id"`
	Namespace string            `json:"ns,omitempty"`
	Text      string            `json:"text"`
	Time      time.Time         `json:"time,omitzero"`
	Label     llmos.Label       `json:"label,omitzero"`
	Meta      map[string]string `json:"meta,omitempty"`
}

// Found is a memory found by a search: the best-matching chunk of an item.
type Found struct {
	ID    string            `json:"id"`
	Text  string            `json:"text"`
	Score float64           `json:"score"`
	Time  time.Time         `json:"time,omitzero"`
	Meta  map[string]string `json:"meta,omitempty"`
	NS    string            `json:"ns,omitempty"`
	Label llmos.Label       `json:"label,omitzero"`
}

// Chunking of long texts: pieces of about ChunkChars characters, cut at
// whitespace, overlapping by ChunkOverlap so a fact that straddles a cut is
// whole in one of them. MaxTextBytes bounds one item.
const (
	ChunkChars   = 1500
	ChunkOverlap = 200
	MaxTextBytes = 8 << 20
	chunkSep     = "#chunk"
	embedBatch   = 256
)

// Insert stores items in archival memory, replacing items with the same ID.
// An item without an ID gets one; texts are validated (UTF-8, not empty, at
// most MaxTextBytes) and long ones chunked. A nil error means every item is
// durable.
func (m *Memory) Insert(ctx context.Context, items []Item) error {
	if err := m.usable(); err != nil {
		return err
	}
	var docs []vector.Item
	for i := range items {
		it := &items[i]
		if err := ValidText(it.Text); err != nil {
			return err
		}
		if it.ID == "" {
			it.ID = newID()
		}
		if strings.Contains(it.ID, chunkSep) {
			return llmos.Errorf(llmos.CodeInvalid, "id %q may not contain %q", it.ID, chunkSep)
		}
		if it.Namespace == "" {
			it.Namespace = "default"
		}
		if it.Time.IsZero() {
			it.Time = time.Now().UTC()
		}
		pieces, starts := chunk(it.Text)
		for n, piece := range pieces {
			d := vector.Item{ID: it.ID, Namespace: it.Namespace, Text: piece, Time: it.Time, Label: it.Label, Meta: it.Meta}
			if len(pieces) > 1 {
				d.ID = chunkID(it.ID, n)
				d.Meta = withMeta(withMeta(it.Meta, "doc", it.ID), "start", strconv.Itoa(starts[n]))
			}
			docs = append(docs, d)
		}
		// A shorter new version must not leave the old version's chunks behind.
		if err := m.deleteChunks(ctx, it.ID, len(pieces)); err != nil {
			return err
		}
	}
	for start := 0; start < len(docs); start += embedBatch {
		batch := docs[start:min(start+embedBatch, len(docs))]
		texts := make([]string, len(batch))
		for i, d := range batch {
			texts[i] = d.Text
		}
		vecs, err := m.cfg.Embedder.Embed(ctx, texts)
		if err != nil {
			return err
		}
		if len(vecs) != len(batch) {
			return llmos.Errorf(llmos.CodeBadResponse, "the embedder returned %d vectors for %d texts", len(vecs), len(batch))
		}
		for i := range batch {
			batch[i].Vector = vecs[i]
		}
		if err := m.cfg.Index.Upsert(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

func withMeta(meta map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(meta)+1)
	for a, b := range meta {
		out[a] = b
	}
	out[k] = v
	return out
}

// ValidText checks a text for archival memory: valid UTF-8, not blank, at
// most MaxTextBytes.
func ValidText(s string) error {
	switch {
	case !utf8.ValidString(s):
		return llmos.Errorf(llmos.CodeInvalid, "the text is not valid UTF-8")
	case strings.TrimSpace(s) == "":
		return llmos.Errorf(llmos.CodeInvalid, "the text is empty")
	case len(s) > MaxTextBytes:
		return llmos.Errorf(llmos.CodeInvalid, "the text is %d bytes, over the limit of %d", len(s), MaxTextBytes)
	}
	return nil
}

func chunkID(id string, n int) string { return fmt.Sprintf("%s%s%d", id, chunkSep, n) }

// chunk cuts a text into overlapping pieces at whitespace and returns them
// with the byte offset where each starts.
func chunk(s string) (out []string, starts []int) {
	if len(s) <= ChunkChars {
		return []string{s}, []int{0}
	}
	for start := 0; start < len(s); {
		end := min(start+ChunkChars, len(s))
		if end < len(s) {
			if cut := strings.LastIndexAny(s[start:end], " \n\t"); cut > ChunkChars/2 {
				end = start + cut
			}
			for end < len(s) && !utf8.RuneStart(s[end]) {
				end++
			}
		}
		out = append(out, s[start:end])
		starts = append(starts, start)
		if end == len(s) {
			break
		}
		next := end - ChunkOverlap
		for next > start && !utf8.RuneStart(s[next]) {
			next--
		}
		if next <= start {
			next = end
		}
		start = next
	}
	return out, starts
}

// deleteChunks removes what an older version of id leaves behind when the
// new one has pieces pieces: its chunks beyond the new ones, and its
// unchunked record when the new one is chunked.
func (m *Memory) deleteChunks(ctx context.Context, id string, pieces int) error {
	var stale []string
	from := 0
	if pieces > 1 {
		stale, from = append(stale, id), pieces
	}
	for n := from; ; n++ {
		cid := chunkID(id, n)
		_, err := m.cfg.Index.Get(ctx, cid)
		if llmos.ErrorCode(err) == llmos.CodeNotFound {
			break
		}
		if err != nil {
			return err
		}
		stale = append(stale, cid)
	}
	if len(stale) == 0 {
		return nil
	}
	return m.cfg.Index.Delete(ctx, stale)
}

// Delete removes items, with their chunks.
func (m *Memory) Delete(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if err := m.deleteChunks(ctx, id, 0); err != nil {
			return err
		}
	}
	return m.cfg.Index.Delete(ctx, ids)
}

// Search finds the memories of a namespace that best match a query, by
// meaning and by words (hybrid search), best first, one result per item.
// Memories found only by meaning need a cosine similarity of at least
// MinSimilarity, so a query about nothing stored pages nothing in.
func (m *Memory) Search(ctx context.Context, ns, query string, k int, f vector.Filter) ([]Found, error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	if k <= 0 {
		k = 10
	}
	if strings.TrimSpace(query) == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "the query is empty")
	}
	if ns == "" {
		ns = "default"
	}
	f.Namespace = ns
	vecs, err := m.cfg.Embedder.Embed(ctx, []string{query})
	if err != nil {
		return nil, err
	}
	if len(vecs) != 1 {
		return nil, llmos.Errorf(llmos.CodeBadResponse, "the embedder returned %d vectors for 1 text", len(vecs))
	}
	wide := max(4*k, 40)
	dense, err := m.cfg.Index.Search(ctx, vector.Query{Vector: vecs[0], K: wide, Filter: f})
	if err != nil {
		return nil, err
	}
	kept := dense[:0]
	for _, r := range dense {
		if r.Score >= m.cfg.MinSimilarity {
			kept = append(kept, r)
		}
	}
	sparse, err := m.cfg.Index.Search(ctx, vector.Query{Text: query, K: wide, Filter: f})
	if err != nil {
		return nil, err
	}
	fused := vector.FuseWeighted(0, []float64{m.cfg.DenseWeight, 1}, kept, sparse)
	var out []Found
	seen := map[string]bool{}
	for _, r := range fused {
		id := r.ID
		if doc := r.Meta["doc"]; doc != "" && strings.HasPrefix(id, doc+chunkSep) {
			id = doc
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		meta := r.Meta
		if meta["doc"] != "" {
			meta = withoutKey(withoutKey(meta, "doc"), "start")
		}
		out = append(out, Found{ID: id, Text: r.Text, Score: r.Score, Time: r.Time, Meta: meta, NS: r.Namespace, Label: r.Label})
		if len(out) == k {
			break
		}
	}
	return out, nil
}

func withoutKey(meta map[string]string, k string) map[string]string {
	out := make(map[string]string, len(meta))
	for a, b := range meta {
		if a != k {
			out[a] = b
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

var idClock atomic.Int64

// newID returns a unique, time-ordered id for an item given without one.
func newID() string {
	idClock.CompareAndSwap(0, time.Now().UnixNano())
	return fmt.Sprintf("mem-%x", idClock.Add(1))
}
