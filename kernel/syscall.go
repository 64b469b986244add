package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/llmos/llmos"
)

// Syscalls is the syscall table: every tool an agent can call, with the
// schema its arguments must match and the capabilities it needs. A tool is
// only ever run through Dispatch, which checks both.
type Syscalls struct {
	mu    sync.RWMutex
	tools map[string]*syscall
}

type syscall struct {
	tool   llmos.Tool
	schema *jsonschema.Resolved
}

// NewSyscalls returns an empty table.
func NewSyscalls() *Syscalls { return &Syscalls{tools: map[string]*syscall{}} }

// Register adds a tool. Its name must be unique and its schema valid.
func (t *Syscalls) Register(tool llmos.Tool) error {
	if tool.Name == "" || strings.ContainsAny(tool.Name, " \t\n") {
		return llmos.Errorf(llmos.CodeInvalid, "tool name %q is not valid", tool.Name)
	}
	if tool.Call == nil {
		return llmos.Errorf(llmos.CodeInvalid, "tool %s has no Call", tool.Name)
	}
	var s jsonschema.Schema
	if err := json.Unmarshal(tool.Parameters, &s); err != nil {
		return llmos.Errorf(llmos.CodeInvalid, "tool %s: parameters are not a JSON Schema: %v", tool.Name, err)
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		return llmos.Errorf(llmos.CodeInvalid, "tool %s: schema: %v", tool.Name, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, dup := t.tools[tool.Name]; dup {
		return llmos.Errorf(llmos.CodeConflict, "tool %s is already registered", tool.Name)
	}
	t.tools[tool.Name] = &syscall{tool: tool, schema: rs}
	return nil
}

// Defs returns the definitions of the tools a holder of caps may call, by name.
func (t *Syscalls) Defs(caps []string) []llmos.ToolDef {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var defs []llmos.ToolDef
	for _, sc := range t.tools {
		if allowed(caps, sc.tool.Capabilities) == "" {
			defs = append(defs, sc.tool.ToolDef)
		}
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	return defs
}

// Names lists the registered tools.
func (t *Syscalls) Names() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var names []string
	for n := range t.tools {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// allowed returns the first capability in need that caps lacks, or "".
// The capability "*" holds every other.
func allowed(caps, need []string) string {
	if slices.Contains(caps, "*") {
		return ""
	}
	for _, c := range need {
		if !slices.Contains(caps, c) {
			return c
		}
	}
	return ""
}

// Dispatch runs one tool call for a process holding caps and returns the
// tool message that answers it. Every failure (an unknown tool, a missing
// capability, arguments that are not JSON or break the schema, an error or a
// panic in the tool, a timeout) becomes an error result that the model can
// read and correct; only the tool's own result text carries its label.
func (t *Syscalls) Dispatch(ctx context.Context, caps []string, call llmos.ToolCall, timeout time.Duration) llmos.Message {
	msg := llmos.Message{Role: llmos.RoleTool, ToolCallID: call.ID, Name: call.Name}
	fail := func(format string, args ...any) llmos.Message {
		msg.IsError = true
		msg.Content = "error: " + fmt.Sprintf(format, args...)
		return msg
	}
	sc, refusal := t.find(caps, call.Name)
	if sc == nil {
		return fail("%s", refusal)
	}
	raw := strings.TrimSpace(call.Arguments)
	if raw == "" {
		raw = "{}"
	}
	var args any
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		return fail("the arguments of %s are not valid JSON (%v); send a JSON object matching its schema", call.Name, err)
	}
	if err := sc.schema.Validate(args); err != nil {
		return fail("the arguments of %s do not match its schema: %v", call.Name, err)
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	out, err := callTool(ctx, sc.tool, json.RawMessage(raw))
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return fail("%s timed out after %v", call.Name, timeout)
		}
		if llmos.ErrorCode(err) == llmos.CodeInternal {
			slog.Error("tool failed", "tool", call.Name, "err", err)
			return fail("%s failed with an internal error", call.Name)
		}
		// The tool's own error text may hold what it read: it keeps the
		// tool's label, as a result would.
		msg = fail("%s", llmos.ErrorMessage(err))
		msg.Label = labelOf(sc.tool)
		return msg
	}
	msg.Content = out
	msg.Label = labelOf(sc.tool)
	return msg
}

// labelOf is the label of what a tool returns: its Source, or SourceTool.
func labelOf(t llmos.Tool) llmos.Label {
	if t.Source == "" {
		return llmos.LabelOf(llmos.SourceTool)
	}
	return llmos.LabelOf(t.Source)
}

// find returns the tool a holder of caps may call by name, or why not.
func (t *Syscalls) find(caps []string, name string) (*syscall, string) {
	t.mu.RLock()
	sc := t.tools[name]
	t.mu.RUnlock()
	if sc == nil {
		return nil, fmt.Sprintf("there is no tool named %q; the tools are: %s", name, strings.Join(t.Names(), ", "))
	}
	if missing := allowed(caps, sc.tool.Capabilities); missing != "" {
		return nil, fmt.Sprintf("permission denied: %s needs the capability %q, which this process does not hold", name, missing)
	}
	return sc, ""
}

// callTool calls the tool, turning a panic into an internal error.
func callTool(ctx context.Context, tool llmos.Tool, args json.RawMessage) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = llmos.Wrap(fmt.Errorf("panic: %v\n%s", r, debug.Stack()), llmos.CodeInternal, "")
		}
	}()
	return tool.Call(ctx, args)
}
