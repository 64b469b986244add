package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// testServerEnv makes the test binary an MCP server on stdio instead of
// running the tests: "tools" serves testServer's tools, "exit" exits at once, "mute" never
// answers.
const testServerEnv = "LLMOS_MCP_TEST_SERVER"

func TestMain(m *testing.M) {
	switch os.Getenv(testServerEnv) {
	case "":
		os.Exit(m.Run())
	case "mute":
		fmt.Fprintln(os.Stderr, "test server: never answering")
		time.Sleep(time.Hour)
	case "exit":
		fmt.Fprintln(os.Stderr, "test server: exiting at once")
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "test server: starting")
		if err := testServer().Run(context.Background(), &sdk.StdioTransport{}); err != nil {
			fmt.Fprintln(os.Stderr, "test server:", err)
		}
		os.Exit(0)
	}
}

// stdioServer is the configuration of the test binary as a stdio server.
func stdioServer(t *testing.T, mode string) Server {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Server{Command: []string{exe, "-test.run=^$"}, Env: map[string]string{testServerEnv: mode}}
}

type textArgs struct {
	Text string `json:"text" jsonschema:"the text to echo"`
}

type addArgs struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

type slowArgs struct {
	Seconds float64 `json:"seconds"`
}

type envArgs struct {
	Name string `json:"name"`
}

func text(s string) *sdk.CallToolResult {
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: s}}}
}

// testServer is an MCP server with tools that work and tools that fail in
// every way a server can.
func testServer() *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "test", Version: "v0.0.1"}, nil)
	sdk.AddTool(s, &sdk.Tool{Name: "echo", Description: "Echo the text."}, func(_ context.Context, _ *sdk.CallToolRequest, in textArgs) (*sdk.CallToolResult, any, error) {
		return text(in.Text), nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "add", Description: "Add two numbers."}, func(_ context.Context, _ *sdk.CallToolRequest, in addArgs) (*sdk.CallToolResult, any, error) {
		return text(strconv.FormatFloat(in.A+in.B, 'g', -1, 64)), nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "pid", Description: "The server's process id."}, func(context.Context, *sdk.CallToolRequest, struct{}) (*sdk.CallToolResult, any, error) {
		return text(strconv.Itoa(os.Getpid())), nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "env", Description: "A variable of the server's environment."}, func(_ context.Context, _ *sdk.CallToolRequest, in envArgs) (*sdk.CallToolResult, any, error) {
		return text(os.Getenv(in.Name)), nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "crash", Description: "Exit in the middle of the call."}, func(context.Context, *sdk.CallToolRequest, struct{}) (*sdk.CallToolResult, any, error) {
		fmt.Fprintln(os.Stderr, "test server: crashing")
		os.Exit(3)
		return nil, nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "garbage", Description: "Write something that is not JSON to stdout."}, func(context.Context, *sdk.CallToolRequest, struct{}) (*sdk.CallToolResult, any, error) {
		os.Stdout.WriteString("this is not JSON-RPC {{{\n")
		time.Sleep(100 * time.Millisecond)
		return text("after the garbage"), nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "slow", Description: "Sleep, ignoring cancellation."}, func(_ context.Context, _ *sdk.CallToolRequest, in slowArgs) (*sdk.CallToolResult, any, error) {
		time.Sleep(time.Duration(in.Seconds * float64(time.Second)))
		return text("slept"), nil, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "fail", Description: "Report an error."}, func(context.Context, *sdk.CallToolRequest, struct{}) (*sdk.CallToolResult, any, error) {
		return nil, nil, fmt.Errorf("the disk is full")
	})
	sdk.AddTool(s, &sdk.Tool{Name: "media", Description: "Return text, an image, audio and resources."}, func(context.Context, *sdk.CallToolRequest, struct{}) (*sdk.CallToolResult, any, error) {
		return &sdk.CallToolResult{Content: []sdk.Content{
			&sdk.TextContent{Text: "a picture:"},
			&sdk.ImageContent{Data: make([]byte, 12*1024), MIMEType: "image/png"},
			&sdk.AudioContent{Data: make([]byte, 100), MIMEType: "audio/wav"},
			&sdk.ResourceLink{URI: "file:///notes.txt", Name: "notes"},
			&sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "file:///a.txt", Text: "inside a"}},
			&sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "file:///b.bin", MIMEType: "application/octet-stream", Blob: make([]byte, 300*1024)}},
		}}, nil, nil
	})
	// A draft-07 schema with definitions, as many servers written in
	// TypeScript send.
	s.AddTool(&sdk.Tool{Name: "draft7", Description: "A draft-07 schema.", InputSchema: json.RawMessage(`{
		"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
		"properties": {"p": {"$ref": "#/definitions/point"}}, "required": ["p"],
		"definitions": {"point": {"type": "object", "properties": {"x": {"type": "number"}}}}}`)},
		func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			return text(string(req.Params.Arguments)), nil
		})
	return s
}
