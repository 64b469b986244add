package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
)

// Tools returns the memory syscalls a process pages with: editing core
// memory, searching recall memory, and inserting into and searching archival
// memory. Each acts in the namespace of the calling process.
func (m *Memory) Tools() []llmos.Tool {
	names := make([]string, len(m.cfg.Blocks))
	for i, b := range m.cfg.Blocks {
		names[i] = b.Name
	}
	blockEnum, _ := json.Marshal(names)
	return []llmos.Tool{
		{
			ToolDef: llmos.ToolDef{Name: "core_memory_append", Description: "Append a line to a core memory block, which stays in your context window.",
				Parameters: schema(`{"block":{"type":"string","enum":`+string(blockEnum)+`},"content":{"type":"string","minLength":1}}`, "block", "content")},
			Source: llmos.SourceSystem, // a confirmation computed from the arguments
			Call:   m.coreAppend,
		},
		{
			ToolDef: llmos.ToolDef{Name: "core_memory_replace", Description: "Replace text in a core memory block; an empty new text deletes the old.",
				Parameters: schema(`{"block":{"type":"string","enum":`+string(blockEnum)+`},"old":{"type":"string","minLength":1},"new":{"type":"string"}}`, "block", "old", "new")},
			Source: llmos.SourceSystem,
			Call:   m.coreReplace,
		},
		{
			ToolDef: llmos.ToolDef{Name: "conversation_search", Description: "Search everything said in earlier conversations, by words and by date (YYYY-MM-DD or RFC 3339).",
				Parameters: schema(`{"query":{"type":"string"},"after":{"type":"string"},"before":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":50}}`)},
			Source: llmos.SourceMemory,
			Call:   m.conversationSearch,
		},
		{
			ToolDef: llmos.ToolDef{Name: "archival_memory_insert", Description: "Store a fact or a document in long-term archival memory.",
				Parameters: schema(`{"content":{"type":"string","minLength":1}}`, "content")},
			Source: llmos.SourceSystem,
			Call:   m.archivalInsert,
		},
		{
			ToolDef: llmos.ToolDef{Name: "archival_memory_search", Description: "Search long-term archival memory by meaning and words.",
				Parameters: schema(`{"query":{"type":"string","minLength":1},"k":{"type":"integer","minimum":1,"maximum":50}}`, "query")},
			Source: llmos.SourceMemory,
			Call:   m.archivalSearch,
		},
	}
}

func schema(props string, required ...string) json.RawMessage {
	req, _ := json.Marshal(required)
	if required == nil {
		req = []byte("[]")
	}
	return json.RawMessage(`{"type":"object","properties":` + props + `,"required":` + string(req) + `,"additionalProperties":false}`)
}

func namespace(ctx context.Context) string {
	c, _ := llmos.CallerFrom(ctx)
	return nsOr(c.Namespace)
}

func (m *Memory) block(name string) (Block, error) {
	for _, b := range m.cfg.Blocks {
		if b.Name == name {
			return b, nil
		}
	}
	return Block{}, llmos.Errorf(llmos.CodeInvalid, "there is no core memory block %q", name)
}

func (m *Memory) setBlock(ctx context.Context, blk Block, value string) error {
	if n := len([]rune(value)); n > blk.Limit {
		return llmos.Errorf(llmos.CodeInvalid, "block %s would hold %d characters, over its limit of %d: replace or shorten something first",
			blk.Name, n, blk.Limit)
	}
	return m.cfg.Store.SetCoreBlock(ctx, namespace(ctx), blk.Name, value)
}

func (m *Memory) coreAppend(ctx context.Context, raw json.RawMessage) (string, error) {
	var a struct{ Block, Content string }
	if err := json.Unmarshal(raw, &a); err != nil {
		return "", llmos.Errorf(llmos.CodeInvalid, "arguments: %v", err)
	}
	blk, err := m.block(a.Block)
	if err != nil {
		return "", err
	}
	cur, err := m.blocks(ctx, namespace(ctx))
	if err != nil {
		return "", err
	}
	value := strings.TrimSpace(strings.TrimSpace(cur[blk.Name]) + "\n" + strings.TrimSpace(a.Content))
	if err := m.setBlock(ctx, blk, value); err != nil {
		return "", err
	}
	return fmt.Sprintf("appended to %s (%d of %d characters used)", blk.Name, len([]rune(value)), blk.Limit), nil
}

func (m *Memory) coreReplace(ctx context.Context, raw json.RawMessage) (string, error) {
	var a struct{ Block, Old, New string }
	if err := json.Unmarshal(raw, &a); err != nil {
		return "", llmos.Errorf(llmos.CodeInvalid, "arguments: %v", err)
	}
	blk, err := m.block(a.Block)
	if err != nil {
		return "", err
	}
	cur, err := m.blocks(ctx, namespace(ctx))
	if err != nil {
		return "", err
	}
	if !strings.Contains(cur[blk.Name], a.Old) {
		return "", llmos.Errorf(llmos.CodeInvalid, "block %s does not contain %q", blk.Name, a.Old)
	}
	value := strings.TrimSpace(strings.Replace(cur[blk.Name], a.Old, a.New, 1))
	if err := m.setBlock(ctx, blk, value); err != nil {
		return "", err
	}
	return fmt.Sprintf("replaced in %s (%d of %d characters used)", blk.Name, len([]rune(value)), blk.Limit), nil
}

// parseDate reads a date as YYYY-MM-DD or RFC 3339; empty is the zero time.
func parseDate(s, what string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, llmos.Errorf(llmos.CodeInvalid, "%s %q is not a date: write YYYY-MM-DD or RFC 3339", what, s)
}

func (m *Memory) conversationSearch(ctx context.Context, raw json.RawMessage) (string, error) {
	var a struct {
		Query, After, Before string
		Limit                int
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return "", llmos.Errorf(llmos.CodeInvalid, "arguments: %v", err)
	}
	after, err := parseDate(a.After, "after")
	if err != nil {
		return "", err
	}
	before, err := parseDate(a.Before, "before")
	if err != nil {
		return "", err
	}
	if a.Before != "" && len(strings.TrimSpace(a.Before)) == 10 {
		before = before.Add(24 * time.Hour) // a date includes its whole day
	}
	hits, err := m.cfg.Store.SearchMessages(ctx, RecallQuery{Namespace: namespace(ctx), Text: a.Query, After: after, Before: before, Limit: a.Limit})
	if err != nil {
		return "", err
	}
	if len(hits) == 0 {
		return "no messages found", nil
	}
	var b strings.Builder
	for i, h := range hits {
		fmt.Fprintf(&b, "%d. [%s, process %d, %s] %s\n", i+1, h.Time.Format("2006-01-02 15:04"), h.PID, h.Role, clip(h.Text, 500))
	}
	return b.String(), nil
}

func (m *Memory) archivalInsert(ctx context.Context, raw json.RawMessage) (string, error) {
	var a struct{ Content string }
	if err := json.Unmarshal(raw, &a); err != nil {
		return "", llmos.Errorf(llmos.CodeInvalid, "arguments: %v", err)
	}
	c, _ := llmos.CallerFrom(ctx)
	// What the agent stores keeps the label of what it was derived from (a
	// web page's text stays web), so that it is untrusted when recalled.
	label := llmos.LabelOf(llmos.SourceAgent).Join(llmos.LabelFrom(ctx))
	it := Item{Namespace: namespace(ctx), Text: a.Content, Label: label,
		Meta: map[string]string{"kind": "archival", "pid": fmt.Sprint(c.PID)}}
	if err := m.Insert(ctx, []Item{it}); err != nil {
		return "", err
	}
	return "stored in archival memory", nil
}

func (m *Memory) archivalSearch(ctx context.Context, raw json.RawMessage) (string, error) {
	var a struct {
		Query string
		K     int
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return "", llmos.Errorf(llmos.CodeInvalid, "arguments: %v", err)
	}
	if a.K <= 0 {
		a.K = 10
	}
	found, err := m.Search(ctx, namespace(ctx), a.Query, a.K+8, vector.Filter{})
	if err != nil {
		return "", err
	}
	// The caller's own conversation is in its window already.
	c, _ := llmos.CallerFrom(ctx)
	own := strconv.FormatInt(c.PID, 10)
	kept := found[:0]
	for _, f := range found {
		if !(f.Meta["kind"] == "message" && f.Meta["pid"] == own) && len(kept) < a.K {
			kept = append(kept, f)
		}
	}
	found = kept
	if len(found) == 0 {
		return "nothing found in archival memory", nil
	}
	var b strings.Builder
	for i, f := range found {
		fmt.Fprintf(&b, "%d. [%s] %s\n", i+1, f.Time.Format("2006-01-02"), clip(f.Text, 500))
	}
	return b.String(), nil
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
