package shell

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/sandbox"
)

// Capability is what a process must hold to call the shell tools.
const Capability = "exec"

// MaxCommand bounds the text of one command.
const MaxCommand = 64 << 10

// Options configure the shell tools.
type Options struct {
	// Policy decides which commands may run; DefaultPolicy when nil.
	Policy *Policy
	// Limits bound each command; zero fields take the sandbox's defaults.
	Limits sandbox.Limits
	// Network reports whether the calling process may use the network (it
	// holds the network capability). Nil: never.
	Network func(ctx context.Context) bool
	// MaxSessions bounds the terminal sessions kept at once; past it the
	// least recently used is closed. Default 16.
	MaxSessions int
	// SessionCPU bounds the processor time of one terminal session. Default
	// 10 minutes.
	SessionCPU time.Duration
}

// Shell holds the shell tools: shell, which runs one command line, and
// shell_session, an interactive shell on a terminal per process.
type Shell struct {
	sb     *sandbox.Sandbox
	opts   Options
	policy Policy

	mu       sync.Mutex
	sessions map[int64]*term
}

// New returns the shell tools, running commands in sb.
func New(sb *sandbox.Sandbox, opts Options) *Shell {
	p := DefaultPolicy
	if opts.Policy != nil {
		p = *opts.Policy
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = 16
	}
	if opts.SessionCPU <= 0 {
		opts.SessionCPU = 10 * time.Minute
	}
	return &Shell{sb: sb, opts: opts, policy: p, sessions: map[int64]*term{}}
}

// Policy is the policy the tools enforce.
func (s *Shell) Policy() Policy { return s.policy }

const description = "Run a shell command line (POSIX sh: pipes, ;, &&, redirections) in an isolated sandbox: no network, " +
	"a read-only system with the usual tools (coreutils, grep, sed, awk, python3...), and one writable working " +
	"directory (/scratch) kept between calls of this process and shared with the python tool. " +
	"Time, memory, processes and output are limited, and some commands are not allowed. " +
	"Returns the exit code, stdout, stderr and the files written. Each call starts a new shell: " +
	"use shell_session to keep a shell's state (directory, variables) between calls."

const schema = `{
  "type": "object",
  "properties": {
    "command": {"type": "string", "description": "the command line, run by /bin/sh -c in /scratch"}
  },
  "required": ["command"],
  "additionalProperties": false
}`

// Tool returns the shell tool for the syscall table: arguments
// {"command": string}. It needs the exec capability; its results are
// labelled as tool output (untrusted).
func (s *Shell) Tool() llmos.Tool {
	return llmos.Tool{
		ToolDef: llmos.ToolDef{
			Name:        "shell",
			Description: description,
			Parameters:  json.RawMessage(schema),
		},
		Capabilities: []string{Capability},
		Source:       llmos.SourceTool,
		Call:         s.call,
	}
}

func (s *Shell) call(ctx context.Context, args json.RawMessage) (string, error) {
	var a struct {
		Command string `json:"command"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return "", llmos.Wrap(err, llmos.CodeInvalid, `shell expects {"command": "..."}`)
	}
	r, err := s.Run(ctx, callerPID(ctx), a.Command)
	if err != nil {
		return "", err
	}
	return r.Text(), nil
}

func callerPID(ctx context.Context) int64 {
	if c, ok := llmos.CallerFrom(ctx); ok {
		return c.PID
	}
	return 0
}

// Run checks command against the policy and runs it with /bin/sh -c in the
// sandbox, in the scratch folder of process pid. A denied command is an
// error with code denied, and does not run.
func (s *Shell) Run(ctx context.Context, pid int64, command string) (*sandbox.Result, error) {
	if err := s.check(command); err != nil {
		return nil, err
	}
	dir, err := s.sb.Scratch(pid)
	if err != nil {
		return nil, err
	}
	return s.sb.Run(ctx, sandbox.Spec{
		Args:    []string{"/bin/sh", "-c", command},
		Dir:     dir,
		Network: s.network(ctx),
		Limits:  s.opts.Limits,
	})
}

func (s *Shell) check(command string) error {
	if strings.TrimSpace(command) == "" {
		return llmos.Errorf(llmos.CodeInvalid, "the command is empty")
	}
	if len(command) > MaxCommand {
		return llmos.Errorf(llmos.CodeInvalid, "the command is %d bytes; at most %d", len(command), MaxCommand)
	}
	return s.policy.Check(command)
}

func (s *Shell) network(ctx context.Context) bool {
	return s.opts.Network != nil && s.opts.Network(ctx)
}

// Close ends the terminal session of process pid, if it has one: call it
// when the process ends.
func (s *Shell) Close(pid int64) {
	s.mu.Lock()
	t := s.sessions[pid]
	delete(s.sessions, pid)
	s.mu.Unlock()
	if t != nil {
		t.close()
	}
}

// Shutdown ends every terminal session.
func (s *Shell) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	all := s.sessions
	s.sessions = map[int64]*term{}
	s.mu.Unlock()
	for _, t := range all {
		t.close()
	}
	return ctx.Err()
}
