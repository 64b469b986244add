package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wire"
)

// provider is the name errors give to this adapter.
const provider = "anthropic"

// DefaultBaseURL is where requests go when Config.BaseURL is empty.
const DefaultBaseURL = "https://api.anthropic.com"

// DefaultMaxTokens is the reply limit sent when a Request leaves MaxTokens at
// zero: the Messages API requires one.
const DefaultMaxTokens = 4096

// Config says how to reach the Messages API. Nothing is read from the
// environment: the caller passes the key it found (usually ANTHROPIC_API_KEY).
type Config struct {
	// BaseURL is the API's root; empty means DefaultBaseURL.
	BaseURL string
	// APIKey is the key sent with every request. It is required.
	APIKey string
	// HTTPClient sends the requests; when nil, a client whose only timeout is
	// ten minutes for the response headers is used (ctx bounds the rest).
	HTTPClient *http.Client
}

// Model is a model behind Anthropic's Messages API. It implements the
// kernel's Model interface and is safe for concurrent use.
type Model struct {
	client sdk.Client
}

// New returns a Model that talks to the Messages API as cfg says. It fails
// with code unauthenticated when cfg has no key. The SDK is configured not to
// read any ANTHROPIC_* variable and not to retry: retries belong to the
// scheduler, which decides from the codes Generate returns.
func New(cfg Config) (*Model, error) {
	if cfg.APIKey == "" {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "no API key for anthropic (set ANTHROPIC_API_KEY)")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient()
	}
	client := sdk.NewClient(
		option.WithoutEnvironmentDefaults(),
		option.WithBaseURL(base),
		option.WithAPIKey(cfg.APIKey),
		option.WithHTTPClient(hc),
		option.WithMaxRetries(0),
	)
	return &Model{client: client}, nil
}

// defaultHTTPClient is what the SDK would use by default: the default
// transport with a bound on the wait for response headers, so a server that
// accepts the connection and never answers does not hang a call forever.
func defaultHTTPClient() *http.Client {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		t = t.Clone()
		t.ResponseHeaderTimeout = 10 * time.Minute
		return &http.Client{Transport: t}
	}
	return &http.Client{Transport: http.DefaultTransport}
}

// Generate sends req to the Messages API and returns the assistant's reply.
//
// With a nil stream the reply is fetched in one response, unless the SDK
// judges that max_tokens is too large to wait for without streaming, in which
// case it is streamed silently. With a non-nil stream the reply is streamed and
// each piece of text is passed to stream as it arrives; tool calls are
// returned whole in the Response.
//
// Request.Temperature is not sent: the API version this SDK speaks
// (anthropic-version 2026-10-21) has no temperature parameter.
//
// Errors carry codes: unauthenticated for a rejected key, rate_limited with
// RetryAfter for 429, unavailable for 5xx, 529 (overloaded) and connection
// failures, bad_response for a malformed or cut reply, canceled when ctx ends.
func (m *Model) Generate(ctx context.Context, req *llmos.Request, stream func(llmos.Delta)) (*llmos.Response, error) {
	if req == nil {
		return nil, llmos.Errorf(llmos.CodeInvalid, "anthropic: no request")
	}
	if req.Model == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "anthropic: no model named in the request")
	}
	if err := ctx.Err(); err != nil {
		return nil, wire.TransportError(ctx, provider, err)
	}
	params := buildParams(req)
	if stream == nil {
		if _, err := sdk.CalculateNonStreamingTimeout(int(params.MaxTokens), params.Model, m.client.Options); err == nil {
			return m.generate(ctx, params)
		}
		stream = func(llmos.Delta) {}
	}
	return m.stream(ctx, params, stream)
}

// generate makes one non-streaming call.
func (m *Model) generate(ctx context.Context, params sdk.MessageNewParams) (*llmos.Response, error) {
	msg, err := m.client.Messages.New(ctx, params)
	if err != nil {
		return nil, mapError(ctx, err)
	}
	if msg == nil || !msg.JSON.Content.Valid() {
		return nil, wire.Malformed(provider, errors.New("the reply has no content"))
	}
	resp := &llmos.Response{
		Message: llmos.Message{Role: llmos.RoleAssistant},
		Usage: llmos.Usage{
			InputTokens:  int(msg.Usage.InputTokens),
			OutputTokens: int(msg.Usage.OutputTokens),
		},
		StopReason: stopReason(msg.StopReason),
	}
	var text strings.Builder
	for _, b := range msg.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			resp.Message.ToolCalls = append(resp.Message.ToolCalls, llmos.ToolCall{
				ID:        b.ID,
				Name:      b.Name,
				Arguments: inputText(b.Input),
			})
		}
	}
	resp.Message.Content = text.String()
	return resp, nil
}

// inputText returns a tool_use block's input as the arguments text: compact
// JSON, or "{}" when the block had none.
func inputText(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "{}"
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return string(raw)
}

// stopReason normalises Anthropic's stop reasons to the llmos words.
func stopReason(r sdk.StopReason) string {
	switch r {
	case sdk.StopReasonEndTurn, sdk.StopReasonStopSequence:
		return "stop"
	case sdk.StopReasonToolUse:
		return "tool_calls"
	case sdk.StopReasonMaxTokens, sdk.StopReasonModelContextWindowExceeded:
		return "length"
	}
	return string(r)
}

// buildParams turns an llmos request into the Messages API's parameters.
//
// System messages are joined into the system parameter. Tool messages become
// tool_result blocks in a user message; consecutive messages that map to the
// same role are merged into one, so the results of one turn's calls travel
// together, as the API wants. Empty text is left out, since the API refuses
// empty text blocks.
func buildParams(req *llmos.Request) sdk.MessageNewParams {
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = DefaultMaxTokens
	}
	p := sdk.MessageNewParams{
		Model:     sdk.Model(req.Model),
		MaxTokens: int64(maxTokens),
	}
	var system []string
	var msgs []sdk.MessageParam
	// add appends blocks to the last message when it has the same role, or
	// starts a new message.
	add := func(role llmos.Role, blocks ...sdk.ContentBlockParamUnion) {
		if len(blocks) == 0 {
			return
		}
		if n := len(msgs); n > 0 {
			last := &msgs[n-1]
			if role == llmos.RoleUser && last.OfUser != nil {
				last.OfUser.Content = append(last.OfUser.Content, blocks...)
				return
			}
			if role == llmos.RoleAssistant && last.OfAssistant != nil {
				last.OfAssistant.Content = append(last.OfAssistant.Content, blocks...)
				return
			}
		}
		if role == llmos.RoleAssistant {
			msgs = append(msgs, sdk.NewAssistantMessage(blocks...))
		} else {
			msgs = append(msgs, sdk.NewUserMessage(blocks...))
		}
	}
	for _, m := range req.Messages {
		switch m.Role {
		case llmos.RoleSystem:
			if m.Content != "" {
				system = append(system, m.Content)
			}
		case llmos.RoleAssistant:
			var blocks []sdk.ContentBlockParamUnion
			if m.Content != "" {
				blocks = append(blocks, sdk.NewTextBlock(m.Content))
			}
			for _, c := range m.ToolCalls {
				blocks = append(blocks, sdk.NewToolUseBlock(c.ID, toolInput(c.Arguments), c.Name))
			}
			add(llmos.RoleAssistant, blocks...)
		case llmos.RoleTool:
			add(llmos.RoleUser, toolResult(m))
		default: // user, and any role we do not know, is the user speaking
			if m.Content != "" {
				add(llmos.RoleUser, sdk.NewTextBlock(m.Content))
			}
		}
	}
	p.Messages = msgs
	if len(system) > 0 {
		p.System = []sdk.TextBlockParam{{Text: strings.Join(system, "\n\n")}}
	}
	for _, t := range req.Tools {
		tool := sdk.ToolParam{Name: t.Name, InputSchema: inputSchema(t.Parameters)}
		if t.Description != "" {
			tool.Description = sdk.String(t.Description)
		}
		p.Tools = append(p.Tools, sdk.ToolUnionParam{OfTool: &tool})
	}
	return p
}

// toolInput returns a tool call's arguments as the JSON object the API wants
// for a tool_use block's input. Arguments that are not a JSON object (the
// model sent garbage, which the kernel answered with an error result) are sent
// as an empty object, so that the conversation can still be replayed.
func toolInput(args string) any {
	raw := bytes.TrimSpace([]byte(args))
	if len(raw) > 0 && raw[0] == '{' && json.Valid(raw) {
		return json.RawMessage(raw)
	}
	return map[string]any{}
}

// toolResult returns the tool_result block that answers one tool call.
func toolResult(m llmos.Message) sdk.ContentBlockParamUnion {
	r := sdk.ToolResultBlockParam{ToolUseID: m.ToolCallID}
	if m.Content != "" {
		r.Content = []sdk.ToolResultBlockParamContentUnion{{OfText: &sdk.TextBlockParam{Text: m.Content}}}
	}
	if m.IsError {
		r.IsError = sdk.Bool(true)
	}
	return sdk.ContentBlockParamUnion{OfToolResult: &r}
}

// inputSchema turns a tool's JSON Schema into the API's input_schema: its
// properties and required list go in their fields, every other keyword is
// kept as it is, and the type is always "object", which the API requires. A
// tool without parameters gets an empty properties object.
func inputSchema(params json.RawMessage) sdk.ToolInputSchemaParam {
	s := sdk.ToolInputSchemaParam{Properties: json.RawMessage(`{}`)}
	var fields map[string]json.RawMessage
	if json.Unmarshal(params, &fields) != nil {
		return s
	}
	for k, v := range fields {
		switch k {
		case "type":
		case "properties":
			if string(bytes.TrimSpace(v)) != "null" {
				s.Properties = v
			}
		case "required":
			var req []string
			if json.Unmarshal(v, &req) == nil {
				s.Required = req
			}
		default:
			if s.ExtraFields == nil {
				s.ExtraFields = map[string]any{}
			}
			s.ExtraFields[k] = v
		}
	}
	return s
}

// mapError turns an error from the SDK into an llmos error with a code.
func mapError(ctx context.Context, err error) *llmos.Error {
	if ctx.Err() != nil {
		return wire.TransportError(ctx, provider, err)
	}
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		return statusError(apiErr)
	}
	return wire.TransportError(ctx, provider, err)
}

// statusError maps an API error, from an HTTP status or from an error event in
// a stream (which arrives in a 200 response, so its type says what failed).
func statusError(e *sdk.Error) *llmos.Error {
	status := e.StatusCode
	if status < 400 {
		status = typeStatus(e.Type())
	}
	var header http.Header
	if e.Response != nil {
		header = e.Response.Header
	}
	detail := e.Message
	if detail == "" {
		detail = string(e.Type())
	}
	return wire.StatusError(provider, status, header, detail)
}

// typeStatus is the HTTP status the API gives each error type.
func typeStatus(t sdk.ErrorType) int {
	switch t {
	case sdk.ErrorTypeInvalidRequestError:
		return http.StatusBadRequest
	case sdk.ErrorTypeAuthenticationError:
		return http.StatusUnauthorized
	case sdk.ErrorTypeBillingError:
		return http.StatusPaymentRequired
	case sdk.ErrorTypePermissionError:
		return http.StatusForbidden
	case sdk.ErrorTypeNotFoundError:
		return http.StatusNotFound
	case sdk.ErrorTypeConflictError:
		return http.StatusConflict
	case sdk.ErrorTypeRateLimitError:
		return http.StatusTooManyRequests
	case sdk.ErrorTypeTimeoutError:
		return http.StatusGatewayTimeout
	case sdk.ErrorTypeOverloadedError:
		return 529
	}
	// api_error and anything unknown: the server failed.
	return http.StatusInternalServerError
}
