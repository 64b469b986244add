package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/llmos/llmos"
)

type echoModel struct{ got *llmos.Request }

func (e *echoModel) Generate(_ context.Context, req *llmos.Request, _ func(llmos.Delta)) (*llmos.Response, error) {
	e.got = req
	return &llmos.Response{Message: llmos.Message{Role: llmos.RoleAssistant,
		ToolCalls: []llmos.ToolCall{{ID: "1", Name: req.Tools[0].Name}, {ID: "2", Name: req.Tools[1].Name}}}}, nil
}

// MCP tools are named mcp.server.tool; APIs that refuse dots see other
// names, and the calls come back under llmos's names.
func TestSafeNames(t *testing.T) {
	long := "mcp.server." + strings.Repeat("x", 80)
	req := &llmos.Request{
		Tools: []llmos.ToolDef{{Name: "mcp.files.read"}, {Name: long}, {Name: "mcp_files_read"}, {Name: "calc"}},
		Messages: []llmos.Message{
			{Role: llmos.RoleAssistant, ToolCalls: []llmos.ToolCall{{ID: "a", Name: "mcp.files.read"}}},
			{Role: llmos.RoleTool, ToolCallID: "a", Name: "mcp.files.read"},
		},
	}
	inner := &echoModel{}
	resp, err := safeNames{inner}.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tl := range inner.got.Tools {
		if !validName.MatchString(tl.Name) || seen[tl.Name] {
			t.Errorf("sent tool name %q: invalid or repeated", tl.Name)
		}
		seen[tl.Name] = true
	}
	if inner.got.Messages[0].ToolCalls[0].Name != inner.got.Tools[0].Name || inner.got.Messages[1].Name != inner.got.Tools[0].Name {
		t.Errorf("history not renamed: %+v", inner.got.Messages)
	}
	if resp.Message.ToolCalls[0].Name != "mcp.files.read" || resp.Message.ToolCalls[1].Name != long {
		t.Errorf("calls not mapped back: %+v", resp.Message.ToolCalls)
	}
	if req.Tools[0].Name != "mcp.files.read" || req.Messages[0].ToolCalls[0].Name != "mcp.files.read" {
		t.Error("the caller's request was changed")
	}
}
