// Package offline is the kernel llmos runs on when no model is configured: a
// few rules, not a language model, and it says so. It reads the user's
// latest message and, when that is arithmetic ("what is 12345 * 6789",
// "sqrt of 2 plus 1"), calls the calculator through the syscall table like a
// model would, then answers with the calculator's result. Anything else gets
// an answer that explains how to configure a model. Later capabilities add
// their phrases here (memory, shell).
package offline

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/llmos/llmos"
)

// Label is how the offline kernel names itself in what it shows.
const Label = "offline kernel (rules, not a model)"

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
		// The calculator answered: the result is the answer.
		if last.IsError {
			msg.Content = "The calculator could not compute that: " + strings.TrimPrefix(last.Content, "error: ")
		} else {
			msg.Content = last.Content
		}
	default:
		if expr, ok := Arithmetic(last.Content); ok && hasTool(req.Tools, "calc") {
			msg.ToolCalls = []llmos.ToolCall{{ID: "call_calc", Name: "calc", Arguments: fmt.Sprintf(`{"expression":%q}`, expr)}}
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
