package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/debug"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llmos/llmos"
)

// Limits on what a server may send and how long it may take.
const (
	// ConnectTimeout bounds starting a server and the MCP handshake.
	ConnectTimeout = 30 * time.Second
	// MaxTools is the most tools taken from one server; the rest are
	// left out with a warning in the log.
	MaxTools = 1000
	// MaxDescription bounds a tool's description in bytes.
	MaxDescription = 4096
	// maxErrorText bounds the text of a tool's error result.
	maxErrorText = 8192
	// pingTimeout bounds the check of a server that let a call time out.
	pingTimeout = 5 * time.Second
	// stopWait is how long a stdio server has to exit once its stdin is
	// closed, and then once it is sent SIGTERM, before it is killed.
	stopWait = 2 * time.Second
)

// Client is a connection to one MCP server. It connects lazily again after
// the server crashes or the connection breaks (a stdio server is started
// again), so one failure costs one call. A Client is safe for concurrent use.
type Client struct {
	name string
	srv  Server
	log  *slog.Logger
	dial func() (sdk.Transport, error)
	mcp  *sdk.Client

	// connecting serialises connections; it is a mutex that a context can
	// interrupt.
	connecting chan struct{}
	// life ends when Close is called, interrupting a connection under way.
	life context.Context
	stop context.CancelFunc
	// closing counts the sessions being closed in the background.
	closing sync.WaitGroup

	mu      sync.Mutex // guards the fields below
	sess    *sdk.ClientSession
	done    chan struct{} // closed when sess ends
	suspect bool          // a call timed out: ping before the next one
	closed  bool
}

// Connect connects to the server s, called name in the configuration: it
// starts the command of a stdio server or opens a session with an HTTP one,
// and completes the MCP handshake, within ConnectTimeout. The server's
// stderr is written to slog's default logger, a line per record.
func Connect(ctx context.Context, name string, s Server) (*Client, error) {
	return connect(ctx, name, s, slog.Default())
}

func connect(ctx context.Context, name string, s Server, log *slog.Logger) (*Client, error) {
	if err := s.Validate(); err != nil {
		return nil, llmos.Errorf(llmos.CodeInvalid, "MCP server %s: %s", name, llmos.ErrorMessage(err))
	}
	c := newClient(name, s, log, dialer(name, s, log))
	if _, err := c.session(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// newClient returns a client that opens its connections with dial.
func newClient(name string, s Server, log *slog.Logger, dial func() (sdk.Transport, error)) *Client {
	if log == nil {
		log = slog.Default()
	}
	c := &Client{
		name:       name,
		srv:        s,
		log:        log.With("mcp_server", name),
		dial:       dial,
		connecting: make(chan struct{}, 1),
		mcp: sdk.NewClient(&sdk.Implementation{Name: "llmos", Version: version()}, &sdk.ClientOptions{
			// No roots, sampling or elicitation: llmos only calls tools.
			Capabilities: &sdk.ClientCapabilities{},
		}),
	}
	c.life, c.stop = context.WithCancel(context.Background())
	return c
}

// dialer returns the function that makes a transport for each connection
// to s: a new process for a command, a new HTTP session for a URL.
func dialer(name string, s Server, log *slog.Logger) func() (sdk.Transport, error) {
	if len(s.Command) > 0 {
		return func() (sdk.Transport, error) {
			cmd := exec.Command(s.Command[0], s.Command[1:]...)
			cmd.Env = s.environ()
			cmd.Stderr = &lineLogger{log: log, server: name}
			cmd.WaitDelay = stopWait
			return &sdk.CommandTransport{Command: cmd, TerminateDuration: stopWait}, nil
		}
	}
	hc := &http.Client{Transport: &headerTransport{base: http.DefaultTransport, url: s.URL, headers: s.Headers}}
	return func() (sdk.Transport, error) {
		return &sdk.StreamableClientTransport{Endpoint: s.URL, HTTPClient: hc, DisableStandaloneSSE: true, MaxRetries: 2}, nil
	}
}

// Name is the server's name in the configuration.
func (c *Client) Name() string { return c.name }

// Tools lists the server's tools as llmos tools: each is named by ToolName,
// described by the server, takes the tool's input schema (made an object
// schema the kernel can validate; when the server's cannot be used, any
// object, and the server checks), needs the capabilities of the server's
// configuration, and labels its results as tool output. Calling one calls
// the tool on the server; see Client.Call.
func (c *Client) Tools(ctx context.Context) ([]llmos.Tool, error) {
	sess, err := c.session(ctx)
	if err != nil {
		return nil, err
	}
	var list []*sdk.Tool
	for t, err := range sess.Tools(ctx, nil) {
		if err != nil {
			return nil, c.failed(ctx, sess, "list its tools", err)
		}
		if t == nil {
			continue
		}
		if len(list) == MaxTools {
			c.log.Warn("MCP server lists too many tools; the rest are left out", "max", MaxTools)
			break
		}
		list = append(list, t)
	}
	// Tools whose names need no change get them first, so that a clash
	// hashes the name of the tool that had to be renamed anyway.
	names := make([]string, len(list))
	seen := map[string]bool{}
	for _, pass := range []bool{true, false} {
		for i, t := range list {
			name := ToolName(c.name, t.Name)
			if (clean(t.Name, true) == t.Name) != pass {
				continue
			}
			if seen[name] {
				name = hashedName(c.name, t.Name)
				if seen[name] {
					c.log.Warn("MCP tool left out: its name clashes with another", "tool", t.Name)
					continue
				}
			}
			seen[name] = true
			names[i] = name
		}
	}
	var tools []llmos.Tool
	for i, t := range list {
		if names[i] == "" {
			continue
		}
		raw, err := json.Marshal(t.InputSchema)
		if err != nil {
			raw = nil
		}
		params, ok := objectSchema(raw)
		if !ok {
			c.log.Warn("MCP tool's input schema cannot be used; any object is accepted", "tool", t.Name)
		}
		desc := t.Description
		if desc == "" {
			desc = t.Title
		}
		tool := t.Name
		tools = append(tools, llmos.Tool{
			ToolDef:      llmos.ToolDef{Name: names[i], Description: truncateBytes(desc, MaxDescription), Parameters: params},
			Capabilities: c.srv.caps(),
			Source:       llmos.SourceTool,
			Call: func(ctx context.Context, args json.RawMessage) (string, error) {
				return c.Call(ctx, tool, args)
			},
		})
	}
	return tools, nil
}

// Call calls the tool named tool (the server's name for it, not the llmos
// one) with args, a JSON object, and returns its result as text: text
// content as sent, other content summarised ("[image: 12 KB png]"). A
// result the server marks as an error is returned as an error with its
// text. A server that crashed, hung past ctx's deadline, or sent something
// that is not MCP is an error too, never a panic; the next call starts a new
// connection.
func (c *Client) Call(ctx context.Context, tool string, args json.RawMessage) (string, error) {
	sess, err := c.session(ctx)
	if err != nil {
		return "", err
	}
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	res, err := sess.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		return "", c.failed(ctx, sess, "call "+tool, err)
	}
	text := resultText(res)
	if res.IsError {
		if text == "" {
			text = "the tool failed without saying why"
		}
		return "", llmos.Errorf(llmos.CodeInvalid, "%s", truncate(text, maxErrorText))
	}
	return text, nil
}

// Close ends the connection: a stdio server has its stdin closed and is
// stopped (SIGTERM, then SIGKILL) if it does not exit. Calls after Close
// fail.
func (c *Client) Close() error {
	c.stop()
	c.mu.Lock()
	sess := c.sess
	c.sess, c.done, c.closed = nil, nil, true
	c.mu.Unlock()
	if sess != nil {
		c.closeInBackground(sess)
	}
	c.closing.Wait()
	return nil
}

// session returns the live session, connecting when there is none, the last
// one ended, or it let a call time out and does not answer a ping.
func (c *Client) session(ctx context.Context) (*sdk.ClientSession, error) {
	if sess := c.current(); sess != nil {
		return sess, nil
	}
	select {
	case c.connecting <- struct{}{}:
	case <-ctx.Done():
		return nil, c.ctxError(ctx, ctx.Err())
	case <-c.life.Done():
		return nil, c.closedError()
	}
	defer func() { <-c.connecting }()

	c.mu.Lock()
	sess, done, suspect, closed := c.sess, c.done, c.suspect, c.closed
	c.mu.Unlock()
	if closed {
		return nil, c.closedError()
	}
	if sess != nil && isDone(done) {
		c.log.Warn("MCP server connection ended; connecting again")
		c.drop(sess)
		sess = nil
	}
	if sess != nil && suspect {
		pctx, cancel := context.WithTimeout(ctx, pingTimeout)
		err := sess.Ping(pctx, nil)
		cancel()
		switch {
		case err == nil:
			c.mu.Lock()
			if c.sess == sess {
				c.suspect = false
			}
			c.mu.Unlock()
			return sess, nil
		case ctx.Err() != nil:
			return nil, c.ctxError(ctx, ctx.Err())
		}
		c.log.Warn("MCP server does not answer a ping; connecting again", "err", err)
		c.drop(sess)
		sess = nil
	}
	if sess != nil {
		return sess, nil
	}
	return c.connectNow(ctx)
}

// current returns the session if it is live and trusted.
func (c *Client) current() *sdk.ClientSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil || c.suspect || isDone(c.done) {
		return nil
	}
	return c.sess
}

// connectNow opens a new session; the caller holds c.connecting.
func (c *Client) connectNow(ctx context.Context) (*sdk.ClientSession, error) {
	t, err := c.dial()
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot connect to the MCP server %s", c.name))
	}
	cctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	defer context.AfterFunc(c.life, cancel)()
	start := time.Now()
	sess, err := c.mcp.Connect(cctx, t, nil)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, c.ctxError(ctx, ctx.Err())
		case c.life.Err() != nil:
			return nil, c.closedError()
		}
		c.log.Warn("cannot connect to MCP server", "err", err)
		return nil, c.connectError(cctx, err)
	}
	done := make(chan struct{})
	go func() {
		sess.Wait()
		close(done)
	}()
	c.mu.Lock()
	closed := c.closed
	if !closed {
		c.sess, c.done, c.suspect = sess, done, false
	}
	c.mu.Unlock()
	if closed {
		c.closeInBackground(sess)
		return nil, c.closedError()
	}
	c.log.Info("connected to MCP server", "ms", time.Since(start).Milliseconds())
	return sess, nil
}

// failed turns the error of a request to the server into an llmos error,
// and decides the fate of the session: a timeout makes it suspect, a broken
// connection drops it.
func (c *Client) failed(ctx context.Context, sess *sdk.ClientSession, what string, err error) error {
	if ctx.Err() != nil {
		c.mu.Lock()
		if c.sess == sess {
			c.suspect = true
		}
		c.mu.Unlock()
		return c.ctxError(ctx, err)
	}
	var werr *jsonrpc.Error
	if errors.As(err, &werr) {
		// The server answered: it is up, and refused the request.
		return llmos.Wrap(err, llmos.CodeInvalid, fmt.Sprintf("the MCP server %s could not %s: %s", c.name, what, oneLine(werr.Message, 1000)))
	}
	// Anything else leaves the session in doubt: the connection broke (the
	// server crashed, or wrote something that is not JSON-RPC and the
	// connection is closing), or the reply could not be read. Start afresh.
	c.mu.Lock()
	broken := c.sess != sess || isDone(c.done)
	c.mu.Unlock()
	for _, e := range []error{sdk.ErrConnectionClosed, io.EOF, io.ErrUnexpectedEOF, io.ErrClosedPipe, os.ErrClosed, net.ErrClosed, syscall.EPIPE} {
		broken = broken || errors.Is(err, e)
	}
	c.log.Warn("MCP request failed; the connection is dropped", "request", what, "broken", broken, "err", err)
	c.drop(sess)
	if broken {
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("the MCP server %s stopped answering (it crashed or sent something that is not MCP); it is started again on the next call", c.name))
	}
	return llmos.Wrap(err, llmos.CodeBadResponse, fmt.Sprintf("the MCP server %s sent a reply that could not be read; the connection is reset", c.name))
}

// drop forgets sess, if it is still the current session, and closes it.
func (c *Client) drop(sess *sdk.ClientSession) {
	c.mu.Lock()
	if c.sess != sess {
		c.mu.Unlock()
		return
	}
	c.sess, c.done, c.suspect = nil, nil, false
	c.mu.Unlock()
	c.closeInBackground(sess)
}

// closeInBackground closes sess without making the caller wait for a
// stuck server to be stopped; Close waits for it.
func (c *Client) closeInBackground(sess *sdk.ClientSession) {
	c.closing.Add(1)
	go func() {
		defer c.closing.Done()
		if err := sess.Close(); err != nil {
			c.log.Debug("MCP session closed", "err", err)
		}
	}()
}

func (c *Client) ctxError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("the MCP server %s did not answer in time", c.name))
	}
	return llmos.Wrap(err, llmos.CodeCanceled, "cancelled")
}

func (c *Client) closedError() error {
	return llmos.Errorf(llmos.CodeUnavailable, "the connection to the MCP server %s is closed", c.name)
}

// connectError says why a connection failed, without the details of the
// transport (which may hold a URL's query or a header), which are logged.
func (c *Client) connectError(cctx context.Context, err error) error {
	var msg string
	switch {
	case errors.Is(err, exec.ErrNotFound):
		msg = fmt.Sprintf("cannot start the MCP server %s: the command %q was not found", c.name, c.srv.Command[0])
	case cctx.Err() != nil:
		msg = fmt.Sprintf("the MCP server %s did not complete the MCP handshake within %v", c.name, ConnectTimeout)
	case len(c.srv.Command) > 0:
		msg = fmt.Sprintf("cannot start the MCP server %s, or it exited during the MCP handshake (see the log for its stderr)", c.name)
	default:
		msg = fmt.Sprintf("cannot connect to the MCP server %s", c.name)
	}
	return llmos.Wrap(err, llmos.CodeUnavailable, msg)
}

func isDone(done chan struct{}) bool {
	if done == nil {
		return false
	}
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// ConnectAll connects to every server in servers, in parallel, and lists
// their tools. A server that fails is logged and skipped: its error is in
// errs and the others are still returned. clients and errs are in the order
// of the servers' names; the caller closes the clients.
func ConnectAll(ctx context.Context, servers map[string]Server, log *slog.Logger) (clients []*Client, tools []llmos.Tool, errs []error) {
	if log == nil {
		log = slog.Default()
	}
	names := make([]string, 0, len(servers))
	for n := range servers {
		names = append(names, n)
	}
	sort.Strings(names)
	type result struct {
		c     *Client
		tools []llmos.Tool
		err   error
	}
	results := make([]result, len(names))
	clean := map[string]string{}
	var wg sync.WaitGroup
	for i, name := range names {
		if other, dup := clean[ToolName(name, "")]; dup {
			results[i].err = llmos.Errorf(llmos.CodeInvalid, "the MCP servers %q and %q have the same name in tool names; rename one", other, name)
			continue
		}
		clean[ToolName(name, "")] = name
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := connect(ctx, name, servers[name], log)
			if err != nil {
				results[i].err = err
				return
			}
			ts, err := c.Tools(ctx)
			if err != nil {
				c.Close()
				results[i].err = err
				return
			}
			results[i] = result{c: c, tools: ts}
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.err != nil {
			log.Warn("MCP server skipped", "mcp_server", names[i], "err", r.err)
			errs = append(errs, r.err)
			continue
		}
		clients = append(clients, r.c)
		tools = append(tools, r.tools...)
	}
	return clients, tools, errs
}

// headerTransport adds the configured headers to the requests sent to the
// server's host, and not to another host a redirect leads to.
type headerTransport struct {
	base    http.RoundTripper
	url     string
	headers map[string]string
	once    sync.Once
	host    string
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.once.Do(func() {
		if r, err := http.NewRequest(http.MethodGet, t.url, nil); err == nil {
			t.host = r.URL.Host
		}
	})
	if len(t.headers) > 0 && req.URL.Host == t.host {
		req = req.Clone(req.Context())
		for k, v := range t.headers {
			req.Header.Set(k, v)
		}
	}
	return t.base.RoundTrip(req)
}

// lineLogger writes what a server prints on stderr to the log, a record
// per line.
type lineLogger struct {
	log    *slog.Logger
	server string
	mu     sync.Mutex
	buf    []byte
}

// maxLine bounds a logged line of a server's stderr.
const maxLine = 4096

func (w *lineLogger) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) > maxLine {
				w.emit(w.buf[:maxLine])
				w.buf = append(w.buf[:0], w.buf[maxLine:]...)
				continue
			}
			return len(p), nil
		}
		w.emit(w.buf[:i])
		w.buf = append(w.buf[:0], w.buf[i+1:]...)
	}
}

func (w *lineLogger) emit(line []byte) {
	s := string(line)
	if len(s) > maxLine {
		s = truncateBytes(s, maxLine)
	}
	w.log.Info("MCP server stderr", "mcp_server", w.server, "line", s)
}

// version is llmos's module version, for the MCP handshake.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
