package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/tool/mcp"
)

// mcpCmd is `llmos mcp`: llmos as an MCP server for other agents and apps.
func (a *app) mcpCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Model Context Protocol: offer llmos's tools to MCP clients",
	}
	var addr string
	var caps []string
	serve := &cobra.Command{
		Use:   "serve [--http ADDR] [--cap CAP]...",
		Short: "Offer llmos's tools to an MCP client, over stdio or streamable HTTP",
		Long: "Offer llmos's tools (the calculator, memory...) to an MCP client. Every call passes the kernel's\n" +
			"checks: capabilities, the tool's argument schema and the tool timeout.\n\n" +
			"Without --http, the client starts `llmos mcp serve` and speaks MCP on its stdin and stdout.\n" +
			"With --http ADDR (a port, or host:port on a loopback address), llmos serves streamable HTTP at\n" +
			"http://ADDR/mcp until interrupted; the endpoint has no authentication, so it listens on loopback only.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var listen string
			if addr != "" {
				var err error
				if listen, err = loopback(addr); err != nil {
					return err
				}
			}
			s, err := a.openWithMemory(ctx, "")
			if err != nil {
				return err
			}
			defer s.Close()
			tools, dispatch, err := s.mcpTools(caps)
			if err != nil {
				return err
			}
			if listen == "" {
				t := &sdk.IOTransport{Reader: io.NopCloser(a.env.Stdin), Writer: nopWriteCloser{a.env.Stdout}}
				return mcp.Serve(ctx, tools, dispatch, t)
			}
			return a.serveMCPHTTP(ctx, listen, tools, dispatch)
		},
	}
	serve.Flags().StringVar(&addr, "http", "", "serve streamable HTTP on this loopback address (e.g. 8765 or 127.0.0.1:8765) instead of stdio")
	serve.Flags().StringSliceVar(&caps, "cap", nil, "capabilities the MCP client holds (default: all)")
	cmd.AddCommand(serve)
	return cmd
}

// mcpTools returns the tools of s's kernel and a dispatch function through
// its syscall table for a caller holding caps (nil holds all, as for `llmos
// run`), acting in the configured namespace.
func (s *system) mcpTools(caps []string) ([]llmos.Tool, mcp.Dispatch, error) {
	if caps == nil {
		caps = []string{"*"}
	}
	tools, calls := s.tools, s.calls
	caller := llmos.Caller{Namespace: s.cfg.Namespace}
	timeout := s.cfg.ToolTimeout.D()
	dispatch := func(ctx context.Context, call llmos.ToolCall) llmos.Message {
		return calls.Dispatch(llmos.WithCaller(ctx, caller), caps, call, timeout)
	}
	return tools, dispatch, nil
}

// serveMCPHTTP serves the tools over streamable HTTP at /mcp on addr until
// ctx ends, printing the endpoint's URL first.
func (a *app) serveMCPHTTP(ctx context.Context, addr string, tools []llmos.Tool, dispatch mcp.Dispatch) error {
	h, err := mcp.Handler(tools, dispatch)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return llmos.Errorf(llmos.CodeUnavailable, "cannot listen on %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String() + "/mcp"
	if a.json {
		if err := a.printJSON(map[string]string{"url": url}); err != nil {
			ln.Close()
			return err
		}
	} else {
		fmt.Fprintf(a.env.Stdout, "serving MCP at %s (Ctrl-C stops)\n", url)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return llmos.Errorf(llmos.CodeUnavailable, "the MCP server stopped: %v", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return llmos.Errorf(llmos.CodeUnavailable, "stopping the MCP server: %v", err)
	}
	return nil
}

// loopback turns the --http flag into an address to listen on: a bare port
// or ":port" means 127.0.0.1; a host must be a loopback one, since the
// endpoint has no authentication.
func loopback(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		// A bare port.
		host, port = "", addr
	}
	if _, err := net.LookupPort("tcp", port); err != nil || port == "" {
		return "", llmos.Errorf(llmos.CodeInvalid, "--http %q is not a port or host:port", addr)
	}
	switch host {
	case "":
		host = "127.0.0.1"
	case "localhost":
	default:
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return "", llmos.Errorf(llmos.CodeInvalid, "--http %s: the MCP endpoint has no authentication, so it listens on a loopback address only (127.0.0.1, ::1, localhost)", addr)
		}
	}
	return net.JoinHostPort(host, port), nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
