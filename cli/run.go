package cli

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/provider"
	"github.com/llmos/llmos/provider/offline"
	"github.com/llmos/llmos/sched"
)

type runFlags struct {
	model    string
	maxSteps int
	priority string
	caps     []string
}

func (f *runFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.model, "model", "", "model as provider:model (overrides LLMOS_MODEL)")
	cmd.Flags().IntVar(&f.maxSteps, "max-steps", 0, "most model calls the process may make (default from the config: 20)")
	cmd.Flags().StringVar(&f.priority, "priority", "normal", "scheduling class: low, normal or high")
	cmd.Flags().StringSliceVar(&f.caps, "cap", nil, "capabilities the process holds (default: all)")
}

func (f *runFlags) spec(s *system, task string) (kernel.Spec, error) {
	if f.maxSteps < 0 {
		return kernel.Spec{}, llmos.Errorf(llmos.CodeInvalid, "--max-steps %d is negative", f.maxSteps)
	}
	prio, err := sched.ParsePriority(f.priority)
	if err != nil {
		return kernel.Spec{}, llmos.Errorf(llmos.CodeInvalid, "--priority %q: use low, normal or high", f.priority)
	}
	return kernel.Spec{Task: task, Model: s.cfg.Model, Namespace: s.cfg.Namespace, Priority: int(prio), Caps: f.caps, Budget: s.budget(f.maxSteps)}, nil
}

func (a *app) runCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] TASK",
		Short: "Run an agent on a task and print its answer",
		Example: `  llmos run "what is 12345 * 6789"
  llmos run --model openai:gpt-4o-mini --max-steps 5 "what is 2^100 - 1"`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			task := strings.TrimSpace(strings.Join(args, " "))
			if task == "" {
				return llmos.Errorf(llmos.CodeInvalid, "the task is empty")
			}
			s, err := a.openWithMemory(cmd.Context(), f.model)
			if err != nil {
				return err
			}
			defer s.Close()
			spec, err := f.spec(s, task)
			if err != nil {
				return err
			}
			p, err := s.kernel.Spawn(cmd.Context(), spec)
			if err != nil {
				return err
			}
			return a.runProcess(cmd.Context(), s, p.PID)
		},
	}
	f.add(cmd)
	return cmd
}

func (a *app) resumeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "resume PID",
		Short: "Resume an interrupted process from its last completed step",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pid, err := parsePID(args[0])
			if err != nil {
				return err
			}
			s, err := a.openWithMemory(cmd.Context(), "")
			if err != nil {
				return err
			}
			defer s.Close()
			return a.runProcess(cmd.Context(), s, pid)
		},
	}
}

// runProcess runs a process to its end, with a status line on a terminal, and
// prints its answer (or the process, with --json).
func (a *app) runProcess(ctx context.Context, s *system, pid int64) error {
	p, err := s.kernel.Process(ctx, pid)
	if err != nil {
		return err
	}
	if p.Model == provider.Offline && !a.json {
		fmt.Fprintf(a.env.Stderr, "llmos: no model configured; running on the %s\n", offline.Label)
	}
	st := newStatus(a.env.Stderr)
	p, err = s.kernel.Run(ctx, pid, kernel.RunOptions{OnEvent: func(e kernel.Event) { st.event(e) }})
	st.done()
	if a.json {
		if perr := a.printJSON(p); perr != nil {
			return perr
		}
		if err != nil {
			return &llmos.Error{Code: llmos.ErrorCode(err), Msg: fmt.Sprintf("process %d %s: %s", pid, p.State, llmos.ErrorMessage(err))}
		}
		return nil
	}
	if err != nil {
		if p != nil && p.State == kernel.StateInterrupted {
			return llmos.Errorf(llmos.CodeCanceled, "process %d interrupted at step %d; resume it with: llmos resume %d", pid, p.Steps, pid)
		}
		if p != nil {
			return &llmos.Error{Code: llmos.ErrorCode(err), Msg: fmt.Sprintf("process %d %s: %s (trace: llmos logs %d)", pid, p.State, llmos.ErrorMessage(err), pid)}
		}
		return err
	}
	fmt.Fprintln(a.env.Stdout, p.Result)
	return nil
}

func (a *app) chatCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "chat",
		Short: "Talk with an agent; one process holds the whole conversation",
		Long:  "Reads one message a line from standard input and streams the replies. /exit or end of input ends the chat.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.openWithMemory(ctx, f.model)
			if err != nil {
				return err
			}
			defer s.Close()
			spec, err := f.spec(s, "")
			if err != nil {
				return err
			}
			p, err := s.kernel.Spawn(ctx, spec)
			if err != nil {
				return err
			}
			return a.chat(ctx, s, p)
		},
	}
	f.add(cmd)
	return cmd
}

func (a *app) chat(ctx context.Context, s *system, p *kernel.Process) error {
	out := a.env.Stdout
	tty := isTerminal(out)
	label := p.Model
	if p.Model == provider.Offline {
		label = offline.Label
	}
	fmt.Fprintf(a.env.Stderr, "llmos chat: process %d on %s. /exit to leave.\n", p.PID, label)
	in := bufio.NewScanner(a.env.Stdin)
	in.Buffer(make([]byte, 64*1024), 1<<20)
	for {
		if tty {
			fmt.Fprint(out, "> ")
		}
		if !in.Scan() {
			break
		}
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		if line == "/exit" || line == "/quit" {
			break
		}
		streamed := false
		opts := kernel.RunOptions{Stream: func(d llmos.Delta) {
			streamed = true
			fmt.Fprint(out, d.Text)
		}}
		q, err := s.kernel.Send(ctx, p.PID, line, opts)
		if err != nil {
			if q != nil && q.State == kernel.StateInterrupted {
				return llmos.Errorf(llmos.CodeCanceled, "chat interrupted; process %d can be resumed with: llmos resume %d", p.PID, p.PID)
			}
			fmt.Fprintf(a.env.Stderr, "\nllmos: %s\n", llmos.ErrorMessage(err))
			if q == nil || q.State.Final() {
				return err
			}
			continue
		}
		if !streamed {
			fmt.Fprint(out, q.Result)
		}
		fmt.Fprintln(out)
	}
	if err := in.Err(); err != nil {
		return llmos.Errorf(llmos.CodeInvalid, "reading input: %v", err)
	}
	q, err := s.kernel.Process(ctx, p.PID)
	if err == nil && q.State == kernel.StateWaiting {
		q.State = kernel.StateDone
		err = s.store.SaveProcess(ctx, q)
	}
	return err
}

func parsePID(s string) (int64, error) {
	pid, err := strconv.ParseInt(s, 10, 64)
	if err != nil || pid <= 0 {
		return 0, llmos.Errorf(llmos.CodeInvalid, "%q is not a process id (a positive number; see llmos ps)", s)
	}
	return pid, nil
}
