package memory

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/embed"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/vector"
)

// Store is the durable state memory needs beside the vector index: recall
// (every message, searchable by words and time), core memory blocks, and a
// few records of its own. store/sqlite implements it.
type Store interface {
	SearchMessages(ctx context.Context, q RecallQuery) ([]RecallHit, error)
	CoreBlocks(ctx context.Context, namespace string) (map[string]string, error)
	SetCoreBlock(ctx context.Context, namespace, name, value string) error
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error
}

// RecallQuery searches recall memory.
type RecallQuery struct {
	Namespace string
	// Text is matched by words (BM25, stemmed); empty lists the time range.
	Text          string
	After, Before time.Time
	Limit         int
}

// RecallHit is one message found in recall memory.
type RecallHit struct {
	PID   int64      `json:"pid"`
	Seq   int        `json:"seq"`
	Role  llmos.Role `json:"role"`
	Text  string     `json:"text"`
	Time  time.Time  `json:"time"`
	Score float64    `json:"score"`
}

// Block is a core memory block: always in the context window, edited by the model.
type Block struct {
	Name string
	// Limit is the most characters the block may hold.
	Limit int
	// Default is its text until the model writes it.
	Default string
	// About tells the model what the block is for.
	About string
}

// DefaultBlocks are the core memory blocks of every namespace.
var DefaultBlocks = []Block{
	{Name: "persona", Limit: 2000, Default: "I am an agent running on llmos. I remember what matters to the user.",
		About: "who you are and how you behave"},
	{Name: "human", Limit: 2000, About: "what you know about the user: name, preferences, ongoing matters"},
}

// Config is what a Memory is made of.
type Config struct {
	Store    Store
	Index    vector.Index
	Embedder embed.Embedder
	// Blocks are the core memory blocks; DefaultBlocks if nil.
	Blocks []Block
	// ContextTokens, if set, is the window of every model instead of its own.
	ContextTokens int
	// PageK is how many memories are paged in before a step; 5 if zero.
	PageK int
	// PageShare is the part of the window for paged-in memories; 0.15 if zero.
	PageShare float64
	// Warn and Evict are the parts of the window at which the model is
	// warned of memory pressure and the oldest messages are evicted; 0.75 and 0.9.
	Warn, Evict float64
	// DenseWeight is the weight of the ranking by meaning against the
	// ranking by words (BM25) when they are fused; 3 if zero, as Weaviate's
	// default hybrid alpha of 0.75 weighs them. bench recall measures both
	// rankings alone beside the fused one.
	DenseWeight float64
	// MinSimilarity is the least cosine similarity for a memory found only
	// by meaning to be paged in; 0.2 if zero.
	MinSimilarity float64
	// Summarize, if set, writes the running summary with a model from the
	// previous summary and the evicted text; the summary is extractive otherwise.
	Summarize func(ctx context.Context, model, previous, evicted string) (string, error)
}

// Memory is the memory hierarchy of llmos: core memory, recall memory,
// archival memory, and the context window built from them. It implements
// kernel.Memory, and its Tools are the paging syscalls of processes.
type Memory struct {
	cfg    Config
	count  *counter
	mu     sync.Mutex
	paged  map[int64]pageCache // per process: the page-in of its latest turn
	staleE string              // set when the index was built with another embedder
}

type pageCache struct {
	query string
	items []vector.Result
}

var _ kernel.Memory = (*Memory)(nil)

// EmbedderKey is the memory record that names the embedder the archival index was built with.
const EmbedderKey = "archival.embedder"

// New returns the memory. If the archival index was built with another
// embedder than cfg.Embedder, the archival calls fail with a conflict until
// `llmos mem reindex` has run.
func New(ctx context.Context, cfg Config) (*Memory, error) {
	if cfg.Store == nil || cfg.Index == nil || cfg.Embedder == nil {
		return nil, llmos.Errorf(llmos.CodeInternal, "memory: Store, Index and Embedder are required")
	}
	if cfg.Blocks == nil {
		cfg.Blocks = DefaultBlocks
	}
	if cfg.PageK == 0 {
		cfg.PageK = 5
	}
	if cfg.PageShare == 0 {
		cfg.PageShare = 0.15
	}
	if cfg.Warn == 0 {
		cfg.Warn = 0.75
	}
	if cfg.Evict == 0 {
		cfg.Evict = 0.9
	}
	if cfg.DenseWeight == 0 {
		cfg.DenseWeight = 3
	}
	if cfg.MinSimilarity == 0 {
		cfg.MinSimilarity = 0.2
	}
	m := &Memory{cfg: cfg, count: newCounter(), paged: map[int64]pageCache{}}
	want := EmbedderID(cfg.Embedder)
	have, err := cfg.Store.Meta(ctx, EmbedderKey)
	if err != nil {
		return nil, err
	}
	switch {
	case have == "":
		if err := cfg.Store.SetMeta(ctx, EmbedderKey, want); err != nil {
			return nil, err
		}
	case have != want:
		if n, err := cfg.Index.Len(ctx); err == nil && n == 0 {
			if err := cfg.Store.SetMeta(ctx, EmbedderKey, want); err != nil {
				return nil, err
			}
		} else {
			m.staleE = have
		}
	}
	return m, nil
}

// EmbedderID names an embedder and its dimension, as recorded with the index.
func EmbedderID(e embed.Embedder) string { return fmt.Sprintf("%s/%d", e.Name(), e.Dim()) }

// usable fails while the archival index needs rebuilding for a new embedder.
func (m *Memory) usable() error {
	if m.staleE != "" {
		return llmos.Errorf(llmos.CodeConflict,
			"archival memory was indexed with the embedder %s, but the embedder is now %s: run llmos mem reindex",
			m.staleE, EmbedderID(m.cfg.Embedder))
	}
	return nil
}

// Index returns the archival index.
func (m *Memory) Index() vector.Index { return m.cfg.Index }

// Embedder returns the embedder.
func (m *Memory) Embedder() embed.Embedder { return m.cfg.Embedder }

// Observe implements kernel.Memory.
func (m *Memory) Observe(model string, estimated, actual int) {
	m.count.observe(model, estimated, actual)
}

// Budget is the context window of a model, in tokens.
func (m *Memory) Budget(model string) int {
	if m.cfg.ContextTokens > 0 {
		return m.cfg.ContextTokens
	}
	return budgetFor(model)
}

// Remember implements kernel.Memory: the user's and the assistant's
// messages go into archival memory too, so that a later turn, in this process
// or another of the same user, pages them in when it needs them.
func (m *Memory) Remember(ctx context.Context, p *kernel.Process, from int, msgs []llmos.Message) error {
	if m.usable() != nil {
		return nil
	}
	var items []Item
	for i, msg := range msgs {
		seq := from + i
		if seq == 0 || strings.TrimSpace(msg.Content) == "" || (msg.Role != llmos.RoleUser && msg.Role != llmos.RoleAssistant) {
			continue
		}
		items = append(items, Item{
			ID: messageID(p.PID, seq), Namespace: p.Namespace, Text: msg.Content, Time: time.Now().UTC(),
			Label: msg.Label,
			Meta:  map[string]string{"kind": "message", "role": string(msg.Role), "pid": fmt.Sprint(p.PID), "seq": fmt.Sprint(seq)},
		})
	}
	if len(items) == 0 {
		return nil
	}
	return m.Insert(ctx, items)
}

func messageID(pid int64, seq int) string { return fmt.Sprintf("msg:%d:%d", pid, seq) }
