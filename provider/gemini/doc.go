// Package gemini is the model provider for Google's Gemini Developer API
// (generativelanguage.googleapis.com), built on google.golang.org/genai. A
// Model is one of the kernel's CPUs: the scheduler calls its Generate on the
// syscall path, and the kernel dispatches the tool calls it returns.
//
// Generate maps an llmos conversation onto Gemini's: system messages become
// the system instruction, the assistant speaks as "model" with text and
// functionCall parts, and tool results go back as functionResponse parts of
// a "user" turn ({"result": ...} or {"error": ...}). Tool parameters are sent
// as raw JSON Schema (parametersJsonSchema). Replies come back as one
// assistant message; function calls without an id from Gemini get call_0,
// call_1..., and a Gemini 3 thought signature rides inside the call's ID so
// that the next request can return it, as those models require.
//
// Failures are *llmos.Error values with the codes every provider uses (see
// internal/wire): the adapter itself never retries and turns off the
// SDK's retries and automatic continuation, so that the scheduler alone
// decides when to try again, using RetryAfter for rate limits.
//
// The package is tested against recorded replies in Gemini's wire format in
// testdata/wire by the provider conformance suite (provider/providertest).
//
// Example:
//
//	m, err := gemini.New(gemini.Config{APIKey: os.Getenv("GEMINI_API_KEY")})
//	if err != nil {
//		return err
//	}
//	resp, err := m.Generate(ctx, &llmos.Request{
//		Model:    "gemini-2.5-flash",
//		Messages: []llmos.Message{{Role: llmos.RoleUser, Content: "Say hello."}},
//	}, nil)
package gemini
