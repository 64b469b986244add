package shell

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/sandbox"
)

// term is an interactive shell on a pseudo-terminal, in the sandbox.
type term struct {
	proc *sandbox.Process
	ptmx *os.File
	// ps1 and ps2 are the shell's prompts: unique markers, so that the end of
	// a command can be told from its output. ps1 carries the exit status.
	ps1, ps2 *regexp.Regexp

	mu      sync.Mutex
	out     []byte        // output not yet returned to a call
	dropped int           // bytes dropped from the front of out
	notify  chan struct{} // closed when output arrives
	read    chan struct{} // closed when the terminal can no longer be read

	call     sync.Mutex // one call at a time
	lastUsed time.Time  // guarded by Shell.mu
}

// maxPending bounds the output kept between calls.
const maxPending = 256 << 10

// signalForeground sends sig to the process group in the terminal's
// foreground, as the terminal driver does for ^C.
func (t *term) signalForeground(sig unix.Signal) {
	pgrp, err := unix.IoctlGetInt(int(t.ptmx.Fd()), unix.TIOCGPGRP)
	if err == nil && pgrp > 1 {
		unix.Kill(-pgrp, sig)
	}
}

func (t *term) close() {
	t.proc.Kill()
	go func() {
		<-t.read
		t.ptmx.Close()
	}()
}

func (t *term) reader() {
	buf := make([]byte, 32<<10)
	for {
		n, err := t.ptmx.Read(buf)
		if n > 0 {
			t.mu.Lock()
			t.out = append(t.out, buf[:n]...)
			if over := len(t.out) - maxPending; over > 0 {
				t.out = append(t.out[:0], t.out[over:]...)
				t.dropped += over
			}
			close(t.notify)
			t.notify = make(chan struct{})
			t.mu.Unlock()
		}
		if err != nil {
			close(t.read)
			return
		}
	}
}

// take returns the pending output and forgets it.
func (t *term) take() (out []byte, dropped int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out, dropped = t.out, t.dropped
	t.out, t.dropped = nil, 0
	return out, dropped
}

const sessionDescription = "An interactive shell (POSIX sh) on a terminal in the same sandbox as the shell tool, kept for this " +
	"process: its directory, variables and running programs persist between calls. Send a command line as input; the " +
	"call returns when the shell is ready for the next command, when the output has been quiet for a while (a program " +
	"waiting for input, or still working), or after wait_seconds. Call with empty input to read more output, with " +
	"\"interrupt\": true to send Ctrl-C, with \"close\": true to end the session. Output is what the terminal showed, " +
	"without your input echoed. Send whole commands: a loop or an if must end in the same input."

const sessionSchema = `{
  "type": "object",
  "properties": {
    "input": {"type": "string", "description": "a command line (or text for the program that is reading), sent with a newline"},
    "wait_seconds": {"type": "number", "minimum": 0, "maximum": 120, "description": "how long to wait for the command at most (default 10)"},
    "interrupt": {"type": "boolean", "description": "send Ctrl-C before the input"},
    "close": {"type": "boolean", "description": "end the session"}
  },
  "additionalProperties": false
}`

// SessionTool returns the shell_session tool: an interactive shell on a
// pty, one per process. Its input is checked by the same policy.
func (s *Shell) SessionTool() llmos.Tool {
	return llmos.Tool{
		ToolDef: llmos.ToolDef{
			Name:        "shell_session",
			Description: sessionDescription,
			Parameters:  json.RawMessage(sessionSchema),
		},
		Capabilities: []string{Capability},
		Source:       llmos.SourceTool,
		Call:         s.sessionCall,
	}
}

// SessionInput is one call of shell_session.
type SessionInput struct {
	Input       string   `json:"input"`
	WaitSeconds *float64 `json:"wait_seconds"`
	Interrupt   bool     `json:"interrupt"`
	Close       bool     `json:"close"`
}

func (s *Shell) sessionCall(ctx context.Context, args json.RawMessage) (string, error) {
	var in SessionInput
	if err := json.Unmarshal(args, &in); err != nil {
		return "", llmos.Wrap(err, llmos.CodeInvalid, `shell_session expects {"input": "...", "wait_seconds": 10}`)
	}
	return s.Session(ctx, callerPID(ctx), in)
}

// idle is how long quiet output ends a call whose command has not finished.
const idle = 2 * time.Second

// Session runs one call of process pid's terminal session and returns what
// the terminal showed, for the model.
func (s *Shell) Session(ctx context.Context, pid int64, in SessionInput) (string, error) {
	if in.Close {
		s.Close(pid)
		return "the terminal session was closed", nil
	}
	if in.Input != "" {
		if err := s.check(in.Input); err != nil {
			return "", err
		}
	}
	wait := 10 * time.Second
	if in.WaitSeconds != nil {
		wait = time.Duration(min(max(*in.WaitSeconds, 0), 120) * float64(time.Second))
	}
	t, note, err := s.terminal(ctx, pid)
	if err != nil {
		return "", err
	}
	t.call.Lock()
	defer t.call.Unlock()

	pending, dropped := t.take()
	if in.Interrupt {
		t.ptmx.Write([]byte{3})
	}
	lines := 0
	if in.Input != "" {
		input := in.Input
		if !strings.HasSuffix(input, "\n") {
			input += "\n"
		}
		lines = strings.Count(input, "\n")
		if _, err := t.ptmx.Write([]byte(input)); err != nil {
			s.forget(pid, t)
			return "", llmos.Errorf(llmos.CodeUnavailable, "the terminal session ended; call again to start a new one")
		}
	} else if !in.Interrupt && len(pending) > 0 {
		wait = 0 // only reading what came since the last call
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	var fresh []byte
	status, finished, ended, resent := "", false, false, false
	lastOutput := time.Now()
	for !finished && !ended {
		t.mu.Lock()
		if len(t.out) > 0 {
			fresh = append(fresh, t.out...)
			t.out = t.out[:0]
			lastOutput = time.Now()
		}
		notify := t.notify
		t.mu.Unlock()
		prompts := t.ps1.FindAllSubmatch(fresh, -1)
		if n := len(prompts) + len(t.ps2.FindAllIndex(fresh, -1)); n >= lines && (lines > 0 || len(prompts) > 0) {
			finished = true
			if len(prompts) > 0 {
				status = string(prompts[len(prompts)-1][1])
			}
			break
		}
		quiet := time.NewTimer(max(idle-time.Since(lastOutput), time.Millisecond))
		select {
		case <-notify:
		case <-quiet.C:
			if in.Interrupt && !resent && len(prompts) == 0 {
				// The ^C went unheard (it can fall between two commands of a
				// list, or a program may have turned the terminal's signals
				// off): signal the terminal's foreground group directly, once.
				resent = true
				t.signalForeground(unix.SIGINT)
				lastOutput = time.Now()
				break
			}
			if len(fresh) > 0 || lines == 0 {
				ended = true // quiet: a program waits for input, or works silently
			}
		case <-deadline.C:
			ended = true
		case <-t.read:
			// The shell exited; collect what it printed last.
			t.mu.Lock()
			fresh = append(fresh, t.out...)
			t.out = nil
			t.mu.Unlock()
			s.forget(pid, t)
			code, _ := t.proc.Wait()
			quiet.Stop()
			return s.render(note, pending, dropped, fresh, t) + fmt.Sprintf("\n[the shell exited with code %d; the next call starts a new session]", code), nil
		case <-ctx.Done():
			ended = true
		}
		quiet.Stop()
	}
	out := s.render(note, pending, dropped, fresh, t)
	switch {
	case finished && status != "":
		out += "\n[exit code " + status + "]"
	case !finished:
		out += "\n[still running, or waiting for input: call again with empty input to read more, or interrupt it]"
	}
	return strings.TrimPrefix(out, "\n"), nil
}

// render writes the terminal's output for the model: prompts removed, line
// ends made plain, cut at the output limit.
func (s *Shell) render(note string, pending []byte, dropped int, fresh []byte, t *term) string {
	all := append(pending, fresh...)
	all = t.ps1.ReplaceAll(all, nil)
	all = t.ps2.ReplaceAll(all, nil)
	text := strings.ReplaceAll(strings.ToValidUTF8(string(all), "\uFFFD"), "\r\n", "\n")
	limit := s.opts.Limits.Or(s.sb.Limits()).OutputBytes
	if len(text) > limit {
		text = text[:limit] + "\n" + fmt.Sprintf(sandbox.CutNote, limit)
	}
	var b strings.Builder
	if note != "" {
		b.WriteString(note + "\n")
	}
	if dropped > 0 {
		fmt.Fprintf(&b, "[%d earlier bytes of output were dropped]\n", dropped)
	}
	b.WriteString(strings.TrimRight(text, "\n"))
	if strings.TrimSpace(text) == "" && note == "" {
		b.WriteString("(no output)")
	}
	return b.String()
}

// forget removes t from the sessions if it is still pid's, and closes it.
func (s *Shell) forget(pid int64, t *term) {
	s.mu.Lock()
	if s.sessions[pid] == t {
		delete(s.sessions, pid)
	}
	s.mu.Unlock()
	t.close()
}

// terminal returns pid's live session, starting one if needed.
func (s *Shell) terminal(ctx context.Context, pid int64) (*term, string, error) {
	s.mu.Lock()
	if t := s.sessions[pid]; t != nil {
		select {
		case <-t.read:
		default:
			t.lastUsed = time.Now()
			s.mu.Unlock()
			return t, "", nil
		}
	}
	s.mu.Unlock()
	t, err := s.startTerm(ctx, pid)
	if err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.sessions[pid]; old != nil && old != t {
		old.close()
	}
	t.lastUsed = time.Now()
	s.sessions[pid] = t
	if len(s.sessions) > s.opts.MaxSessions {
		var lru int64 = -1
		for id, o := range s.sessions {
			if id != pid && (lru < 0 || o.lastUsed.Before(s.sessions[lru].lastUsed)) {
				lru = id
			}
		}
		if lru >= 0 {
			s.sessions[lru].close()
			delete(s.sessions, lru)
		}
	}
	return t, "[a new terminal session started]", nil
}

func (s *Shell) startTerm(ctx context.Context, pid int64) (*term, error) {
	dir, err := s.sb.Scratch(pid)
	if err != nil {
		return nil, err
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		return nil, llmos.Errorf(llmos.CodeUnavailable, "cannot open a terminal: %v", err)
	}
	defer tty.Close()
	pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 200})
	// No echo: the output is what programs print, not the input sent.
	if tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS); err == nil {
		tio.Lflag &^= unix.ECHO | unix.ECHOE | unix.ECHOK | unix.ECHONL
		unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, tio)
	}
	var nonce [6]byte
	rand.Read(nonce[:])
	tag := hex.EncodeToString(nonce[:])
	lim := s.opts.Limits
	lim.CPU = s.opts.SessionCPU
	proc, err := s.sb.Start(sandbox.Spec{
		// setsid -c makes the tty the shell's controlling terminal, in a
		// session whose process groups the shell can see (job control, ^C).
		Args: []string{"setsid", "-wc", "/bin/sh", "-i"},
		Dir:  dir,
		Env: []string{"PS1=[llmos:" + tag + ":$?]$ ", "PS2=[llmos:" + tag + "]> ", "TERM=dumb", "PAGER=cat",
			"GIT_PAGER=cat", "PYTHONDONTWRITEBYTECODE=1"},
		Network: s.network(ctx),
		Limits:  lim,
		TTY:     tty,
	})
	if err != nil {
		ptmx.Close()
		return nil, err
	}
	t := &term{
		proc:   proc,
		ptmx:   ptmx,
		ps1:    regexp.MustCompile(`\[llmos:` + tag + `:(\d+)\]\$ `),
		ps2:    regexp.MustCompile(`\[llmos:` + tag + `\]> `),
		notify: make(chan struct{}),
		read:   make(chan struct{}),
	}
	go t.reader()
	// Wait for the first prompt, and drop what the shell said before it.
	timeout := time.NewTimer(startTimeout)
	defer timeout.Stop()
	for {
		t.mu.Lock()
		ready := t.ps1.Match(t.out)
		notify := t.notify
		if ready {
			t.out = nil
		}
		t.mu.Unlock()
		if ready {
			return t, nil
		}
		select {
		case <-notify:
		case <-t.read:
			t.close()
			code, _ := proc.Wait()
			return nil, llmos.Errorf(llmos.CodeUnavailable, "the terminal session could not start (the shell exited with code %s)", strconv.Itoa(code))
		case <-timeout.C:
			t.close()
			return nil, llmos.Errorf(llmos.CodeUnavailable, "the terminal session did not start within %v", startTimeout)
		case <-ctx.Done():
			t.close()
			return nil, llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "cancelled while the terminal session started")
		}
	}
}

// startTimeout bounds how long a shell may take to show its first prompt.
const startTimeout = 15 * time.Second
