// Package scripted is a test double for a model: it replays a script of
// replies, tool calls and failures, and records what it was asked. It is for
// tests and benchmarks of the kernel only; llmos never offers it as a model.
//
//	m := scripted.New(
//		scripted.Call("calc", `{"expression":"2+2"}`),
//		scripted.Fail(llmos.CodeRateLimited, time.Second),
//		scripted.Say("4"),
//	)
package scripted

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/llmos/llmos"
)

// Turn is one scripted reply. A reply whose usage has no input tokens is
// charged about a token for every four characters of the request. Exactly one of Reply, Err and Func is used, in
// that order of precedence: Func, Err, Reply.
type Turn struct {
	Reply llmos.Response
	Err   error
	// Func computes the reply from the request.
	Func func(req *llmos.Request) (*llmos.Response, error)
	// Delay is waited before replying (cancellable).
	Delay time.Duration
}

// Say is a turn that answers with text.
func Say(text string) Turn {
	return Turn{Reply: llmos.Response{
		Message:    llmos.Message{Role: llmos.RoleAssistant, Content: text},
		Usage:      llmos.Usage{OutputTokens: len(strings.Fields(text)) + 1},
		StopReason: "stop",
	}}
}

// Call is a turn that calls one tool; more pairs of name and arguments call
// several in one turn.
func Call(nameArgs ...string) Turn {
	msg := llmos.Message{Role: llmos.RoleAssistant}
	for i := 0; i+1 < len(nameArgs); i += 2 {
		msg.ToolCalls = append(msg.ToolCalls, llmos.ToolCall{Name: nameArgs[i], Arguments: nameArgs[i+1]})
	}
	return Turn{Reply: llmos.Response{Message: msg, Usage: llmos.Usage{OutputTokens: 5}, StopReason: "tool_calls"}}
}

// Fail is a turn that fails with the code; retryAfter is set on rate limits.
func Fail(code llmos.Code, retryAfter time.Duration) Turn {
	return Turn{Err: &llmos.Error{Code: code, Msg: fmt.Sprintf("scripted failure: %s", code), RetryAfter: retryAfter}}
}

// Model replays its turns in order. After the last one it repeats it when
// Repeat is set, and fails otherwise.
type Model struct {
	Repeat bool

	mu       sync.Mutex
	turns    []Turn
	next     int
	requests []*llmos.Request
}

// New returns a model that replays turns.
func New(turns ...Turn) *Model { return &Model{turns: turns} }

// Requests returns the requests the model has received.
func (m *Model) Requests() []*llmos.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*llmos.Request(nil), m.requests...)
}

// Generate implements the kernel's Model.
func (m *Model) Generate(ctx context.Context, req *llmos.Request, stream func(llmos.Delta)) (*llmos.Response, error) {
	m.mu.Lock()
	cp := *req
	cp.Messages = append([]llmos.Message(nil), req.Messages...)
	m.requests = append(m.requests, &cp)
	if m.next >= len(m.turns) && !(m.Repeat && len(m.turns) > 0) {
		m.mu.Unlock()
		return nil, llmos.Errorf(llmos.CodeBadResponse, "scripted model: script exhausted after %d turns", len(m.turns))
	}
	t := m.turns[min(m.next, len(m.turns)-1)]
	m.next++
	m.mu.Unlock()

	if t.Delay > 0 {
		timer := time.NewTimer(t.Delay)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return nil, llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "scripted call cancelled")
		case <-timer.C:
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeCanceled, "scripted call cancelled")
	}
	if t.Func != nil {
		return t.Func(&cp)
	}
	if t.Err != nil {
		return nil, t.Err
	}
	resp := t.Reply
	if resp.Usage.InputTokens == 0 {
		resp.Usage.InputTokens = inputTokens(&cp)
	}
	resp.Message.ToolCalls = append([]llmos.ToolCall(nil), t.Reply.Message.ToolCalls...)
	if stream != nil && resp.Message.Content != "" {
		for _, w := range strings.SplitAfter(resp.Message.Content, " ") {
			stream(llmos.Delta{Text: w})
		}
	}
	return &resp, nil
}

// inputTokens counts a request as a provider roughly would, about four
// characters a token, when the script does not say.
func inputTokens(req *llmos.Request) int {
	n := 0
	for _, m := range req.Messages {
		n += 4 + len(m.Content)/4
		for _, c := range m.ToolCalls {
			n += 4 + len(c.Arguments)/4
		}
	}
	return n
}
