// Package weaviate is the scale-out backend of vector.Index: archival memory
// kept in a Weaviate collection, shared by every llmos node that opens it.
// vector/hnsw is the embedded default; both pass vector/vectortest.
//
// One llmos install uses one collection (Config.Class, "LlmosMemory" by
// default), which Open creates when it is missing: no vectorizer (llmos
// embeds), an HNSW index with cosine distance, and these properties:
//
//	itemId, namespace, text, time, sources, meta    the item, as given
//	idKey, nsKey, sourceKeys, metaKeys               "x"+hex of the same values, for filters
//
// Weaviate names objects by UUID, so an item's object is the UUIDv5 of its
// id in a fixed namespace, and the id itself is the itemId property. The
// filters match only the *Key properties: hex leaves nothing for a
// tokenizer to trim or fold, so matching is exact, and the byte order of ids
// is the order of their keys, which is how List sorts and pages.
//
// Searches map onto Weaviate's own: a vector alone is nearVector (score
// 1 - cosine distance), a text alone is bm25 on the text property (score
// BM25), and both are the two rankings fused by vector.Fuse
// (HybridWindow deep), rather than Weaviate's hybrid, so every backend
// scores alike. Filters become where filters, applied inside Weaviate's
// searches, so K results come back whenever K items match.
//
// The client talks REST only. Its gRPC path would speed up batches, but it
// skips certificate checks on TLS and cannot be closed, so it is not used.
//
// Example:
//
//	idx, err := weaviate.Open(ctx, weaviate.Config{URL: "http://127.0.0.1:8080", APIKey: key})
//	if err != nil {
//		return err // unavailable: the server is down or the URL is wrong
//	}
//	defer idx.Close()
//	err = idx.Upsert(ctx, []vector.Item{{ID: "note-1", Text: "the cat is called Miso", Vector: v}})
//	res, err := idx.Search(ctx, vector.Query{Vector: q, Text: "cat", K: 5})
//
// The integration test (build tag integration) runs the conformance suite
// on a real server named by LLMOS_WEAVIATE_URL; .ci/weaviate builds and
// starts one.
package weaviate
