// Package offline is the kernel llmos runs on when no model is configured: a
// few rules, not a language model, and it says so. It reads the user's
// latest message and, when that is arithmetic ("what is 12345 * 6789",
// "sqrt of 2 plus 1"), calls the calculator through the syscall table like a
// model would, then answers with the calculator's result. Anything else gets
// an answer that explains how to configure a model. "Remember that ..." stores
// a fact in archival memory, "what did I say about ..." searches it, and a
// line "$ CMD" runs CMD through the sandboxed shell tool. Later capabilities add
// their phrases here (memory, shell).
package offline

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/llmos/llmos"
)

// Label is how the offline kernel names itself in what it shows.
const Label = "offline kernel (rules, not a model)"

// Memory phrases: "remember that ...", and questions about what was said.
var (
	rememberRe = regexp.MustCompile(`^(?i)\s*(?:please\s+)?(?:remember|note|memori[sz]e)(?:\s+that)?[:,]?\s+(.+?)\s*$`)
	recallRe   = regexp.MustCompile(`^(?i)\s*(?:what|when)\s+(?:did|have)\s+(?:i|we)\s+(?:say|said|tell you|told you|mention|mentioned)\s+(?:about|regarding|of)\s+(.+?)[\s?.!]*$|^(?i)\s*(?:do you remember|recall|what do you (?:know|remember) about)\s+(.+?)[\s?.!]*$`)
)

// Help is the answer to anything the rules do not cover.
const Help = "This is llmos running on the " + Label + ": no model is configured. " +
	"It can do exact arithmetic (try: llmos run \"what is 12345 * 6789\"). " +
	"To run agents on a model, set LLMOS_MODEL (or pass --model) to provider:model with the provider's key, " +
	"for example LLMOS_MODEL=openai:gpt-4o-mini with OPENAI_API_KEY, anthropic:claude-sonnet-4-5 with ANTHROPIC_API_KEY, " +
	"gemini:gemini-2.5-flash with GEMINI_API_KEY, or ollama:llama3.2 with a local Ollama. `llmos models` shows what is set up."

// Model is the offline rules kernel.
type Model struct{}

// New returns the offline kernel.
func New() *Model { return &Model{} }

// Generate implements the kernel's Model.
func (*Model) Generate(ctx context.Context, req *llmos.Request, stream func(llmos.Delta)) (*llmos.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeCanceled, "cancelled")
	}
	msg := llmos.Message{Role: llmos.RoleAssistant}
	resp := &llmos.Response{StopReason: "stop"}
	last := lastTurn(req.Messages)
	switch {
	case last == nil:
		msg.Content = Help
	case last.Role == llmos.RoleTool:
		msg.Content = answer(*last)
	default:
		if call, ok := rules(last.Content, req.Tools); ok {
			msg.ToolCalls = []llmos.ToolCall{call}
			resp.StopReason = "tool_calls"
		} else {
			msg.Content = Help
		}
	}
	if stream != nil && msg.Content != "" {
		stream(llmos.Delta{Text: msg.Content})
	}
	resp.Message = msg
	return resp, nil
}

// rules maps a user's message to the syscall it asks for.
func rules(text string, tools []llmos.ToolDef) (llmos.ToolCall, bool) {
	arg := func(k, v string) string {
		b, _ := json.Marshal(map[string]string{k: v})
		return string(b)
	}
	if cmd, ok := strings.CutPrefix(strings.TrimSpace(text), "$ "); ok && strings.TrimSpace(cmd) != "" && hasTool(tools, "shell") {
		return llmos.ToolCall{ID: "call_shell", Name: "shell", Arguments: arg("command", strings.TrimSpace(cmd))}, true
	}
	if m := rememberRe.FindStringSubmatch(text); m != nil && hasTool(tools, "archival_memory_insert") {
		return llmos.ToolCall{ID: "call_remember", Name: "archival_memory_insert", Arguments: arg("content", m[1])}, true
	}
	if m := recallRe.FindStringSubmatch(text); m != nil && hasTool(tools, "archival_memory_search") {
		return llmos.ToolCall{ID: "call_recall", Name: "archival_memory_search", Arguments: arg("query", m[1]+m[2])}, true
	}
	if expr, ok := Arithmetic(text); ok && hasTool(tools, "calc") {
		return llmos.ToolCall{ID: "call_calc", Name: "calc", Arguments: arg("expression", expr)}, true
	}
	return llmos.ToolCall{}, false
}

// answer turns the result of the rules' syscall into the reply.
//
// Behind the security monitor's dual-LLM split, an untrusted result is shown
// only as a reference ($v3) that the rules cannot read: the reply then names
// the reference, which the monitor expands for the user.
func answer(result llmos.Message) string {
	text := strings.TrimPrefix(result.Content, "error: ")
	if m := hiddenRef.FindStringSubmatch(result.Content); m != nil {
		switch {
		case result.Name == "archival_memory_insert" && !result.IsError:
			return "Noted; I will remember that."
		case result.Name == "archival_memory_search":
			return "From memory:\n" + m[1]
		case result.IsError:
			return "That failed: " + m[1]
		}
		return m[1]
	}
	switch {
	case result.Name == "archival_memory_insert" && !result.IsError:
		return "Noted; I will remember that."
	case result.Name == "archival_memory_search" && !result.IsError:
		if strings.HasPrefix(text, "nothing found") {
			return "I have nothing about that in memory."
		}
		return "From memory:\n" + strings.TrimSpace(text)
	case result.IsError && result.Name == "calc":
		return "The calculator could not compute that: " + text
	case result.IsError:
		return "That failed: " + text
	}
	return result.Content
}

// hiddenRef matches a result the monitor hid behind a reference.
var hiddenRef = regexp.MustCompile(`^(\$[vm][0-9]+): `)

// lastTurn returns the latest user or tool message.
func lastTurn(msgs []llmos.Message) *llmos.Message {
	for i := len(msgs) - 1; i >= 0; i-- {
		switch msgs[i].Role {
		case llmos.RoleUser, llmos.RoleTool:
			return &msgs[i]
		case llmos.RoleAssistant:
			if len(msgs[i].ToolCalls) == 0 {
				return nil
			}
		}
	}
	return nil
}

func hasTool(tools []llmos.ToolDef, name string) bool {
	for _, t := range tools {
		if t.Name == name {
			return true
		}
	}
	return false
}

// Words the rules turn into operators, longest first where one contains another.
var words = []struct{ from, to string }{
	{"to the power of", "^"},
	{"raised to", "^"},
	{"multiplied by", "*"},
	{"divided by", "/"},
	{"the square root of", "sqrt "},
	{"square root of", "sqrt "},
	{"percent of", "% of"},
	{"squared", "^2"},
	{"cubed", "^3"},
	{"times", "*"},
	{"plus", "+"},
	{"minus", "-"},
	{"over", "/"},
	{"percent", "%"},
}

var (
	lead    = regexp.MustCompile(`^(?i)\s*(please\s+)?((what|how much)\s*(is|'s|are)|what's|calculate|compute|evaluate|solve|work out)\s*:?\s*`)
	trail   = regexp.MustCompile(`[\s?.!=]+$`)
	allowed = regexp.MustCompile(`^(?:[0-9.,+\-*/^%()×÷\s]|\*\*|\b(?:sqrt|ln|log|exp|sin|cos|tan|asin|acos|atan|abs|pi|e|of|mod)\b)+$`)
	digit   = regexp.MustCompile(`[0-9]|\bpi\b`)
	spaces  = regexp.MustCompile(`\s+`)
	// bareCall turns "sqrt 2" into "sqrt(2)", since the calculator wants parentheses.
	bareCall = regexp.MustCompile(`\b(sqrt|ln|log|exp|sin|cos|tan|asin|acos|atan|abs)\s+([0-9][0-9.,]*|pi|e)\b`)
)

// Arithmetic reports whether text asks for arithmetic and returns the
// expression for the calculator. It accepts the question phrasings people
// type ("what is", "calculate") and operator words ("plus", "divided by").
func Arithmetic(text string) (string, bool) {
	if len(text) > 2000 {
		return "", false
	}
	s := strings.ToLower(strings.TrimSpace(text))
	s = lead.ReplaceAllString(s, "")
	s = trail.ReplaceAllString(s, "")
	s = strings.TrimPrefix(s, "the ")
	for _, w := range words {
		s = strings.ReplaceAll(s, w.from, w.to)
	}
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	s = bareCall.ReplaceAllString(s, "$1($2)")
	if s == "" || !digit.MatchString(s) || !allowed.MatchString(s) {
		return "", false
	}
	return s, true
}
