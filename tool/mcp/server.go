package mcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llmos/llmos"
)

// Dispatch runs one tool call through the kernel's checks (capabilities,
// argument schema, timeout) and returns the tool message that answers it;
// kernel.Syscalls.Dispatch with the caller's capabilities is one. The
// server never calls a tool's Call itself.
type Dispatch func(ctx context.Context, call llmos.ToolCall) llmos.Message

// sessionTimeout closes an HTTP client's session after this long without a
// request.
const sessionTimeout = time.Hour

// NewServer returns an MCP server offering tools under their llmos names,
// with their descriptions and input schemas. A call runs through dispatch,
// and the message it returns becomes the result: its text as text content,
// IsError as isError. Tool results do not carry llmos labels over MCP.
func NewServer(tools []llmos.Tool, dispatch Dispatch) (srv *sdk.Server, err error) {
	if dispatch == nil {
		return nil, llmos.Errorf(llmos.CodeInternal, "mcp: NewServer needs a dispatch function")
	}
	srv = sdk.NewServer(&sdk.Implementation{Name: "llmos", Version: version()}, &sdk.ServerOptions{
		Instructions: "Tools of llmos, an operating system for AI agents.",
		// Tools only: no logging capability, and a fixed list.
		Capabilities: &sdk.ServerCapabilities{Tools: &sdk.ToolCapabilities{}},
	})
	defer func() {
		// The SDK panics on a tool it cannot offer; objectSchema should
		// have prevented it.
		if r := recover(); r != nil {
			srv, err = nil, llmos.Wrap(fmt.Errorf("%v", r), llmos.CodeInternal, "")
		}
	}()
	var ids atomic.Int64
	for _, t := range tools {
		params, ok := objectSchema(t.Parameters)
		if !ok {
			slog.Warn("tool offered over MCP with an open schema: its own is not an object schema", "tool", t.Name)
		}
		srv.AddTool(&sdk.Tool{Name: t.Name, Description: t.Description, InputSchema: params}, handler(t.Name, dispatch, &ids))
	}
	return srv, nil
}

// handler answers tools/call for one tool.
func handler(name string, dispatch Dispatch, ids *atomic.Int64) sdk.ToolHandler {
	return func(ctx context.Context, req *sdk.CallToolRequest) (res *sdk.CallToolResult, err error) {
		defer func() {
			if r := recover(); r != nil {
				slog.Error("MCP tool call panicked", "tool", name, "panic", r, "stack", string(debug.Stack()))
				res, err = errorResult("error: "+name+" failed with an internal error"), nil
			}
		}()
		args := "{}"
		if req != nil && req.Params != nil && len(req.Params.Arguments) > 0 {
			args = string(req.Params.Arguments)
		}
		msg := dispatch(ctx, llmos.ToolCall{ID: fmt.Sprintf("mcp-%d", ids.Add(1)), Name: name, Arguments: args})
		if msg.IsError {
			return errorResult(msg.Content), nil
		}
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: msg.Content}}}, nil
	}
}

func errorResult(text string) *sdk.CallToolResult {
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: text}}, IsError: true}
}

// Serve offers tools over transport t (sdk.StdioTransport for `llmos mcp
// serve`, an in-memory transport in tests) until the client disconnects or
// ctx ends; either is a clean stop and returns nil.
func Serve(ctx context.Context, tools []llmos.Tool, dispatch Dispatch, t sdk.Transport) error {
	srv, err := NewServer(tools, dispatch)
	if err != nil {
		return err
	}
	err = srv.Run(ctx, t)
	if err == nil || ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, sdk.ErrConnectionClosed) {
		return nil
	}
	return llmos.Wrap(err, llmos.CodeUnavailable, "the MCP connection failed")
}

// Handler returns an http.Handler offering tools over streamable HTTP, one
// session per client. It rejects cross-origin browser requests and, on a
// loopback address, requests whose Host is not a loopback name (DNS
// rebinding). It has no authentication: serve it on loopback only, or
// behind something that authenticates.
func Handler(tools []llmos.Tool, dispatch Dispatch) (http.Handler, error) {
	srv, err := NewServer(tools, dispatch)
	if err != nil {
		return nil, err
	}
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return srv }, &sdk.StreamableHTTPOptions{
		SessionTimeout: sessionTimeout,
	})
	return http.NewCrossOriginProtection().Handler(h), nil
}
