package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/config"
	"github.com/llmos/llmos/security/audit"
)

// auditPoll is how often `audit tail --follow` looks for new records.
const auditPoll = 300 * time.Millisecond

func (a *app) auditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check and read the audit log of every syscall, policy decision and verdict",
		Long: "Every syscall, policy decision and guard verdict of every llmos process is appended to one\n" +
			"hash-chained log, $LLMOS_HOME/audit.log: each record holds the hash of the one before.",
	}
	cmd.AddCommand(a.auditVerifyCmd(), a.auditTailCmd())
	return cmd
}

// auditOptions returns how the audit log of cfg is opened: sealed with the
// vault's key of the "_audit" namespace, so that verify also opens every
// record and checks the head's MAC.
func (a *app) auditOptions(cfg config.Config) (audit.Options, error) {
	v, err := a.openVault(cfg)
	if err != nil {
		return audit.Options{}, err
	}
	return audit.Options{Sealer: v.For("_audit")}, nil
}

// auditPath loads the configuration and returns where the audit log is.
func (a *app) auditPath() (string, audit.Options, error) {
	cfg, err := config.Load(a.env.Getenv)
	if err != nil {
		return "", audit.Options{}, err
	}
	opts, err := a.auditOptions(cfg)
	if err != nil {
		return "", audit.Options{}, err
	}
	return filepath.Join(cfg.Home, audit.FileName), opts, nil
}

func (a *app) auditVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check the hash chain of the audit log and say where it was altered",
		Long: "Check the hash chain of the audit log and its head file: any edit, deletion, reordering,\n" +
			"insertion or truncation is reported with its line and record number. Exit code 4 when the\n" +
			"log was altered.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, opts, err := a.auditPath()
			if err != nil {
				return err
			}
			rep, err := audit.Verify(cmd.Context(), path, opts)
			if llmos.ErrorCode(err) == llmos.CodeNotFound {
				if a.json {
					return a.printJSON(audit.Report{OK: true, Problems: []audit.Problem{}})
				}
				fmt.Fprintln(a.env.Stdout, "no audit log yet")
				return nil
			}
			if err != nil {
				return err
			}
			if a.json {
				if err := a.printJSON(rep); err != nil {
					return err
				}
			} else {
				a.printReport(rep)
			}
			if !rep.OK {
				return llmos.Errorf(llmos.CodeConflict, "the audit log was altered: %s", rep.Problems[0].Detail)
			}
			return nil
		},
	}
}

func (a *app) printReport(rep audit.Report) {
	w := a.env.Stdout
	if rep.OK {
		fmt.Fprintf(w, "audit log OK: %d records, head %d\n", rep.Records, rep.Head)
	} else {
		fmt.Fprintf(w, "audit log ALTERED: %d records, head %d\n", rep.Records, rep.Head)
	}
	for _, p := range rep.Problems {
		where := "head file"
		if p.Line > 0 {
			where = fmt.Sprintf("line %d", p.Line)
			if p.Seq > 0 {
				where += fmt.Sprintf(", seq %d", p.Seq)
			}
		}
		more := ""
		if p.Count > 1 {
			more = fmt.Sprintf(" (%d times in all)", p.Count)
		}
		fmt.Fprintf(w, "  %-13s %s: %s%s\n", p.Kind, where, p.Detail, more)
	}
	if rep.PastHead > 0 {
		fmt.Fprintf(w, "note: %d record(s) after the one the head file names: a writer that crashed before updating the head"+
			" leaves one; without encryption, a record appended by someone else looks the same\n", rep.PastHead)
	}
}

func (a *app) auditTailCmd() *cobra.Command {
	var (
		n      int
		follow bool
	)
	cmd := &cobra.Command{
		Use:   "tail [-n 20] [--follow]",
		Short: "Print the last records of the audit log",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if n < 0 {
				return llmos.Errorf(llmos.CodeInvalid, "-n must not be negative (got %d)", n)
			}
			path, opts, err := a.auditPath()
			if err != nil {
				return err
			}
			opts.ReadOnly = true
			return a.auditTail(cmd.Context(), path, opts, n, follow)
		},
	}
	cmd.Flags().IntVarP(&n, "lines", "n", 20, "how many of the last records to print")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new records until interrupted")
	return cmd
}

func (a *app) auditTail(ctx context.Context, path string, opts audit.Options, n int, follow bool) error {
	var l *audit.Log
	defer func() {
		if l != nil {
			l.Close()
		}
	}()
	last := int64(-1) // the seq printed last; -1 before the first look
	for {
		if l == nil {
			var err error
			l, err = audit.Open(path, opts)
			if err != nil && llmos.ErrorCode(err) != llmos.CodeNotFound {
				return err
			}
		}
		if l != nil {
			if last < 0 {
				// The last n records, and where following starts (the last
				// record, even when n is 0).
				recs, err := l.Tail(ctx, max(n, 1))
				if err != nil {
					return err
				}
				last = 0
				if len(recs) > 0 {
					last = recs[len(recs)-1].Seq
				}
				for _, r := range recs[len(recs)-min(n, len(recs)):] {
					a.printRecord(r)
				}
			} else {
				err := l.Read(ctx, last, func(r audit.Record) error {
					a.printRecord(r)
					last = r.Seq
					return nil
				})
				if err != nil {
					return err
				}
			}
		} else if last < 0 {
			last = 0 // no log yet: when one appears, every record is new
		}
		if !follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(auditPoll):
		}
	}
}

// printRecord prints one record: a line of text, or a JSON line.
func (a *app) printRecord(r audit.Record) {
	if a.json {
		b, _ := json.Marshal(r)
		fmt.Fprintf(a.env.Stdout, "%s\n", b)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  #%-5d %-10s", r.Time.Local().Format("2006-01-02 15:04:05.000"), r.Seq, r.Kind)
	if r.PID != 0 {
		fmt.Fprintf(&b, " pid %-4d", r.PID)
	}
	for _, s := range []string{r.Tool, r.Action} {
		if s != "" {
			fmt.Fprintf(&b, " %s", s)
		}
	}
	if r.Reason != "" {
		fmt.Fprintf(&b, ": %s", clip(r.Reason, 100))
	}
	fmt.Fprintln(a.env.Stdout, b.String())
}
