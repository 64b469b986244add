package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/sandbox"
)

// newSandbox returns a bubblewrap sandbox, or skips the test with the reason
// when this machine has none.
func newSandbox(t testing.TB) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{Base: t.TempDir(), Mode: sandbox.ModeBwrap})
	if err != nil {
		if llmos.ErrorCode(err) == llmos.CodeUnavailable {
			t.Skipf("no sandbox on this machine: %v", err)
		}
		t.Fatal(err)
	}
	if _, err := os.Stat(sandbox.PythonPath); err != nil {
		t.Skipf("%s is missing: apt-get install python3", sandbox.PythonPath)
	}
	return sb
}

// python runs code with Debian's python3 in the sandbox.
func python(t *testing.T, sb *sandbox.Sandbox, dir, code string, lim sandbox.Limits, network bool) *sandbox.Result {
	t.Helper()
	r, err := sb.Run(context.Background(), sandbox.Spec{
		Args: []string{sandbox.PythonPath, "-c", code}, Dir: dir, Limits: lim, Network: network})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return r
}

func scratch(t *testing.T, sb *sandbox.Sandbox) string {
	t.Helper()
	dir, err := sb.Scratch(1)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRunBasics(t *testing.T) {
	sb := newSandbox(t)
	dir := scratch(t, sb)
	r := python(t, sb, dir, `
import os, sys
print(6*7)
print("oops", file=sys.stderr)
open("out.txt", "w").write("hello")
os.makedirs("sub", exist_ok=True)
open("sub/data.csv", "w").write("a,b\n1,2\n")
print(os.getcwd(), os.getuid())
sys.exit(3)`, sandbox.Limits{}, false)
	if r.ExitCode != 3 || string(r.Stdout) != "42\n/scratch 65534\n" || string(r.Stderr) != "oops\n" {
		t.Fatalf("result: %+v", r)
	}
	if len(r.Files) != 2 || r.Files[0].Name != "out.txt" || r.Files[0].Size != 5 || r.Files[1].Name != "sub/data.csv" {
		t.Errorf("files: %+v", r.Files)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out.txt")); err != nil || string(b) != "hello" {
		t.Errorf("scratch file on the host: %q %v", b, err)
	}
	text := r.Text()
	for _, want := range []string{"exit code 3", "stdout:\n42\n", "stderr:\noops", "files written: out.txt (5 B), sub/data.csv (8 B)"} {
		if !strings.Contains(text, want) {
			t.Errorf("Text() lacks %q:\n%s", want, text)
		}
	}
	// A second run in the same scratch folder sees the file, and lists only what it changed.
	r = python(t, sb, dir, `print(open("out.txt").read()); open("new.txt", "w").write("x")`, sandbox.Limits{}, false)
	if string(r.Stdout) != "hello\n" || len(r.Files) != 1 || r.Files[0].Name != "new.txt" {
		t.Errorf("second run: %q %+v", r.Stdout, r.Files)
	}
	// Stdin reaches the program.
	r, err := sb.Run(context.Background(), sandbox.Spec{Args: []string{"/bin/sh", "-c", "tr a-z A-Z"}, Dir: dir, Stdin: strings.NewReader("shout\n")})
	if err != nil || string(r.Stdout) != "SHOUT\n" {
		t.Errorf("stdin: %v %+v", err, r)
	}
}

// TestNoNetwork: a listener on the host's loopback cannot be reached from
// the sandbox, unless the spec asks for the network.
func TestNoNetwork(t *testing.T) {
	sb := newSandbox(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Write([]byte("hello from the host\n"))
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	code := fmt.Sprintf(`
import socket
try:
    s = socket.create_connection(("127.0.0.1", %d), timeout=3)
    print("CONNECTED", s.recv(100))
except OSError as e:
    print("FAILED", type(e).__name__, e)
try:
    socket.getaddrinfo("example.com", 80)
    print("RESOLVED")
except OSError as e:
    print("NO DNS", e)
`, port)
	dir := scratch(t, sb)
	r := python(t, sb, dir, code, sandbox.Limits{}, false)
	if !strings.Contains(string(r.Stdout), "FAILED") || strings.Contains(string(r.Stdout), "CONNECTED") || accepted.Load() != 0 {
		t.Fatalf("the sandbox reached the host's loopback: %s %s (accepted %d)", r.Stdout, r.Stderr, accepted.Load())
	}
	if strings.Contains(string(r.Stdout), "RESOLVED") {
		t.Errorf("the sandbox resolved a name: %s", r.Stdout)
	}
	// The control: with the network, the same program connects.
	r = python(t, sb, dir, code, sandbox.Limits{}, true)
	if !strings.Contains(string(r.Stdout), "CONNECTED b'hello from the host") || accepted.Load() != 1 {
		t.Errorf("with the network, the program did not connect: %s %s", r.Stdout, r.Stderr)
	}
}

// TestFileSystemView: nothing outside the scratch folder can be written, and
// nothing of the host outside the read-only system view can be read.
func TestFileSystemView(t *testing.T) {
	sb := newSandbox(t)
	dir := scratch(t, sb)
	secretDir := t.TempDir()
	secret := filepath.Join(secretDir, "secret.txt")
	if err := os.WriteFile(secret, []byte("the host's secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LLMOS_TEST_SECRET", "an environment secret")
	hostTmp := filepath.Join("/tmp", "llmos-sandbox-test-"+strconv.Itoa(os.Getpid()))
	defer os.Remove(hostTmp)
	code := fmt.Sprintf(`
import os
def attempt(what, f):
    try:
        f()
        print("ALLOWED", what)
    except OSError as e:
        print("denied", what, e.errno)
secret = %q
attempt("read secret", lambda: open(secret).read())
attempt("list secret dir", lambda: os.listdir(os.path.dirname(secret)))
attempt("list /root", lambda: os.listdir("/root"))
attempt("list /home", lambda: os.listdir("/home"))
attempt("read /etc/passwd", lambda: open("/etc/passwd").read())
attempt("read /etc/shadow", lambda: open("/etc/shadow").read())
for pid in os.listdir("/proc"):
    try:
        if b"LLMOS_TEST_SECRET" in open("/proc/%%s/environ" %% pid, "rb").read():
            print("ALLOWED environment of", pid)
    except OSError:
        pass
attempt("write secret", lambda: open(secret, "w").write("x"))
attempt("write /usr", lambda: open("/usr/evil", "w").write("x"))
attempt("write /usr/bin/python3", lambda: open("/usr/bin/python3", "a").write("x"))
attempt("write /", lambda: open("/evil", "w").write("x"))
attempt("mkdir /etc/x", lambda: os.mkdir("/etc/x"))
attempt("write /etc/alternatives", lambda: open("/etc/alternatives/evil", "w").write("x"))
attempt("chmod /usr/bin", lambda: os.chmod("/usr/bin", 0o777))
attempt("write scratch", lambda: open("/scratch/ok.txt", "w").write("x"))
attempt("write /tmp", lambda: open(%q, "w").write("x"))
print("ENV", "LLMOS_TEST_SECRET" in os.environ, sorted(os.environ))
print("PIDS", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
`, secret, hostTmp)
	r := python(t, sb, dir, code, sandbox.Limits{}, false)
	out := string(r.Stdout)
	t.Logf("%s", out)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "ALLOWED") && line != "ALLOWED write scratch" && line != "ALLOWED write /tmp" {
			t.Errorf("the sandbox could: %s", line)
		}
	}
	for _, want := range []string{"ALLOWED write scratch", "ALLOWED write /tmp", "ENV False"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q: %s %s", want, out, r.Stderr)
		}
	}
	if b, _ := os.ReadFile(secret); string(b) != "the host's secret" {
		t.Errorf("the host's file changed: %q", b)
	}
	if _, err := os.Stat(hostTmp); err == nil {
		t.Errorf("the sandbox's /tmp is the host's")
	}
	// Its PID namespace shows only the sandbox: bwrap's init and the program.
	if i := strings.Index(out, "PIDS ["); i < 0 || strings.Count(out[i:strings.Index(out[i:], "]")+i], ",") > 2 {
		t.Errorf("the sandbox sees other processes: %s", out)
	}
}

// TestForkBomb: the process limit stops a fork bomb, and no process of it
// outlives the run.
func TestForkBomb(t *testing.T) {
	sb := newSandbox(t)
	dir := scratch(t, sb)
	r := python(t, sb, dir, `
import os, time
n = 0
try:
    for i in range(200):
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        n += 1
except OSError as e:
    print("stopped after", n, e.errno)
`, sandbox.Limits{Procs: 20, Wall: 10 * time.Second}, false)
	out := string(r.Stdout)
	var n int
	if _, err := fmt.Sscanf(out, "stopped after %d", &n); err != nil || n >= 20 {
		t.Fatalf("the process limit did not stop the forks: %q %s", out, r.Stderr)
	}
	// The classic bomb, with a marker to find its processes afterwards.
	marker := "llmosbomb" + strconv.Itoa(os.Getpid())
	start := time.Now()
	res, err := sb.Run(context.Background(), sandbox.Spec{
		Args:   []string{"/bin/sh", "-c", "b() { b | b & }; b; sleep 60", marker},
		Dir:    dir,
		Limits: sandbox.Limits{Procs: 30, Wall: 2 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || time.Since(start) > 8*time.Second {
		t.Errorf("the bomb was not stopped at the wall time: %+v after %v", res, time.Since(start))
	}
	time.Sleep(200 * time.Millisecond)
	if left := processesWith(marker); left > 0 {
		t.Errorf("%d processes of the bomb outlived the run", left)
	}
}

// processesWith counts the host's processes whose command line holds s.
func processesWith(s string) int {
	n := 0
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if bytes.Contains(b, []byte(s)) {
			n++
		}
	}
	return n
}

// TestTimeLimits: an endless loop is killed at the wall time, or by the CPU
// limit; the whole tree goes, detached children too.
func TestTimeLimits(t *testing.T) {
	sb := newSandbox(t)
	dir := scratch(t, sb)
	marker := "llmosloop" + strconv.Itoa(os.Getpid())
	start := time.Now()
	seen := make(chan int, 1)
	time.AfterFunc(2*time.Second, func() { seen <- processesWith(marker) })
	r, err := sb.Run(context.Background(), sandbox.Spec{
		Args: []string{"/bin/sh", "-c", "setsid sh -c 'sleep 300; :' $0 & nohup sh -c 'sleep 301; :' $0 >/dev/null 2>&1 & " +
			"sleep 0.2; ps -e -o pid= | wc -l; while :; do :; done", marker},
		Dir:    dir,
		Limits: sandbox.Limits{Wall: 3 * time.Second, CPU: time.Minute},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !r.TimedOut || !strings.Contains(r.Stopped, "wall time") || time.Since(start) > 8*time.Second {
		t.Errorf("wall limit: %+v after %v", r, time.Since(start))
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(string(r.Stdout))); n < 5 {
		t.Errorf("the detached children did not start: %d processes (%s)", n, r.Stderr)
	}
	if n := <-seen; n < 2 {
		t.Errorf("the host saw %d of the detached children while they ran", n)
	}
	time.Sleep(200 * time.Millisecond)
	if left := processesWith(marker); left > 0 {
		t.Errorf("%d detached children outlived the timeout", left)
	}

	r = python(t, sb, dir, "while True: pass", sandbox.Limits{CPU: time.Second, Wall: 20 * time.Second}, false)
	if r.TimedOut || !strings.Contains(r.Stopped, "CPU time") || r.Duration > 10*time.Second {
		t.Errorf("cpu limit: %+v", r)
	}

	// A context deadline sooner than the wall limit acts as the wall limit.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	r, err = sb.Run(ctx, sandbox.Spec{Args: []string{"sleep", "30"}, Dir: dir})
	if err != nil || !r.TimedOut {
		t.Errorf("deadline: %v %+v", err, r)
	}
}

func TestCancel(t *testing.T) {
	sb := newSandbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := sb.Run(ctx, sandbox.Spec{Args: []string{"sleep", "30"}, Dir: scratch(t, sb)})
	if llmos.ErrorCode(err) != llmos.CodeCanceled || time.Since(start) > 5*time.Second {
		t.Errorf("cancel: %v after %v", err, time.Since(start))
	}
}

// TestOutputFlood: output is cut at the limit with a note, and a program
// that floods far past it is stopped.
func TestOutputFlood(t *testing.T) {
	sb := newSandbox(t)
	dir := scratch(t, sb)
	r, err := sb.Run(context.Background(), sandbox.Spec{
		Args: []string{"/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x; echo; head -c 5000 /dev/zero | tr '\\0' y >&2"}, Dir: dir,
		Limits: sandbox.Limits{OutputBytes: 1000},
	})
	if err != nil {
		t.Fatal(err)
	}
	note := fmt.Sprintf(sandbox.CutNote, 1000)
	if !r.Truncated || r.ExitCode != 0 || !bytes.HasPrefix(r.Stdout, bytes.Repeat([]byte("x"), 1000)) ||
		!strings.HasSuffix(string(r.Stdout), note+"\n") || len(r.Stdout) != 1000+len(note)+2 || !strings.Contains(string(r.Stderr), note) {
		t.Fatalf("cut: %+v", r)
	}
	start := time.Now()
	r, err = sb.Run(context.Background(), sandbox.Spec{Args: []string{"yes"}, Dir: dir,
		Limits: sandbox.Limits{OutputBytes: 1000, Wall: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if r.TimedOut || !strings.Contains(r.Stopped, "output") || time.Since(start) > 15*time.Second || len(r.Stdout) > 1100 {
		t.Errorf("flood: %q after %v, %d bytes", r.Stopped, time.Since(start), len(r.Stdout))
	}
	// Streaming to a writer is cut the same way.
	var out bytes.Buffer
	r, err = sb.Run(context.Background(), sandbox.Spec{Args: []string{"/bin/sh", "-c", "seq 100000"}, Dir: dir,
		Stdout: &out, Limits: sandbox.Limits{OutputBytes: 100}})
	if err != nil || r.Stdout != nil || !strings.HasPrefix(out.String(), "1\n2\n3\n") || !strings.HasSuffix(out.String(), fmt.Sprintf(sandbox.CutNote, 100)+"\n") {
		t.Errorf("stream: %v %q", err, out.String())
	}
}

// TestMemoryHog: an allocation past the memory limit fails.
func TestMemoryHog(t *testing.T) {
	sb := newSandbox(t)
	dir := scratch(t, sb)
	lim := sandbox.Limits{MemoryBytes: 256 << 20}
	r := python(t, sb, dir, "b = bytearray(1 << 30); print('allocated')", lim, false)
	if r.ExitCode == 0 || strings.Contains(string(r.Stdout), "allocated") || !strings.Contains(string(r.Stderr), "MemoryError") {
		t.Errorf("one big allocation: %+v", r)
	}
	r = python(t, sb, dir, "l = []\nwhile True: l.append(bytearray(10 << 20))", lim, false)
	if r.ExitCode == 0 || !strings.Contains(string(r.Stderr), "MemoryError") {
		t.Errorf("growing: %+v", r)
	}
	// A file past the file size limit is refused.
	r = python(t, sb, dir, "open('big', 'wb').write(b'x' * (2 << 20))", sandbox.Limits{FileBytes: 1 << 20}, false)
	if r.ExitCode == 0 || !strings.Contains(string(r.Stderr), "File too large") {
		t.Errorf("file size: %+v", r)
	}
}

func TestStartKill(t *testing.T) {
	sb := newSandbox(t)
	p, err := sb.Start(sandbox.Spec{Args: []string{"cat"}, Dir: scratch(t, sb)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stdout.Close()
	p.Stdin.Write([]byte("echo\n"))
	buf := make([]byte, 5)
	if _, err := p.Stdout.Read(buf); err != nil || string(buf) != "echo\n" {
		t.Fatalf("read %q %v", buf, err)
	}
	p.Kill()
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Kill did not stop the program")
	}
	if code, err := p.Wait(); err != nil || code != 128+9 {
		t.Errorf("wait: %d %v", code, err)
	}
	p.Stdin.Close()
}

func TestUnavailable(t *testing.T) {
	base := t.TempDir()
	_, err := sandbox.New(sandbox.Config{Base: base, Bwrap: filepath.Join(base, "no-bwrap")})
	if llmos.ErrorCode(err) != llmos.CodeUnavailable || !strings.Contains(err.Error(), "--no-sandbox") {
		t.Errorf("a broken bwrap: %v", err)
	}
	t.Setenv("PATH", "/usr/bin:/bin:"+t.TempDir()) // prlimit, but a bwrap-less PATH if bwrap lives elsewhere
	if _, err := os.Stat("/usr/bin/bwrap"); err != nil {
		_, err := sandbox.New(sandbox.Config{Base: base})
		if llmos.ErrorCode(err) != llmos.CodeUnavailable || !strings.Contains(err.Error(), "apt-get install bubblewrap") {
			t.Errorf("no bwrap: %v", err)
		}
	}
	if _, err := sandbox.New(sandbox.Config{Base: base, Mode: "chroot"}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("bad mode: %v", err)
	}
	if _, err := sandbox.New(sandbox.Config{}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("no base: %v", err)
	}
}

// TestModeNone runs without isolation, loudly.
func TestModeNone(t *testing.T) {
	var warn bytes.Buffer
	sb, err := sandbox.New(sandbox.Config{Base: t.TempDir(), Mode: sandbox.ModeNone, Warn: &warn})
	if err != nil {
		t.Skip(err)
	}
	if !strings.Contains(warn.String(), "sandbox is OFF") || !sb.Unsafe() {
		t.Errorf("warning: %q", warn.String())
	}
	dir, _ := sb.Scratch(7)
	r, err := sb.Run(context.Background(), sandbox.Spec{Args: []string{"/bin/sh", "-c", "pwd; echo x > f; sleep 30 & exit 4"}, Dir: dir})
	if err != nil || r.ExitCode != 4 || strings.TrimSpace(string(r.Stdout)) != dir || !r.Unsafe || len(r.Files) != 1 {
		t.Errorf("run: %v %+v", err, r)
	}
	if !strings.HasPrefix(r.Text(), "warning: ran without a sandbox") {
		t.Errorf("text: %s", r.Text())
	}
	r, err = sb.Run(context.Background(), sandbox.Spec{Args: []string{"sleep", "30"}, Dir: dir, Limits: sandbox.Limits{Wall: 200 * time.Millisecond}})
	if err != nil || !r.TimedOut {
		t.Errorf("timeout: %v %+v", err, r)
	}
}

func TestLimitsJSON(t *testing.T) {
	l := sandbox.Limits{CPU: 10 * time.Second, Wall: 90 * time.Second, MemoryBytes: 1 << 28, Procs: 32}
	b, err := json.Marshal(l)
	if err != nil || string(b) != `{"cpu":"10s","wall":"1m30s","memory_bytes":268435456,"procs":32}` {
		t.Fatalf("%s %v", b, err)
	}
	var back sandbox.Limits
	if err := json.Unmarshal(b, &back); err != nil || back != l {
		t.Errorf("round trip: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"cpu": 2.5, "output_bytes": 100}`), &back); err != nil || back.CPU != 2500*time.Millisecond || back.OutputBytes != 100 {
		t.Errorf("seconds: %+v %v", back, err)
	}
	for _, bad := range []string{`{"cpu":"soon"}`, `{"procs":"x"}`, `{"memory":1}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	var cfg sandbox.Config
	if err := json.Unmarshal([]byte(`{"mode":"none","limits":{"wall":"5s"}}`), &cfg); err != nil || cfg.Mode != "none" || cfg.Limits.Wall != 5*time.Second {
		t.Errorf("config: %+v %v", cfg, err)
	}
}

func TestDetect(t *testing.T) {
	r := sandbox.Detect()
	b, _ := json.MarshalIndent(r, "", "  ")
	t.Logf("%s", b)
	if r.Bwrap.Works != (r.Active == sandbox.ModeBwrap) {
		t.Errorf("active %q but works %v", r.Active, r.Bwrap.Works)
	}
	if r.Active == "" && len(r.Missing) == 0 {
		t.Errorf("no isolation and nothing missing")
	}
}

// BenchmarkSandboxTrue measures what the sandbox adds to running a program:
// /usr/bin/true run bare (os/exec) and in the sandbox, in the same loop.
func BenchmarkSandboxTrue(b *testing.B) {
	sb := newSandbox(b)
	dir, err := sb.Scratch(1)
	if err != nil {
		b.Fatal(err)
	}
	var bare, boxed time.Duration
	ctx := context.Background()
	for b.Loop() {
		t0 := time.Now()
		if err := runBare(); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		r, err := sb.Run(ctx, sandbox.Spec{Args: []string{"/usr/bin/true"}, Dir: dir})
		if err != nil || r.ExitCode != 0 {
			b.Fatalf("%v %+v", err, r)
		}
		bare += t1.Sub(t0)
		boxed += time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(bare.Nanoseconds())/n, "bare-ns/op")
	b.ReportMetric(float64(boxed.Nanoseconds())/n, "sandbox-ns/op")
	b.ReportMetric(float64((boxed-bare).Microseconds())/n/1000, "added-ms/op")
}

// runBare runs /usr/bin/true with no sandbox, the baseline of the benchmark.
func runBare() error { return exec.Command("/usr/bin/true").Run() }
