package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/config"
	"github.com/llmos/llmos/sandbox"
)

// exitError makes llmos exit with a program's own exit code, printing
// nothing more: Main returns code when it meets one.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("the program exited with code %d", e.code) }

// execFlags are the flags of llmos exec python and llmos exec shell.
type execFlags struct {
	noSandbox bool
	network   bool
	keep      bool
	limits    sandbox.Limits
	memoryMB  int64
}

func (a *app) execCmd() *cobra.Command {
	var f execFlags
	cmd := &cobra.Command{
		Use:   "exec",
		Short: "Run Python code or a command in the sandbox that tools use",
		Long: "exec runs a program the way the python and shell tools do: in the sandbox (bubblewrap), with no network,\n" +
			"a read-only system, a fresh scratch folder as its working directory (/scratch), and limits on time, memory,\n" +
			"processes and output. It prints the program's output and exits with its exit code.",
	}
	pf := cmd.PersistentFlags()
	pf.BoolVar(&f.noSandbox, "no-sandbox", false, "run on this machine without isolation (unsafe: the program gets your files and network)")
	pf.BoolVar(&f.network, "network", false, "give the program the network")
	pf.BoolVar(&f.keep, "keep", false, "keep the scratch folder and print where it is")
	pf.DurationVar(&f.limits.Wall, "timeout", 0, "wall time limit (default 1m)")
	pf.DurationVar(&f.limits.CPU, "cpu", 0, "CPU time limit (default 30s)")
	pf.Int64Var(&f.memoryMB, "memory", 0, "memory limit in MB (default 1024)")
	pf.IntVar(&f.limits.Procs, "procs", 0, "process and thread limit (default 128)")
	pf.IntVar(&f.limits.OutputBytes, "output", 0, "bytes of stdout and of stderr kept (default 32768)")

	var code string
	py := &cobra.Command{
		Use:   "python [-c CODE | FILE | -] [ARGS...]",
		Short: "Run Python code with Debian's python3 in the sandbox",
		Example: "  llmos exec python -c 'print(6*7)'\n  llmos exec python script.py arg1\n" +
			"  echo 'print(1)' | llmos exec python",
		RunE: func(c *cobra.Command, args []string) error {
			var argv []string
			var file string
			switch {
			case c.Flags().Changed("c"):
				argv = append([]string{sandbox.PythonPath, "-c", code}, args...)
			case len(args) > 0 && args[0] != "-":
				file = args[0]
				argv = append([]string{sandbox.PythonPath, filepath.Base(file)}, args[1:]...)
			default:
				argv = append([]string{sandbox.PythonPath, "-"}, args[min(len(args), 1):]...)
			}
			return a.execute(c, f, argv, file)
		},
	}
	py.Flags().StringVarP(&code, "c", "c", "", "the code to run")
	py.Flags().SetInterspersed(false)

	sh := &cobra.Command{
		Use:   "shell -- COMMAND [ARGS...]",
		Short: "Run a command in the sandbox: one argument is a sh -c script, several are a program and its arguments",
		Example: "  llmos exec shell -- 'ls /; id'\n  llmos exec shell -- python3 -c 'print(1)'\n" +
			"  llmos exec shell --network -- curl -sI https://example.com",
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			argv := args
			if len(args) == 1 {
				argv = []string{"/bin/sh", "-c", args[0]}
			}
			return a.execute(c, f, argv, "")
		},
	}
	sh.Flags().SetInterspersed(false)
	cmd.AddCommand(py, sh)
	return cmd
}

// execute runs argv in a sandbox with a fresh scratch folder (holding a copy
// of file, when set), streams its output, and returns an exitError with its
// exit code when it fails.
func (a *app) execute(c *cobra.Command, f execFlags, argv []string, file string) error {
	cfg, err := config.Load(a.env.Getenv)
	if err != nil {
		return err
	}
	sbCfg := sandboxConfig(cfg)
	if f.noSandbox {
		sbCfg.Mode = sandbox.ModeNone
	}
	sbCfg.Warn = a.env.Stderr
	sb, err := sandbox.New(sbCfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(sbCfg.Base, 0o700); err != nil {
		return llmos.Errorf(llmos.CodeInvalid, "cannot create the scratch folders in %s: %v", sbCfg.Base, err)
	}
	dir, err := os.MkdirTemp(sbCfg.Base, "exec-")
	if err != nil {
		return llmos.Errorf(llmos.CodeInvalid, "cannot create a scratch folder in %s: %v", sbCfg.Base, err)
	}
	if f.keep {
		fmt.Fprintf(a.env.Stderr, "llmos: the scratch folder is %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return llmos.Errorf(llmos.CodeNotFound, "cannot read %s: %v", file, err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(file)), b, 0o644); err != nil {
			return llmos.Errorf(llmos.CodeInvalid, "cannot copy %s into the scratch folder: %v", file, err)
		}
	}
	lim := f.limits
	lim.MemoryBytes = f.memoryMB << 20
	if err := lim.Validate(); err != nil {
		return err
	}
	spec := sandbox.Spec{Args: argv, Dir: dir, Network: f.network, Limits: lim, Stdin: a.env.Stdin}
	if !a.json {
		spec.Stdout, spec.Stderr = a.env.Stdout, a.env.Stderr
	}
	r, err := sb.Run(c.Context(), spec)
	if err != nil {
		return err
	}
	if a.json {
		if err := a.printJSON(execJSON(r)); err != nil {
			return err
		}
	} else if r.Stopped != "" {
		fmt.Fprintf(a.env.Stderr, "llmos: stopped: %s\n", r.Stopped)
	}
	if r.ExitCode != 0 {
		code := r.ExitCode
		if code < 0 || code > 255 {
			code = 1
		}
		return &exitError{code}
	}
	return nil
}

// sandboxConfig is the sandbox of the configuration: scratch folders under
// $LLMOS_HOME/scratch, the mode auto and the default limits.
func sandboxConfig(cfg config.Config) sandbox.Config {
	c := cfg.Sandbox
	c.Base = filepath.Join(cfg.Home, "scratch")
	if c.Mode == "" {
		c.Mode = sandbox.ModeAuto
	}
	return c
}

// execJSON is a result with its output as text.
func execJSON(r *sandbox.Result) map[string]any {
	return map[string]any{
		"exit_code": r.ExitCode,
		"stdout":    string(r.Stdout),
		"stderr":    string(r.Stderr),
		"timed_out": r.TimedOut,
		"truncated": r.Truncated,
		"stopped":   r.Stopped,
		"files":     r.Files,
		"duration":  r.Duration.Round(time.Millisecond).String(),
		"cpu":       r.CPU.Round(time.Millisecond).String(),
		"unsafe":    r.Unsafe,
	}
}
