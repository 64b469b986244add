package sandbox

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Report says which isolation this machine offers, what is missing and how
// to fix it: what `llmos doctor` prints.
type Report struct {
	// Active is the isolation that mode auto would use: "bwrap", or "" when
	// there is none (and the sandbox refuses to run programs).
	Active string      `json:"active"`
	Bwrap  BwrapReport `json:"bwrap"`
	// UserNamespaces says whether the kernel lets this user create user
	// namespaces, which bubblewrap needs.
	UserNamespaces string `json:"user_namespaces"`
	// RunsAs is the user sandboxed programs run as, seen from the host.
	RunsAs string `json:"runs_as,omitempty"`
	// Rlimits is the prlimit binary that applies the CPU, memory, process
	// and file size limits.
	Rlimits string `json:"rlimits"`
	// Cgroups describes cgroup v2 here; the limits do not use it.
	Cgroups string `json:"cgroups"`
	// LandlockABI is the kernel's Landlock ABI version, 0 when absent.
	LandlockABI int    `json:"landlock_abi"`
	Landlock    string `json:"landlock"`
	// Python is Debian's python3, which the python tool runs.
	Python        string `json:"python"`
	PythonVersion string `json:"python_version,omitempty"`
	// Missing lists what is absent or broken, each with how to fix it.
	Missing []Problem `json:"missing"`
}

// BwrapReport is what Detect learnt of bubblewrap.
type BwrapReport struct {
	Path    string `json:"path,omitempty"`
	Version string `json:"version,omitempty"`
	// Works is true when a test sandbox ran /usr/bin/true.
	Works bool   `json:"works"`
	Error string `json:"error,omitempty"`
}

// Problem is one missing piece and the command or setting that fixes it.
type Problem struct {
	What string `json:"what"`
	Fix  string `json:"fix"`
}

// PythonPath is Debian's python3, used by the python tool whatever python3
// comes first on PATH (pyenv's shims, a virtualenv) outside the sandbox.
const PythonPath = "/usr/bin/python3"

// Fixes named in errors and reports.
const (
	fixBwrap   = "install bubblewrap: apt-get install bubblewrap (Debian, Ubuntu), dnf install bubblewrap (Fedora)"
	fixUserns  = "allow user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 user.max_user_namespaces=15000 (on Ubuntu 24.04 also kernel.apparmor_restrict_unprivileged_userns=0); in a container, start it with --security-opt seccomp=unconfined --security-opt apparmor=unconfined"
	fixPrlimit = "install util-linux, which has prlimit: apt-get install util-linux"
	fixPython  = "install Debian's python3: apt-get install python3"
)

// probe is what New needs to know of a bubblewrap binary, found once per path.
type probe struct {
	path    string
	version string
	works   bool
	err     string
	// setpriv is set when llmos runs as root and may mount: bwrap then
	// builds the sandbox without a user namespace and setpriv (util-linux)
	// drops the program to nobody (65534) with no capabilities. Otherwise
	// the sandbox user 65534 lives in a user namespace, mapped to the user
	// who runs llmos (to root, when root cannot mount: the process limit
	// does not bind it then, since the kernel exempts root from it).
	setpriv string
	// Features of this bwrap version.
	disableUserns, tmpfsSize, perms bool
}

var probes sync.Map // path -> *probe

// probeBwrap finds out whether bwrap at path can build a sandbox here.
// fresh skips the cache.
func probeBwrap(path string, fresh bool) *probe {
	if !fresh {
		if p, ok := probes.Load(path); ok {
			return p.(*probe)
		}
	}
	p := &probe{path: path}
	defer probes.Store(path, p)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		p.err = "bwrap --version failed: " + err.Error()
		return p
	}
	p.version = strings.TrimSpace(string(out))
	help, _ := exec.CommandContext(ctx, path, "--help").CombinedOutput()
	p.disableUserns = bytes.Contains(help, []byte("--disable-userns"))
	p.tmpfsSize = bytes.Contains(help, []byte("--size"))
	p.perms = bytes.Contains(help, []byte("--perms"))
	try := func(setpriv string) error {
		var args []string
		if setpriv != "" {
			args = append(privileged(false), "--ro-bind", "/usr", "/usr")
		} else {
			args = []string{"--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534", "--ro-bind", "/usr", "/usr"}
		}
		args = append(args, "--die-with-parent", "--new-session", "--clearenv")
		args = append(args, systemLinks()...)
		args = append(args, "--proc", "/proc", "--dev", "/dev", "--")
		if setpriv != "" {
			args = append(args, dropToNobody(setpriv)...)
		}
		args = append(args, "/usr/bin/true")
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Dir = "/"
		cmd.Env = []string{}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			msg := strings.TrimSpace(stderr.String())
			if msg == "" {
				msg = err.Error()
			}
			return &probeError{msg}
		}
		return nil
	}
	if os.Geteuid() == 0 {
		if sp, err := exec.LookPath("setpriv"); err == nil && strings.HasPrefix(sp, "/usr/") && try(sp) == nil {
			p.works, p.setpriv = true, sp
			return p
		}
	}
	if err := try(""); err != nil {
		p.err = err.Error()
		return p
	}
	p.works = true
	return p
}

type probeError struct{ msg string }

func (e *probeError) Error() string { return e.msg }

const nobodyID = 65534

// privileged is how root's bwrap unshares: every namespace but the user's.
func privileged(network bool) []string {
	args := []string{"--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try",
		"--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"}
	if !network {
		args = append(args, "--unshare-net")
	}
	return args
}

// dropToNobody is the setpriv command that makes the rest of the command
// line run as nobody, with no capabilities left to regain.
func dropToNobody(setpriv string) []string {
	id := strconv.Itoa(nobodyID)
	return []string{setpriv, "--reuid=" + id, "--regid=" + id, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"}
}

// systemLinks recreates /bin, /sbin and /lib* inside the sandbox: symbolic
// links into /usr on a merged-/usr system, read-only binds otherwise.
func systemLinks() []string {
	var args []string
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		fi, err := os.Lstat(d)
		switch {
		case err != nil:
		case fi.Mode()&os.ModeSymlink != 0:
			if target, err := os.Readlink(d); err == nil {
				args = append(args, "--symlink", target, d)
			}
		case fi.IsDir():
			args = append(args, "--ro-bind", d, d)
		}
	}
	return args
}

// Detect reports which isolation this machine offers, probing bubblewrap
// afresh (it runs a test sandbox, about 20 ms).
func Detect() Report { return detect("", true) }

func detect(bwrapPath string, fresh bool) Report {
	var r Report
	miss := func(what, fix string) { r.Missing = append(r.Missing, Problem{what, fix}) }

	r.UserNamespaces = usernsState()
	if bwrapPath == "" {
		bwrapPath, _ = exec.LookPath("bwrap")
	}
	if bwrapPath == "" {
		r.Bwrap.Error = "bwrap is not installed"
		miss("bubblewrap (bwrap), the sandbox", fixBwrap)
	} else {
		p := probeBwrap(bwrapPath, fresh)
		r.Bwrap = BwrapReport{Path: p.path, Version: p.version, Works: p.works, Error: p.err}
		if p.works {
			r.Active = ModeBwrap
			switch {
			case p.setpriv != "":
				r.RunsAs = "nobody (65534): llmos runs as root, so bwrap builds the sandbox as root and setpriv drops the program to nobody; the process limit counts all sandboxes together"
			case os.Geteuid() == 0:
				r.RunsAs = "root, seen as 65534 inside a user namespace: root may not mount here, and the kernel does not apply the process limit to root"
				miss("the process limit (root cannot mount here, and RLIMIT_NPROC does not bind root)", "run llmos as an ordinary user, or give it CAP_SYS_ADMIN")
			default:
				r.RunsAs = "uid " + strconv.Itoa(os.Geteuid()) + " (you), seen as 65534 inside"
			}
		} else {
			miss("a working bubblewrap sandbox ("+p.err+")", fixUserns)
		}
	}
	if pl, err := exec.LookPath("prlimit"); err == nil {
		r.Rlimits = pl + " (cpu, address space, processes, file size, no core dumps)"
	} else {
		r.Rlimits = "prlimit not found"
		miss("prlimit, which applies the limits", fixPrlimit)
	}
	r.Cgroups = cgroupState()
	r.LandlockABI = landlockABI()
	if r.LandlockABI > 0 {
		r.Landlock = "available, not used: the namespaces already confine files and network"
	} else {
		r.Landlock = "not available"
	}
	r.Python = PythonPath
	if out, err := exec.Command(PythonPath, "--version").CombinedOutput(); err == nil {
		r.PythonVersion = strings.TrimSpace(string(out))
	} else {
		r.Python = PythonPath + " not found"
		miss("Debian's python3, for the python tool", fixPython)
	}
	return r
}

// usernsState describes the kernel settings that gate user namespaces.
func usernsState() string {
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	var parts []string
	if v := read("/proc/sys/user/max_user_namespaces"); v != "" {
		if v == "0" {
			return "disabled (user.max_user_namespaces=0)"
		}
		parts = append(parts, "user.max_user_namespaces="+v)
	}
	if v := read("/proc/sys/kernel/unprivileged_userns_clone"); v != "" {
		if v == "0" {
			return "disabled for unprivileged users (kernel.unprivileged_userns_clone=0)"
		}
		parts = append(parts, "kernel.unprivileged_userns_clone="+v)
	}
	if v := read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"); v == "1" {
		return "restricted by AppArmor (kernel.apparmor_restrict_unprivileged_userns=1)"
	}
	if len(parts) == 0 {
		return "unknown"
	}
	return "allowed (" + strings.Join(parts, ", ") + ")"
}

// cgroupState says whether cgroup v2 with the memory and pids controllers is
// mounted here. The sandbox limits with rlimits either way.
func cgroupState() string {
	for _, dir := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
		if err != nil {
			continue
		}
		ctl := strings.Fields(string(b))
		has := func(c string) bool {
			for _, x := range ctl {
				if x == c {
					return true
				}
			}
			return false
		}
		if has("memory") && has("pids") {
			return "v2 at " + dir + " with memory and pids (not used: limits are rlimits)"
		}
		return "v2 at " + dir + " without the memory and pids controllers (" + strings.Join(ctl, " ") + "); limits are rlimits"
	}
	return "no cgroup v2; limits are rlimits"
}

// landlockABI returns the kernel's Landlock ABI version, or 0.
func landlockABI() int {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		return 0
	}
	return int(v)
}
