// Package sandbox runs the programs that tools start (Python code, shell
// commands) isolated from the machine llmos runs on. Those programs are
// written by a model, perhaps under the influence of a web page or a file,
// so they are untrusted; so is what they print, which the kernel labels as
// tool output.
//
// # Isolation
//
// The sandbox is built on Linux namespaces with Debian's bubblewrap (bwrap).
// Each run gets:
//
//   - new PID, network, IPC, UTS, mount and cgroup namespaces (and a user
//     namespace, unless llmos runs as root); it runs as uid 65534, with no
//     capabilities, in a session of its own (no terminal to inject into);
//   - no network (only its own loopback) unless Spec.Network is set, which
//     only a caller holding the network capability should do;
//   - a read-only view of /usr (and the /bin, /lib links into it), of
//     /etc/alternatives, the linker cache and the time zone, plus the
//     resolver files and certificates when it has the network; nothing else
//     of the host's file system: not /home, /root, /etc/passwd, nor /tmp;
//   - a private /tmp (an in-memory tmpfs of at most 128 MB) and one writable
//     folder, the process's scratch folder, seen at /scratch and kept between
//     calls ($LLMOS_HOME/scratch/<pid>, see Sandbox.Scratch);
//   - rlimits set by prlimit (util-linux) before the program starts: CPU
//     seconds, address space, processes and threads, file size, no core
//     dumps; a wall time after which the whole tree is killed at once;
//     stdout and stderr cut at a size, with a note.
//
// The sandbox user is never root on the host. When llmos runs as an
// ordinary user, uid 65534 lives in a user namespace and maps to that user.
// When llmos runs as root (in a container, in CI), a user namespace would map
// the sandbox user to root, which would own every root-owned file in its view
// and escape RLIMIT_NPROC, which the kernel does not apply to root; so bwrap
// builds the sandbox as root without a user namespace, and setpriv
// (util-linux) drops the program to the host's nobody (65534) with no
// capabilities and no way to regain them. The scratch folder is then given
// to nobody, and the process limit counts the processes of all sandboxes
// together. Detect reports which of the two is in use.
//
// Killing the bwrap process (Process.Kill, a cancelled context, the wall
// time) kills its PID namespace and so every process in it, whatever they
// did to detach: --die-with-parent makes the namespace's init die with bwrap.
//
// # Modes
//
// Mode auto (the default) and bwrap refuse to run anything when bubblewrap
// is missing or cannot create namespaces here, with an error of code
// unavailable that says what is missing and how to install it. Mode none
// runs programs on the host with only the rlimits and the wall time, after a
// loud warning on stderr; it is for machines where namespaces are not
// available and the user has chosen to accept the risk (llmos exec
// --no-sandbox). Detect reports what this machine offers, for llmos doctor.
//
// # Limits not enforced
//
// The scratch folder's total size is not bounded (only each file's, by
// FileBytes), and memory in /tmp is not counted in MemoryBytes. cgroups would
// bound both; they are reported by Detect but not used, since cgroup v2 with
// the memory and pids controllers is often not delegated to llmos.
//
// # Example
//
//	sb, err := sandbox.New(sandbox.Config{Base: filepath.Join(home, "scratch")})
//	if err != nil {
//		return err // code unavailable: install bubblewrap
//	}
//	dir, _ := sb.Scratch(pid)
//	res, err := sb.Run(ctx, sandbox.Spec{Args: []string{"/usr/bin/python3", "-c", "print(6*7)"}, Dir: dir})
//	// res.Stdout == "42\n", res.ExitCode == 0; res.Text() is the compact form for a model.
package sandbox
