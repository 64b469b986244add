package llmos

import (
	"context"
	"encoding/json"
)

// Role says who wrote a message.
type Role string

// The roles of a conversation.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Message is one turn of a conversation. An assistant message may carry tool
// calls; a tool message answers one of them, naming it by ToolCallID.
type Message struct {
	Role       Role       `json:"role"`
	Content    string     `json:"content,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	// Name is the tool's name on a tool message.
	Name string `json:"name,omitempty"`
	// IsError marks a tool message that reports a failed call.
	IsError bool `json:"is_error,omitempty"`
	// Label says where the content came from; the zero label is trusted.
	Label Label `json:"label,omitzero"`
	// Ref names an untrusted message as a value the planner may pass around
	// without reading it ("v12", shown as $v12); the kernel sets it when the
	// message enters the history.
	Ref string `json:"ref,omitempty"`
}

// ToolCall is a model's request to run one tool. Arguments holds the text the
// model sent, which is meant to be a JSON object but is untrusted: it may be
// malformed, and the kernel validates it before any tool sees it.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// ToolDef describes a tool to a model: a name, what it does, and a JSON Schema
// for its arguments.
type ToolDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

// Tool is a syscall that an agent may make: its definition for the model, the
// capabilities a process must hold to call it, and the function that runs it.
// Call receives arguments already validated against Parameters. Its result is
// text for the model; an error becomes an error result the model can read.
type Tool struct {
	ToolDef
	Capabilities []string
	// Source labels the tool's results: SourceWeb for fetched pages,
	// SourceFile for files; SourceTool when empty; SourceSystem for a tool
	// whose result is computed from its arguments alone (a calculator), which
	// then carries only the label of its arguments.
	Source Source
	Call   func(ctx context.Context, args json.RawMessage) (string, error)
}

// Usage counts the tokens of one model call.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// Total is the input and output tokens together.
func (u Usage) Total() int { return u.InputTokens + u.OutputTokens }

// Add returns the sum of two usages.
func (u Usage) Add(v Usage) Usage {
	return Usage{u.InputTokens + v.InputTokens, u.OutputTokens + v.OutputTokens}
}

// Request is what a model is asked: a conversation and the tools it may call.
type Request struct {
	// Model is the provider's own name for the model, such as "gpt-4o-mini".
	Model     string    `json:"model"`
	Messages  []Message `json:"messages"`
	Tools     []ToolDef `json:"tools,omitempty"`
	MaxTokens int       `json:"max_tokens,omitempty"`
	// Temperature is left to the provider's default when nil.
	Temperature *float64 `json:"temperature,omitempty"`
}

// Response is a model's answer: one assistant message, which may hold text,
// tool calls or both, and what the call cost.
type Response struct {
	Message Message `json:"message"`
	Usage   Usage   `json:"usage"`
	// StopReason is the provider's reason for stopping, normalised to
	// "stop", "tool_calls", "length" or the provider's own word.
	StopReason string `json:"stop_reason,omitempty"`
}

// Delta is one piece of a streamed response: text as it arrives. Tool calls are
// delivered whole in the final Response, never as deltas.
type Delta struct {
	Text string
}
