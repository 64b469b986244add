package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/llmos/llmos"
)

// The modes of a sandbox.
const (
	// ModeAuto uses the best isolation this machine offers (bubblewrap), and
	// refuses to run programs when there is none.
	ModeAuto = "auto"
	// ModeBwrap requires bubblewrap.
	ModeBwrap = "bwrap"
	// ModeNone runs programs on the host, bounded only by the rlimits and the
	// wall time: unsafe, and said so loudly.
	ModeNone = "none"
)

// WorkDir is where a program's scratch folder appears inside the sandbox,
// and its working directory.
const WorkDir = "/scratch"

// Config configures a Sandbox.
type Config struct {
	// Base holds one scratch folder per process, such as $LLMOS_HOME/scratch.
	Base string `json:"-"`
	// Mode is auto (the default), bwrap or none.
	Mode string `json:"mode,omitempty"`
	// Limits are the defaults of every run; zero fields take DefaultLimits.
	Limits Limits `json:"limits,omitzero"`
	// Bwrap is the bubblewrap binary; looked up on PATH when empty.
	Bwrap string `json:"bwrap,omitempty"`
	// Warn receives the warning of mode none; os.Stderr when nil.
	Warn io.Writer `json:"-"`
}

// Sandbox runs programs isolated from the host: in bwrap mode each program
// gets its own user, process, network, IPC and UTS namespaces, a read-only
// view of /usr and a few files of /etc, a private /tmp, its scratch folder
// (read-write, at /scratch) and nothing else of the file system; no network
// unless the Spec asks; and rlimits on CPU, memory, processes and file size.
// A Sandbox is safe for concurrent use.
type Sandbox struct {
	cfg     Config
	mode    string
	prlimit string
	bw      *probe
	warned  atomic.Bool
}

// New returns a sandbox, or an error with code unavailable that names what
// is missing and how to install it when the mode asks for an isolation this
// machine does not have.
func New(cfg Config) (*Sandbox, error) {
	if cfg.Base == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "the sandbox needs a base folder for its scratch folders")
	}
	if err := cfg.Limits.Validate(); err != nil {
		return nil, err
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeAuto
	}
	s := &Sandbox{cfg: cfg}
	pl, err := exec.LookPath("prlimit")
	if err != nil {
		return nil, llmos.Errorf(llmos.CodeUnavailable, "the sandbox cannot limit programs: prlimit is missing; %s", fixPrlimit)
	}
	s.prlimit = pl
	switch cfg.Mode {
	case ModeNone:
		s.mode = ModeNone
		s.warn()
		return s, nil
	case ModeAuto, ModeBwrap:
	default:
		return nil, llmos.Errorf(llmos.CodeInvalid, "sandbox mode %q: use auto, bwrap or none", cfg.Mode)
	}
	path := cfg.Bwrap
	if path == "" {
		path, err = exec.LookPath("bwrap")
		if err != nil {
			return nil, llmos.Errorf(llmos.CodeUnavailable,
				"no sandbox: bubblewrap (bwrap) is not installed; %s; or run without isolation (--no-sandbox, sandbox mode none), which is unsafe", fixBwrap)
		}
	}
	p := probeBwrap(path, false)
	if !p.works {
		return nil, llmos.Errorf(llmos.CodeUnavailable,
			"no sandbox: bubblewrap cannot create namespaces here (%s); %s; or run without isolation (--no-sandbox), which is unsafe", p.err, fixUserns)
	}
	if !strings.HasPrefix(pl, "/usr/") && !strings.HasPrefix(pl, "/bin/") {
		return nil, llmos.Errorf(llmos.CodeUnavailable, "prlimit at %s is outside /usr, so the sandbox cannot see it; %s", pl, fixPrlimit)
	}
	s.mode, s.bw = ModeBwrap, p
	return s, nil
}

// Mode is the isolation in use: bwrap or none.
func (s *Sandbox) Mode() string { return s.mode }

// Unsafe reports whether programs run without isolation.
func (s *Sandbox) Unsafe() bool { return s.mode == ModeNone }

// Limits are the sandbox's default limits, complete.
func (s *Sandbox) Limits() Limits { return s.cfg.Limits.Or(DefaultLimits) }

// WorkDir is the path a program sees for its scratch folder dir: /scratch in
// the sandbox, dir itself in mode none.
func (s *Sandbox) WorkDir(dir string) string {
	if s.mode == ModeNone {
		return dir
	}
	return WorkDir
}

// Warning is printed when programs run with no sandbox.
const Warning = "WARNING: the sandbox is OFF: programs run on this machine with your user's rights, files and network; only CPU, memory, process and time limits bound them"

func (s *Sandbox) warn() {
	if s.warned.Swap(true) {
		return
	}
	w := s.cfg.Warn
	if w == nil {
		w = os.Stderr
		slog.Warn("sandbox disabled", "mode", ModeNone)
	}
	fmt.Fprintf(w, "llmos: %s\n", Warning)
}

// Scratch returns the scratch folder of process pid, creating it: the one
// folder a sandboxed program of that process may write, kept between calls.
func (s *Sandbox) Scratch(pid int64) (string, error) {
	if pid < 0 {
		return "", llmos.Errorf(llmos.CodeInvalid, "pid %d is negative", pid)
	}
	dir := filepath.Join(s.cfg.Base, strconv.FormatInt(pid, 10))
	if err := s.prepare(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// prepare creates dir and, when the sandbox runs as nobody, gives it to nobody.
func (s *Sandbox) prepare(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return llmos.Errorf(llmos.CodeUnavailable, "cannot create the scratch folder %s: %v", dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return llmos.Errorf(llmos.CodeUnavailable, "cannot create the scratch folder %s: %v", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() {
		return llmos.Errorf(llmos.CodeInvalid, "the scratch folder %s is not a folder", dir)
	}
	if s.bw != nil && s.bw.setpriv != "" {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != nobodyID {
			if err := os.Lchown(dir, nobodyID, nobodyID); err != nil {
				return llmos.Errorf(llmos.CodeUnavailable, "cannot give the scratch folder %s to the sandbox user: %v", dir, err)
			}
		}
	}
	return nil
}

// RemoveScratch deletes the scratch folder of process pid and all in it.
func (s *Sandbox) RemoveScratch(pid int64) error {
	return removeAll(filepath.Join(s.cfg.Base, strconv.FormatInt(pid, 10)))
}

// removeAll deletes dir even where a program took away write permissions.
func removeAll(dir string) error {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

// Spec is one program to run.
type Spec struct {
	// Args is the program and its arguments, as seen inside the sandbox: a
	// name without a slash is looked up on /usr/local/bin:/usr/bin:/bin.
	Args []string
	// Dir is the scratch folder on the host, the program's working
	// directory (at /scratch inside). Empty: a fresh folder, deleted after.
	Dir string
	// Env adds KEY=VALUE variables to the few the sandbox sets (PATH, HOME,
	// TMPDIR, LANG); nothing of the caller's environment passes.
	Env []string
	// Network gives the program the host's network. Only a caller holding
	// the network capability should set it.
	Network bool
	// Limits override the sandbox's defaults where set.
	Limits Limits
	// Stdin is the program's input; none when nil.
	Stdin io.Reader
	// Stdout and Stderr, when set, receive the output as it comes (cut at
	// the output limit, with a note), instead of Result keeping it.
	Stdout, Stderr io.Writer
	// TTY, for Start only, is the terminal (a pty's tty) the program runs
	// on as stdin, stdout and stderr. The program starts in a session of its
	// own without a controlling terminal; to make the tty one (for job
	// control and Ctrl-C), run it through setsid: ["setsid", "-wc", "sh", "-i"].
	TTY *os.File
}

// File is a file a program wrote in its scratch folder.
type File struct {
	// Name is the path relative to the scratch folder.
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// Result is how a program ended and what it printed.
type Result struct {
	Stdout []byte `json:"stdout"`
	Stderr []byte `json:"stderr"`
	// ExitCode is the program's exit status; 128+N when signal N killed it.
	ExitCode int `json:"exit_code"`
	// TimedOut is true when the wall time limit (or the context's deadline)
	// stopped the program.
	TimedOut bool `json:"timed_out,omitempty"`
	// Truncated is true when stdout or stderr was cut at the output limit.
	Truncated bool `json:"truncated,omitempty"`
	// Stopped says why the sandbox killed the program, if it did.
	Stopped string `json:"stopped,omitempty"`
	// Files are those created or changed in the scratch folder.
	Files    []File        `json:"files,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// CPU is the processor time of the program and its children.
	CPU time.Duration `json:"cpu_ns"`
	// Unsafe is true when the program ran without isolation.
	Unsafe bool `json:"unsafe,omitempty"`
}

// Run runs a program in the sandbox and waits for it. A program that fails
// is not an error: its exit code, output and the limit that stopped it are in
// the Result. Cancelling ctx kills the whole process tree at once and returns
// an error with code canceled; ctx's deadline, when sooner than the wall
// limit, acts as the wall limit.
func (s *Sandbox) Run(ctx context.Context, spec Spec) (*Result, error) {
	if len(spec.Args) == 0 {
		return nil, llmos.Errorf(llmos.CodeInvalid, "no program to run")
	}
	if spec.TTY != nil {
		return nil, llmos.Errorf(llmos.CodeInvalid, "a program on a terminal is started with Start, not Run")
	}
	lim := spec.Limits.Or(s.cfg.Limits).Or(DefaultLimits)
	if spec.Dir == "" {
		dir, err := os.MkdirTemp(s.cfg.Base, "run-")
		if err != nil {
			if err := os.MkdirAll(s.cfg.Base, 0o700); err != nil {
				return nil, llmos.Errorf(llmos.CodeUnavailable, "cannot create the scratch folder in %s: %v", s.cfg.Base, err)
			}
			if dir, err = os.MkdirTemp(s.cfg.Base, "run-"); err != nil {
				return nil, llmos.Errorf(llmos.CodeUnavailable, "cannot create the scratch folder in %s: %v", s.cfg.Base, err)
			}
		}
		defer removeAll(dir)
		spec.Dir = dir
	}
	if err := s.prepare(spec.Dir); err != nil {
		return nil, err
	}
	spec.Dir, _ = filepath.Abs(spec.Dir)
	if err := ctx.Err(); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeCanceled, "cancelled before the program started")
	}
	wall := lim.Wall
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wall {
		wall = max(time.Until(dl), time.Millisecond)
	}
	before := snapshot(spec.Dir)
	var stopped atomic.Value // string
	flood := int64(max(64*lim.OutputBytes, 4<<20))
	flooded := make(chan struct{})
	var floodOnce sync.Once
	onFlood := func() {
		floodOnce.Do(func() {
			stopped.CompareAndSwap(nil, fmt.Sprintf("it wrote more than %s of output", size(flood)))
			close(flooded)
		})
	}
	stdout := newCapWriter(spec.Stdout, lim.OutputBytes, flood, onFlood)
	stderr := newCapWriter(spec.Stderr, lim.OutputBytes, flood, onFlood)
	spec.Stdout, spec.Stderr = stdout, stderr
	start := time.Now()
	p, err := s.start(spec, lim)
	if err != nil {
		return nil, err
	}
	var timedOut atomic.Bool
	timer := time.AfterFunc(wall, func() {
		timedOut.Store(true)
		stopped.CompareAndSwap(nil, "wall time limit of "+round(wall).String()+" reached")
		p.Kill()
	})
	stop := context.AfterFunc(ctx, p.Kill)
	go func() {
		select {
		case <-flooded:
			p.Kill()
		case <-p.done:
		}
	}()
	code, werr := p.Wait()
	timer.Stop()
	byCtx := !stop() // the context ended before the program did
	if werr != nil && p.cmd.ProcessState == nil {
		return nil, llmos.Wrap(werr, llmos.CodeInternal, "")
	}
	if err := ctx.Err(); byCtx && err != nil && !timedOut.Load() {
		if !errors.Is(err, context.DeadlineExceeded) {
			return nil, llmos.Wrap(err, llmos.CodeCanceled, "the program was cancelled")
		}
		timedOut.Store(true)
		stopped.CompareAndSwap(nil, "time limit of "+round(wall).String()+" reached")
	}
	r := &Result{
		ExitCode: code,
		TimedOut: timedOut.Load(),
		Duration: time.Since(start),
		Unsafe:   s.mode == ModeNone,
	}
	if st := p.cmd.ProcessState; st != nil {
		r.CPU = st.UserTime() + st.SystemTime()
	}
	if v, ok := stopped.Load().(string); ok {
		r.Stopped = v
	} else if code == 128+int(syscall.SIGXCPU) || (code == 128+int(syscall.SIGKILL) && r.CPU >= lim.CPU) {
		r.Stopped = "CPU time limit of " + round(lim.CPU).String() + " reached"
	}
	r.Stdout, r.Stderr = stdout.bytes(), stderr.bytes()
	r.Truncated = stdout.cut() || stderr.cut()
	r.Files = changed(before, snapshot(spec.Dir))
	return r, nil
}

// Process is a sandboxed program started by Start and maybe still running.
type Process struct {
	// Stdin and Stdout are pipes to the program, when the Spec gave neither
	// a reader, a writer nor a terminal. The caller closes them.
	Stdin  io.WriteCloser
	Stdout io.ReadCloser

	cmd   *exec.Cmd
	group bool // kill stragglers in the process group when the leader exits
	mu    sync.Mutex
	ended bool // the leader has exited (not yet reaped while mu is held)
	done  chan struct{}
	code  int
	err   error
}

// Start starts a program in the sandbox and returns without waiting: for
// programs that live across calls (an interpreter session, a shell on a
// terminal). The limits apply except the wall time and the output limit,
// which are the caller's to enforce; Kill stops the whole tree.
func (s *Sandbox) Start(spec Spec) (*Process, error) {
	if len(spec.Args) == 0 {
		return nil, llmos.Errorf(llmos.CodeInvalid, "no program to start")
	}
	if spec.Dir == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "a started program needs a scratch folder")
	}
	if err := s.prepare(spec.Dir); err != nil {
		return nil, err
	}
	spec.Dir, _ = filepath.Abs(spec.Dir)
	return s.start(spec, spec.Limits.Or(s.cfg.Limits).Or(DefaultLimits))
}

func (s *Sandbox) start(spec Spec, lim Limits) (*Process, error) {
	if s.mode == ModeNone {
		s.warn()
	}
	for _, kv := range spec.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, llmos.Errorf(llmos.CodeInvalid, "environment entry %q is not KEY=VALUE", kv)
		}
	}
	cmd := s.command(spec, lim)
	p := &Process{cmd: cmd, group: s.mode == ModeNone, done: make(chan struct{})}
	var childEnds []*os.File
	closeAll := func(fs []*os.File) {
		for _, f := range fs {
			f.Close()
		}
	}
	if spec.TTY != nil {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = spec.TTY, spec.TTY, spec.TTY
	} else {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = spec.Stdin, spec.Stdout, spec.Stderr
		if spec.Stdin == nil && spec.Stdout == nil {
			inR, inW, err := os.Pipe()
			if err != nil {
				closeAll(childEnds)
				return nil, llmos.Wrap(err, llmos.CodeInternal, "")
			}
			outR, outW, err := os.Pipe()
			if err != nil {
				closeAll(append(childEnds, inR, inW))
				return nil, llmos.Wrap(err, llmos.CodeInternal, "")
			}
			cmd.Stdin, cmd.Stdout = inR, outW
			p.Stdin, p.Stdout = inW, outR
			childEnds = append(childEnds, inR, outW)
		}
	}
	if err := cmd.Start(); err != nil {
		closeAll(childEnds)
		if p.Stdin != nil {
			p.Stdin.Close()
			p.Stdout.Close()
		}
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, "cannot start the sandbox: "+err.Error())
	}
	closeAll(childEnds)
	go p.wait()
	return p, nil
}

func (p *Process) wait() {
	pid := p.cmd.Process.Pid
	var info unix.Siginfo
	for {
		// Wait for the leader without reaping it, so that its process group
		// id cannot be reused while Kill may still signal it.
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			break
		}
	}
	p.mu.Lock()
	p.ended = true
	if p.group {
		unix.Kill(-pid, unix.SIGKILL) // no daemons outlive the program
	}
	p.mu.Unlock()
	p.err = p.cmd.Wait()
	p.code = -1
	if st := p.cmd.ProcessState; st != nil {
		p.code = st.ExitCode()
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.code = 128 + int(ws.Signal())
		}
	}
	close(p.done)
}

// Kill stops the program and everything it started, at once.
func (p *Process) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ended {
		// The leader (bwrap, or the program in mode none) leads its own
		// process group; in bwrap mode its death kills the whole PID
		// namespace, through --die-with-parent.
		unix.Kill(-p.cmd.Process.Pid, unix.SIGKILL)
	}
}

// Done is closed when the program has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the program to exit and returns its exit code (128+N for
// signal N). The error is from the wait itself, not the program's status.
func (p *Process) Wait() (int, error) {
	<-p.done
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return p.code, nil
	}
	return p.code, p.err
}

// round makes a duration readable.
func round(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
