// Package ifc holds llmos's information-flow control: the policy that says
// which labels a syscall's arguments may carry, and the references ($v3)
// through which a planner that never reads untrusted text still moves it
// between tools.
//
// Every value in a process carries a llmos.Label: the sources it was derived
// from (user, system, tool, web, file, memory, app, agent) and who may read
// it. Tool results, fetched pages, files and retrieved memories are untrusted.
// In the dual-LLM split (package security), the planner sees such a value only
// as a reference; when it passes "$v3" as an argument, the monitor replaces
// the reference with the value (Resolve) and the argument takes the value's
// label. The policy then decides (Policy.Decide): a tool with side effects
// (shell, python, a web request, sending a message) given an argument derived
// from untrusted data is denied or sent to the user for approval, with the
// exact call shown.
//
// A policy is a YAML file, validated when llmos starts; an error names its
// line:
//
//	version: 1
//	mode: dual          # dual | spotlight | off
//	spotlight: datamark # delimit | datamark | base64
//	untrusted: ask      # ask | deny
//	tools:
//	  shell: {effects: true}
//	  send_email: {effects: true, args: {body: any}}
//
// Default returns the built-in policy (default.yaml beside this file).
package ifc
