package mcp

import (
	"encoding/json"
	"regexp"
	"testing"
	"unicode/utf8"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

var validName = regexp.MustCompile(`^mcp\.[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+$`)

// FuzzToolName checks that every server and tool name, however odd, gives
// a valid tool name of at most 64 bytes whose server part has no dot.
func FuzzToolName(f *testing.F) {
	for _, s := range [][2]string{{"github", "create_issue"}, {"a.b", "c.d"}, {"", ""}, {"ü", "\x00"}, {string(make([]byte, 200)), "x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, server, tool string) {
		name := ToolName(server, tool)
		if len(name) > MaxNameLength || !validName.MatchString(name) {
			t.Fatalf("ToolName(%q, %q) = %q", server, tool, name)
		}
		if ToolName(server, tool) != name {
			t.Fatal("not deterministic")
		}
		if h := hashedName(server, tool); len(h) > MaxNameLength || !validName.MatchString(h) {
			t.Fatalf("hashed: %q", h)
		}
	})
}

// FuzzObjectSchema checks that any schema a server sends becomes an object
// schema the kernel's validator accepts, without a panic.
func FuzzObjectSchema(f *testing.F) {
	for _, s := range []string{`{"type":"object"}`, `{}`, `null`, `[]`, `{"type":["object","null"]}`, `{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"a":{}},"properties":{"x":{"$ref":"#/definitions/a"}}}`, `{"type":"object","properties":{"x":{"$ref":"#/nope"}}}`, `{"type":5}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, _ := objectSchema(raw)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(out, &m); err != nil || string(m["type"]) != `"object"` {
			t.Fatalf("objectSchema(%q) = %s", raw, out)
		}
		if !resolves(out) {
			t.Fatalf("objectSchema(%q) = %s, which does not resolve", raw, out)
		}
	})
}

// FuzzResultText checks that any tools/call result the SDK decodes renders
// as valid, bounded text.
func FuzzResultText(f *testing.F) {
	for _, s := range []string{
		`{"content":[{"type":"text","text":"hi"}]}`,
		`{"content":[{"type":"image","data":"AAAA","mimeType":"image/png"}],"isError":true}`,
		`{"content":[{"type":"resource","resource":{"uri":"file:///x","blob":"AAAA"}}]}`,
		`{"content":[{"type":"resource_link","uri":"x","name":"y"}]}`,
		`{"content":[],"structuredContent":{"a":[1,2]}}`,
		`{"content":[{"type":"audio","data":"","mimeType":";/"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var res sdk.CallToolResult
		if err := json.Unmarshal(raw, &res); err != nil {
			return
		}
		out := resultText(&res)
		if len(out) > MaxOutput+100 {
			t.Fatalf("%d bytes", len(out))
		}
		if utf8.Valid(raw) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from valid input: %q", out)
		}
	})
}
