// Package gemini embeds texts through the Gemini Developer API's
// batchEmbedContents method, using Google's SDK (google.golang.org/genai)
// configured so that nothing in the environment overrides its Config
// (embed.Open reads GEMINI_API_KEY or GOOGLE_API_KEY, and GEMINI_BASE_URL)
// and so that it never retries: the scheduler decides about retries from the
// codes of the errors.
//
// Inputs go in batches of at most 100 texts, the API's limit. Errors are
// mapped as provider/gemini maps them: a 400 API_KEY_INVALID is a rejected
// key, a 429's wait comes from its google.rpc.RetryInfo or a Retry-After
// header.
//
//	e, err := gemini.New(gemini.Config{Model: "gemini-embedding-001", APIKey: key})
//	vecs, err := e.Embed(ctx, []string{"hello"}) // 3072 dimensions
package gemini
