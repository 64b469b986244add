// Package llmos holds the vocabulary every llmos package shares: messages,
// tool calls and tool definitions, model requests and responses, labels, and
// errors that carry a machine-readable code. It imports nothing of ours, so
// every dependency in the module points inward, towards it.
//
// The rest of the system is laid out in DESIGN.md: the kernel (package kernel)
// runs agents as processes, asks a model (package provider/...) through the
// scheduler (package sched), and dispatches the tool calls the model returns
// through its syscall table to tools (package tool/...).
package llmos
