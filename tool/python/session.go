package python

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/sandbox"
)

// session is a lasting sandboxed interpreter running the driver.
type session struct {
	proc   *sandbox.Process
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *head
	// mu lets one call at a time talk to the interpreter.
	mu sync.Mutex
	// lastUsed is guarded by Python.mu.
	lastUsed time.Time
}

func (s *session) kill() {
	s.proc.Kill()
	s.in.Close()
}

func (s *session) alive() bool {
	select {
	case <-s.proc.Done():
		return false
	default:
		return true
	}
}

// request and response are the driver's protocol, one JSON object a line.
type request struct {
	Code string  `json:"code"`
	CPU  float64 `json:"cpu"`
	Max  int     `json:"max"`
}

type response struct {
	Ready      bool   `json:"ready"`
	Status     string `json:"status"`
	Stdout     string `json:"stdout"`
	Stderr     string `json:"stderr"`
	StdoutSize int    `json:"stdout_size"`
	StderrSize int    `json:"stderr_size"`
}

// startTimeout bounds how long an interpreter may take to start.
const startTimeout = 30 * time.Second

// session returns the live session of pid, starting one if needed; note
// says when a new one was started, and why the last one ended.
func (p *Python) session(ctx context.Context, pid int64, dir string) (s *session, note string, err error) {
	p.mu.Lock()
	if s := p.sessions[pid]; s != nil && s.alive() {
		s.lastUsed = time.Now()
		p.mu.Unlock()
		return s, "", nil
	}
	p.mu.Unlock()

	s, err = p.start(ctx, dir)
	if err != nil {
		return nil, "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old := p.sessions[pid]; old != nil && old.alive() {
		// Another call started one meanwhile: use it.
		go s.kill()
		old.lastUsed = time.Now()
		return old, "", nil
	}
	note = "[a new Python session started]"
	if why := p.ended[pid]; why != "" {
		note = "[a new Python session started: the previous one " + why + ", and its variables are gone]"
		delete(p.ended, pid)
	}
	s.lastUsed = time.Now()
	p.sessions[pid] = s
	if len(p.sessions) > p.opts.MaxSessions {
		var lru int64 = -1
		for id, o := range p.sessions {
			if id != pid && (lru < 0 || o.lastUsed.Before(p.sessions[lru].lastUsed)) {
				lru = id
			}
		}
		if lru >= 0 {
			p.sessions[lru].kill()
			delete(p.sessions, lru)
			p.ended[lru] = "was closed to make room for other sessions"
		}
	}
	return s, note, nil
}

// start starts an interpreter running the driver and waits until it is ready.
func (p *Python) start(ctx context.Context, dir string) (*session, error) {
	lim := p.opts.Limits
	lim.CPU = p.opts.SessionCPU // each call gets its own share, set by the driver
	stderr := &head{max: 4 << 10}
	proc, err := p.sb.Start(sandbox.Spec{
		Args:    []string{sandbox.PythonPath, "-u", "-c", driver},
		Dir:     dir,
		Env:     pythonEnv,
		Network: p.network(ctx),
		Limits:  lim,
		Stderr:  stderr,
	})
	if err != nil {
		return nil, err
	}
	s := &session{proc: proc, in: proc.Stdin, out: bufio.NewReaderSize(proc.Stdout, 64<<10), stderr: stderr}
	go func() {
		<-proc.Done()
		proc.Stdout.Close()
	}()
	ready := make(chan error, 1)
	go func() {
		line, err := readLine(s.out, 1<<10)
		var r response
		if err == nil && (json.Unmarshal(line, &r) != nil || !r.Ready) {
			err = errors.New("the driver did not say it was ready")
		}
		ready <- err
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case err = <-ready:
	case <-timer.C:
		err = errors.New("it did not start within " + startTimeout.String())
	case <-ctx.Done():
		s.kill()
		return nil, llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "cancelled while the Python session started")
	}
	if err != nil {
		s.kill()
		<-proc.Done()
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, llmos.Errorf(llmos.CodeUnavailable, "the Python session could not start: %s", msg)
	}
	return s, nil
}

// end forgets session s of pid, kills it and records why it ended.
func (p *Python) end(pid int64, s *session, why string) {
	p.mu.Lock()
	if p.sessions[pid] == s {
		delete(p.sessions, pid)
		p.ended[pid] = why
	}
	p.mu.Unlock()
	s.kill()
}

// runInSession runs code in pid's session.
func (p *Python) runInSession(ctx context.Context, pid int64, dir, code string) (*sandbox.Result, string, error) {
	s, note, err := p.session(ctx, pid, dir)
	if err != nil {
		return nil, "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.alive() {
		return nil, "", llmos.Errorf(llmos.CodeConflict, "the Python session was closed while this call waited; call again to start a new one")
	}
	lim := p.opts.Limits.Or(p.sb.Limits())
	wall := lim.Wall
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wall {
		wall = max(time.Until(dl), time.Millisecond)
	}
	snap := sandbox.TakeSnapshot(dir)
	req, _ := json.Marshal(request{Code: code, CPU: lim.CPU.Seconds(), Max: lim.OutputBytes})
	start := time.Now()
	type answer struct {
		line []byte
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		if _, err := s.in.Write(append(req, '\n')); err != nil {
			answers <- answer{nil, err}
			return
		}
		line, err := readLine(s.out, 12*lim.OutputBytes+64<<10)
		answers <- answer{line, err}
	}()
	r := &sandbox.Result{}
	timer := time.NewTimer(wall)
	defer timer.Stop()
	var a answer
	select {
	case a = <-answers:
	case <-timer.C:
		p.end(pid, s, "timed out")
		r.TimedOut = true
		r.ExitCode = 128 + int(syscall.SIGKILL)
		r.Stopped = fmt.Sprintf("wall time limit of %v reached; the session was stopped and its state is lost: the next call starts a new session", wall.Round(time.Millisecond))
	case <-ctx.Done():
		p.end(pid, s, "was cancelled")
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, "", llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "the Python call was cancelled")
		}
		r.TimedOut = true
		r.ExitCode = 128 + int(syscall.SIGKILL)
		r.Stopped = "time limit reached; the session was stopped and its state is lost: the next call starts a new session"
	}
	r.Duration = time.Since(start)
	if r.Stopped == "" {
		var resp response
		if a.err == nil {
			if err := json.Unmarshal(a.line, &resp); err != nil || resp.Status == "" {
				a.err = errProtocol
			}
		}
		if a.err != nil {
			// The interpreter died during the call (os._exit, a signal, the
			// CPU limit) or broke the protocol.
			s.kill()
			code := -1
			select {
			case <-s.proc.Done():
				code, _ = s.proc.Wait()
			case <-time.After(5 * time.Second):
			}
			why := fmt.Sprintf("ended with exit code %d", code)
			switch {
			case a.err == errLineTooLong || a.err == errProtocol:
				why = "broke the protocol"
			case code == 128+int(syscall.SIGXCPU):
				why = "reached its CPU time limit"
			case code > 128:
				why = fmt.Sprintf("was killed by signal %d", code-128)
			}
			p.end(pid, s, why)
			r.ExitCode = code
			r.Stopped = "the interpreter " + why + " during this call; the session's state is lost: the next call starts a new session"
		} else {
			r.Stdout, r.Stderr = cut(resp.Stdout, resp.StdoutSize, lim.OutputBytes), cut(resp.Stderr, resp.StderrSize, lim.OutputBytes)
			r.Truncated = resp.StdoutSize > lim.OutputBytes || resp.StderrSize > lim.OutputBytes
			if resp.Status != "ok" {
				r.ExitCode = 1
			}
		}
	}
	r.Files = snap.Changed(dir)
	r.Unsafe = p.sb.Unsafe()
	return r, note, nil
}

// cut adds the note of the sandbox to output the driver cut at max bytes.
func cut(s string, size, max int) []byte {
	if size > max {
		return []byte(s + "\n" + fmt.Sprintf(sandbox.CutNote, max) + "\n")
	}
	return []byte(s)
}

var (
	errLineTooLong = errors.New("line too long")
	errProtocol    = errors.New("the interpreter answered out of protocol")
)

// readLine reads one line of at most max bytes.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > max {
			return nil, errLineTooLong
		}
		switch {
		case err == bufio.ErrBufferFull:
		case err != nil:
			return nil, err
		default:
			return line, nil
		}
	}
}

// head keeps the first max bytes written to it.
type head struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (h *head) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (h *head) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return string(h.b)
}
