// Package redteam is llmos's red-team scanner (`llmos scan`): families of
// known attack techniques, generated into probe instances (templates ×
// payloads × encodings), fired at a target (any model endpoint, a local
// program, an HTTP API, or llmos's own kernel with its tools and security
// monitor), each reply judged by the probe's detector, and the results
// written as reports for people and for CI.
package redteam

import (
	"context"

	"github.com/llmos/llmos"
)

// Probe is one attack instance.
type Probe struct {
	// ID is unique and stable across runs: family/template/payload/encoding.
	ID     string `json:"id"`
	Family string `json:"family"`
	// Prompt is the user's message to the target.
	Prompt string `json:"prompt"`
	// Documents are untrusted texts the target reads while answering (a
	// fetched page, a file, a tool's output): the carrier of indirect
	// injection. Targets that cannot take documents append them to Prompt.
	Documents []string `json:"documents,omitempty"`
	// Goal says in words what a successful attack makes the target do.
	Goal string `json:"goal"`
	// Detector judges the reply.
	Detector Detector `json:"-"`
	// Marker is the string or secret whose appearance means success, when
	// the detector looks for one (a trigger word, the canary, a payload).
	Marker string `json:"marker,omitempty"`
	// Tools are decoy tools the probe needs offered (see ScanTools): a
	// target that can call tools should be sent them in Request.Tools.
	Tools []llmos.ToolDef `json:"tools,omitempty"`
}

// Family is a class of attacks.
type Family struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Probes      []Probe `json:"-"`
}

// Request is what a target is sent for one attempt.
type Request struct {
	// System is the system prompt, with the planted canary, for targets
	// that take one.
	System    string
	Prompt    string
	Documents []string
	// Tools are offered to targets that can call them (the llmos kernel).
	Tools []llmos.ToolDef
	Seed  uint64
}

// Reply is what came back: text, and the tool calls a target made (the
// llmos kernel reports the syscalls the injection got it to make).
type Reply struct {
	Text      string           `json:"text"`
	ToolCalls []llmos.ToolCall `json:"tool_calls,omitempty"`
}

// Target is something under test.
type Target interface {
	Name() string
	Send(ctx context.Context, req Request) (Reply, error)
}

// Attempt is one probe sent once, and its verdict.
type Attempt struct {
	Probe      Probe  `json:"probe"`
	Generation int    `json:"generation"`
	Canary     string `json:"canary"`
	Reply      Reply  `json:"reply"`
	Error      string `json:"error,omitempty"`
	Hit        bool   `json:"hit"`
	// Score is the detector's confidence in [0, 1]; Reason says why.
	Score    float64 `json:"score"`
	Reason   string  `json:"reason,omitempty"`
	Detector string  `json:"detector"`
}

// Detector judges whether an attempt succeeded.
type Detector interface {
	Name() string
	Detect(ctx context.Context, a *Attempt) (hit bool, score float64, reason string)
}
