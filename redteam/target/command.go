package target

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/redteam"
)

// Command is a target that is a local program: each attempt runs it once,
// writes the prompt to its stdin and takes its stdout as the reply.
//
// A program has no system prompt, so the request's system text, which holds
// the canary, is placed at the start of the prompt, followed by a blank line
// (see WithSystem). Documents follow the prompt as quoted material.
type Command struct {
	argv []string
	// Timeout bounds one run; 60s when zero. A run that outlasts it is
	// killed and the attempt fails with code unavailable.
	Timeout time.Duration
	// Env is the program's environment; the caller's when nil.
	Env []string
	// MaxOutput bounds the reply kept, in bytes; 1 MiB when zero.
	MaxOutput int
}

// NewCommand returns a target running argv (the program and its arguments).
func NewCommand(argv []string) (*Command, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "the command target needs --command PROGRAM [ARGS...]")
	}
	return &Command{argv: append([]string(nil), argv...)}, nil
}

// Name implements redteam.Target.
func (c *Command) Name() string { return "command" }

// Send implements redteam.Target. A program that exits non-zero fails the
// attempt with code unavailable and the first line of its stderr.
func (c *Command) Send(ctx context.Context, req redteam.Request) (redteam.Reply, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.argv[0], c.argv[1:]...)
	cmd.Env = c.Env
	cmd.Stdin = strings.NewReader(WithSystem(req))
	limit := c.MaxOutput
	if limit <= 0 {
		limit = 1 << 20
	}
	out := &capped{max: limit}
	errOut := &capped{max: 4096}
	cmd.Stdout, cmd.Stderr = out, errOut
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err := parent.Err(); err != nil {
		return redteam.Reply{}, llmos.Wrap(err, llmos.CodeCanceled, "cancelled")
	}
	if ctx.Err() != nil {
		return redteam.Reply{}, llmos.Errorf(llmos.CodeUnavailable, "the command did not answer within %s", timeout)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			line, _, _ := strings.Cut(strings.TrimSpace(errOut.String()), "\n")
			return redteam.Reply{}, llmos.Errorf(llmos.CodeUnavailable, "the command exited with code %d: %s", ee.ExitCode(), line)
		}
		return redteam.Reply{}, llmos.Errorf(llmos.CodeInvalid, "cannot run the command %s: %v", c.argv[0], errors.Unwrap(err))
	}
	return redteam.Reply{Text: strings.TrimRight(out.String(), "\r\n")}, nil
}

// capped is a buffer that keeps at most max bytes and drops the rest.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
