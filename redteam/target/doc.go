// Package target holds what `llmos scan` fires probes at. Each target turns
// a redteam.Request (a system prompt holding the planted canary, the user's
// prompt, untrusted documents) into one exchange with the thing under test
// and returns what came back as a redteam.Reply:
//
//   - Model (kinds "openai-compat", "openai", "anthropic", "gemini",
//     "ollama"): one Generate call to a model through llmos's provider
//     adapters, with the system prompt and the user's message; documents
//     are appended to the user's message as quoted material.
//   - Command ("command"): a local program; the prompt on its stdin, the
//     reply from its stdout, bounded by a timeout. A program has no system
//     prompt, so the system text (with the canary) opens the prompt.
//   - HTTP ("http"): any HTTP API, described by a request template with
//     {{prompt}} and {{system}} placeholders and a path to the reply in the
//     JSON it returns (choices[0].message.content).
//   - Kernel ("llmos"): llmos's own kernel running an agent with tools.
//     Dangerous tools are decoys that record their calls and do nothing;
//     the documents arrive as the result of a read_document tool, which is
//     how indirect injection reaches an agent; the reply carries the
//     syscalls the agent made, so a detector can tell that an injection
//     got it to send mail or run a command.
//
// Targets are safe for concurrent use: the runner (redteam.Run) sends
// several attempts at once.
package target
