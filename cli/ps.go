package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmos/llmos/kernel"
)

func (a *app) psCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "ps",
		Short: "List processes, of this run and earlier ones",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context(), "")
			if err != nil {
				return err
			}
			defer s.Close()
			ps, err := s.kernel.Processes(cmd.Context())
			if err != nil {
				return err
			}
			if a.json {
				if ps == nil {
					ps = []*kernel.Process{}
				}
				return a.printJSON(ps)
			}
			w := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "PID\tPARENT\tSTATE\tMODEL\tSTEPS\tTOKENS\tAGE\tTASK")
			for _, p := range ps {
				parent := "-"
				if p.Parent != 0 {
					parent = fmt.Sprint(p.Parent)
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", p.PID, parent, p.State, p.Model, p.Steps,
					p.Usage.Total(), age(p.Created), clip(p.Task, 48))
			}
			return w.Flush()
		},
	}
}

func (a *app) killCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "kill PID",
		Short: "Stop a process; its model calls and tools are cancelled",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pid, err := parsePID(args[0])
			if err != nil {
				return err
			}
			s, err := a.open(cmd.Context(), "")
			if err != nil {
				return err
			}
			defer s.Close()
			p, err := s.kernel.Kill(cmd.Context(), pid)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(p)
			}
			fmt.Fprintf(a.env.Stdout, "process %d %s\n", p.PID, p.State)
			return nil
		},
	}
}

func (a *app) logsCmd() *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs [--follow] PID",
		Short: "Print a process's trace: model calls, syscalls, changes of state",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pid, err := parsePID(args[0])
			if err != nil {
				return err
			}
			s, err := a.open(cmd.Context(), "")
			if err != nil {
				return err
			}
			defer s.Close()
			if _, err := s.kernel.Process(cmd.Context(), pid); err != nil {
				return err
			}
			return a.logs(cmd.Context(), s, pid, follow)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing events until the process stops")
	return cmd
}

func (a *app) logs(ctx context.Context, s *system, pid int64, follow bool) error {
	var after int64
	for {
		evs, err := s.store.Events(ctx, pid, after)
		if err != nil {
			return err
		}
		for _, e := range evs {
			after = e.Seq
			if a.json {
				b, _ := json.Marshal(e)
				fmt.Fprintf(a.env.Stdout, "%s\n", b)
			} else {
				fmt.Fprintln(a.env.Stdout, formatEvent(e))
			}
		}
		if !follow {
			return nil
		}
		p, err := s.kernel.Process(ctx, pid)
		if err != nil {
			return err
		}
		if p.State != kernel.StateRunning && p.State != kernel.StateRunnable && len(evs) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// formatEvent renders one trace event as a line.
func formatEvent(e kernel.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  #%-3d step %-2d %-10s", e.Time.Local().Format("15:04:05.000"), e.Seq, e.Step, e.Kind)
	switch e.Kind {
	case "spawn":
		fmt.Fprintf(&b, " on %s: %s", e.Model, clip(e.Message, 80))
	case "model_call":
		if e.IsError {
			fmt.Fprintf(&b, " %s failed (%s): %s", e.Model, e.Code, e.Message)
			break
		}
		fmt.Fprintf(&b, " %s  %d in / %d out tokens  %.0f ms (queued %.1f ms)", e.Model, e.Usage.InputTokens, e.Usage.OutputTokens, e.LatencyMS, e.QueueMS)
		if e.ToolCalls > 0 {
			fmt.Fprintf(&b, "  %d tool call(s)", e.ToolCalls)
		}
	case "syscall":
		status := "ok"
		if e.IsError {
			status = "error"
		}
		fmt.Fprintf(&b, " %s(%s) -> %s %s  %.1f ms", e.Tool, clip(string(e.Args), 60), status, clip(e.Result, 60), e.DurationMS)
	case "memory":
		if w := e.Window; w != nil {
			fmt.Fprintf(&b, " window %d/%d tokens", w.Tokens, w.Budget)
			if w.PagedIn > 0 || w.Hits > 0 {
				fmt.Fprintf(&b, "  paged in %d (faults %d, hits %d)", w.PagedIn, w.Faults, w.Hits)
			}
			if w.Evicted > 0 {
				fmt.Fprintf(&b, "  evicted %d message(s)", w.Evicted)
			}
			if w.Warned {
				b.WriteString("  memory pressure")
			}
		}
	case "state":
		fmt.Fprintf(&b, " %s", e.State)
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", e.Message)
		}
	default:
		fmt.Fprintf(&b, " %s", e.Message)
	}
	return b.String()
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func age(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
