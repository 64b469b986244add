// Package openai embeds texts through OpenAI's Embeddings API
// (POST /v1/embeddings), or any server that copies it (vLLM, llama.cpp's
// server, LM Studio, LiteLLM...) at another base URL.
//
// It uses the official SDK (github.com/openai/openai-go/v3) with every
// environment lookup and retry of the SDK turned off: the key and base URL
// come from Config (embed.Open reads OPENAI_API_KEY and OPENAI_BASE_URL), and
// the scheduler decides about retries from the codes of the errors.
//
// Inputs go in batches of at most 2048 texts and 300,000 bytes (the API's
// per-request limits are 2048 inputs and 300,000 tokens, and a token is at
// least a byte). One text longer than the model's context (8192 tokens for
// OpenAI's models) is refused by the API with an invalid error: split long
// documents before embedding them. The vectors of a reply are put back in
// order by their index field. Vectors sent as base64 (the form some servers
// default to) are decoded too.
//
//	e, err := openai.New(openai.Config{Model: "text-embedding-3-small", APIKey: key})
//	vecs, err := e.Embed(ctx, []string{"hello"}) // 1536 dimensions
package openai
