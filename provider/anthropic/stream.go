package anthropic

import (
	"context"
	"fmt"
	"strings"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wire"
)

// stream makes one streaming call, passing text to fn as it arrives.
func (m *Model) stream(ctx context.Context, params sdk.MessageNewParams, fn func(llmos.Delta)) (*llmos.Response, error) {
	s := m.client.Messages.NewStreaming(ctx, params)
	defer s.Close()
	var acc accumulator
	for s.Next() {
		done, err := acc.add(s.Current(), fn)
		if err != nil {
			return nil, err
		}
		if done {
			return acc.response(), nil
		}
	}
	if err := s.Err(); err != nil {
		return nil, mapError(ctx, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, wire.TransportError(ctx, provider, err)
	}
	return nil, wire.Truncated(provider)
}

// accumulator builds a response from the events of a stream. The events are
// untrusted: indexes that were never started are reported as malformed rather
// than trusted.
type accumulator struct {
	started bool
	blocks  []*block
	byIndex map[int64]*block
	usage   llmos.Usage
	stop    sdk.StopReason
}

// block is one content block of the reply as it arrives.
type block struct {
	kind     string // "text", "tool_use", or a kind we skip
	text     strings.Builder
	id, name string
	input    strings.Builder // tool input, from input_json_delta pieces
	start    string          // tool input given in content_block_start
}

// add takes one event, passing text deltas to fn. It reports done once the
// message_stop event arrives.
func (a *accumulator) add(ev sdk.MessageStreamEventUnion, fn func(llmos.Delta)) (done bool, err error) {
	switch ev.Type {
	case "message_start":
		a.started = true
		a.usage.InputTokens = int(ev.Message.Usage.InputTokens)
		a.usage.OutputTokens = int(ev.Message.Usage.OutputTokens)
	case "content_block_start":
		if a.byIndex == nil {
			a.byIndex = map[int64]*block{}
		}
		if _, dup := a.byIndex[ev.Index]; dup {
			return false, malformed("content block %d started twice", ev.Index)
		}
		b := &block{kind: ev.ContentBlock.Type}
		switch b.kind {
		case "text":
			b.text.WriteString(ev.ContentBlock.Text)
			if ev.ContentBlock.Text != "" {
				fn(llmos.Delta{Text: ev.ContentBlock.Text})
			}
		case "tool_use":
			b.id, b.name = ev.ContentBlock.ID, ev.ContentBlock.Name
			b.start = ev.ContentBlock.JSON.Input.Raw()
		}
		a.byIndex[ev.Index] = b
		a.blocks = append(a.blocks, b)
	case "content_block_delta":
		b, ok := a.byIndex[ev.Index]
		if !ok {
			return false, malformed("delta for content block %d, which was never started", ev.Index)
		}
		switch ev.Delta.Type {
		case "text_delta":
			if b.kind != "text" {
				return false, malformed("text delta for a %s block", b.kind)
			}
			b.text.WriteString(ev.Delta.Text)
			if ev.Delta.Text != "" {
				fn(llmos.Delta{Text: ev.Delta.Text})
			}
		case "input_json_delta":
			if b.kind == "tool_use" {
				b.input.WriteString(ev.Delta.PartialJSON)
			}
		}
	case "message_delta":
		a.stop = ev.Delta.StopReason
		a.usage.OutputTokens = int(ev.Usage.OutputTokens)
		// Recent API versions repeat the input count here, as a running total.
		if ev.Usage.JSON.InputTokens.Valid() && ev.Usage.InputTokens > 0 {
			a.usage.InputTokens = int(ev.Usage.InputTokens)
		}
	case "message_stop":
		if !a.started {
			return false, malformed("message_stop before message_start")
		}
		return true, nil
	}
	return false, nil
}

// response is the reply the events built.
func (a *accumulator) response() *llmos.Response {
	resp := &llmos.Response{
		Message:    llmos.Message{Role: llmos.RoleAssistant},
		Usage:      a.usage,
		StopReason: stopReason(a.stop),
	}
	var text strings.Builder
	for _, b := range a.blocks {
		switch b.kind {
		case "text":
			text.WriteString(b.text.String())
		case "tool_use":
			args := b.input.String()
			if strings.TrimSpace(args) == "" {
				args = b.start
			}
			resp.Message.ToolCalls = append(resp.Message.ToolCalls, llmos.ToolCall{
				ID:        b.id,
				Name:      b.name,
				Arguments: inputText([]byte(args)),
			})
		}
	}
	resp.Message.Content = text.String()
	return resp
}

func malformed(format string, args ...any) *llmos.Error {
	return wire.Malformed(provider, fmt.Errorf(format, args...))
}
