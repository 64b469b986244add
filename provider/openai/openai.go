package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/wire"
)

// Config says which server a Model talks to and how.
type Config struct {
	// Name is the provider's name as errors show it, such as "openai" or
	// "ollama"; "openai" when empty.
	Name string
	// BaseURL is the API root, such as https://api.openai.com/v1 or
	// http://127.0.0.1:11434/v1; OpenAI's own API when empty.
	BaseURL string
	// APIKey is sent as a bearer token. Local servers often need none: when it
	// is empty no Authorization header is sent.
	APIKey string
	// HTTPClient makes the requests; http.DefaultClient when nil.
	HTTPClient *http.Client
}

// Model is a model behind a Chat Completions endpoint. It is safe for
// concurrent use.
type Model struct {
	name string
	key  string
	chat openai.ChatCompletionService
	// completionTokens says to send the token limit as max_completion_tokens
	// rather than max_tokens; see New.
	completionTokens bool
}

// New returns a Model for the server cfg names. It makes no request.
//
// The SDK's own defaults are bypassed: it reads no OPENAI_* environment
// variable and retries nothing, since the scheduler decides about retries from
// the error codes Generate returns.
func New(cfg Config) (*Model, error) {
	name := cfg.Name
	if name == "" {
		name = "openai"
	}
	// The service is built directly rather than through openai.NewClient,
	// which would read OPENAI_API_KEY, OPENAI_ORG_ID, OPENAI_CUSTOM_HEADERS
	// and others from the environment and send them along.
	opts := []option.RequestOption{
		option.WithEnvironmentProduction(), // the default base URL
		option.WithMaxRetries(0),
	}
	official := true
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, llmos.Errorf(llmos.CodeInvalid, "%s: base URL %q is not an http(s) URL", name, cfg.BaseURL)
		}
		official = strings.EqualFold(u.Hostname(), "api.openai.com")
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	} else {
		opts = append(opts, option.WithHTTPClient(http.DefaultClient))
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	}
	return &Model{
		name: name,
		key:  cfg.APIKey,
		chat: openai.NewChatCompletionService(opts...),
		// OpenAI deprecated max_tokens and its reasoning models (o-series,
		// gpt-5) reject it, accepting only max_completion_tokens. Servers
		// that copy the API (vLLM, llama.cpp, LM Studio, Ollama) have
		// accepted max_tokens for longest, and some of their versions ignore
		// or reject max_completion_tokens. So the newer name goes to OpenAI's
		// own endpoint only and the older one everywhere else.
		completionTokens: official,
	}, nil
}

// Generate sends req to the server and returns the model's reply. When stream
// is non-nil the reply is streamed: each piece of text is passed to stream as
// it arrives, on the calling goroutine, and tool calls are returned whole in
// the Response. Errors are *llmos.Error; see the package documentation.
func (m *Model) Generate(ctx context.Context, req *llmos.Request, stream func(llmos.Delta)) (*llmos.Response, error) {
	params, err := m.params(req)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, wire.TransportError(ctx, m.name, err)
	}
	if stream != nil {
		return m.generateStream(ctx, params, stream)
	}
	var raw []byte
	var httpResp *http.Response
	// The body is taken as bytes and decoded here, so that any reply that is
	// not a chat completion, whatever its content type, is bad_response.
	_, err = m.chat.New(ctx, params, option.WithResponseBodyInto(&raw), option.WithResponseInto(&httpResp))
	if err != nil {
		return nil, m.callError(ctx, err, httpResp)
	}
	var cc openai.ChatCompletion
	if err := json.Unmarshal(raw, &cc); err != nil {
		return nil, wire.Malformed(m.name, err)
	}
	if len(cc.Choices) == 0 {
		return nil, wire.Malformed(m.name, errors.New("the reply has no choices"))
	}
	choice := cc.Choices[0]
	if !choice.JSON.Message.Valid() {
		return nil, wire.Malformed(m.name, errors.New("the reply's choice has no message"))
	}
	msg := llmos.Message{Role: llmos.RoleAssistant, Content: choice.Message.Content}
	if msg.Content == "" {
		msg.Content = choice.Message.Refusal
	}
	for _, tc := range choice.Message.ToolCalls {
		call := llmos.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments}
		if tc.Type == "custom" {
			call.Name, call.Arguments = tc.Custom.Name, tc.Custom.Input
		}
		msg.ToolCalls = append(msg.ToolCalls, call)
	}
	fixCallIDs(msg.ToolCalls)
	return &llmos.Response{
		Message:    msg,
		Usage:      usage(cc.Usage),
		StopReason: stopReason(choice.FinishReason, len(msg.ToolCalls) > 0),
	}, nil
}

// params turns an llmos request into the SDK's request body.
func (m *Model) params(req *llmos.Request) (openai.ChatCompletionNewParams, error) {
	var p openai.ChatCompletionNewParams
	if req == nil || req.Model == "" {
		return p, llmos.Errorf(llmos.CodeInvalid, "%s: no model named in the request", m.name)
	}
	p.Model = req.Model
	for i, msg := range req.Messages {
		mp, err := m.message(msg)
		if err != nil {
			return p, llmos.Errorf(llmos.CodeInvalid, "%s: message %d: %s", m.name, i, err.Error())
		}
		p.Messages = append(p.Messages, mp)
	}
	for _, t := range req.Tools {
		tp, err := tool(t)
		if err != nil {
			return p, llmos.Errorf(llmos.CodeInvalid, "%s: tool %q: %s", m.name, t.Name, err.Error())
		}
		p.Tools = append(p.Tools, tp)
	}
	if req.MaxTokens > 0 {
		if m.completionTokens {
			p.MaxCompletionTokens = param.NewOpt(int64(req.MaxTokens))
		} else {
			p.MaxTokens = param.NewOpt(int64(req.MaxTokens))
		}
	}
	if req.Temperature != nil {
		p.Temperature = param.NewOpt(*req.Temperature)
	}
	return p, nil
}

// message maps one llmos message to its Chat Completions form. Labels are
// not sent: fencing untrusted text is the kernel's work, done before here.
func (m *Model) message(msg llmos.Message) (openai.ChatCompletionMessageParamUnion, error) {
	switch msg.Role {
	case llmos.RoleSystem:
		return openai.SystemMessage(msg.Content), nil
	case llmos.RoleUser:
		return openai.UserMessage(msg.Content), nil
	case llmos.RoleTool:
		if msg.ToolCallID == "" {
			return openai.ChatCompletionMessageParamUnion{}, errors.New("tool message without tool_call_id")
		}
		return openai.ToolMessage(msg.Content, msg.ToolCallID), nil
	case llmos.RoleAssistant:
		var a openai.ChatCompletionAssistantMessageParam
		// Content is left out, not sent empty, when the turn is only tool
		// calls, as OpenAI itself does.
		if msg.Content != "" || len(msg.ToolCalls) == 0 {
			a.Content.OfString = param.NewOpt(msg.Content)
		}
		for _, tc := range msg.ToolCalls {
			a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
				OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
					ID: tc.ID,
					Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{
						Name:      tc.Name,
						Arguments: tc.Arguments,
					},
				},
			})
		}
		return openai.ChatCompletionMessageParamUnion{OfAssistant: &a}, nil
	}
	return openai.ChatCompletionMessageParamUnion{}, fmt.Errorf("unknown role %q", msg.Role)
}

// tool maps a tool definition to a function tool. The schema's top-level keys
// are re-sent in sorted order, but everything below them verbatim, so the
// order of its properties, which models tend to follow, is kept.
func tool(t llmos.ToolDef) (openai.ChatCompletionToolUnionParam, error) {
	schema := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(t.Parameters)) > 0 {
		if err := json.Unmarshal(t.Parameters, &schema); err != nil || schema == nil {
			return openai.ChatCompletionToolUnionParam{}, errors.New("parameters are not a JSON object")
		}
	}
	if len(schema) == 0 {
		// OpenAI reads no parameters as none, but some compatible servers
		// require the field; an empty object schema means the same to both.
		schema = map[string]json.RawMessage{"type": json.RawMessage(`"object"`), "properties": json.RawMessage(`{}`)}
	}
	params := openai.FunctionParameters{}
	for k, v := range schema {
		params[k] = v
	}
	fn := openai.FunctionDefinitionParam{Name: t.Name, Parameters: params}
	if t.Description != "" {
		fn.Description = param.NewOpt(t.Description)
	}
	return openai.ChatCompletionFunctionTool(fn), nil
}

// callError maps a failed call to an llmos error. resp is the raw HTTP
// response when there was one: it still carries the status when the SDK
// could not decode an error body (a proxy's HTML page, vLLM's error format).
func (m *Model) callError(ctx context.Context, err error, resp *http.Response) *llmos.Error {
	if ctx.Err() != nil {
		return wire.TransportError(ctx, m.name, err)
	}
	var apiErr *openai.Error
	if errors.As(err, &apiErr) && apiErr.StatusCode >= 400 {
		detail := apiErr.Message
		if detail == "" {
			detail = bodyDetail(apiErr.Response)
		}
		return wire.StatusError(m.name, apiErr.StatusCode, header(apiErr.Response), m.redact(detail))
	}
	if resp != nil && resp.StatusCode >= 400 {
		return wire.StatusError(m.name, resp.StatusCode, resp.Header, m.redact(bodyDetail(resp)))
	}
	var se *ssestream.StreamError
	if errors.As(err, &se) {
		// The server began a reply, then reported a failure inside the stream.
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("%s failed during the reply: %s", m.name, m.redact(streamDetail(se))))
	}
	return wire.TransportError(ctx, m.name, err)
}

// redact removes the API key from text that came from the server.
func (m *Model) redact(s string) string {
	if len(m.key) >= 4 {
		s = strings.ReplaceAll(s, m.key, "[redacted]")
	}
	return s
}

func header(resp *http.Response) http.Header {
	if resp == nil {
		return nil
	}
	return resp.Header
}

// bodyDetail reads the message from an error body in the forms compatible
// servers use: {"error":{"message":...}}, {"error":"..."} or {"message":...}.
// The SDK leaves the body readable in memory after a failed call.
func bodyDetail(resp *http.Response) string {
	if resp == nil || resp.Body == nil {
		return ""
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return wire.ErrorDetail(raw)
}

func streamDetail(se *ssestream.StreamError) string {
	if msg := wire.ErrorDetail(se.Event.Data); msg != "" {
		return msg
	}
	return "unspecified error"
}

func usage(u openai.CompletionUsage) llmos.Usage {
	return llmos.Usage{InputTokens: int(u.PromptTokens), OutputTokens: int(u.CompletionTokens)}
}

// stopReason normalises a finish_reason. Some compatible servers say "stop"
// after a turn of tool calls; that turn is reported as tool_calls.
func stopReason(reason string, hasCalls bool) string {
	switch reason {
	case "function_call":
		return "tool_calls"
	case "stop":
		if hasCalls {
			return "tool_calls"
		}
	}
	return reason
}

// fixCallIDs gives every call a non-empty id unique within the turn, keeping
// the server's ids where they already are. Some compatible servers send none.
func fixCallIDs(calls []llmos.ToolCall) {
	seen := make(map[string]bool, len(calls))
	for i := range calls {
		id := calls[i].ID
		if id == "" || seen[id] {
			base := id
			if base == "" {
				base = "call"
			}
			for n := i; ; n++ {
				id = fmt.Sprintf("%s_%d", base, n)
				if !seen[id] {
					break
				}
			}
			calls[i].ID = id
		}
		seen[id] = true
	}
}
