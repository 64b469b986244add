package shell

import (
	"path"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/llmos/llmos"
)

// Policy decides, by name, which commands the shell tools may run. It is a
// guard rail against a model running what it should not (on purpose or
// misled by what it read); the sandbox is the security boundary. See the
// package documentation for what the names are taken from and the limits.
// Entries of Allow and Deny are command names (the last element of a path:
// /usr/bin/rm is rm) or patterns as in path.Match, such as "mkfs*".
type Policy struct {
	// Allow, when not empty, lists the only commands that may run, besides
	// the shell's own harmless builtins (cd, echo, test...).
	Allow []string `json:"allow,omitempty"`
	// Deny lists commands that may not run; it wins over Allow.
	Deny []string `json:"deny,omitempty"`
}

// DefaultPolicy denies what changes users, privileges, mounts, the kernel
// or the machine's state: useless in the sandbox, and dangerous without it.
var DefaultPolicy = Policy{Deny: []string{
	"sudo", "su", "doas", "pkexec", "setpriv", "capsh", "chroot", "nsenter", "unshare",
	"mount", "umount", "losetup", "mkfs*", "fdisk", "sfdisk", "parted", "wipefs",
	"insmod", "rmmod", "modprobe", "sysctl", "iptables", "ip6tables", "nft",
	"reboot", "shutdown", "halt", "poweroff", "systemctl", "init", "telinit",
}}

// builtins are the shell's own commands that only affect the shell itself;
// an Allow list need not name them.
var builtins = []string{":", "true", "false", "cd", "pwd", "echo", "printf", "test", "[", "read", "set", "unset",
	"shift", "export", "local", "declare", "typeset", "readonly", "nameref", "return", "exit", "wait", "getopts", "type", "hash",
	"umask", "ulimit", "times", "break", "continue", "let", "jobs", "fg", "bg"}

// Empty reports whether the policy lets everything run.
func (p Policy) Empty() bool { return len(p.Allow) == 0 && len(p.Deny) == 0 }

// Check returns an error with code denied when script runs a command the
// policy does not let run, anywhere in it: in a pipeline, a list, a
// subshell, a command substitution, a function, or behind a wrapper such as
// env, xargs, timeout, find -exec or sh -c. A script that does not parse, or
// whose command names are computed at run time ($cmd, $(...)), is denied
// unless the policy is empty, since its commands cannot be known.
func (p Policy) Check(script string) error {
	if p.Empty() {
		return nil
	}
	cmds, err := Commands(script)
	if err != nil {
		return llmos.Errorf(llmos.CodeDenied, "the shell policy cannot check this command: %v", err)
	}
	for _, c := range cmds {
		if c.Dynamic {
			return llmos.Errorf(llmos.CodeDenied,
				"the shell policy cannot check %s: its name is computed when it runs; write command names literally", c.Word)
		}
		name := path.Base(c.Name)
		if match(p.Deny, name) {
			return llmos.Errorf(llmos.CodeDenied, "the shell policy does not allow %s", name)
		}
		if len(p.Allow) > 0 && !match(p.Allow, name) && !slices.Contains(builtins, name) && !wrapperOnly(name) {
			return llmos.Errorf(llmos.CodeDenied, "the shell policy does not allow %s; the allowed commands are: %s", name, strings.Join(p.Allow, ", "))
		}
	}
	return nil
}

// wrapperOnly are shell keywords-as-commands that run nothing by themselves;
// what they run is checked as a command of its own.
func wrapperOnly(name string) bool {
	switch name {
	case "command", "builtin", "exec", "eval", "time", "trap", "alias":
		return true
	}
	return false
}

func match(patterns []string, name string) bool {
	for _, p := range patterns {
		if p == name {
			return true
		}
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// Command is one command name found in a script.
type Command struct {
	// Name is the command as written, quotes and escapes removed.
	Name string
	// Dynamic is true when the name is only known when the script runs
	// (a variable, a command substitution, a glob): Name is empty then.
	Dynamic bool
	// Word is the command word as it appears in the script, for messages.
	Word string
}

// maxDepth bounds the nesting of scripts in scripts (sh -c "sh -c '...'").
const maxDepth = 8

// Commands lists the commands script would run, as far as its text tells:
// every simple command, in any compound command, substitution or function,
// and the commands run by wrappers (env, nice, timeout, xargs, find -exec...)
// and by scripts given as strings (sh -c, eval, trap, alias).
func Commands(script string) ([]Command, error) {
	var c collector
	if err := c.script(script, 0); err != nil {
		return nil, err
	}
	return c.cmds, nil
}

type collector struct {
	cmds []Command
	err  error
}

func parse(script string) (*syntax.File, error) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(script), "")
	if err != nil {
		if f2, err2 := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(script), ""); err2 == nil {
			return f2, nil
		}
		return nil, err
	}
	return f, nil
}

func (c *collector) script(script string, depth int) error {
	if depth > maxDepth {
		return llmos.Errorf(llmos.CodeInvalid, "scripts are nested more than %d deep", maxDepth)
	}
	f, err := parse(script)
	if err != nil {
		return llmos.Errorf(llmos.CodeInvalid, "it does not parse (%v)", err)
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		if c.err != nil {
			return false
		}
		switch n := n.(type) {
		case *syntax.CallExpr:
			c.call(n.Args, depth)
		case *syntax.DeclClause:
			c.add(n.Variant.Value, n.Variant.Value)
		case *syntax.LetClause:
			c.add("let", "let")
		}
		return true
	})
	return c.err
}

func (c *collector) add(name, word string) {
	c.cmds = append(c.cmds, Command{Name: name, Word: word})
}

func (c *collector) dynamic(w *syntax.Word) {
	c.cmds = append(c.cmds, Command{Dynamic: true, Word: printWord(w)})
}

// call records the command of a simple command and, for wrappers, the
// commands they run.
func (c *collector) call(args []*syntax.Word, depth int) {
	for len(args) > 0 {
		name, ok := literal(args[0])
		if !ok {
			c.dynamic(args[0])
			return
		}
		c.add(name, printWord(args[0]))
		base := path.Base(name)
		rest := args[1:]
		switch {
		case isShell(base):
			c.shellC(rest, depth)
			return
		case base == "eval":
			c.joined(rest, depth)
			return
		case base == "watch":
			c.joined(skipOptions(rest, wrappers["watch"]), depth)
			return
		case base == "trap":
			if len(rest) > 0 {
				c.joined(rest[:1], depth)
			}
			return
		case base == "alias":
			for _, w := range rest {
				s, ok := literal(w)
				if !ok {
					c.dynamic(w)
					continue
				}
				if _, v, found := strings.Cut(s, "="); found {
					c.nested(v, depth)
				}
			}
			return
		case base == "find":
			c.findExec(rest, depth)
			return
		case base == "env":
			rest = c.env(rest, depth)
		default:
			spec, ok := wrappers[base]
			if !ok {
				return
			}
			rest = skipOptions(rest, spec)
		}
		args = rest
	}
}

// nested checks a script given as a string.
func (c *collector) nested(script string, depth int) {
	if err := c.script(script, depth+1); err != nil && c.err == nil {
		c.err = err
	}
}

// joined checks words that the command joins with spaces and runs as a script.
func (c *collector) joined(words []*syntax.Word, depth int) {
	var parts []string
	for _, w := range words {
		s, ok := literal(w)
		if !ok {
			c.dynamic(w)
			return
		}
		parts = append(parts, s)
	}
	if len(parts) > 0 {
		c.nested(strings.Join(parts, " "), depth)
	}
}

func isShell(name string) bool {
	switch name {
	case "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "rbash", "busybox-sh":
		return true
	}
	return false
}

// shellC checks the script of sh -c SCRIPT (the -c may be grouped: -ec).
// sh FILE runs a file, which the policy cannot read.
func (c *collector) shellC(args []*syntax.Word, depth int) {
	cflag := false
	for i := 0; i < len(args); i++ {
		s, ok := literal(args[i])
		switch {
		case cflag && !ok:
			c.dynamic(args[i])
			return
		case cflag:
			c.nested(s, depth)
			return
		case !ok, s == "--", s == "-", !strings.HasPrefix(s, "-") && !strings.HasPrefix(s, "+"):
			return // a script file, or standard input
		case s == "-o" || s == "+o" || s == "-O" || s == "+O" || s == "--rcfile" || s == "--init-file":
			i++ // its argument is an option name or a file
		case !strings.HasPrefix(s, "--") && strings.Contains(s, "c"):
			cflag = true
		}
	}
}

// env skips env's options and NAME=VALUE words; -S's string is a script.
func (c *collector) env(args []*syntax.Word, depth int) []*syntax.Word {
	for i := 0; i < len(args); i++ {
		s, ok := literal(args[i])
		if !ok {
			return args[i:]
		}
		switch {
		case s == "--":
			return args[i+1:]
		case s == "-S" || s == "--split-string":
			if i+1 < len(args) {
				c.joined(args[i+1:i+2], depth)
			}
			return nil
		case strings.HasPrefix(s, "-S") || strings.HasPrefix(s, "--split-string="):
			_, v, _ := strings.Cut(s, "=")
			if !strings.HasPrefix(s, "--") {
				v = s[2:]
			}
			c.nested(v, depth)
			return nil
		case s == "-u" || s == "-C" || s == "--unset" || s == "--chdir":
			i++
		case strings.HasPrefix(s, "-"):
		case strings.Contains(s, "="):
		default:
			return args[i:]
		}
	}
	return nil
}

// findExec checks the commands of find's -exec, -execdir, -ok and -okdir.
func (c *collector) findExec(args []*syntax.Word, depth int) {
	for i := 0; i < len(args); i++ {
		s, _ := literal(args[i])
		switch s {
		case "-exec", "-execdir", "-ok", "-okdir":
			end := i + 1
			for end < len(args) {
				t, _ := literal(args[end])
				if t == ";" || t == "+" {
					break
				}
				end++
			}
			c.call(args[i+1:end], depth)
			i = end
		}
	}
}

// wrapper describes a command that runs another: which of its options take
// an argument, and how many words come before the command it runs.
type wrapper struct {
	short string   // option letters that take an argument
	long  []string // long options that take an argument (when not written --opt=value)
	skip  int      // words before the command (timeout's duration)
}

var wrappers = map[string]wrapper{
	"command": {}, "builtin": {}, "nohup": {}, "setsid": {}, "unbuffer": {}, "chronic": {}, "catchsegv": {},
	"exec":    {short: "a"},
	"nice":    {short: "n", long: []string{"--adjustment"}},
	"ionice":  {short: "cnpPu", long: []string{"--class", "--classdata", "--pid", "--pgid", "--uid"}},
	"timeout": {short: "sk", long: []string{"--signal", "--kill-after"}, skip: 1},
	"stdbuf":  {short: "ioe", long: []string{"--input", "--output", "--error"}},
	"time":    {short: "fo", long: []string{"--format", "--output"}},
	"xargs": {short: "adEILnPs", long: []string{"--arg-file", "--delimiter", "--max-lines", "--max-args", "--max-procs",
		"--max-chars", "--process-slot-var", "--eof", "--replace"}},
	"flock":    {short: "wEc", long: []string{"--timeout", "--conflict-exit-code", "--command"}, skip: 1},
	"chrt":     {skip: 1},
	"taskset":  {skip: 1},
	"watch":    {short: "nd", long: []string{"--interval", "--differences"}},
	"strace":   {short: "eoOpPsSuEXIba", long: []string{"--output"}},
	"ltrace":   {short: "eonpsuaAlL"},
	"busybox":  {},
	"doas":     {short: "uC"},
	"sudo":     {short: "uUgCchpDrtT", long: []string{"--user", "--group", "--chdir", "--host", "--prompt", "--close-from"}},
	"su":       {short: "cgGs", long: []string{"--command", "--group", "--shell"}},
	"firejail": {},
}

// skipOptions returns the words from the command a wrapper runs.
func skipOptions(args []*syntax.Word, w wrapper) []*syntax.Word {
	skip := w.skip
	for i := 0; i < len(args); i++ {
		s, ok := literal(args[i])
		if !ok {
			return args[i:]
		}
		switch {
		case s == "--":
			return args[i+1:]
		case strings.HasPrefix(s, "--"):
			if !strings.Contains(s, "=") && slices.Contains(w.long, s) {
				i++
			}
		case strings.HasPrefix(s, "-") && len(s) > 1:
			// -n 10, -n10, -xn 10: an argument follows when the last letter takes one.
			if last := s[len(s)-1:]; strings.Contains(w.short, last) && !strings.ContainsAny(s[1:len(s)-1], w.short) {
				i++
			}
		case skip > 0:
			skip--
		default:
			return args[i:]
		}
	}
	return nil
}

// literal returns the text of a word whose value is known before it runs:
// no expansions, no globs; quotes and escapes removed.
func literal(w *syntax.Word) (string, bool) {
	var b strings.Builder
	for i, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			v := p.Value
			if i == 0 && strings.HasPrefix(v, "~") && !strings.Contains(v, "/") {
				return "", false // ~ or ~user: a home folder, known only when it runs
			}
			for j := 0; j < len(v); j++ {
				ch := v[j]
				switch {
				case ch == '\\' && j+1 < len(v):
					j++
					if v[j] != '\n' {
						b.WriteByte(v[j])
					}
				case ch == '*' || ch == '?' || ch == '[' || ch == '{':
					return "", false // a glob or a brace expansion
				default:
					b.WriteByte(ch)
				}
			}
		case *syntax.SglQuoted:
			if p.Dollar {
				return "", false // $'\x72m' is rm
			}
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			if p.Dollar {
				return "", false
			}
			for _, q := range p.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok {
					return "", false
				}
				v := l.Value
				for j := 0; j < len(v); j++ {
					if v[j] == '\\' && j+1 < len(v) && strings.IndexByte("$`\"\\\n", v[j+1]) >= 0 {
						j++
						if v[j] == '\n' {
							continue
						}
					}
					b.WriteByte(v[j])
				}
			}
		default:
			return "", false
		}
	}
	return b.String(), true
}

// printWord writes a word as it appears in a script.
func printWord(w *syntax.Word) string {
	var b strings.Builder
	syntax.NewPrinter().Print(&b, w)
	return b.String()
}
