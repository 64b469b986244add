package shell_test

import (
	"strings"
	"testing"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/tool/shell"
)

// TestPolicyFindsHiddenCommands: a denied rm is caught wherever the script
// hides it.
func TestPolicyFindsHiddenCommands(t *testing.T) {
	p := shell.Policy{Deny: []string{"rm", "mkfs*"}}
	denied := []string{
		"rm -rf x",
		"ls; rm -rf x",
		"ls && rm x",
		"false || rm x",
		"ls | rm x",
		"ls & rm x",
		"ls\nrm x",
		"(rm x)",
		"{ rm x; }",
		"echo $(rm x)",
		"echo `rm x`",
		"echo \"$(rm x)\"",
		"cat <(rm x)",
		"x=$(rm y) ls",
		"x=$(rm y)",
		"echo ${x:-$(rm y)}",
		"echo $(( $(rm y) + 1 ))",
		"f() { rm x; }; f",
		"function f { rm x; }",
		"if true; then rm x; fi",
		"while false; do rm x; done",
		"for i in 1 2; do rm $i; done",
		"case a in a) rm x;; esac",
		"[[ -n $(rm x) ]]",
		"cat <<EOF\n$(rm x)\nEOF",
		"/bin/rm x",
		"/usr/bin/rm x",
		"./rm x",
		"\\rm x",
		"'rm' x",
		"\"rm\" x",
		"r\\m x",
		"\"r\"'m' x",
		"~/bin/rm x",
		"env rm x",
		"env -i FOO=1 rm x",
		"env -u HOME rm x",
		"env -S 'rm x'",
		"FOO=1 rm x",
		"nice -n 10 rm x",
		"nohup rm x &",
		"timeout 5 rm x",
		"timeout -s KILL 5 rm x",
		"stdbuf -oL rm x",
		"xargs rm < list",
		"xargs -n 1 rm < list",
		"xargs --max-args 1 rm < list",
		"xargs -I{} rm {} < list",
		"setsid rm x",
		"command rm x",
		"builtin exec rm x",
		"exec rm x",
		"time rm x",
		"busybox rm x",
		"find . -name '*.o' -exec rm {} \\;",
		"find . -execdir rm {} +",
		"sh -c 'rm x'",
		"bash -c \"rm x\"",
		"sh -ec 'rm x'",
		"sh -o errexit -c 'rm x'",
		"sh -c \"sh -c 'rm x'\"",
		"eval rm x",
		"eval 'ls; rm x'",
		"trap 'rm x' EXIT",
		"alias l='rm x'",
		"watch -n 1 rm x",
		"sudo rm x",
		"mkfs.ext4 /dev/sda",
		"coproc rm x",
		"ls > >(rm x)",
		"! rm x",
	}
	for _, s := range denied {
		err := p.Check(s)
		if llmos.ErrorCode(err) != llmos.CodeDenied {
			t.Errorf("%q was not denied (%v)", s, err)
		}
	}
	allowed := []string{
		"ls -la",
		"echo rm",
		"echo 'rm x'",
		"grep -r rm .",
		"cat rm.txt",
		"ls | wc -l && echo done",
		"x=1; echo $x",
		"python3 -c 'print(1)'",
		"for f in *.txt; do wc -l \"$f\"; done",
		"find . -name '*.go' | xargs grep -l TODO",
		"timeout 5 sleep 1",
		"env FOO=1 printenv FOO",
		"echo $(date)",
		"sh script.sh", // a file: not checked (see the package documentation)
	}
	for _, s := range allowed {
		if err := p.Check(s); err != nil {
			t.Errorf("%q was denied: %v", s, err)
		}
	}
}

// TestPolicyDynamicNames: names computed at run time cannot be checked and
// are denied, unless the policy is empty.
func TestPolicyDynamicNames(t *testing.T) {
	p := shell.Policy{Deny: []string{"rm"}}
	for _, s := range []string{"$cmd x", "${cmd} x", "$(echo rm) x", "`echo rm` x", "r* x", "/bin/r? x", "/bin/r[m] x",
		"$'\\x72m' x", "{rm,ls} x", "~ x", "eval $x", "sh -c \"$x\"", "xargs $x", "env $cmd", "unclosed 'quote", "ls; (", "a &&"} {
		err := p.Check(s)
		if llmos.ErrorCode(err) != llmos.CodeDenied {
			t.Errorf("%q was not denied (%v)", s, err)
		}
	}
	if err := (shell.Policy{}).Check("$cmd x; rm -rf /; ("); err != nil {
		t.Errorf("the empty policy denied: %v", err)
	}
	err := p.Check("$(echo rm) x")
	if !strings.Contains(err.Error(), "computed when it runs") || !strings.Contains(err.Error(), "$(echo rm)") {
		t.Errorf("message: %v", err)
	}
}

func TestPolicyAllowList(t *testing.T) {
	p := shell.Policy{Allow: []string{"ls", "cat", "grep", "wc", "xargs"}, Deny: []string{"cat"}}
	for _, s := range []string{"ls -la", "ls | wc -l", "cd /tmp && ls", "echo hi | grep h", "x=1; echo $x", "command ls", "ls | xargs wc"} {
		if err := p.Check(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"cat x", "ls; python3 x", "ls | sh", "env ls", "ls $(id)", "xargs cat", "exec sh", "eval python3"} {
		if llmos.ErrorCode(p.Check(s)) != llmos.CodeDenied {
			t.Errorf("%q was not denied", s)
		}
	}
	err := p.Check("python3 x")
	if !strings.Contains(err.Error(), "does not allow python3") || !strings.Contains(err.Error(), "ls, cat") {
		t.Errorf("message: %v", err)
	}
}

func TestDefaultPolicy(t *testing.T) {
	p := shell.DefaultPolicy
	for _, s := range []string{"sudo ls", "su -c id", "mount /dev/x /mnt", "mkfs.ext4 x", "reboot", "ls; shutdown -h now", "unshare -r sh"} {
		if llmos.ErrorCode(p.Check(s)) != llmos.CodeDenied {
			t.Errorf("%q was not denied", s)
		}
	}
	for _, s := range []string{"ls", "rm -rf build", "python3 x.py", "git status"} {
		if err := p.Check(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func TestCommands(t *testing.T) {
	cmds, err := shell.Commands("FOO=1 env -i nice -n 5 /usr/bin/timeout 3 \"ls\" -l | sh -c 'wc -l; echo $(date)'")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cmds {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); got != "env nice /usr/bin/timeout ls sh wc echo date" {
		t.Errorf("commands: %s", got)
	}
}

func FuzzPolicy(f *testing.F) {
	for _, s := range []string{"ls; rm -rf x", "sh -c \"sh -c 'rm x'\"", "find . -exec rm {} \\;", "xargs -I{} rm {}",
		"f() { rm x; }; f", "cat <<EOF\n$(rm x)\nEOF", "env -S 'rm x'", "$'\\x72m'"} {
		f.Add(s)
	}
	p := shell.Policy{Deny: []string{"rm"}}
	f.Fuzz(func(t *testing.T, s string) {
		err := p.Check(s)
		if err != nil && llmos.ErrorCode(err) != llmos.CodeDenied {
			t.Fatalf("%q: code %s", s, llmos.ErrorCode(err))
		}
		// Anything that names rm literally as a command must be denied.
		if err == nil {
			cmds, cerr := shell.Commands(s)
			if cerr != nil {
				t.Fatalf("%q checked but does not parse: %v", s, cerr)
			}
			for _, c := range cmds {
				if c.Dynamic || strings.HasSuffix(c.Name, "/rm") || c.Name == "rm" {
					t.Fatalf("%q allowed with command %+v", s, c)
				}
			}
		}
	})
}
