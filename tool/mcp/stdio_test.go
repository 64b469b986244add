package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
)

// logBuffer is a log the test can read while servers write to it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// byName indexes tools by name.
func byName(t *testing.T, tools []llmos.Tool) map[string]llmos.Tool {
	t.Helper()
	m := map[string]llmos.Tool{}
	for _, tool := range tools {
		m[tool.Name] = tool
	}
	return m
}

// call calls a tool with a timeout.
func call(t *testing.T, tool llmos.Tool, args string, timeout time.Duration) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return tool.Call(ctx, json.RawMessage(args))
}

func TestStdio(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-must-not-leak")
	log, logs := testLogger()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := connect(ctx, "test", stdioServer(t, "tools"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, err := c.Tools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tools := byName(t, list)
	for _, n := range []string{"echo", "add", "pid", "env", "crash", "garbage", "slow", "fail", "media", "draft7"} {
		tool, ok := tools["mcp.test."+n]
		if !ok {
			t.Fatalf("no tool mcp.test.%s in %v", n, list)
		}
		if tool.Source != llmos.SourceTool || len(tool.Capabilities) != 1 || tool.Capabilities[0] != "mcp" {
			t.Errorf("%s: source %q, capabilities %v", tool.Name, tool.Source, tool.Capabilities)
		}
	}
	// The kernel accepts every tool, schemas included.
	calls := kernel.NewSyscalls()
	for _, tool := range list {
		if err := calls.Register(tool); err != nil {
			t.Errorf("register %s: %v", tool.Name, err)
		}
	}
	var schema struct {
		Type       string                     `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(tools["mcp.test.echo"].Parameters, &schema); err != nil || schema.Type != "object" || schema.Properties["text"] == nil {
		t.Errorf("echo's schema: %s (%v)", tools["mcp.test.echo"].Parameters, err)
	}
	if d := tools["mcp.test.echo"].Description; d != "Echo the text." {
		t.Errorf("echo's description: %q", d)
	}

	t.Run("calls", func(t *testing.T) {
		if out, err := call(t, tools["mcp.test.echo"], `{"text":"hello"}`, 10*time.Second); err != nil || out != "hello" {
			t.Errorf("echo: %q, %v", out, err)
		}
		if out, err := call(t, tools["mcp.test.add"], `{"a":2,"b":40}`, 10*time.Second); err != nil || out != "42" {
			t.Errorf("add: %q, %v", out, err)
		}
		// Through the kernel, with its checks.
		msg := calls.Dispatch(ctx, []string{"mcp"}, llmos.ToolCall{ID: "1", Name: "mcp.test.add", Arguments: `{"a":1,"b":2}`}, 10*time.Second)
		if msg.IsError || msg.Content != "3" || msg.Label.Trusted() {
			t.Errorf("dispatch: %+v", msg)
		}
		msg = calls.Dispatch(ctx, []string{"other"}, llmos.ToolCall{ID: "2", Name: "mcp.test.add", Arguments: `{"a":1,"b":2}`}, 10*time.Second)
		if !msg.IsError || !strings.Contains(msg.Content, `"mcp"`) {
			t.Errorf("dispatch without the capability: %+v", msg)
		}
		out, err := call(t, tools["mcp.test.draft7"], `{"p":{"x":1}}`, 10*time.Second)
		if err != nil || out != `{"p":{"x":1}}` {
			t.Errorf("draft7: %q, %v", out, err)
		}
	})

	t.Run("environment", func(t *testing.T) {
		if out, err := call(t, tools["mcp.test.env"], `{"name":"OPENAI_API_KEY"}`, 10*time.Second); err != nil || out != "" {
			t.Errorf("the server sees llmos's OPENAI_API_KEY: %q, %v", out, err)
		}
		if out, err := call(t, tools["mcp.test.env"], `{"name":"`+testServerEnv+`"}`, 10*time.Second); err != nil || out != "tools" {
			t.Errorf("the server's own env: %q, %v", out, err)
		}
		if out, err := call(t, tools["mcp.test.env"], `{"name":"PATH"}`, 10*time.Second); err != nil || out == "" {
			t.Errorf("PATH: %q, %v", out, err)
		}
	})

	t.Run("content", func(t *testing.T) {
		out, err := call(t, tools["mcp.test.media"], `{}`, 10*time.Second)
		want := "a picture:\n[image: 12 KB png]\n[audio: 100 B wav]\n[resource link: notes file:///notes.txt]\n" +
			"[resource file:///a.txt]\ninside a\n[resource file:///b.bin: 300 KB octet-stream]"
		if err != nil || out != want {
			t.Errorf("media:\n%s\nwant:\n%s\n(%v)", out, want, err)
		}
	})

	t.Run("error result", func(t *testing.T) {
		_, err := call(t, tools["mcp.test.fail"], `{}`, 10*time.Second)
		if err == nil || llmos.ErrorCode(err) != llmos.CodeInvalid || !strings.Contains(llmos.ErrorMessage(err), "the disk is full") {
			t.Errorf("fail: %v", err)
		}
	})

	pid := func(t *testing.T) string {
		t.Helper()
		out, err := call(t, tools["mcp.test.pid"], `{}`, 30*time.Second)
		if err != nil {
			t.Fatalf("pid: %v", err)
		}
		return out
	}

	t.Run("crash", func(t *testing.T) {
		before := pid(t)
		start := time.Now()
		_, err := call(t, tools["mcp.test.crash"], `{}`, 20*time.Second)
		if err == nil || llmos.ErrorCode(err) != llmos.CodeUnavailable {
			t.Fatalf("crash: %v", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("the crash took %v to notice", d)
		}
		t.Logf("crash: %v", err)
		after := pid(t)
		if after == before {
			t.Errorf("the server was not restarted: pid %s", after)
		}
	})

	t.Run("garbage", func(t *testing.T) {
		before := pid(t)
		_, err := call(t, tools["mcp.test.garbage"], `{}`, 20*time.Second)
		if err == nil {
			t.Fatal("garbage: no error")
		}
		t.Logf("garbage: %v (%v)", err, errors.Unwrap(err))
		if out, err := call(t, tools["mcp.test.echo"], `{"text":"again"}`, 30*time.Second); err != nil || out != "again" {
			t.Errorf("echo after garbage: %q, %v", out, err)
		}
		if after := pid(t); after == before {
			t.Errorf("the server was not restarted after garbage: pid %s", after)
		}
	})

	t.Run("hang", func(t *testing.T) {
		before := pid(t)
		start := time.Now()
		_, err := call(t, tools["mcp.test.slow"], `{"seconds":60}`, 300*time.Millisecond)
		if err == nil || llmos.ErrorCode(err) != llmos.CodeUnavailable || !strings.Contains(err.Error(), "in time") {
			t.Fatalf("slow: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the timeout took %v", d)
		}
		// The server still answers pings: the same process serves the next call.
		if out, err := call(t, tools["mcp.test.echo"], `{"text":"still here"}`, 10*time.Second); err != nil || out != "still here" {
			t.Errorf("echo after a timeout: %q, %v", out, err)
		}
		if after := pid(t); after != before {
			t.Errorf("the server was restarted after a timeout: %s → %s", before, after)
		}
	})

	if !strings.Contains(logs.String(), "test server: starting") || !strings.Contains(logs.String(), "test server: crashing") {
		t.Errorf("the server's stderr is not in the log:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "sk-must-not-leak") {
		t.Error("the log holds the key")
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	if _, err := call(t, tools["mcp.test.echo"], `{"text":"closed"}`, 10*time.Second); err == nil {
		t.Error("a call after Close succeeded")
	}
}

func TestStdioConnectFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log, logs := testLogger()
	_, err := connect(ctx, "gone", Server{Command: []string{"llmos-no-such-mcp-server"}}, log)
	if llmos.ErrorCode(err) != llmos.CodeUnavailable || !strings.Contains(llmos.ErrorMessage(err), "not found") {
		t.Errorf("missing command: %v", err)
	}
	_, err = connect(ctx, "exits", stdioServer(t, "exit"), log)
	if llmos.ErrorCode(err) != llmos.CodeUnavailable || !strings.Contains(llmos.ErrorMessage(err), "exits") {
		t.Errorf("exiting server: %v", err)
	}
	if !strings.Contains(logs.String(), "exiting at once") {
		t.Errorf("the server's stderr is not in the log:\n%s", logs.String())
	}
	_, err = connect(ctx, "bad", Server{}, log)
	if llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("empty config: %v", err)
	}
}

func TestStdioMute(t *testing.T) {
	log, _ := testLogger()
	// The caller's deadline bounds the handshake.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := connect(ctx, "mute", stdioServer(t, "mute"), log)
	if llmos.ErrorCode(err) != llmos.CodeUnavailable || !strings.Contains(err.Error(), "in time") {
		t.Errorf("mute server: %v", err)
	}
	// Close interrupts a handshake under way.
	c := newClient("mute", stdioServer(t, "mute"), log, dialer("mute", stdioServer(t, "mute"), log))
	time.AfterFunc(300*time.Millisecond, func() { c.Close() })
	_, err = c.session(context.Background())
	if err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("connect interrupted by Close: %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestConnectAll(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log, logs := testLogger()
	clients, tools, errs := ConnectAll(ctx, map[string]Server{
		"good":   stdioServer(t, "tools"),
		"broken": stdioServer(t, "exit"),
		"nocmd":  {Command: []string{"llmos-no-such-mcp-server"}},
	}, log)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	if len(clients) != 1 || clients[0].Name() != "good" {
		t.Fatalf("clients: %v", clients)
	}
	if len(errs) != 2 {
		t.Errorf("errors: %v", errs)
	}
	if _, ok := byName(t, tools)["mcp.good.echo"]; !ok || len(tools) != 10 {
		t.Errorf("tools: %d", len(tools))
	}
	if !strings.Contains(logs.String(), "MCP server skipped") {
		t.Errorf("no warning in the log:\n%s", logs.String())
	}
}
