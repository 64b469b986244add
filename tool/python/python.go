package python

import (
	"context"
	_ "embed"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/sandbox"
)

//go:embed driver.py
var driver string

// Capability is what a process must hold to call the python tool.
const Capability = "exec"

// MaxCode bounds the source of one call.
const MaxCode = 1 << 20

// Options configure the python tool.
type Options struct {
	// Limits bound each call; zero fields take the sandbox's defaults.
	Limits sandbox.Limits
	// Network reports whether the calling process may use the network (it
	// holds the network capability). Nil: never.
	Network func(ctx context.Context) bool
	// MaxSessions bounds the interpreters kept at once; past it the least
	// recently used is closed. Default 16.
	MaxSessions int
	// SessionCPU bounds the processor time of one session over all its
	// calls. Default 10 minutes.
	SessionCPU time.Duration
}

// Python is the python tool: it runs code with Debian's python3 in a
// sandbox, once or in a persistent session per process.
type Python struct {
	sb   *sandbox.Sandbox
	opts Options

	mu       sync.Mutex
	sessions map[int64]*session
	// ended remembers why a process's last session ended, to tell the
	// model when the next call starts a new one.
	ended map[int64]string
}

// New returns the python tool running its code in sb.
func New(sb *sandbox.Sandbox, opts Options) *Python {
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = 16
	}
	if opts.SessionCPU <= 0 {
		opts.SessionCPU = 10 * time.Minute
	}
	return &Python{sb: sb, opts: opts, sessions: map[int64]*session{}, ended: map[int64]string{}}
}

const description = "Run Python 3 code in an isolated sandbox: no network, a read-only system with the standard library " +
	"(and Debian's packages), and one writable working directory (/scratch) that is kept between calls of this process " +
	"and shared with the shell tool. Time, memory, processes and output are limited. " +
	"Returns the exit code, stdout, stderr and the files written. " +
	"With \"session\": true the code runs in this process's persistent interpreter, like a notebook cell: " +
	"variables, imports and functions survive between calls, and the value of a final expression is printed. " +
	"A crash or a timeout ends the session and its state; the next call starts a new one and says so."

const schema = `{
  "type": "object",
  "properties": {
    "code": {"type": "string", "description": "Python 3 source code to run"},
    "session": {"type": "boolean", "description": "run in the persistent interpreter of this process (state kept between calls)"}
  },
  "required": ["code"],
  "additionalProperties": false
}`

// Tool returns the llmos.Tool for the syscall table. It needs the exec
// capability; its results are labelled as tool output (untrusted).
func (p *Python) Tool() llmos.Tool {
	return llmos.Tool{
		ToolDef: llmos.ToolDef{
			Name:        "python",
			Description: description,
			Parameters:  json.RawMessage(schema),
		},
		Capabilities: []string{Capability},
		Source:       llmos.SourceTool,
		Call:         p.call,
	}
}

func (p *Python) call(ctx context.Context, args json.RawMessage) (string, error) {
	var a struct {
		Code    string `json:"code"`
		Session bool   `json:"session"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return "", llmos.Wrap(err, llmos.CodeInvalid, `python expects {"code": "...", "session": false}`)
	}
	pid := int64(0)
	if c, ok := llmos.CallerFrom(ctx); ok {
		pid = c.PID
	}
	r, note, err := p.Run(ctx, pid, a.Code, a.Session)
	if err != nil {
		return "", err
	}
	if note != "" {
		return note + "\n" + r.Text(), nil
	}
	return r.Text(), nil
}

// Run runs code for process pid: in a fresh interpreter, or in the process's
// persistent session. note, when not empty, tells the model about the
// session (a new one started, or this call ended it).
func (p *Python) Run(ctx context.Context, pid int64, code string, inSession bool) (r *sandbox.Result, note string, err error) {
	if strings.TrimSpace(code) == "" {
		return nil, "", llmos.Errorf(llmos.CodeInvalid, "the code is empty")
	}
	if len(code) > MaxCode {
		return nil, "", llmos.Errorf(llmos.CodeInvalid, "the code is %d bytes; at most %d", len(code), MaxCode)
	}
	dir, err := p.sb.Scratch(pid)
	if err != nil {
		return nil, "", err
	}
	if inSession {
		return p.runInSession(ctx, pid, dir, code)
	}
	r, err = p.sb.Run(ctx, sandbox.Spec{
		Args:    []string{sandbox.PythonPath, "-"},
		Dir:     dir,
		Env:     pythonEnv,
		Network: p.network(ctx),
		Limits:  p.opts.Limits,
		Stdin:   strings.NewReader(code),
	})
	return r, "", err
}

// pythonEnv keeps Python from writing bytecode caches into the scratch
// folder and makes its output unbuffered and UTF-8.
var pythonEnv = []string{"PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1", "PYTHONIOENCODING=utf-8", "MPLBACKEND=Agg"}

func (p *Python) network(ctx context.Context) bool {
	return p.opts.Network != nil && p.opts.Network(ctx)
}

// Close ends the session of process pid, if it has one: call it when the
// process ends.
func (p *Python) Close(pid int64) {
	p.mu.Lock()
	s := p.sessions[pid]
	delete(p.sessions, pid)
	delete(p.ended, pid)
	p.mu.Unlock()
	if s != nil {
		s.kill()
	}
}

// Shutdown ends every session. It does not wait for calls in progress,
// which fail as their interpreter is killed.
func (p *Python) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	all := p.sessions
	p.sessions = map[int64]*session{}
	p.ended = map[int64]string{}
	p.mu.Unlock()
	for _, s := range all {
		s.kill()
	}
	return ctx.Err()
}
