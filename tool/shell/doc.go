// Package shell holds the shell tools of llmos: "shell" runs one command
// line with /bin/sh -c, and "shell_session" keeps an interactive shell on a
// pseudo-terminal for a process. Both run inside the sandbox of package
// sandbox, in the process's scratch folder (/scratch, shared with the python
// tool and kept between calls), with no network unless the process may use
// it; both need the capability "exec", and their results carry the tool
// label, since what a program prints is untrusted.
//
// The shell tool's arguments are {"command": string}; the offline kernel
// runs the "$ CMD" lines of a request through it.
//
// # Policy
//
// Before anything runs, a Policy checks the names of the commands the text
// would run: Deny lists names (or path.Match patterns) that may not run, and
// Allow, when not empty, the only ones that may; denied wins. DefaultPolicy
// denies what changes users, privileges, mounts, the kernel or the machine
// (sudo, su, mount, mkfs*, reboot...). The text is parsed as a shell script
// with mvdan.cc/sh, so a denied rm is found wherever it hides: in a pipeline
// or a list (ls; rm -rf x, a && rm x), a subshell or group ((rm x), { rm x; }),
// a command substitution ($(rm x), `rm x`, <(rm x)), a function body, a
// variable's value (x=$(rm y)), behind a path or quotes (/bin/rm, \rm, "r"m),
// behind wrappers (env, nice, nohup, timeout, stdbuf, xargs, setsid,
// command, exec, busybox, find -exec) and in scripts passed as strings (sh -c,
// bash -c, eval, trap, alias, watch). A command whose name is computed when
// it runs ($cmd, $(echo rm), r*, $'\x72m') cannot be checked, so it is
// denied, as is text that does not parse, unless the policy is empty.
//
// The limits of such a check: it sees the command line, not what programs do.
// A script file (sh script.sh, . ./script), an interpreter (python3 -c
// "import os; os.remove(...)"), make, git hooks, find -delete or any program
// that runs others by its own logic can do what a denied command would. A
// policy is a guard rail against a model running what it should not; the
// sandbox, which bounds what any program can touch, is the boundary.
//
// # Sessions
//
// shell_session runs /bin/sh -i on a pty (github.com/creack/pty; setsid -c
// makes it the shell's controlling terminal, for job control), one per
// process (keyed by the caller's PID), so the working directory, variables
// and running programs persist. The terminal does not echo input; the
// prompts are unique markers that carry the exit status, so a call returns
// as soon as the shell is ready for the next command, with the command's
// output and exit code. A call also returns when the output has been quiet
// for two seconds (a program waiting for input, or working silently) or after
// wait_seconds; a later call with empty input reads on, and "interrupt" sends
// Ctrl-C. Close ends a process's session; Shutdown ends them all.
//
// # Example
//
//	sh := shell.New(sb, shell.Options{})
//	calls.Register(sh.Tool())
//	calls.Register(sh.SessionTool())
//	// shell {"command": "ls; rm -rf x"} -> error: the shell policy ... (when rm is denied)
//	// shell {"command": "seq 3 | wc -l"} -> "exit code 0 (12ms)\nstdout:\n3"
package shell
