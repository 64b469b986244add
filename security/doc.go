// Package security is llmos's reference monitor: every model call and every
// syscall of a process passes it (it implements kernel.Monitor), so nothing
// reaches a device or a model except through it.
//
// For each step of a process, the monitor:
//
//   - before the model call (Session.Request): scans the untrusted messages
//     with the input evaluators (package security/guard), and shows them to
//     the model as the policy's mode says. In dual mode the planner sees only
//     references ($v3) to untrusted values, never their text; in spotlight
//     mode it sees them fenced by control tokens (security/spotlight) and
//     everything it writes afterwards counts as derived from them. A canary
//     planted in the system prompt catches its leakage later.
//   - after the model call (Session.Reply): runs the output evaluators on the
//     reply (canary leakage, exfiltration links, secrets).
//   - before each syscall (Session.Syscall): replaces references by their
//     values, labels each argument with the sources of what it was derived
//     from, runs the evaluators on the arguments (dangerous code), and applies
//     the information-flow policy (security/ifc): a side-effect tool given
//     untrusted arguments is denied or sent to the user for approval with the
//     exact call shown.
//   - after it (Session.Result): labels the result with the arguments' label.
//   - on the final answer (Session.Answer): expands references for the user
//     and runs the output evaluators.
//
// Each decision and each flagged verdict is appended to the hash-chained
// audit log (security/audit).
//
// The quarantined reader of the dual-LLM split is the syscall "read"
// (Monitor.Tools): a model call with no tools that reads an untrusted value
// and answers with JSON matching the schema the planner asked for; its answer
// keeps the value's label. Booleans and enums are shown to the planner; any
// other answer stays behind a new reference.
package security
