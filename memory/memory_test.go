package memory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/embed"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/memory"
	"github.com/llmos/llmos/provider/scripted"
	"github.com/llmos/llmos/sched"
	"github.com/llmos/llmos/store/sqlite"
	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/local"
)

type rig struct {
	db   *sqlite.DB
	idx  vector.Index
	mem  *memory.Memory
	k    *kernel.Kernel
	dir  string
	tool map[string]llmos.Tool
}

func newRig(t *testing.T, model *scripted.Model, cfg memory.Config) *rig {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	idx, err := local.Open(ctx, filepath.Join(dir, "vector"), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	emb, err := embed.Open("offline", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Index, cfg.Embedder = db, idx, emb
	mem, err := memory.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	calls := kernel.NewSyscalls()
	tools := map[string]llmos.Tool{}
	for _, tl := range mem.Tools() {
		tools[tl.Name] = tl
		if err := calls.Register(tl); err != nil {
			t.Fatal(err)
		}
	}
	k, err := kernel.New(kernel.Config{Store: db, Sched: sched.New(sched.Config{}), Syscalls: calls, Memory: mem,
		Open: func(string) (kernel.Model, error) { return model, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{db: db, idx: idx, mem: mem, k: k, dir: dir, tool: tools}
}

func (r *rig) run(t *testing.T, task string) *kernel.Process {
	t.Helper()
	p, err := r.k.Spawn(context.Background(), kernel.Spec{Task: task, Model: "scripted:test", Namespace: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	p, err = r.k.Run(context.Background(), p.PID, kernel.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (r *rig) call(t *testing.T, name, args string) (string, error) {
	t.Helper()
	ctx := llmos.WithCaller(context.Background(), llmos.Caller{PID: 1, Namespace: "ada"})
	return r.tool[name].Call(ctx, json.RawMessage(args))
}

func lastWindow(m *scripted.Model) []llmos.Message {
	reqs := m.Requests()
	return reqs[len(reqs)-1].Messages
}

func windowText(msgs []llmos.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Content + "\n")
	}
	return b.String()
}

// A fact said in one process is paged into another's window, months of
// messages later, when the user asks about it in other words.
func TestPageInAcrossProcesses(t *testing.T) {
	m := scripted.New(scripted.Say("ok"))
	m.Repeat = true
	r := newRig(t, m, memory.Config{})
	r.run(t, "By the way, my favourite book is The Dispossessed by Ursula Le Guin.")
	for i := range 30 {
		r.run(t, fmt.Sprintf("Please draft a note about the quarterly budget, item %d.", i))
	}
	p := r.run(t, "Which book do I like best?")
	win := lastWindow(m)
	if !strings.Contains(windowText(win), "The Dispossessed") {
		t.Fatalf("the fact was not paged in:\n%s", windowText(win))
	}
	var paged *llmos.Message
	for i := range win {
		if strings.Contains(win[i].Content, "<retrieved_memories") {
			paged = &win[i]
		}
	}
	if paged == nil || paged.Label.Trusted() {
		t.Errorf("paged-in memories are not fenced and labelled untrusted: %+v", paged)
	}
	if p.Memory.PageFaults == 0 {
		t.Errorf("no page fault counted: %+v", p.Memory)
	}
	evs, _ := r.db.Events(context.Background(), p.PID, 0)
	var sawMemory bool
	for _, e := range evs {
		sawMemory = sawMemory || (e.Kind == "memory" && e.Window != nil && e.Window.Faults > 0)
	}
	if !sawMemory {
		t.Error("the trace has no memory event with the page faults")
	}
}

// Under memory pressure the model is warned, then the oldest messages are
// evicted to recall memory and summarised, and can still be searched.
func TestPressureWarnsThenEvicts(t *testing.T) {
	m := scripted.New(scripted.Say("Fine, noted."))
	m.Repeat = true
	r := newRig(t, m, memory.Config{ContextTokens: 1200})
	p, err := r.k.Spawn(context.Background(), kernel.Spec{Model: "scripted:test", Namespace: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	var warned bool
	for i := range 40 {
		text := fmt.Sprintf("Message %d: the lighthouse keeper counted %d gulls on the rocks at dawn, again and again and again.", i, i*7)
		p, err = r.k.Send(context.Background(), p.PID, text, kernel.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		warned = warned || strings.Contains(windowText(lastWindow(m)), "Memory pressure")
	}
	if !warned || p.Memory.Warnings == 0 {
		t.Error("the model was never warned of memory pressure")
	}
	if p.Memory.Evictions == 0 || p.Memory.Evicted == 0 || p.Memory.Summary == "" {
		t.Fatalf("nothing was evicted: %+v", p.Memory)
	}
	win := lastWindow(m)
	if strings.Contains(windowText(win[1:]), "Message 0:") {
		t.Error("the oldest message is still in the window")
	}
	if !strings.Contains(win[0].Content, "summary of the earlier conversation") {
		t.Error("the summary is not in the system prompt")
	}
	if !strings.Contains(win[len(win)-2].Content+win[len(win)-1].Content, "Message 39") {
		t.Error("the latest message left the window")
	}
	out, err := r.call(t, "conversation_search", `{"query":"Message 0 lighthouse"}`)
	if err != nil || !strings.Contains(out, "Message 0:") {
		t.Errorf("evicted message not in recall memory: %q, %v", out, err)
	}
}

func TestCoreMemoryTools(t *testing.T) {
	m := scripted.New(scripted.Say("ok"))
	m.Repeat = true
	r := newRig(t, m, memory.Config{})
	if _, err := r.call(t, "core_memory_append", `{"block":"human","content":"Name: Ada. Likes tea."}`); err != nil {
		t.Fatal(err)
	}
	if _, err := r.call(t, "core_memory_replace", `{"block":"human","old":"tea","new":"coffee"}`); err != nil {
		t.Fatal(err)
	}
	r.run(t, "hello")
	if sys := lastWindow(m)[0].Content; !strings.Contains(sys, "Name: Ada. Likes coffee.") || !strings.Contains(sys, "<persona") {
		t.Errorf("core memory not in the system prompt:\n%s", sys)
	}
	for _, c := range []struct{ tool, args, want string }{
		{"core_memory_append", `{"block":"human","content":"` + strings.Repeat("x", 2100) + `"}`, "over its limit of 2000"},
		{"core_memory_replace", `{"block":"human","old":"absent","new":"y"}`, "does not contain"},
		{"core_memory_append", `{"block":"nope","content":"x"}`, "no core memory block"},
		{"conversation_search", `{"query":"x","after":"last tuesday"}`, "not a date"},
	} {
		if _, err := r.call(t, c.tool, c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want %q", c.tool, c.args, err, c.want)
		}
	}
}

func TestArchivalToolsAndChunks(t *testing.T) {
	r := newRig(t, scripted.New(), memory.Config{})
	if _, err := r.call(t, "archival_memory_insert", `{"content":"The spare key is under the blue flowerpot."}`); err != nil {
		t.Fatal(err)
	}
	out, err := r.call(t, "archival_memory_search", `{"query":"where is the spare key"}`)
	if err != nil || !strings.Contains(out, "blue flowerpot") {
		t.Fatalf("search: %q, %v", out, err)
	}
	// Another namespace sees nothing.
	other := llmos.WithCaller(context.Background(), llmos.Caller{Namespace: "bob"})
	out, _ = r.tool["archival_memory_search"].Call(other, json.RawMessage(`{"query":"spare key"}`))
	if strings.Contains(out, "flowerpot") {
		t.Error("a memory leaked across namespaces")
	}

	ctx := context.Background()
	var long strings.Builder
	for i := range 400 {
		fmt.Fprintf(&long, "Sentence %d of the long document about river barges. ", i)
	}
	long.WriteString("The secret ingredient is cardamom.")
	if err := r.mem.Insert(ctx, []memory.Item{{ID: "doc-1", Namespace: "ada", Text: long.String()}}); err != nil {
		t.Fatal(err)
	}
	got, err := r.mem.Get(ctx, "doc-1")
	if err != nil || got.Text != long.String() {
		t.Fatalf("chunked item not joined back (%d vs %d bytes): %v", len(got.Text), long.Len(), err)
	}
	found, err := r.mem.Search(ctx, "ada", "secret ingredient cardamom", 3, vector.Filter{})
	if err != nil || len(found) == 0 || found[0].ID != "doc-1" {
		t.Fatalf("search in a chunked item: %+v, %v", found, err)
	}
	// A shorter new version leaves no chunks behind.
	if err := r.mem.Insert(ctx, []memory.Item{{ID: "doc-1", Namespace: "ada", Text: "short now"}}); err != nil {
		t.Fatal(err)
	}
	items, _ := r.mem.List(ctx, "ada", 0)
	for _, it := range items {
		if it.ID == "doc-1" && it.Text != "short now" {
			t.Errorf("old chunks survived: %d bytes", len(it.Text))
		}
	}
	for _, bad := range []string{"", "   ", "\xff\xfe"} {
		if err := r.mem.Insert(ctx, []memory.Item{{Text: bad}}); llmos.ErrorCode(err) != llmos.CodeInvalid {
			t.Errorf("Insert(%q): %v, want invalid", bad, err)
		}
	}
}

// Switching embedders is detected: the archival calls say to reindex.
func TestEmbedderSwitchNeedsReindex(t *testing.T) {
	r := newRig(t, scripted.New(), memory.Config{})
	ctx := context.Background()
	if err := r.mem.Insert(ctx, []memory.Item{{Text: "something"}}); err != nil {
		t.Fatal(err)
	}
	if err := r.db.SetMeta(ctx, memory.EmbedderKey, "openai:text-embedding-3-small/1536"); err != nil {
		t.Fatal(err)
	}
	emb, _ := embed.Open("offline", func(string) string { return "" })
	mem, err := memory.New(ctx, memory.Config{Store: r.db, Index: r.idx, Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mem.Search(ctx, "default", "something", 3, vector.Filter{}); llmos.ErrorCode(err) != llmos.CodeConflict || !strings.Contains(err.Error(), "llmos mem reindex") {
		t.Errorf("search with a switched embedder: %v", err)
	}
}

func TestConversationSearchByDate(t *testing.T) {
	m := scripted.New(scripted.Say("ok"))
	m.Repeat = true
	r := newRig(t, m, memory.Config{})
	r.run(t, "We planned the trip to Lisbon.")
	today := time.Now().UTC().Format("2006-01-02")
	out, err := r.call(t, "conversation_search", `{"query":"Lisbon","after":"`+today+`","before":"`+today+`"}`)
	if err != nil || !strings.Contains(out, "Lisbon") {
		t.Errorf("today: %q, %v", out, err)
	}
	out, _ = r.call(t, "conversation_search", `{"query":"Lisbon","before":"2020-01-01"}`)
	if strings.Contains(out, "Lisbon") {
		t.Errorf("before 2020: %q", out)
	}
}
