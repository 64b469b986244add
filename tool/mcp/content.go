package mcp

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// MaxOutput bounds the text of one tool result in bytes; the rest is cut and
// replaced by a note saying how much was left out.
const MaxOutput = 1 << 20

// resultText renders a tool result as text for the model: text content as it
// is, other content summarised ("[image: 12 KB png]"), the parts joined by
// newlines. A result with no content shows its structured content as JSON.
func resultText(res *sdk.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		parts = append(parts, contentText(c))
	}
	if len(parts) == 0 && res.StructuredContent != nil {
		if b, err := json.Marshal(res.StructuredContent); err == nil {
			parts = append(parts, string(b))
		}
	}
	return truncate(strings.Join(parts, "\n"), MaxOutput)
}

// contentText renders one piece of content.
func contentText(c sdk.Content) string {
	switch c := c.(type) {
	case *sdk.TextContent:
		return c.Text
	case *sdk.ImageContent:
		return summary("image", len(c.Data), c.MIMEType)
	case *sdk.AudioContent:
		return summary("audio", len(c.Data), c.MIMEType)
	case *sdk.ResourceLink:
		name := c.Name
		if c.Title != "" {
			name = c.Title
		}
		return fmt.Sprintf("[resource link: %s %s]", oneLine(name, 200), oneLine(c.URI, 2000))
	case *sdk.EmbeddedResource:
		r := c.Resource
		if r == nil {
			return "[resource]"
		}
		if r.Blob != nil {
			return fmt.Sprintf("[resource %s: %s %s]", oneLine(r.URI, 2000), size(len(r.Blob)), kind(r.MIMEType))
		}
		return fmt.Sprintf("[resource %s]\n%s", oneLine(r.URI, 2000), r.Text)
	case *sdk.ToolUseContent:
		return "[tool use]"
	case *sdk.ToolResultContent:
		return "[tool result]"
	case nil:
		return ""
	}
	return "[unsupported content]"
}

// summary describes binary content the model cannot read as text.
func summary(what string, n int, mime string) string {
	if k := kind(mime); k != "" {
		return fmt.Sprintf("[%s: %s %s]", what, size(n), k)
	}
	return fmt.Sprintf("[%s: %s]", what, size(n))
}

// size writes a byte count as people read it: 512 B, 12 KB, 3.4 MB.
func size(n int) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+512)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// kind is the subtype of a MIME type ("png" for "image/png; x=y"), kept to
// a few safe characters since the server chose it.
func kind(mime string) string {
	if i := strings.IndexByte(mime, ';'); i >= 0 {
		mime = mime[:i]
	}
	if i := strings.IndexByte(mime, '/'); i >= 0 {
		mime = mime[i+1:]
	}
	var b strings.Builder
	for _, r := range strings.TrimSpace(mime) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".+-_", r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// oneLine flattens s to one line of at most max bytes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = truncateBytes(s, max) + "…"
	}
	return s
}

// truncate cuts s to at most max bytes, on a rune boundary, and says how
// much was cut.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := truncateBytes(s, max)
	return cut + fmt.Sprintf("\n[truncated: %d more bytes]", len(s)-len(cut))
}

// truncateBytes is the longest prefix of s of at most max bytes that does
// not split a rune.
func truncateBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}
