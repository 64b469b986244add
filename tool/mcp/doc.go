// Package mcp connects llmos to the Model Context Protocol, both ways, with
// the official Go SDK (github.com/modelcontextprotocol/go-sdk).
//
// # Client: MCP servers as syscalls
//
// The servers listed in the configuration ("mcp_servers", a map from a name
// to a Server) are devices: Connect starts a stdio server's command (its
// stderr goes to the log, and it does not inherit llmos's environment) or
// opens a session with a streamable HTTP endpoint, and Client.Tools turns
// each of the server's tools into an llmos.Tool that the kernel registers in
// its syscall table like any other. A call therefore takes the one syscall
// path: the kernel checks the process's capabilities (Server.Capabilities,
// "mcp" by default) and the arguments against the tool's input schema, then
// Call sends tools/call to the server. Results are labelled as tool output,
// untrusted.
//
//	clients, tools, errs := mcp.ConnectAll(ctx, cfg.MCPServers, logger)
//	for _, t := range tools {
//		calls.Register(t) // mcp.files.read_file, mcp.search.query, ...
//	}
//
// A server that crashes, hangs past the call's deadline, or writes something
// that is not MCP costs one call an error result, never a panic: the next
// call connects again (a stdio server is started again) or, after a
// timeout, first checks with a ping that the server still answers.
//
// Tool names are "mcp.<server>.<tool>", limited to [A-Za-z0-9_.-] and 64
// bytes; ToolName states the rule. OpenAI and Anthropic accept no dots in
// function names, so their adapters must map names on the wire.
//
// # Server: llmos's tools over MCP
//
// Serve offers llmos's own tools (the calculator, memory...) to an MCP
// client, over stdio for `llmos mcp serve` or any sdk.Transport; Handler
// does it over streamable HTTP. Every call goes through a Dispatch function,
// the kernel's syscall table with the client's capabilities, so an MCP
// client passes the same checks as an agent.
package mcp
