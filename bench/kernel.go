package bench

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/provider/scripted"
	"github.com/llmos/llmos/sched"
	"github.com/llmos/llmos/security"
	"github.com/llmos/llmos/security/audit"
	"github.com/llmos/llmos/security/guard"
	"github.com/llmos/llmos/security/vault"
	"github.com/llmos/llmos/store/sqlite"
	"github.com/llmos/llmos/tool/calc"
)

// KernelResult is what the kernel costs per step beyond the model and the tool.
type KernelResult struct {
	Steps int `json:"steps"`
	// DirectMSPerStep is the baseline: the same model replies and tool calls
	// made in a plain loop, with no kernel, scheduler or store.
	DirectMSPerStep float64 `json:"direct_ms_per_step"`
	// KernelMSPerStep is a step through the kernel: scheduling, schema
	// validation, dispatch, the trace and the durable commit to SQLite.
	KernelMSPerStep float64 `json:"kernel_ms_per_step"`
	// OverheadMSPerStep is the difference.
	OverheadMSPerStep float64 `json:"overhead_ms_per_step"`
	// MonitorMSPerStep is a step through the kernel with the security
	// monitor as `llmos run` has it: the default policy, the evaluators, and
	// an audit log sealed by the vault, fsynced for every record.
	MonitorMSPerStep float64 `json:"monitor_ms_per_step"`
	// MonitorOverheadMSPerStep is what the monitor adds to a kernel step.
	MonitorOverheadMSPerStep float64 `json:"monitor_overhead_ms_per_step"`
}

// KernelOverhead measures the kernel's cost per step with a zero-latency
// scripted model, durable state included: a process makes steps-1 calculator
// calls and then answers. The state lives in a temporary folder.
func KernelOverhead(ctx context.Context, steps int) (*KernelResult, error) {
	if steps < 2 {
		steps = 200
	}
	dir, err := os.MkdirTemp("", "llmos-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()

	args := `{"expression":"12345 * 6789"}`
	script := func() *scripted.Model {
		turns := make([]scripted.Turn, 0, steps)
		for range steps - 1 {
			turns = append(turns, scripted.Call("calc", args))
		}
		return scripted.New(append(turns, scripted.Say("83810205"))...)
	}

	// Baseline: the same work in a plain loop.
	tool := calc.Tool()
	model := script()
	start := time.Now()
	msgs := []llmos.Message{{Role: llmos.RoleUser, Content: "what is 12345 * 6789"}}
	for range steps {
		resp, err := model.Generate(ctx, &llmos.Request{Messages: msgs}, nil)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, resp.Message)
		for _, c := range resp.Message.ToolCalls {
			out, err := tool.Call(ctx, json.RawMessage(c.Arguments))
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, llmos.Message{Role: llmos.RoleTool, ToolCallID: c.ID, Content: out})
		}
	}
	direct := time.Since(start)

	through, n, err := kernelRun(ctx, db, tool, script(), steps, nil)
	if err != nil {
		return nil, err
	}
	mon, audited, err := benchMonitor(dir)
	if err != nil {
		return nil, err
	}
	defer audited.Close()
	monitored, _, err := kernelRun(ctx, db, tool, script(), steps, mon)
	if err != nil {
		return nil, err
	}
	r := &KernelResult{
		Steps:            n,
		DirectMSPerStep:  msPer(direct, steps),
		KernelMSPerStep:  msPer(through, steps),
		MonitorMSPerStep: msPer(monitored, steps),
	}
	r.OverheadMSPerStep = r.KernelMSPerStep - r.DirectMSPerStep
	r.MonitorOverheadMSPerStep = r.MonitorMSPerStep - r.KernelMSPerStep
	return r, nil
}

// kernelRun runs one process of steps through a kernel, with mon if not nil.
func kernelRun(ctx context.Context, db *sqlite.DB, tool llmos.Tool, model kernel.Model, steps int, mon *security.Monitor) (time.Duration, int, error) {
	calls := kernel.NewSyscalls()
	tools := []llmos.Tool{tool}
	var m kernel.Monitor
	if mon != nil {
		tools, m = append(tools, mon.Tools()...), mon
	}
	for _, t := range tools {
		if err := calls.Register(t); err != nil {
			return 0, 0, err
		}
	}
	s := sched.New(sched.Config{})
	k, err := kernel.New(kernel.Config{
		Store: db, Sched: s, Syscalls: calls, Monitor: m,
		Open: func(string) (kernel.Model, error) { return model, nil },
	})
	if err != nil {
		return 0, 0, err
	}
	p, err := k.Spawn(ctx, kernel.Spec{Task: "what is 12345 * 6789", Model: "scripted:zero-latency", Budget: kernel.Budget{MaxSteps: steps}})
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	p, err = k.Run(ctx, p.PID, kernel.RunOptions{})
	if err != nil {
		return 0, 0, err
	}
	return time.Since(start), p.Steps, nil
}

// benchMonitor is the monitor of `llmos run` on a vault and an audit log in dir.
func benchMonitor(dir string) (*security.Monitor, *audit.Log, error) {
	key := make([]byte, vault.KeySize)
	v, err := vault.Open(dir, vault.Source{Kind: vault.KindEnv, Key: key})
	if err != nil {
		return nil, nil, err
	}
	log, err := audit.Open(filepath.Join(dir, audit.FileName), audit.Options{Sealer: v.For("_audit")})
	if err != nil {
		return nil, nil, err
	}
	g, err := guard.New(guard.Config{})
	if err != nil {
		log.Close()
		return nil, nil, err
	}
	mon, err := security.New(security.Config{Guard: g, Audit: log, Open: func(string) (kernel.Model, error) {
		return nil, llmos.Errorf(llmos.CodeUnavailable, "no reader in this benchmark")
	}, Sched: sched.New(sched.Config{})})
	if err != nil {
		log.Close()
		return nil, nil, err
	}
	return mon, log, nil
}

func msPer(d time.Duration, n int) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
