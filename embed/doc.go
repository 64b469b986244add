// Package embed turns texts into vectors. Archival memory (package memory)
// embeds every text it stores and every query it searches with, and keeps the
// vectors in a vector index (package vector) whose hybrid search fuses the
// dense ranking with BM25.
//
// Embedder is the interface; each backend is a package of its own:
//
//   - embed/offline, the default: a hashing embedder that needs no model, no
//     key and no network (words, stems, word pairs, character n-grams and a
//     small synonym lexicon, hashed into a fixed number of dimensions);
//   - embed/openai: OpenAI's Embeddings API and servers that copy it;
//   - embed/gemini: the Gemini API's batchEmbedContents;
//   - embed/ollama: Ollama's native /api/embed.
//
// Open picks one by name, the way provider.Open picks a model:
//
//	e, err := embed.Open("offline", os.Getenv)          // offline:hash-v1-384
//	e, err := embed.Open("openai:text-embedding-3-small", os.Getenv)
//	vecs, err := e.Embed(ctx, []string{"my sister lives in Porto"})
//
// Every Embedder returns one L2-normalised vector per text, in order, so the
// dot product of two vectors is their cosine similarity. An index records the
// Name and Dim it was built with: a vector made by another embedder, or the
// same one with other settings, means nothing beside it, so a change of either
// means the index must be rebuilt.
//
// embed/embedtest is the conformance suite every remote adapter passes,
// against recorded replies in its API's own wire format.
package embed
