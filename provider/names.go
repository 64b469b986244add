package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"

	"github.com/llmos/llmos"
)

// validName is what the strictest provider APIs accept as a tool name
// (OpenAI's and Anthropic's rule); llmos's own names may hold dots, as MCP
// tools do (mcp.server.tool).
var validName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

var badChar = regexp.MustCompile(`[^a-zA-Z0-9_-]`)

// safeNames wraps a model whose API restricts tool names: it sends each
// tool under a name the API accepts and maps the calls the model returns
// back to llmos's names. When every name is valid it changes nothing.
type safeNames struct{ Model }

// wireNames maps the tools of one request to names an API accepts.
func wireNames(tools []llmos.ToolDef) (out, back map[string]string) {
	for _, t := range tools {
		if !validName.MatchString(t.Name) {
			out, back = map[string]string{}, map[string]string{}
			break
		}
	}
	if out == nil {
		return nil, nil
	}
	for _, t := range tools {
		w := t.Name
		if !validName.MatchString(w) {
			w = badChar.ReplaceAllString(w, "_")
			if len(w) > 64 || len(w) == 0 {
				sum := sha256.Sum256([]byte(t.Name))
				w = w[:min(len(w), 55)] + "_" + hex.EncodeToString(sum[:4])
			}
		}
		for _, taken := back[w]; taken; _, taken = back[w] {
			sum := sha256.Sum256([]byte(t.Name + w))
			w = w[:min(len(w), 55)] + "_" + hex.EncodeToString(sum[:4])
		}
		out[t.Name], back[w] = w, t.Name
	}
	return out, back
}

// Generate implements the kernel's Model.
func (s safeNames) Generate(ctx context.Context, req *llmos.Request, stream func(llmos.Delta)) (*llmos.Response, error) {
	out, back := wireNames(req.Tools)
	if out == nil {
		return s.Model.Generate(ctx, req, stream)
	}
	name := func(n string) string {
		if w, ok := out[n]; ok {
			return w
		}
		return n
	}
	cp := *req
	cp.Tools = make([]llmos.ToolDef, len(req.Tools))
	for i, t := range req.Tools {
		t.Name = name(t.Name)
		cp.Tools[i] = t
	}
	cp.Messages = make([]llmos.Message, len(req.Messages))
	for i, m := range req.Messages {
		if len(m.ToolCalls) > 0 {
			calls := make([]llmos.ToolCall, len(m.ToolCalls))
			for j, c := range m.ToolCalls {
				c.Name = name(c.Name)
				calls[j] = c
			}
			m.ToolCalls = calls
		}
		if m.Role == llmos.RoleTool {
			m.Name = name(m.Name)
		}
		cp.Messages[i] = m
	}
	resp, err := s.Model.Generate(ctx, &cp, stream)
	if resp != nil {
		for i, c := range resp.Message.ToolCalls {
			if n, ok := back[c.Name]; ok {
				resp.Message.ToolCalls[i].Name = n
			}
		}
	}
	return resp, err
}
