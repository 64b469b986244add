// Package ollama embeds texts through Ollama's native API:
// POST /api/embed {"model":..., "input":[...]} answers {"embeddings":[[...]]}.
// The server is at $OLLAMA_HOST (embed.Open passes it in), by default
// http://127.0.0.1:11434; a host written without a scheme or port, as Ollama
// itself accepts it ("0.0.0.0", "myhost:11434"), gets http and port 11434.
//
// Inputs go in batches of at most 128 texts (Ollama embeds them one after
// another anyway; smaller requests keep memory bounded). The dimension is
// learned from the first reply, as Ollama's models are many and tagged
// variants differ. When a key is set (a proxy, or Ollama's cloud), it is sent
// as a bearer token.
//
//	e, err := ollama.New(ollama.Config{Model: "nomic-embed-text"})
//	vecs, err := e.Embed(ctx, []string{"hello"}) // 768 dimensions
package ollama
