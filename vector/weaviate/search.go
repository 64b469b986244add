package weaviate

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
)

// itemFields are the GraphQL fields of an item, but its vector.
const itemFields = propID + " " + propNamespace + " " + propText + " " + propTime + " " + propSources + " " + propMeta

// HybridWindow is how deep each ranking of a hybrid search goes before the
// two are fused: the best max(K, HybridWindow) by vector and by BM25.
const HybridWindow = 50

// Search finds the K best items that pass the filter: by cosine similarity
// (Weaviate's nearVector; score 1 - cosine distance) when the query has only
// a vector, by BM25 on the text (Weaviate's bm25; its score) when it has only
// a text, and by vector.Fuse of both rankings when it has both, so that the
// scores are the ones of every other backend. Results carry their vectors.
func (x *Index) Search(ctx context.Context, q vector.Query) ([]vector.Result, error) {
	dim, err := x.use()
	if err != nil {
		return nil, err
	}
	k := q.K
	if k <= 0 {
		k = 10
	}
	k = min(k, maxResults)
	if len(q.Vector) > 0 {
		if dim != 0 && len(q.Vector) != dim {
			return nil, llmos.Errorf(llmos.CodeInvalid, "weaviate: the query vector has dimension %d, the index has dimension %d", len(q.Vector), dim)
		}
		if !finite(q.Vector) {
			return nil, llmos.Errorf(llmos.CodeInvalid, "weaviate: the query vector has NaN or infinite values")
		}
	}
	text := cleanQuery(q.Text)
	var res []vector.Result
	switch {
	case len(q.Vector) > 0 && text != "":
		res, err = x.hybrid(ctx, q.Vector, text, q.Filter, k)
	case len(q.Vector) > 0:
		res, err = x.nearVector(ctx, q.Vector, q.Filter, k, itemFields+" _additional{distance vector}")
	case text != "":
		return x.bm25(ctx, text, q.Filter, k, itemFields+" _additional{score vector}")
	default:
		return nil, llmos.Errorf(llmos.CodeInvalid, "weaviate: a search needs a vector or a text")
	}
	if err != nil {
		x.relearnDim(ctx, err)
		return nil, err
	}
	return res, nil
}

func (x *Index) nearVector(ctx context.Context, v []float32, f vector.Filter, k int, fields string) ([]vector.Result, error) {
	q := x.client.GraphQL().Get().
		WithNearVector(x.client.GraphQL().NearVectorArgBuilder().WithVector(v)).WithLimit(k)
	if w := where(f); w != nil {
		q = q.WithWhere(w)
	}
	hits, err := x.get(ctx, "searching by vector", q, fields)
	if err != nil {
		return nil, err
	}
	return results(hits, func(h *hit) float64 {
		if h.Additional.Distance == nil {
			return 0
		}
		return 1 - *h.Additional.Distance
	})
}

func (x *Index) bm25(ctx context.Context, text string, f vector.Filter, k int, fields string) ([]vector.Result, error) {
	q := x.client.GraphQL().Get().
		WithBM25(x.client.GraphQL().Bm25ArgBuilder().WithQuery(text).WithProperties(propText)).WithLimit(k)
	if w := where(f); w != nil {
		q = q.WithWhere(w)
	}
	hits, err := x.get(ctx, "searching by text", q, fields)
	if err != nil {
		return nil, err
	}
	return results(hits, func(h *hit) float64 {
		s, _ := strconv.ParseFloat(string(h.Additional.Score), 64)
		return s
	})
}

// hybrid runs both searches HybridWindow deep (ids only), fuses them, and
// reads the K winners whole.
func (x *Index) hybrid(ctx context.Context, v []float32, text string, f vector.Filter, k int) ([]vector.Result, error) {
	window := min(max(k, HybridWindow), maxResults)
	var (
		wg           sync.WaitGroup
		dense, words []vector.Result
		derr, werr   error
	)
	wg.Go(func() { dense, derr = x.nearVector(ctx, v, f, window, propID) })
	wg.Go(func() { words, werr = x.bm25(ctx, text, f, window, propID) })
	wg.Wait()
	if derr != nil {
		return nil, derr
	}
	if werr != nil {
		return nil, werr
	}
	fused := vector.Fuse(k, dense, words)
	if len(fused) == 0 {
		return fused, nil
	}
	uuids := make([]string, len(fused))
	for i, r := range fused {
		uuids[i] = objectID(r.ID)
	}
	q := x.client.GraphQL().Get().WithWhere(withIDs(uuids)).WithLimit(len(uuids))
	hits, err := x.get(ctx, "reading search results", q, itemFields+" _additional{vector}")
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*hit, len(hits))
	for i := range hits {
		byID[hits[i].ID] = &hits[i]
	}
	out := fused[:0]
	for _, r := range fused {
		h, ok := byID[r.ID]
		if !ok {
			continue // deleted meanwhile
		}
		it, err := h.item()
		if err != nil {
			return nil, err
		}
		out = append(out, vector.Result{Item: it, Score: r.Score})
	}
	return out, nil
}

// List returns up to limit items that match f, in ascending order of ID,
// after the ID after: Weaviate sorts on idKey, whose order is the byte order
// of the ids. A limit above Weaviate's maximum (10,000) is lowered to it;
// a limit below 1 is an invalid error.
func (x *Index) List(ctx context.Context, f vector.Filter, after string, limit int) ([]vector.Item, error) {
	if _, err := x.use(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, llmos.Errorf(llmos.CodeInvalid, "weaviate: List needs a limit of at least 1")
	}
	q := x.client.GraphQL().Get().
		WithSort(graphql.Sort{Path: []string{propIDKey}, Order: graphql.Asc}).WithLimit(min(limit, maxResults))
	if w := where(f, afterID(after)); w != nil {
		q = q.WithWhere(w)
	}
	hits, err := x.get(ctx, "listing items", q, itemFields+" _additional{vector}")
	if err != nil {
		return nil, err
	}
	out := make([]vector.Item, 0, len(hits))
	for i := range hits {
		it, err := hits[i].item()
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// get runs a GraphQL Get on the collection and decodes its objects.
func (x *Index) get(ctx context.Context, what string, q *graphql.GetBuilder, fields string) ([]hit, error) {
	resp, err := q.WithClassName(x.class).WithFields(graphql.Field{Name: fields}).Do(ctx)
	if err != nil {
		return nil, x.wrap(ctx, err, what)
	}
	if len(resp.Errors) > 0 {
		return nil, x.gqlError(resp.Errors, what)
	}
	var hits []hit
	if err := x.decode(resp, "Get", &hits); err != nil {
		return nil, err
	}
	return hits, nil
}

// decode reads data.<op>.<class> of a GraphQL answer into out.
func (x *Index) decode(resp *models.GraphQLResponse, op string, out any) error {
	bad := func(err error) error {
		return llmos.Wrap(err, llmos.CodeBadResponse, "weaviate at "+x.url+" sent a malformed GraphQL answer")
	}
	m, ok := resp.Data[op].(map[string]any)
	if !ok {
		return bad(nil)
	}
	raw, ok := m[x.class]
	if !ok || raw == nil {
		return nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return bad(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return bad(err)
	}
	return nil
}

// results makes search results of hits, scored by score.
func results(hits []hit, score func(*hit) float64) ([]vector.Result, error) {
	out := make([]vector.Result, 0, len(hits))
	for i := range hits {
		it, err := hits[i].item()
		if err != nil {
			return nil, err
		}
		out = append(out, vector.Result{Item: it, Score: score(&hits[i])})
	}
	return out, nil
}

// cleanQuery makes a text safe to quote into a GraphQL query: the client
// quotes with Go's %q, whose \x and \U escapes GraphQL does not know, so
// invalid UTF-8 and unprintable characters (separators to BM25 anyway)
// become spaces.
func cleanQuery(s string) string {
	s = strings.ToValidUTF8(s, " ")
	s = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
