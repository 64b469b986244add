package mcp

import (
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/llmos/llmos"
)

// Server configures one MCP server: either a command that llmos starts and
// talks to over its stdin and stdout, or the URL of a streamable HTTP
// endpoint. It is the value type of "mcp_servers" in the llmos
// configuration, keyed by the server's name:
//
//	"mcp_servers": {
//	  "files": {"command": ["mcp-server-filesystem", "/home/ada/notes"]},
//	  "search": {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer ..."},
//	             "capabilities": ["mcp", "net"]}
//	}
type Server struct {
	// Command is the program and its arguments, for a server on stdio.
	Command []string `json:"command,omitempty"`
	// Env is added to the environment of the command. The command does not
	// inherit llmos's environment, which holds provider keys: it gets only
	// PATH, HOME, USER, LOGNAME, SHELL, TERM, LANG, LC_ALL, TMPDIR and TZ,
	// and then Env.
	Env map[string]string `json:"env,omitempty"`
	// URL is the endpoint of a server on streamable HTTP.
	URL string `json:"url,omitempty"`
	// Headers are sent with every HTTP request, such as Authorization.
	Headers map[string]string `json:"headers,omitempty"`
	// Capabilities are the capabilities a process must hold to call the
	// server's tools: all of them. When empty, ["mcp"].
	Capabilities []string `json:"capabilities,omitempty"`
}

// DefaultCapabilities are what a process needs to call the tools of a server
// whose configuration names none.
var DefaultCapabilities = []string{"mcp"}

// Validate checks that s names exactly one transport and that its fields fit
// it. Its errors have code invalid and do not show header or environment
// values, which may be secrets.
func (s Server) Validate() error {
	switch {
	case len(s.Command) > 0 && s.URL != "":
		return llmos.Errorf(llmos.CodeInvalid, "an MCP server has a command or a url, not both")
	case len(s.Command) > 0:
		if strings.TrimSpace(s.Command[0]) == "" {
			return llmos.Errorf(llmos.CodeInvalid, "the command of an MCP server is empty")
		}
		if len(s.Headers) > 0 {
			return llmos.Errorf(llmos.CodeInvalid, "headers are for MCP servers with a url, not a command")
		}
		for k := range s.Env {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return llmos.Errorf(llmos.CodeInvalid, "the MCP server environment has an invalid variable name %q", k)
			}
		}
	case s.URL != "":
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return llmos.Errorf(llmos.CodeInvalid, "the url of an MCP server must be an http(s) URL")
		}
		if len(s.Env) > 0 {
			return llmos.Errorf(llmos.CodeInvalid, "env is for MCP servers with a command, not a url")
		}
		for k := range s.Headers {
			if k == "" || strings.ContainsAny(k, " :\r\n") {
				return llmos.Errorf(llmos.CodeInvalid, "the MCP server has an invalid header name %q", k)
			}
		}
	default:
		return llmos.Errorf(llmos.CodeInvalid, "an MCP server needs a command or a url")
	}
	for _, c := range s.Capabilities {
		if c == "" || strings.ContainsAny(c, " \t\n") {
			return llmos.Errorf(llmos.CodeInvalid, "the MCP server has an invalid capability %q", c)
		}
	}
	return nil
}

// caps returns the capabilities the server's tools need.
func (s Server) caps() []string {
	if len(s.Capabilities) == 0 {
		return append([]string(nil), DefaultCapabilities...)
	}
	return append([]string(nil), s.Capabilities...)
}

// inherited are the variables a server's command gets from llmos's
// environment, as the reference SDKs do.
var inherited = []string{"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LC_ALL", "TMPDIR", "TZ"}

// environ is the environment of a server's command.
func (s Server) environ() []string {
	env := map[string]string{}
	for _, k := range inherited {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	for k, v := range s.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
