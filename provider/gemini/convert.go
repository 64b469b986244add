package gemini

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"

	"google.golang.org/genai"

	"github.com/llmos/llmos"
)

// buildRequest turns an llmos request into Gemini contents and a config.
//
// System messages become the system instruction, in order. User messages are
// "user" contents; assistant messages are "model" contents with a text part
// and one functionCall part per tool call; tool results are "user" contents
// with functionResponse parts, consecutive results sharing one content as
// Gemini expects for parallel calls. Messages with nothing to send are left
// out, since Gemini rejects empty contents.
func buildRequest(req *llmos.Request) ([]*genai.Content, *genai.GenerateContentConfig, error) {
	config := &genai.GenerateContentConfig{
		// A reply cut at the per-request limit comes back with stop reason
		// "length" instead of being continued by the SDK in further requests.
		AutomaticContinuation: genai.Ptr(false),
	}
	if req.MaxTokens > 0 {
		config.MaxOutputTokens = int32(min(req.MaxTokens, math.MaxInt32))
	}
	if req.Temperature != nil {
		config.Temperature = genai.Ptr(float32(*req.Temperature))
	}
	if len(req.Tools) > 0 {
		decls := make([]*genai.FunctionDeclaration, 0, len(req.Tools))
		for _, t := range req.Tools {
			d := &genai.FunctionDeclaration{Name: t.Name, Description: t.Description}
			if p := strings.TrimSpace(string(t.Parameters)); p != "" && p != "null" {
				if !json.Valid(t.Parameters) {
					return nil, nil, llmos.Errorf(llmos.CodeInvalid, "%s: the parameters of tool %q are not valid JSON", name, t.Name)
				}
				d.ParametersJsonSchema = json.RawMessage(p)
			}
			decls = append(decls, d)
		}
		config.Tools = []*genai.Tool{{FunctionDeclarations: decls}}
	}

	var system []*genai.Part
	var contents []*genai.Content
	toolNames := map[string]string{} // call id → tool name, for results that do not name it
	lastWasResult := false
	for _, m := range req.Messages {
		switch m.Role {
		case llmos.RoleSystem:
			if m.Content != "" {
				system = append(system, &genai.Part{Text: m.Content})
			}
		case llmos.RoleUser:
			if m.Content == "" {
				continue
			}
			contents = append(contents, &genai.Content{Role: genai.RoleUser, Parts: []*genai.Part{{Text: m.Content}}})
			lastWasResult = false
		case llmos.RoleAssistant:
			var parts []*genai.Part
			if m.Content != "" {
				parts = append(parts, &genai.Part{Text: m.Content})
			}
			for _, c := range m.ToolCalls {
				toolNames[c.ID] = c.Name
				id, sig := splitCallID(c.ID)
				parts = append(parts, &genai.Part{
					FunctionCall:     &genai.FunctionCall{ID: id, Name: c.Name, Args: parseArgs(c.Arguments)},
					ThoughtSignature: sig,
				})
			}
			if len(parts) == 0 {
				continue
			}
			contents = append(contents, &genai.Content{Role: genai.RoleModel, Parts: parts})
			lastWasResult = false
		case llmos.RoleTool:
			tool := m.Name
			if tool == "" {
				tool = toolNames[m.ToolCallID]
			}
			if tool == "" {
				tool = "unknown_tool"
			}
			key := "result"
			if m.IsError {
				key = "error"
			}
			id, _ := splitCallID(m.ToolCallID)
			part := &genai.Part{FunctionResponse: &genai.FunctionResponse{
				ID:       id,
				Name:     tool,
				Response: map[string]any{key: m.Content},
			}}
			if lastWasResult {
				last := contents[len(contents)-1]
				last.Parts = append(last.Parts, part)
				continue
			}
			contents = append(contents, &genai.Content{Role: genai.RoleUser, Parts: []*genai.Part{part}})
			lastWasResult = true
		default:
			return nil, nil, llmos.Errorf(llmos.CodeInvalid, "%s: message with unknown role %q", name, m.Role)
		}
	}
	if len(system) > 0 {
		config.SystemInstruction = &genai.Content{Parts: system}
	}
	if len(contents) == 0 {
		return nil, nil, llmos.Errorf(llmos.CodeInvalid, "%s: the request has no messages to send", name)
	}
	return contents, config, nil
}

// parseArgs turns a tool call's argument text into the object Gemini wants.
// The text is untrusted and may come from another provider: when it is not a
// JSON object it is kept whole under "arguments", so that a conversation with
// one bad call can still be continued.
func parseArgs(s string) map[string]any {
	if strings.TrimSpace(s) == "" {
		return map[string]any{}
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(s), &args); err != nil || args == nil {
		return map[string]any{"arguments": s}
	}
	return args
}

// reply gathers a reply from one response or from the chunks of a stream.
type reply struct {
	text  strings.Builder
	calls []llmos.ToolCall
	usage llmos.Usage
	// finish is the candidate's finish reason, blocked the prompt's block
	// reason; done says whether either has been seen.
	finish  genai.FinishReason
	blocked genai.BlockedReason
	done    bool
}

// add takes in one response or stream chunk and returns the text it adds.
// Usage comes from the last chunk that carries it; thought tokens count as
// output, since they are billed as such.
func (r *reply) add(chunk *genai.GenerateContentResponse) string {
	if chunk == nil {
		return ""
	}
	if u := chunk.UsageMetadata; u != nil {
		r.usage = llmos.Usage{
			InputTokens:  int(u.PromptTokenCount),
			OutputTokens: int(u.CandidatesTokenCount) + int(u.ThoughtsTokenCount),
		}
	}
	if pf := chunk.PromptFeedback; pf != nil && pf.BlockReason != "" && pf.BlockReason != genai.BlockedReasonUnspecified {
		r.blocked, r.done = pf.BlockReason, true
	}
	if len(chunk.Candidates) == 0 || chunk.Candidates[0] == nil {
		return ""
	}
	c := chunk.Candidates[0]
	var text strings.Builder
	if c.Content != nil {
		for _, p := range c.Content.Parts {
			switch {
			case p == nil || p.Thought:
			case p.FunctionCall != nil:
				r.calls = append(r.calls, toolCall(p, len(r.calls)))
			default:
				text.WriteString(p.Text)
			}
		}
	}
	if c.FinishReason != "" && c.FinishReason != genai.FinishReasonUnspecified {
		r.finish, r.done = c.FinishReason, true
	}
	r.text.WriteString(text.String())
	return text.String()
}

func (r *reply) response() *llmos.Response {
	return &llmos.Response{
		Message: llmos.Message{
			Role:      llmos.RoleAssistant,
			Content:   r.text.String(),
			ToolCalls: r.calls,
		},
		Usage:      r.usage,
		StopReason: r.stopReason(),
	}
}

// stopReason normalises Gemini's finish reason: STOP is "stop", or
// "tool_calls" when the reply holds function calls; MAX_TOKENS and
// CONTINUATION (the per-request limit) are "length"; others are the lowercase
// Gemini word ("safety", "recitation", "malformed_function_call"...). A
// blocked prompt gives its lowercase block reason.
func (r *reply) stopReason() string {
	switch r.finish {
	case "":
		return strings.ToLower(string(r.blocked))
	case genai.FinishReasonStop:
		if len(r.calls) > 0 {
			return "tool_calls"
		}
		return "stop"
	case genai.FinishReasonMaxTokens, genai.FinishReasonContinuation:
		return "length"
	}
	return strings.ToLower(string(r.finish))
}

// toolCall turns the i-th functionCall part of a reply into a tool call.
func toolCall(p *genai.Part, i int) llmos.ToolCall {
	fc := p.FunctionCall
	args := []byte("{}")
	if len(fc.Args) > 0 {
		if b, err := json.Marshal(fc.Args); err == nil {
			args = b
		}
	}
	id := fc.ID
	if id == "" {
		id = fmt.Sprintf("call_%d", i)
	}
	return llmos.ToolCall{ID: joinCallID(id, p.ThoughtSignature), Name: fc.Name, Arguments: string(args)}
}

// Tool call IDs.
//
// Gemini may leave a function call without an id: the adapter then names it
// call_0, call_1... in the order of the reply. Such made-up ids are not sent
// back; ids Gemini chose are, in the functionCall and the functionResponse.
//
// Gemini 3 models also attach an opaque thought signature to a function call
// and reject the next request unless the call is sent back with it. llmos
// tool calls have no field for it, so it rides in the ID, after sigSep, in
// unpadded URL-safe base64: the ID stays within [A-Za-z0-9_-] and the
// conversation can be stored and resumed without state in the adapter.

const sigSep = "__ts_"

var madeUpID = regexp.MustCompile(`^call_[0-9]+$`)

// joinCallID returns the tool call ID for a Gemini call id and signature.
func joinCallID(id string, sig []byte) string {
	if len(sig) == 0 {
		return id
	}
	return id + sigSep + base64.RawURLEncoding.EncodeToString(sig)
}

// splitCallID undoes joinCallID: the id to send back to Gemini (empty for an
// id the adapter made up) and the thought signature, if the ID carries a
// valid one.
func splitCallID(callID string) (id string, sig []byte) {
	id = callID
	if i := strings.Index(callID, sigSep); i >= 0 {
		if b, err := base64.RawURLEncoding.DecodeString(callID[i+len(sigSep):]); err == nil {
			id, sig = callID[:i], b
		}
	}
	if madeUpID.MatchString(id) {
		id = ""
	}
	return id, sig
}
