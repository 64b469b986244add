// Package anthropic is the adapter for Anthropic's Messages API (the Claude
// models): a Model that the kernel asks, through the scheduler, for the next
// step of an agent. It is built on the official Go SDK
// (github.com/anthropics/anthropic-sdk-go/v2) with the SDK's own retries and
// environment lookups turned off: the scheduler retries, and the caller
// passes the key and base URL it chose.
//
// A request maps onto the API this way: system messages are joined into the
// system parameter; an assistant's tool calls become tool_use blocks; tool
// messages become tool_result blocks of one user message, is_error set for a
// failed call; tools are sent with their JSON Schema as input_schema; and
// max_tokens, which the API requires, defaults to DefaultMaxTokens. The reply's
// text blocks are joined into the message's content, its tool_use blocks
// become tool calls whose arguments are the input JSON, and the stop reason is
// normalised to "stop", "tool_calls" or "length".
//
// With a stream callback, Generate reads the server-sent events and passes each
// text delta on as it arrives, gathering tool input that comes in pieces; a
// stream that ends before message_stop is a bad_response error, and an error
// event in the stream is mapped like the HTTP status it stands for
// (overloaded_error, like HTTP 529, is unavailable and may be retried).
//
// Errors all go through internal/wire, so this adapter fails the same
// way as the others; the conformance suite in provider/providertest checks it
// against recorded replies in testdata/wire.
//
// Example:
//
//	m, err := anthropic.New(anthropic.Config{APIKey: os.Getenv("ANTHROPIC_API_KEY")})
//	if err != nil {
//		return err
//	}
//	resp, err := m.Generate(ctx, &llmos.Request{
//		Model:    "claude-haiku-4-5",
//		Messages: []llmos.Message{{Role: llmos.RoleUser, Content: "Say hello."}},
//	}, func(d llmos.Delta) { fmt.Print(d.Text) })
package anthropic
