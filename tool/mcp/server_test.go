package mcp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/tool/calc"
)

// llmosTools is a syscall table with the calculator, a tool that needs a
// capability, and one with a schema that is not an object schema, and a
// dispatch function through it for a caller holding caps.
func llmosTools(t *testing.T, caps []string) ([]llmos.Tool, Dispatch) {
	t.Helper()
	tools := []llmos.Tool{
		calc.Tool(),
		{
			ToolDef:      llmos.ToolDef{Name: "secret", Description: "Needs a capability.", Parameters: json.RawMessage(`{"type":"object"}`)},
			Capabilities: []string{"secrets"},
			Call:         func(context.Context, json.RawMessage) (string, error) { return "the secret", nil },
		},
		{
			ToolDef: llmos.ToolDef{Name: "odd", Description: "No schema.", Parameters: json.RawMessage(`{}`)},
			Call: func(ctx context.Context, args json.RawMessage) (string, error) {
				if c, ok := llmos.CallerFrom(ctx); ok {
					return "caller " + c.Namespace, nil
				}
				return "no caller", nil
			},
		},
	}
	calls := kernel.NewSyscalls()
	for _, tool := range tools {
		if err := calls.Register(tool); err != nil {
			t.Fatal(err)
		}
	}
	return tools, func(ctx context.Context, call llmos.ToolCall) llmos.Message {
		return calls.Dispatch(llmos.WithCaller(ctx, llmos.Caller{Namespace: "ada"}), caps, call, 5*time.Second)
	}
}

func resultOf(t *testing.T, res *sdk.CallToolResult) string {
	t.Helper()
	var parts []string
	for _, c := range res.Content {
		parts = append(parts, c.(*sdk.TextContent).Text)
	}
	return strings.Join(parts, "")
}

func TestServe(t *testing.T) {
	tools, dispatch := llmosTools(t, []string{"mcp"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ct, st := sdk.NewInMemoryTransports()
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, tools, dispatch, st) }()

	client := sdk.NewClient(&sdk.Implementation{Name: "test-client", Version: "v0"}, nil)
	cs, err := client.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	list, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]string{}
	for _, tool := range list.Tools {
		b, _ := json.Marshal(tool.InputSchema)
		schemas[tool.Name] = string(b)
	}
	if len(schemas) != 3 || !strings.Contains(schemas["calc"], `"expression"`) || schemas["odd"] != `{"type":"object"}` {
		t.Errorf("tools: %v", schemas)
	}

	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "calc", Arguments: map[string]any{"expression": "2+2"}})
	if err != nil || res.IsError || resultOf(t, res) != "4" {
		t.Errorf("calc: %+v, %v", res, err)
	}
	// The kernel's checks apply: the schema...
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "calc", Arguments: map[string]any{"expression": 5}})
	if err != nil || !res.IsError || !strings.Contains(resultOf(t, res), "schema") {
		t.Errorf("calc with a number: %+v, %v", res, err)
	}
	// ...and the capabilities.
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "secret"})
	if err != nil || !res.IsError || !strings.Contains(resultOf(t, res), "permission denied") {
		t.Errorf("secret: %+v, %v", res, err)
	}
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "odd"})
	if err != nil || res.IsError || resultOf(t, res) != "caller ada" {
		t.Errorf("odd: %+v, %v", res, err)
	}
	if _, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "nope"}); err == nil {
		t.Error("an unknown tool was called")
	}

	// The client leaves: Serve returns cleanly.
	cs.Close()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the client left")
	}
}

func TestServeCancel(t *testing.T) {
	tools, dispatch := llmosTools(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	ct, st := sdk.NewInMemoryTransports()
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, tools, dispatch, st) }()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "c", Version: "v0"}, nil).Connect(context.Background(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after ctx ended")
	}
	if err := Serve(context.Background(), tools, nil, st); llmos.ErrorCode(err) != llmos.CodeInternal {
		t.Errorf("Serve without dispatch: %v", err)
	}
}

// TestHandlerRoundTrip serves llmos's tools over streamable HTTP and calls
// them with llmos's own MCP client.
func TestHandlerRoundTrip(t *testing.T) {
	tools, dispatch := llmosTools(t, []string{"*"})
	h, err := Handler(tools, dispatch)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log, _ := testLogger()
	c, err := connect(ctx, "llmos", Server{URL: ts.URL}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, err := c.Tools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := byName(t, list)
	if out, err := call(t, got["mcp.llmos.calc"], `{"expression":"6*7"}`, 10*time.Second); err != nil || out != "42" {
		t.Errorf("calc: %q, %v", out, err)
	}
	if out, err := call(t, got["mcp.llmos.secret"], `{}`, 10*time.Second); err != nil || out != "the secret" {
		t.Errorf("secret: %q, %v", out, err)
	}
	_, err = call(t, got["mcp.llmos.calc"], `{"expression":"1/0"}`, 10*time.Second)
	if llmos.ErrorCode(err) != llmos.CodeInvalid || !strings.Contains(err.Error(), "error:") {
		t.Errorf("1/0: %v", err)
	}

	// A page on another site cannot call the tools through the browser.
	req, _ := http.NewRequest(http.MethodPost, ts.URL, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site request: %s", resp.Status)
	}
}
