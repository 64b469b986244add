// Package python is the python tool of llmos: a model sends Python code and
// gets back what it printed, its exit code and the files it wrote, compactly
// as text. The code runs with Debian's python3 (/usr/bin/python3, not
// whatever python3 comes first on PATH) inside the sandbox of package
// sandbox: no network unless the process may use it, a read-only system,
// and the process's scratch folder as its working directory (/scratch),
// which it shares with the shell tool and keeps between calls.
//
// The tool needs the capability "exec"; its results carry the tool label,
// since what a program prints is untrusted.
//
// # Sessions
//
// A call with "session": true runs in the process's persistent interpreter,
// keyed by the caller's PID (llmos.CallerFrom): variables, imports and
// functions survive between calls, like a notebook, and the value of a final
// expression is printed. The interpreter is a sandboxed python3 running a
// small driver (driver.py) that reads one JSON request per line on stdin and
// answers one JSON line on stdout; the code's own output (and that of any
// program it starts) goes to files, never to the protocol pipe. Each call has
// the wall time, CPU time and output limits of a single run; the session as a
// whole has SessionCPU of processor time and the memory limit.
//
// When the interpreter dies during a call (os._exit, a signal, the CPU limit)
// or a call times out, the session is killed and its state is lost: the
// result says so, and the next call starts a new session and says that the
// previous one's variables are gone. Close ends a process's session (call it
// when the process ends); Shutdown ends them all.
//
// # Example
//
//	py := python.New(sb, python.Options{})
//	calls.Register(py.Tool())
//	// {"code": "x = 6*7", "session": true}   -> "[a new Python session started]\nexit code 0 ..."
//	// {"code": "x", "session": true}         -> "exit code 0 (3ms)\nstdout:\n42"
package python
