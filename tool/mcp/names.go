package mcp

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// MaxNameLength is the longest tool name ToolName returns: the limit of
// OpenAI, Anthropic and Gemini for function names.
const MaxNameLength = 64

// ToolName returns the llmos name of the tool called tool on the server
// called server: "mcp.<server>.<tool>".
//
// The rule, which keeps every name within [A-Za-z0-9_.-]{1,64}:
//   - in the server's name, every character outside [A-Za-z0-9_-] becomes
//     "_" (dots too, so the first two dots of a name always delimit the
//     server);
//   - in the tool's name, every character outside [A-Za-z0-9_.-] becomes "_";
//   - an empty part becomes "_";
//   - a name longer than 64 bytes is shortened: the server part to 20 bytes
//     or more (what the tool part leaves), the tool part to what remains,
//     and the tool part ends with "_" and 8 hex digits of the SHA-256 of the
//     original names, so two long names that share a prefix stay distinct.
//
// Two tools of a server whose names differ only in replaced characters
// would get the same name; Client.Tools gives the one that had to be
// renamed the hashed form instead.
func ToolName(server, tool string) string { return toolName(server, tool, false) }

// hashedName is the name of the tool in the hashed form, whatever its length.
func hashedName(server, tool string) string { return toolName(server, tool, true) }

func toolName(server, tool string, hash bool) string {
	s, t := clean(server, false), clean(tool, true)
	if name := "mcp." + s + "." + t; len(name) <= MaxNameLength && !hash {
		return name
	}
	sum := sha256.Sum256([]byte(server + "\x00" + tool))
	suffix := "_" + hex.EncodeToString(sum[:4])
	room := MaxNameLength - len("mcp..") - len(suffix)
	if keep := max(20, room-len(t)); len(s) > keep {
		s = s[:keep]
	}
	if len(t) > room-len(s) {
		t = t[:room-len(s)]
	}
	return "mcp." + s + "." + t + suffix
}

// clean replaces the characters of s that may not appear in a tool name.
func clean(s string, dots bool) string {
	if s == "" {
		return "_"
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		case r == '.' && dots:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() > MaxNameLength {
			// The name will be cut anyway; stop early on huge inputs.
			break
		}
	}
	return b.String()
}
