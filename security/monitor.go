package security

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/security/audit"
	"github.com/llmos/llmos/security/guard"
	"github.com/llmos/llmos/security/ifc"
	"github.com/llmos/llmos/security/spotlight"
)

// Evaluator runs the input and output evaluators; *guard.Guard is one.
type Evaluator interface {
	Check(ctx context.Context, in guard.Input) guard.Verdict
}

// Auditor appends records to the audit log; *audit.Log is one.
type Auditor interface {
	Append(ctx context.Context, r audit.Record) (audit.Record, error)
}

// Approval is a syscall that the policy sends to the user: the exact call,
// its arguments with references replaced by the values they name, and why
// it needs approval.
type Approval struct {
	PID     int64    `json:"pid"`
	Tool    string   `json:"tool"`
	Args    string   `json:"args"`
	Reasons []string `json:"reasons"`
}

// Approver asks the user whether a syscall may run. It returns false when the
// user refuses; an error (no one to ask) counts as a refusal.
type Approver func(ctx context.Context, a Approval) (bool, error)

// Config is what a monitor is made of.
type Config struct {
	// Policy is the information-flow policy; ifc.Default() if nil.
	Policy *ifc.Policy
	// Guard runs the evaluators; nil runs none.
	Guard Evaluator
	// Audit receives every decision and flagged verdict; nil keeps none.
	Audit Auditor
	// Approve asks the user about calls the policy sends to them; nil
	// denies them, saying that no one could be asked.
	Approve Approver
	// Open and Sched run the quarantined reader's model calls (dual mode).
	Open  func(name string) (kernel.Model, error)
	Sched kernel.Scheduler
	// Logger; slog.Default() if nil.
	Logger *slog.Logger
}

// Monitor is the reference monitor. It is safe for concurrent use by the
// runs of many processes.
type Monitor struct {
	cfg     Config
	log     *slog.Logger
	approve sync.Mutex // one approval prompt at a time
}

var _ kernel.Monitor = (*Monitor)(nil)

// New returns a monitor.
func New(cfg Config) (*Monitor, error) {
	if cfg.Policy == nil {
		cfg.Policy = ifc.Default()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Policy.Mode == ifc.Dual && (cfg.Open == nil || cfg.Sched == nil) {
		return nil, llmos.Errorf(llmos.CodeInternal, "security: dual mode needs Open and Sched for the reader")
	}
	return &Monitor{cfg: cfg, log: cfg.Logger}, nil
}

// Policy returns the monitor's policy.
func (m *Monitor) Policy() *ifc.Policy { return m.cfg.Policy }

// Tools returns the syscalls the monitor adds to the table: the quarantined
// reader, in dual mode.
func (m *Monitor) Tools() []llmos.Tool {
	if m.cfg.Policy.Mode != ifc.Dual {
		return nil
	}
	return []llmos.Tool{m.readTool()}
}

// Session implements kernel.Monitor.
func (m *Monitor) Session(ctx context.Context, p *kernel.Process) (kernel.Session, error) {
	mode, err := spotlight.ParseMode(m.cfg.Policy.Spotlight)
	if err != nil {
		return nil, err
	}
	return &session{
		m: m, pid: p.PID, ns: p.Namespace, model: p.Model,
		fence:  spotlight.New(mode),
		canary: "llmos-canary-" + randomHex(8),
		seen:   map[string]seen{},
		memRef: map[string]string{},
		mem:    map[string]ifc.Value{},
	}, nil
}

// record appends an audit record. A syscall whose record cannot be written
// does not run, so the caller gets the error.
func (m *Monitor) record(ctx context.Context, r audit.Record, data any) error {
	if m.cfg.Audit == nil {
		return nil
	}
	if data != nil {
		r.Data, _ = json.Marshal(data)
	}
	if _, err := m.cfg.Audit.Append(context.WithoutCancel(ctx), r); err != nil {
		m.log.Error("audit: cannot append", "kind", r.Kind, "err", err)
		return llmos.Wrap(err, llmos.CodeUnavailable, "the audit log cannot be written")
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
