package sandbox

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// etcFiles are the parts of /etc every sandbox sees, read-only: the
// alternatives links that some of /usr/bin points through, the dynamic
// linker's cache and the time zone. Nothing that names users or holds secrets.
var etcFiles = []string{"/etc/alternatives", "/etc/ld.so.cache", "/etc/localtime"}

// etcNetFiles are added when the program has the network: name resolution
// and the certificate authorities.
var etcNetFiles = []string{"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf",
	"/etc/host.conf", "/etc/ssl/certs", "/etc/ssl/openssl.cnf", "/etc/ca-certificates"}

// tmpSize and shmSize bound the private /tmp and /dev/shm of a sandbox
// (tmpfs, in memory).
const (
	tmpSize = 128 << 20
	shmSize = 64 << 20
)

// path is the PATH inside the sandbox.
const path = "/usr/local/bin:/usr/bin:/bin"

// command builds the command that runs spec: bwrap around (setpriv around)
// prlimit around the program, or prlimit alone in mode none.
func (s *Sandbox) command(spec Spec, lim Limits) *exec.Cmd {
	inner := append(s.rlimits(lim), spec.Args...)
	sys := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if s.mode == ModeNone {
		cmd := exec.Command(inner[0], inner[1:]...)
		cmd.Dir = spec.Dir
		cmd.Env = append([]string{"PATH=" + path, "HOME=" + spec.Dir, "TMPDIR=" + os.TempDir(), "LANG=C.UTF-8",
			"TERM=" + term(spec)}, spec.Env...)
		cmd.SysProcAttr = sys
		cmd.WaitDelay = 2 * time.Second
		return cmd
	}
	var args []string
	if s.bw.setpriv != "" {
		args = privileged(spec.Network)
		inner = append(dropToNobody(s.bw.setpriv), inner...)
	} else {
		args = []string{"--unshare-all", "--unshare-user", "--uid", strconv.Itoa(nobodyID), "--gid", strconv.Itoa(nobodyID)}
		if spec.Network {
			args = append(args, "--share-net")
		}
		if s.bw.disableUserns {
			// No nested user namespace, whose root could undo what we set up.
			args = append(args, "--disable-userns")
		}
	}
	args = append(args, "--die-with-parent", "--clearenv", "--hostname", "sandbox")
	// A new session: no controlling terminal to push keystrokes into
	// (TIOCSTI). A program on a pty of its own makes it its controlling
	// terminal with setsid --ctty.
	args = append(args, "--new-session")
	args = append(args, "--ro-bind", "/usr", "/usr")
	args = append(args, systemLinks()...)
	etc := etcFiles
	if spec.Network {
		etc = append(etc[:len(etc):len(etc)], etcNetFiles...)
	}
	for _, f := range etc {
		args = append(args, "--ro-bind-try", f, f)
	}
	args = append(args, "--proc", "/proc", "--dev", "/dev")
	for _, t := range []struct {
		dir  string
		size int
	}{{"/tmp", tmpSize}, {"/dev/shm", shmSize}} {
		if s.bw.perms {
			args = append(args, "--perms", "1777") // writable by the sandbox user, when root built it
		}
		if s.bw.tmpfsSize {
			args = append(args, "--size", strconv.Itoa(t.size))
		}
		args = append(args, "--tmpfs", t.dir)
	}
	args = append(args, "--bind", spec.Dir, WorkDir)
	// The root itself is a tmpfs that bwrap built; nothing may be added to it.
	args = append(args, "--remount-ro", "/", "--chdir", WorkDir)
	env := []string{"PATH", path, "HOME", WorkDir, "TMPDIR", "/tmp", "LANG", "C.UTF-8", "USER", "sandbox",
		"TERM", term(spec), "XDG_CACHE_HOME", "/tmp/.cache"}
	for i := 0; i < len(env); i += 2 {
		args = append(args, "--setenv", env[i], env[i+1])
	}
	for _, kv := range spec.Env {
		k, v, _ := strings.Cut(kv, "=")
		args = append(args, "--setenv", k, v)
	}
	args = append(args, "--")
	args = append(args, inner...)
	cmd := exec.Command(s.bw.path, args...)
	cmd.Dir = "/"
	cmd.Env = []string{}
	cmd.SysProcAttr = sys
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// rlimits is the prlimit command that sets lim on the program it runs.
func (s *Sandbox) rlimits(lim Limits) []string {
	cpu := lim.cpuSeconds()
	return []string{s.prlimit,
		"--cpu=" + strconv.FormatInt(cpu, 10) + ":" + strconv.FormatInt(cpu+1, 10),
		"--as=" + strconv.FormatInt(lim.MemoryBytes, 10),
		"--nproc=" + strconv.Itoa(lim.Procs),
		"--fsize=" + strconv.FormatInt(lim.FileBytes, 10),
		"--core=0",
		"--"}
}

func term(spec Spec) string {
	if spec.TTY != nil {
		return "xterm"
	}
	return "dumb"
}
