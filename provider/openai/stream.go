package openai

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wire"
)

// Limits on what one streamed reply may hold. A server that goes past them is
// broken or hostile, and its reply is bad_response rather than a memory leak.
const (
	maxReplyBytes = 32 << 20 // text and tool-call arguments together
	maxToolCalls  = 256
)

// generateStream makes a streaming call, asking for the usage chunk that
// OpenAI and most compatible servers send before [DONE].
func (m *Model) generateStream(ctx context.Context, params openai.ChatCompletionNewParams, fn func(llmos.Delta)) (*llmos.Response, error) {
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: param.NewOpt(true)}
	var httpResp *http.Response
	s := m.chat.NewStreaming(ctx, params, option.WithResponseInto(&httpResp))
	defer s.Close()
	acc := &accumulator{fn: fn}
	for s.Next() {
		if err := acc.add(s.Current()); err != nil {
			return nil, wire.Malformed(m.name, err)
		}
	}
	if err := s.Err(); err != nil {
		return nil, m.callError(ctx, err, httpResp)
	}
	if err := ctx.Err(); err != nil {
		return nil, wire.TransportError(ctx, m.name, err)
	}
	if !acc.finished() {
		return nil, wire.Truncated(m.name)
	}
	return acc.response(), nil
}

// accumulator assembles a streamed reply from its chunks: the text of the
// first choice, its tool calls (whose ids, names and arguments arrive in
// pieces, keyed by index), the finish reason and the usage.
//
// The chunks are untrusted: indexes may be anything, ids may repeat or be
// missing, and pieces may arrive in any order. The accumulator never panics
// and never allocates by index.
type accumulator struct {
	fn      func(llmos.Delta)
	text    strings.Builder
	calls   []llmos.ToolCall
	byIndex map[int64]int // a tool-call index to its position in calls
	last    int           // the position of the call last added to, when there are calls
	size    int
	finish  string
	usage   llmos.Usage
}

// add takes in one chunk, passing its text on. It fails when the reply grows
// past the limits.
func (a *accumulator) add(chunk openai.ChatCompletionChunk) error {
	if chunk.JSON.Usage.Valid() {
		a.usage = usage(chunk.Usage)
	}
	for _, ch := range chunk.Choices {
		if ch.Index != 0 {
			continue // only one choice is asked for
		}
		// A refusal is the model's answer as text, as it is in a
		// non-streamed reply.
		text := ch.Delta.Content + ch.Delta.Refusal
		if text != "" {
			if err := a.grow(len(text)); err != nil {
				return err
			}
			a.text.WriteString(text)
			if a.fn != nil {
				a.fn(llmos.Delta{Text: text})
			}
		}
		for _, tc := range ch.Delta.ToolCalls {
			if err := a.addCall(tc.JSON.Index.Valid(), tc.Index, tc.ID, tc.Function.Name, tc.Function.Arguments); err != nil {
				return err
			}
		}
		if ch.FinishReason != "" {
			a.finish = ch.FinishReason
		}
	}
	return nil
}

// addCall adds one piece of a tool call. hasIndex says whether the piece
// carried an index: OpenAI always sends one, but some compatible servers do
// not, and then a piece with a new id starts a new call and a piece without
// one continues the last call.
func (a *accumulator) addCall(hasIndex bool, index int64, id, name, args string) error {
	if err := a.grow(len(id) + len(name) + len(args)); err != nil {
		return err
	}
	pos, known := -1, false
	if hasIndex {
		pos, known = a.byIndex[index]
	} else if len(a.calls) > 0 {
		pos, known = a.last, true
	}
	// A new id under a known index is a new call: some servers send every
	// call whole, each under index 0.
	if known && id != "" && a.calls[pos].ID != "" && a.calls[pos].ID != id {
		known = false
	}
	if !known {
		if len(a.calls) >= maxToolCalls {
			return fmt.Errorf("more than %d tool calls in one reply", maxToolCalls)
		}
		a.calls = append(a.calls, llmos.ToolCall{})
		pos = len(a.calls) - 1
		if hasIndex {
			if a.byIndex == nil {
				a.byIndex = map[int64]int{}
			}
			a.byIndex[index] = pos
		}
	}
	a.last = pos
	c := &a.calls[pos]
	if id != "" {
		c.ID = id
	}
	if name != "" {
		// Names come whole; some servers repeat them in every piece.
		c.Name = name
	}
	c.Arguments += args
	return nil
}

func (a *accumulator) grow(n int) error {
	a.size += n
	if a.size > maxReplyBytes {
		return fmt.Errorf("reply longer than %d bytes", maxReplyBytes)
	}
	return nil
}

// finished reports whether the server said why it stopped. A stream that
// ends without saying so was cut short.
func (a *accumulator) finished() bool { return a.finish != "" }

// response returns the assembled reply.
func (a *accumulator) response() *llmos.Response {
	msg := llmos.Message{Role: llmos.RoleAssistant, Content: a.text.String()}
	if len(a.calls) > 0 {
		msg.ToolCalls = append([]llmos.ToolCall(nil), a.calls...)
		fixCallIDs(msg.ToolCalls)
	}
	return &llmos.Response{
		Message:    msg,
		Usage:      a.usage,
		StopReason: stopReason(a.finish, len(msg.ToolCalls) > 0),
	}
}
