package llmos

import "context"

// Caller identifies the process on whose behalf a syscall runs. The kernel
// puts it in the context it gives a tool, so that memory, files and policies
// act for the right process and user.
type Caller struct {
	PID int64
	// Namespace is the user (or tenant) whose memories the process reads and writes.
	Namespace string
	// Model is the process's model, provider:model.
	Model string
	// Caps are the capabilities the process holds.
	Caps []string
}

// Holds reports whether the caller holds a capability ("*" holds all).
func (c Caller) Holds(capability string) bool {
	for _, h := range c.Caps {
		if h == capability || h == "*" {
			return true
		}
	}
	return false
}

type callerKey struct{}

// WithCaller returns a context carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller in ctx, if any.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

type labelKey struct{}

// WithLabel returns a context carrying the label of a syscall's arguments, so
// that a tool that stores what it is given (archival memory) stores it with
// the label of where it came from.
func WithLabel(ctx context.Context, l Label) context.Context {
	return context.WithValue(ctx, labelKey{}, l)
}

// LabelFrom returns the label of the arguments in ctx; the zero label if none.
func LabelFrom(ctx context.Context) Label {
	l, _ := ctx.Value(labelKey{}).(Label)
	return l
}
