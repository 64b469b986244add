package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/config"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/provider"
	"github.com/llmos/llmos/security"
	"github.com/llmos/llmos/security/audit"
	"github.com/llmos/llmos/security/guard"
	"github.com/llmos/llmos/security/ifc"
)

// loadPolicy reads the security policy the configuration names, or
// $LLMOS_HOME/policy.yaml, or the built-in one. A policy with an error stops
// the start, naming the line.
func loadPolicy(cfg config.Config) (*ifc.Policy, error) {
	file := cfg.Policy
	if file == "" {
		file = filepath.Join(cfg.Home, "policy.yaml")
		if _, err := os.Stat(file); err != nil {
			return ifc.Default(), nil
		}
	}
	return ifc.Load(file)
}

// newGuard builds the evaluators the policy configures: one guard per stage,
// since the policy sets the actions of each stage apart.
func newGuard(pol *ifc.Policy, getenv func(string) string) (security.Evaluator, error) {
	for key, line := range pol.Guard.Lines {
		name := key[strings.IndexByte(key, '.')+1:]
		if !knownScanner(name) {
			return nil, llmos.Errorf(llmos.CodeInvalid, "%s:%d: the guard has no scanner %q; the scanners are: %s",
				pol.File, line, name, strings.Join(guard.Scanners(), ", "))
		}
	}
	var judge guard.Generator
	if pol.Guard.Judge != "" {
		m, err := provider.Open(pol.Guard.Judge, getenv)
		if err != nil {
			return nil, err
		}
		judge = m
	}
	build := func(actions map[string]string) (*guard.Guard, error) {
		cfg := guard.Config{Actions: map[string]guard.Action{}, AllowHosts: pol.Guard.AllowHosts, Threshold: pol.Guard.Threshold}
		for k, v := range actions {
			cfg.Actions[k] = guard.Action(v)
		}
		if judge != nil {
			cfg.Judge, cfg.JudgeModel = judge, kernel.ModelOf(pol.Guard.Judge)
		}
		return guard.New(cfg)
	}
	in, err := build(pol.Guard.Input)
	if err != nil {
		return nil, err
	}
	out, err := build(pol.Guard.Output)
	if err != nil {
		return nil, err
	}
	return stages{in, out}, nil
}

// stages sends each check to the guard of its stage.
type stages struct{ input, output *guard.Guard }

func (s stages) Check(ctx context.Context, in guard.Input) guard.Verdict {
	if in.Stage == guard.StageOutput {
		return s.output.Check(ctx, in)
	}
	return s.input.Check(ctx, in)
}

func knownScanner(name string) bool {
	for _, s := range guard.Scanners() {
		if s == name {
			return true
		}
	}
	return false
}

// openSecurity opens the audit log and builds the reference monitor.
func (a *app) openSecurity(s *system, pol *ifc.Policy) error {
	var err error
	s.audit, err = audit.Open(filepath.Join(s.cfg.Home, audit.FileName), audit.Options{Sealer: s.vault.For("_audit")})
	if err != nil {
		return err
	}
	if err := s.audit.Err(); err != nil {
		// Every syscall fails closed until the log is mended; say so now.
		fmt.Fprintf(a.env.Stderr, "llmos: warning: the audit log refuses new records (%s); syscalls will be refused: "+
			"`llmos audit verify` says where it is damaged\n", llmos.ErrorMessage(err))
	}
	g, err := newGuard(pol, a.env.Getenv)
	if err != nil {
		return err
	}
	s.monitor, err = security.New(security.Config{
		Policy:  pol,
		Guard:   g,
		Audit:   s.audit,
		Approve: a.approver(),
		Open:    func(name string) (kernel.Model, error) { return provider.Open(name, a.env.Getenv) },
		Sched:   s.sched,
	})
	return err
}

// approver asks the user on the terminal about a call the policy sends to
// them; with no terminal, there is no one to ask and such calls are refused.
func (a *app) approver() security.Approver {
	in, ok := a.env.Stdin.(*os.File)
	if !ok || !isTerminal(in) || !isTerminal(a.env.Stderr) {
		return nil
	}
	return func(ctx context.Context, ap security.Approval) (bool, error) {
		return askApproval(a.env.Stderr, in, ap)
	}
}

// askApproval shows the exact call and reads y or n.
func askApproval(w io.Writer, r io.Reader, ap security.Approval) (bool, error) {
	fmt.Fprintf(w, "\nllmos: process %d asks to run %s with:\n  %s\n", ap.PID, ap.Tool, ap.Args)
	for _, why := range ap.Reasons {
		fmt.Fprintf(w, "  because %s\n", why)
	}
	fmt.Fprint(w, "Allow this call? [y/N] ")
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && line == "" {
		return false, llmos.Errorf(llmos.CodeCanceled, "no answer")
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes", nil
}

func (a *app) policyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "The security policy: which data may flow into which syscalls"}
	check := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Check a policy file (default: the one in use) and say what it does",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(a.env.Getenv)
			if err != nil {
				return err
			}
			if len(args) == 1 {
				cfg.Policy = args[0]
			}
			pol, err := loadPolicy(cfg)
			if err != nil {
				return err
			}
			if _, err := newGuard(pol, a.env.Getenv); err != nil {
				return err
			}
			if a.json {
				return a.printJSON(map[string]any{"file": pol.File, "ok": true, "mode": pol.Mode, "spotlight": pol.Spotlight,
					"untrusted": pol.Untrusted, "tools": len(pol.Tools)})
			}
			fmt.Fprintf(a.env.Stdout, "%s: OK (mode %s, spotlight %s, untrusted arguments of effect tools: %s, %d tool rules)\n",
				pol.File, pol.Mode, pol.Spotlight, pol.Untrusted, len(pol.Tools))
			return nil
		},
	}
	show := &cobra.Command{
		Use:   "show",
		Short: "Print the built-in policy, to copy to $LLMOS_HOME/policy.yaml and change",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := a.env.Stdout.Write(ifc.DefaultText())
			return err
		},
	}
	cmd.AddCommand(check, show)
	return cmd
}
