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

	calls := kernel.NewSyscalls()
	if err := calls.Register(tool); err != nil {
		return nil, err
	}
	model = script()
	k, err := kernel.New(kernel.Config{
		Store: db, Sched: sched.New(sched.Config{}), Syscalls: calls,
		Open: func(string) (kernel.Model, error) { return model, nil },
	})
	if err != nil {
		return nil, err
	}
	p, err := k.Spawn(ctx, kernel.Spec{Task: "what is 12345 * 6789", Model: "scripted:zero-latency", Budget: kernel.Budget{MaxSteps: steps}})
	if err != nil {
		return nil, err
	}
	start = time.Now()
	p, err = k.Run(ctx, p.PID, kernel.RunOptions{})
	if err != nil {
		return nil, err
	}
	through := time.Since(start)
	r := &KernelResult{
		Steps:           p.Steps,
		DirectMSPerStep: msPer(direct, steps),
		KernelMSPerStep: msPer(through, steps),
	}
	r.OverheadMSPerStep = r.KernelMSPerStep - r.DirectMSPerStep
	return r, nil
}

func msPer(d time.Duration, n int) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
