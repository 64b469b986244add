package memory

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/embed"
	"github.com/llmos/llmos/vector"
)

// Get returns one item of archival memory, its chunks joined again.
func (m *Memory) Get(ctx context.Context, id string) (Item, error) {
	v, err := m.cfg.Index.Get(ctx, id)
	if err == nil {
		return fromVector(v), nil
	}
	if llmos.ErrorCode(err) != llmos.CodeNotFound {
		return Item{}, err
	}
	var parts []vector.Item
	for n := 0; ; n++ {
		c, err := m.cfg.Index.Get(ctx, chunkID(id, n))
		if llmos.ErrorCode(err) == llmos.CodeNotFound {
			break
		}
		if err != nil {
			return Item{}, err
		}
		parts = append(parts, c)
	}
	if len(parts) == 0 {
		return Item{}, llmos.Errorf(llmos.CodeNotFound, "no memory %q", id)
	}
	return join(id, parts), nil
}

// List returns the items of a namespace in order of ID, chunks joined; at
// most limit of them when limit > 0.
func (m *Memory) List(ctx context.Context, ns string, limit int) ([]Item, error) {
	var out []Item
	chunks := map[string][]vector.Item{}
	after := ""
	for {
		page, err := m.cfg.Index.List(ctx, vector.Filter{Namespace: nsOr(ns)}, after, 1000)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for _, v := range page {
			if doc := v.Meta["doc"]; doc != "" && strings.HasPrefix(v.ID, doc+chunkSep) {
				chunks[doc] = append(chunks[doc], v)
				continue
			}
			out = append(out, fromVector(v))
		}
		after = page[len(page)-1].ID
	}
	for doc, parts := range chunks {
		out = append(out, join(doc, parts))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func fromVector(v vector.Item) Item {
	return Item{ID: v.ID, Namespace: v.Namespace, Text: v.Text, Time: v.Time, Label: v.Label, Meta: v.Meta}
}

// join puts the chunks of a long item back together, using the byte offset
// each one started at to drop the overlap.
func join(id string, parts []vector.Item) Item {
	sort.Slice(parts, func(i, j int) bool { return start(parts[i]) < start(parts[j]) })
	var b strings.Builder
	end := 0
	for _, p := range parts {
		s := start(p)
		if skip := end - s; skip >= 0 && skip <= len(p.Text) {
			b.WriteString(p.Text[skip:])
		} else {
			b.WriteString(p.Text)
		}
		end = s + len(p.Text)
	}
	it := fromVector(parts[0])
	it.ID, it.Text, it.Meta = id, b.String(), withoutKey(withoutKey(parts[0].Meta, "doc"), "start")
	return it
}

func start(v vector.Item) int {
	n, _ := strconv.Atoi(v.Meta["start"])
	return n
}

// Reindex copies every item of from into to, embedded again with the
// embedder named embedder, and returns how many it copied. progress, if not
// nil, is told how far it is.
func Reindex(ctx context.Context, from, to vector.Index, embedder string, getenv func(string) string, progress func(done, total int)) (int, error) {
	emb, err := embed.Open(embedder, getenv)
	if err != nil {
		return 0, err
	}
	total, err := from.Len(ctx)
	if err != nil {
		return 0, err
	}
	done := 0
	after := ""
	for {
		page, err := from.List(ctx, vector.Filter{}, after, embedBatch)
		if err != nil {
			return done, err
		}
		if len(page) == 0 {
			return done, nil
		}
		texts := make([]string, len(page))
		for i, v := range page {
			texts[i] = v.Text
		}
		vecs, err := emb.Embed(ctx, texts)
		if err != nil {
			return done, err
		}
		if len(vecs) != len(page) {
			return done, llmos.Errorf(llmos.CodeBadResponse, "the embedder returned %d vectors for %d texts", len(vecs), len(page))
		}
		for i := range page {
			page[i].Vector = vecs[i]
		}
		if err := to.Upsert(ctx, page); err != nil {
			return done, err
		}
		done += len(page)
		after = page[len(page)-1].ID
		if progress != nil {
			progress(done, max(total, done))
		}
	}
}

// RecordEmbedder records that the archival index is now built with the
// embedder named embedder.
func RecordEmbedder(ctx context.Context, s Store, embedder string, getenv func(string) string) error {
	emb, err := embed.Open(embedder, getenv)
	if err != nil {
		return err
	}
	return s.SetMeta(ctx, EmbedderKey, EmbedderID(emb))
}
