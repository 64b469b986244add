package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"

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
	index, match := "messages_fts", ftsQuery(q.Text)
	if s.cipher != nil {
		var err error
		index = "messages_blind"
		if match, err = s.blindQuery(ns, q.Text); err != nil {
			return nil, err
		}
	}
	var query string
	args := []any{ns, after, before}
	if match != "" {
		query = `SELECT m.pid, m.seq, m.time, m.data, -bm25(` + index + `) FROM ` + index + ` f
			JOIN messages m ON m.pid = f.pid AND m.seq = f.seq
			JOIN processes p ON p.pid = m.pid
			WHERE ` + index + ` MATCH ? AND p.namespace = ? AND m.time >= ? AND m.time < ?
			ORDER BY bm25(` + index + `) LIMIT ?`
		args = append([]any{match}, append(args, limit)...)
	} else {
		query = `SELECT m.pid, m.seq, m.time, m.data, 0 FROM ` + index + ` f
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
		var data []byte
		if err := rows.Scan(&h.PID, &h.Seq, &t, &data, &h.Score); err != nil {
			return nil, internal(err, "search messages")
		}
		m, err := s.openMessage(ns, h.PID, h.Seq, data)
		if err != nil {
			return nil, err
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
	rows, err := s.db.QueryContext(ctx, `SELECT name, value, typeof(value) = 'blob' FROM core_blocks WHERE namespace = ?`, ns)
	if err != nil {
		return nil, internal(err, "read core memory")
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k string
		var v []byte
		var blob bool
		if err := rows.Scan(&k, &v, &blob); err != nil {
			return nil, internal(err, "read core memory")
		}
		plain, err := s.open(ns, v, blob && isSealed(v), adCore(ns, k), "core memory block "+strconv.Quote(k))
		if err != nil {
			return nil, err
		}
		out[k] = string(plain)
	}
	return out, internal(rows.Err(), "read core memory")
}

// SetCoreBlock implements memory.Store. With a cipher the value is sealed
// under ns; the name stays plain.
func (s *DB) SetCoreBlock(ctx context.Context, ns, name, value string) error {
	stored, err := s.textValue(ns, value, adCore(ns, name))
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO core_blocks (namespace, name, value) VALUES (?, ?, ?)
		ON CONFLICT (namespace, name) DO UPDATE SET value = excluded.value`, ns, name, stored)
	return internal(err, "write core memory")
}

// Meta implements memory.Store: a small key-value table for the memory's own
// records. With a cipher values are sealed under the "_system" namespace;
// keys stay plain.
func (s *DB) Meta(ctx context.Context, key string) (string, error) {
	var v []byte
	var blob bool
	err := s.db.QueryRowContext(ctx, `SELECT value, typeof(value) = 'blob' FROM memory_meta WHERE key = ?`, key).Scan(&v, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", internal(err, "read memory meta")
	}
	plain, err := s.open(systemNS, v, blob && isSealed(v), adMeta(key), "memory meta "+strconv.Quote(key))
	return string(plain), err
}

// SetMeta implements memory.Store.
func (s *DB) SetMeta(ctx context.Context, key, value string) error {
	stored, err := s.textValue(systemNS, value, adMeta(key))
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO memory_meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, stored)
	return internal(err, "write memory meta")
}

// textValue is what to store for a text value: TEXT in plaintext (so a value
// that happens to start with "LV1" is not taken for a sealed one), a sealed
// BLOB with a cipher.
func (s *DB) textValue(ns, value, ad string) (any, error) {
	if s.cipher == nil {
		return value, nil
	}
	return s.seal(ns, []byte(value), ad)
}
