package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/config"
	"github.com/llmos/llmos/sandbox"
	"github.com/llmos/llmos/security/audit"
	"github.com/llmos/llmos/security/vault"
)

// doctorReport is what llmos doctor finds: the sandbox report and a test run.
type doctorReport struct {
	sandbox.Report
	// TestRun is a python3 program run in the active sandbox.
	TestRun string `json:"test_run"`
	// Security says where the master key comes from, which policy is in
	// force, and whether the audit log's chain holds.
	Security securityReport `json:"security"`
}

type securityReport struct {
	Key    string `json:"key"`
	Policy string `json:"policy"`
	Audit  string `json:"audit"`
}

// securityCheck looks at the vault, the policy and the audit log of the home.
func (a *app) securityCheck(ctx context.Context) securityReport {
	var r securityReport
	cfg, err := config.Load(a.env.Getenv)
	if err != nil {
		return securityReport{Key: llmos.ErrorMessage(err), Policy: "-", Audit: "-"}
	}
	src := vault.SourceFromEnv(a.env.Getenv, cfg.Home)
	switch src.Kind {
	case vault.KindGenerated:
		r.Key = "generated key file in $LLMOS_HOME (set LLMOS_KEY, LLMOS_KEY_FILE or LLMOS_PASSPHRASE to keep the key apart from the data)"
	default:
		r.Key = src.Kind
	}
	if src.Err != nil {
		r.Key = "error: " + llmos.ErrorMessage(src.Err)
	} else if v, err := vault.Open(cfg.Home, src); err != nil {
		r.Key = "error: " + llmos.ErrorMessage(err)
	} else if _, err := os.Stat(filepath.Join(cfg.Home, audit.FileName)); err != nil {
		r.Audit = "none yet"
	} else if rep, err := audit.Verify(ctx, filepath.Join(cfg.Home, audit.FileName), audit.Options{Sealer: v.For("_audit")}); err != nil {
		r.Audit = "error: " + llmos.ErrorMessage(err)
	} else if !rep.OK {
		r.Audit = fmt.Sprintf("ALTERED: %d problems (llmos audit verify)", len(rep.Problems))
	} else {
		r.Audit = fmt.Sprintf("ok, %d records", rep.Records)
	}
	if pol, err := loadPolicy(cfg); err != nil {
		r.Policy = "error: " + llmos.ErrorMessage(err)
	} else {
		r.Policy = fmt.Sprintf("%s (mode %s, untrusted arguments: %s)", pol.File, pol.Mode, pol.Untrusted)
	}
	if r.Audit == "" {
		r.Audit = "-"
	}
	return r
}

func (a *app) doctorCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check the sandbox (which isolation is active, what is missing and how to fix it) and the security set-up",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r := doctorReport{Report: sandbox.Detect()}
			r.TestRun = testRun(cmd.Context(), r.Active)
			r.Security = a.securityCheck(cmd.Context())
			if a.json {
				if err := a.printJSON(r); err != nil {
					return err
				}
			} else {
				a.printDoctor(r)
			}
			if r.Active == "" {
				return llmos.Errorf(llmos.CodeUnavailable, "no sandbox: the python and shell tools cannot run here (see what is missing above)")
			}
			return nil
		},
	}
}

func (a *app) printDoctor(r doctorReport) {
	w := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
	sb := "none: programs cannot run isolated"
	if r.Active != "" {
		sb = r.Active + ": active"
	}
	if r.Bwrap.Path != "" {
		sb += fmt.Sprintf(" (%s at %s)", orDash(r.Bwrap.Version), r.Bwrap.Path)
	}
	rows := [][2]string{
		{"sandbox", sb},
		{"runs as", orDash(r.RunsAs)},
		{"user namespaces", r.UserNamespaces},
		{"limits", "rlimits: " + r.Rlimits},
		{"cgroups", r.Cgroups},
		{"landlock", fmt.Sprintf("ABI %d: %s", r.LandlockABI, r.Landlock)},
		{"python", strings.TrimSpace(r.Python + " " + r.PythonVersion)},
		{"test run", r.TestRun},
		{"master key", r.Security.Key},
		{"policy", r.Security.Policy},
		{"audit log", r.Security.Audit},
	}
	if r.Bwrap.Error != "" {
		rows = append(rows[:2], append([][2]string{{"bwrap error", r.Bwrap.Error}}, rows[2:]...)...)
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%s\t%s\n", row[0], row[1])
	}
	w.Flush()
	if len(r.Missing) == 0 {
		fmt.Fprintln(a.env.Stdout, "\nnothing is missing")
		return
	}
	fmt.Fprintln(a.env.Stdout, "\nmissing:")
	for _, p := range r.Missing {
		fmt.Fprintf(a.env.Stdout, "  - %s\n    fix: %s\n", p.What, p.Fix)
	}
}

// testRun runs python3 in the active sandbox and says how it went.
func testRun(ctx context.Context, active string) string {
	if active == "" {
		return "skipped: no sandbox"
	}
	base, err := os.MkdirTemp("", "llmos-doctor-")
	if err != nil {
		return "failed: " + err.Error()
	}
	defer os.RemoveAll(base)
	sb, err := sandbox.New(sandbox.Config{Base: base, Mode: active})
	if err != nil {
		return "failed: " + llmos.ErrorMessage(err)
	}
	start := time.Now()
	res, err := sb.Run(ctx, sandbox.Spec{
		Args:   []string{sandbox.PythonPath, "-c", "import socket\ntry:\n socket.create_connection(('1.1.1.1', 53), timeout=2); print('network')\nexcept OSError:\n print('ok')"},
		Limits: sandbox.Limits{Wall: 20 * time.Second},
	})
	switch {
	case err != nil:
		return "failed: " + llmos.ErrorMessage(err)
	case res.ExitCode != 0:
		return fmt.Sprintf("failed: exit code %d: %s", res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	case strings.TrimSpace(string(res.Stdout)) != "ok":
		return "failed: the sandbox reached the network"
	}
	return fmt.Sprintf("ok: python3 ran with no network in %v", time.Since(start).Round(time.Millisecond))
}
