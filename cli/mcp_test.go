package cli

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestMCPServeStdio runs `llmos mcp serve` on pipes and talks to it as an MCP
// client does.
func TestMCPServeStdio(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var stderr strings.Builder
	vars := map[string]string{"LLMOS_HOME": t.TempDir()}
	a := &app{env: Env{Stdin: inR, Stdout: outW, Stderr: &stderr, Getenv: func(k string) string { return vars[k] }}}
	cmd := a.mcpCmd()
	cmd.SetArgs([]string{"serve", "--cap", "mcp"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- cmd.ExecuteContext(ctx)
		outW.Close()
	}()

	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "v0"}, nil).
		Connect(ctx, &sdk.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
	}
	if got := strings.Join(names, " "); !strings.Contains(got, "calc") || !strings.Contains(got, "archival_memory_search") {
		t.Errorf("tools: %s", got)
	}
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "calc", Arguments: map[string]any{"expression": "12345 * 6789"}})
	if err != nil || res.IsError || res.Content[0].(*sdk.TextContent).Text != "83810205" {
		t.Errorf("calc: %+v, %v", res, err)
	}
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "archival_memory_insert", Arguments: map[string]any{"content": "Ada likes tea."}})
	if err != nil || res.IsError {
		t.Errorf("archival_memory_insert: %+v, %v", res, err)
	}
	cs.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v (stderr %q)", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop when the client left")
	}
}

func TestMCPServeHTTP(t *testing.T) {
	outR, outW := io.Pipe()
	vars := map[string]string{"LLMOS_HOME": t.TempDir()}
	a := &app{env: Env{Stdin: strings.NewReader(""), Stdout: outW, Stderr: io.Discard, Getenv: func(k string) string { return vars[k] }}}
	cmd := a.mcpCmd()
	cmd.SetArgs([]string{"serve", "--http", "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, outR)
	fields := strings.Fields(line)
	if len(fields) < 4 || !strings.HasPrefix(fields[3], "http://127.0.0.1:") {
		t.Fatalf("first line: %q", line)
	}
	cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
	defer ccancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "v0"}, nil).
		Connect(cctx, &sdk.StreamableClientTransport{Endpoint: fields[3]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cs.CallTool(cctx, &sdk.CallToolParams{Name: "calc", Arguments: map[string]any{"expression": "2^10"}})
	if err != nil || res.IsError || res.Content[0].(*sdk.TextContent).Text != "1024" {
		t.Errorf("calc: %+v, %v", res, err)
	}
	cs.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestLoopback(t *testing.T) {
	for in, want := range map[string]string{
		"8765":           "127.0.0.1:8765",
		":8765":          "127.0.0.1:8765",
		"127.0.0.1:0":    "127.0.0.1:0",
		"localhost:8765": "localhost:8765",
		"[::1]:8765":     "[::1]:8765",
		"0.0.0.0:8765":   "",
		"10.0.0.1:8765":  "",
		"example.com:80": "",
		"x:y:z":          "",
		"":               "",
	} {
		got, err := loopback(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("loopback(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
