package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/memory"
)

var _ memory.Store = (*DB)(nil)

// SearchMessages implements memory.Store: full-text search (BM25, Porter
// stemming) over the user and assistant messages of every process of a
// namespace, within a time range; with no words it lists the range, newest first.
func (s *DB) SearchMessages(ctx context.Context, q memory.RecallQuery) ([]memory.RecallHit, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	after, before := int64(0), int64(1<<62)
	if !q.After.IsZero() {
		after = q.After.UnixNano()
	}
	if !q.Before.IsZero() {
		before = q.Before.UnixNano()
	}
	ns := q.Namespace
	if ns == "" {
		ns = "default"
	}
	var query string
	args := []any{ns, after, before}
	if match := ftsQuery(q.Text); match != "" {
		query = `SELECT m.pid, m.seq, m.time, m.data, -bm25(messages_fts) FROM messages_fts f
			JOIN messages m ON m.pid = f.pid AND m.seq = f.seq
			JOIN processes p ON p.pid = m.pid
			WHERE messages_fts MATCH ? AND p.namespace = ? AND m.time >= ? AND m.time < ?
			ORDER BY bm25(messages_fts) LIMIT ?`
		args = append([]any{match}, append(args, limit)...)
	} else {
		query = `SELECT m.pid, m.seq, m.time, m.data, 0 FROM messages_fts f
			JOIN messages m ON m.pid = f.pid AND m.seq = f.seq
			JOIN processes p ON p.pid = m.pid
			WHERE p.namespace = ? AND m.time >= ? AND m.time < ?
			ORDER BY m.time DESC, m.seq DESC LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, internal(err, "search messages")
	}
	defer rows.Close()
	var hits []memory.RecallHit
	for rows.Next() {
		var h memory.RecallHit
		var t int64
		var data string
		if err := rows.Scan(&h.PID, &h.Seq, &t, &data, &h.Score); err != nil {
			return nil, internal(err, "search messages")
		}
		var m llmos.Message
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			return nil, llmos.Wrap(err, llmos.CodeInternal, "a message record is corrupt")
		}
		h.Role, h.Text, h.Time = m.Role, m.Content, time.Unix(0, t).UTC()
		hits = append(hits, h)
	}
	return hits, internal(rows.Err(), "search messages")
}

// ftsQuery turns free text into an FTS5 query that matches any of its words,
// each quoted, so nothing a user or a model types is read as FTS syntax.
func ftsQuery(text string) string {
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var b strings.Builder
	for i, w := range words {
		if i == 32 {
			break
		}
		if b.Len() > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(`"` + w + `"`)
	}
	return b.String()
}

// CoreBlocks implements memory.Store.
func (s *DB) CoreBlocks(ctx context.Context, ns string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, value FROM core_blocks WHERE namespace = ?`, ns)
	if err != nil {
		return nil, internal(err, "read core memory")
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, internal(err, "read core memory")
		}
		out[k] = v
	}
	return out, internal(rows.Err(), "read core memory")
}

// SetCoreBlock implements memory.Store.
func (s *DB) SetCoreBlock(ctx context.Context, ns, name, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO core_blocks (namespace, name, value) VALUES (?, ?, ?)
		ON CONFLICT (namespace, name) DO UPDATE SET value = excluded.value`, ns, name, value)
	return internal(err, "write core memory")
}

// Meta implements memory.Store: a small key-value table for the memory's own records.
func (s *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM memory_meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, internal(err, "read memory meta")
}

// SetMeta implements memory.Store.
func (s *DB) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO memory_meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return internal(err, "write memory meta")
}
