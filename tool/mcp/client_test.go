package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
)

// memoryClient connects a client to srv over in-memory transports, a new
// pair for every connection. It returns the client and a function that
// drops the server's side of the current connection.
func memoryClient(t *testing.T, name string, srv *sdk.Server) (c *Client, dials *atomic.Int32, hangUp func()) {
	t.Helper()
	var mu sync.Mutex
	var last *sdk.ServerSession
	dials = new(atomic.Int32)
	dial := func() (sdk.Transport, error) {
		ct, st := sdk.NewInMemoryTransports()
		ss, err := srv.Connect(context.Background(), st, nil)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		last = ss
		mu.Unlock()
		dials.Add(1)
		return ct, nil
	}
	log, _ := testLogger()
	c = newClient(name, Server{Command: []string{"in-memory"}, Capabilities: []string{"mcp", "net"}}, log, dial)
	t.Cleanup(func() { c.Close() })
	hangUp = func() {
		mu.Lock()
		defer mu.Unlock()
		if last != nil {
			last.Close()
		}
	}
	return c, dials, hangUp
}

// rawServer has tools with awkward names, schemas and results.
func rawServer() *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "raw", Version: "v0"}, nil)
	add := func(name, schema string, h sdk.ToolHandler) {
		if h == nil {
			h = func(_ context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
				return text(string(req.Params.Arguments)), nil
			}
		}
		s.AddTool(&sdk.Tool{Name: name, Description: "tool " + name, InputSchema: json.RawMessage(schema)}, h)
	}
	add("x y", `{"type":"object"}`, nil)
	add("x_y", `{"type":"object"}`, nil)
	add("dotted.name", `{"type":"object","properties":{"a":{"type":"string"}}}`, nil)
	add(strings.Repeat("long", 30), `{"type":"object"}`, nil)
	add("remote", `{"type":"object","properties":{"c":{"$ref":"https://example.com/c.json"}}}`, nil)
	add("structured", `{"type":"object"}`, func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		return &sdk.CallToolResult{StructuredContent: map[string]any{"n": 1}}, nil
	})
	add("silent-error", `{"type":"object"}`, func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		return &sdk.CallToolResult{IsError: true}, nil
	})
	add("protocol-error", `{"type":"object"}`, func(context.Context, *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		return nil, errors.New("no such thing")
	})
	add("wait", `{"type":"object"}`, func(ctx context.Context, _ *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	return s
}

func TestMemoryTools(t *testing.T) {
	ctx := context.Background()
	c, _, _ := memoryClient(t, "my server", rawServer())
	list, err := c.Tools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tools := byName(t, list)
	long := ToolName("my server", strings.Repeat("long", 30))
	for _, n := range []string{"mcp.my_server.x_y", "mcp.my_server.dotted.name", long, "mcp.my_server.remote"} {
		if _, ok := tools[n]; !ok {
			t.Errorf("no tool %s", n)
		}
	}
	if len(long) != MaxNameLength {
		t.Errorf("long name %q", long)
	}
	// "x_y" keeps its name; "x y", renamed anyway, gets the hashed one.
	if d := tools["mcp.my_server.x_y"].Description; d != "tool x_y" {
		t.Errorf("mcp.my_server.x_y is %q", d)
	}
	if h := hashedName("my server", "x y"); tools[h].Description != "tool x y" {
		t.Errorf("no hashed tool %s for \"x y\": %v", h, list)
	}
	for _, tool := range list {
		if tool.Capabilities[0] != "mcp" || tool.Capabilities[1] != "net" {
			t.Errorf("%s: capabilities %v", tool.Name, tool.Capabilities)
		}
		if err := kernel.NewSyscalls().Register(tool); err != nil {
			t.Errorf("register %s: %v", tool.Name, err)
		}
	}
	if p := string(tools["mcp.my_server.remote"].Parameters); p != `{"type":"object"}` {
		t.Errorf("remote schema: %s", p)
	}

	out, err := tools["mcp.my_server.dotted.name"].Call(ctx, json.RawMessage(`{"a":"b"}`))
	if err != nil || out != `{"a":"b"}` {
		t.Errorf("dotted.name: %q, %v", out, err)
	}
	out, err = tools["mcp.my_server.structured"].Call(ctx, nil)
	if err != nil || out != `{"n":1}` {
		t.Errorf("structured: %q, %v", out, err)
	}
	_, err = tools["mcp.my_server.silent-error"].Call(ctx, nil)
	if llmos.ErrorCode(err) != llmos.CodeInvalid || !strings.Contains(err.Error(), "without saying why") {
		t.Errorf("silent error: %v", err)
	}
}

func TestMemoryFailures(t *testing.T) {
	ctx := context.Background()
	c, dials, hangUp := memoryClient(t, "raw", rawServer())
	if _, err := c.Call(ctx, "x_y", nil); err != nil {
		t.Fatal(err)
	}
	// A protocol error leaves the connection up.
	_, err := c.Call(ctx, "protocol-error", nil)
	if llmos.ErrorCode(err) != llmos.CodeInvalid || !strings.Contains(err.Error(), "no such thing") {
		t.Errorf("protocol error: %v", err)
	}
	_, err = c.Call(ctx, "no-such-tool", nil)
	if llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("unknown tool: %v", err)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d connections after protocol errors", n)
	}
	// Cancelling the caller's context stops the call at once.
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = c.Call(cctx, "wait", nil)
	if llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("cancelled: %v", err)
	}
	if out, err := c.Call(ctx, "x_y", json.RawMessage(`{"k":1}`)); err != nil || out != `{"k":1}` {
		t.Errorf("after cancel: %q, %v", out, err)
	}
	// The server hangs up: the next call connects again.
	hangUp()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := c.Call(ctx, "x_y", json.RawMessage(`{}`))
		if err == nil && out == `{}` {
			break
		}
		if err != nil && llmos.ErrorCode(err) != llmos.CodeUnavailable {
			t.Fatalf("after hang-up: %v (%v)", err, errors.Unwrap(err))
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reconnection: %v", err)
		}
	}
	if n := dials.Load(); n != 2 {
		t.Errorf("%d connections after a hang-up", n)
	}
}

func TestMemoryConcurrent(t *testing.T) {
	c, _, hangUp := memoryClient(t, "raw", rawServer())
	if _, err := c.Call(context.Background(), "x_y", nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 10 {
				hangUp()
			}
			args := fmt.Sprintf(`{"i":%d}`, i)
			out, err := c.Call(context.Background(), "x_y", json.RawMessage(args))
			if err == nil && out != args {
				t.Errorf("call %d: %q", i, out)
			}
		}()
	}
	wg.Wait()
	if out, err := c.Call(context.Background(), "x_y", json.RawMessage(`{}`)); err != nil || out != "{}" {
		t.Errorf("after the storm: %q, %v", out, err)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		s  Server
		ok bool
	}{
		{Server{Command: []string{"srv"}}, true},
		{Server{Command: []string{"srv"}, Env: map[string]string{"A": "b"}, Capabilities: []string{"files"}}, true},
		{Server{URL: "https://example.com/mcp", Headers: map[string]string{"Authorization": "Bearer x"}}, true},
		{Server{}, false},
		{Server{Command: []string{""}}, false},
		{Server{Command: []string{"srv"}, URL: "http://x"}, false},
		{Server{Command: []string{"srv"}, Headers: map[string]string{"A": "b"}}, false},
		{Server{Command: []string{"srv"}, Env: map[string]string{"A=B": "b"}}, false},
		{Server{URL: "ftp://example.com"}, false},
		{Server{URL: "http://"}, false},
		{Server{URL: "http://x", Env: map[string]string{"A": "b"}}, false},
		{Server{URL: "http://x", Headers: map[string]string{"Bad Name": "secret-value"}}, false},
		{Server{URL: "http://x", Capabilities: []string{"a b"}}, false},
	} {
		err := tc.s.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%+v: %v", tc.s, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret-value") {
			t.Errorf("the error shows a header value: %v", err)
		}
	}
}

func TestToolName(t *testing.T) {
	for _, tc := range []struct{ server, tool, want string }{
		{"github", "create_issue", "mcp.github.create_issue"},
		{"my.server", "a.b", "mcp.my_server.a.b"},
		{"", "", "mcp._._"},
		{"srv", "héllo wörld/x", "mcp.srv.h_llo_w_rld_x"},
	} {
		if got := ToolName(tc.server, tc.tool); got != tc.want {
			t.Errorf("ToolName(%q, %q) = %q, want %q", tc.server, tc.tool, got, tc.want)
		}
	}
	a, b := ToolName("s", strings.Repeat("x", 100)+"a"), ToolName("s", strings.Repeat("x", 100)+"b")
	if a == b || len(a) != 64 || len(b) != 64 {
		t.Errorf("long names: %q %q", a, b)
	}
}

func TestObjectSchema(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{`{"type":"object","properties":{"z":{},"a":{}}}`, `{"properties":{"z":{},"a":{}},"type":"object"}`, true},
		{`{"properties":{"a":{"type":"string"}}}`, `{"properties":{"a":{"type":"string"}},"type":"object"}`, true},
		{`{"type":["object","null"],"properties":{}}`, `{"properties":{},"type":"object"}`, true},
		{`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","definitions":{"d":{}},"properties":{"p":{"$ref":"#/definitions/d"}}}`, "", true},
		{`{"$schema":"https://example.com/unknown","type":"object"}`, "", true},
		{`{"type":"string"}`, `{"type":"object"}`, false},
		{`{"type":"object","properties":{"c":{"$ref":"https://example.com/c.json"}}}`, `{"type":"object"}`, false},
		{`[1,2]`, `{"type":"object"}`, false},
		{`null`, `{"type":"object"}`, false},
		{``, `{"type":"object"}`, false},
		{`{"type":"object","minProperties":"x"}`, `{"type":"object"}`, false},
	} {
		got, ok := objectSchema([]byte(tc.in))
		if ok != tc.ok || (tc.want != "" && string(got) != tc.want) {
			t.Errorf("objectSchema(%s) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int]string{0: "0 B", 1023: "1023 B", 1024: "1 KB", 12 * 1024: "12 KB", 3 << 20: "3.0 MB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
	if got := kind("image/svg+xml; charset=utf-8"); got != "svg+xml" {
		t.Errorf("kind: %q", got)
	}
	long := strings.Repeat("é", MaxOutput)
	out := truncate(long, MaxOutput)
	if !strings.Contains(out, "[truncated:") || !strings.HasPrefix(out, "é") {
		t.Errorf("truncate: %q...", out[:10])
	}
}
