package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/llmos/llmos"
)

// notSealed is the SQL condition of a value that is not in the sealed form:
// sealed values are BLOBs that start with "LV1" (plaintext records are JSON
// BLOBs starting with '{', plaintext core blocks and meta values are TEXT).
func notSealed(col string) string {
	return fmt.Sprintf(`NOT (typeof(%[1]s) = 'blob' AND substr(%[1]s, 1, 3) = X'4C5631')`, col)
}

// legacyTable says how to find and seal the plaintext values of one table.
// sel returns (rowid, k1, k2, namespace, value) of the plaintext rows after
// the rowid ?, in rowid order; update sets the value of a rowid.
type legacyTable struct {
	sel, update string
	ad          func(k1, k2 any) string
}

var legacyTables = []legacyTable{
	{
		sel: `SELECT rowid, pid, 0, namespace, data FROM processes WHERE rowid > ? AND ` + notSealed("data") +
			` ORDER BY rowid LIMIT 256`,
		update: `UPDATE processes SET data = ? WHERE rowid = ?`,
		ad:     func(k1, _ any) string { return adProcess(k1.(int64)) },
	},
	{
		sel: `SELECT m.rowid, m.pid, m.seq, p.namespace, m.data FROM messages m JOIN processes p ON p.pid = m.pid
			WHERE m.rowid > ? AND ` + notSealed("m.data") + ` ORDER BY m.rowid LIMIT 256`,
		update: `UPDATE messages SET data = ? WHERE rowid = ?`,
		ad:     func(k1, k2 any) string { return adMessage(k1.(int64), int(k2.(int64))) },
	},
	{
		sel: `SELECT e.rowid, e.pid, e.seq, p.namespace, e.data FROM events e JOIN processes p ON p.pid = e.pid
			WHERE e.rowid > ? AND ` + notSealed("e.data") + ` ORDER BY e.rowid LIMIT 256`,
		update: `UPDATE events SET data = ? WHERE rowid = ?`,
		ad:     func(k1, k2 any) string { return adEvent(k1.(int64), k2.(int64)) },
	},
	{
		sel: `SELECT rowid, namespace, name, namespace, value FROM core_blocks WHERE rowid > ? AND ` +
			notSealed("value") + ` ORDER BY rowid LIMIT 256`,
		update: `UPDATE core_blocks SET value = ? WHERE rowid = ?`,
		ad:     func(k1, k2 any) string { return adCore(k1.(string), k2.(string)) },
	},
	{
		sel: `SELECT rowid, key, '', '` + systemNS + `', value FROM memory_meta WHERE rowid > ? AND ` +
			notSealed("value") + ` ORDER BY rowid LIMIT 256`,
		update: `UPDATE memory_meta SET value = ? WHERE rowid = ?`,
		ad:     func(k1, _ any) string { return adMeta(k1.(string)) },
	},
}

// sealLegacy converts what a plaintext store left in the file: it seals
// every plaintext value, moves the plaintext recall index to the blind one,
// then vacuums the file and truncates the WAL so that no page of the old
// plaintext remains in either. A store known to be sealed already refuses
// plaintext instead.
func (s *DB) sealLegacy(ctx context.Context, sealed bool) error {
	var found bool
	q := `SELECT EXISTS (SELECT 1 FROM messages_fts)`
	for _, t := range []struct{ table, col string }{
		{"processes", "data"}, {"messages", "data"}, {"events", "data"}, {"core_blocks", "value"}, {"memory_meta", "value"},
	} {
		q += ` OR EXISTS (SELECT 1 FROM ` + t.table + ` WHERE ` + notSealed(t.col) + `)`
	}
	if err := s.db.QueryRowContext(ctx, q).Scan(&found); err != nil {
		return internal(err, "look for plaintext")
	}
	if !found {
		return nil
	}
	if sealed {
		return llmos.Errorf(llmos.CodeUnauthenticated, "the state database holds plaintext, but it was sealed: "+
			"its contents were replaced by someone without the key; move it aside to start anew")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, "encrypt")
	}
	defer tx.Rollback()
	for _, t := range legacyTables {
		if err := s.resealTable(ctx, tx, t); err != nil {
			return err
		}
	}
	if err := s.moveIndex(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return internal(err, "encrypt")
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM`); err != nil {
		return internal(err, "vacuum")
	}
	var busy, logged, done int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &done); err != nil {
		return internal(err, "checkpoint")
	}
	if busy != 0 {
		return llmos.Errorf(llmos.CodeUnavailable, "another program holds the state database open: the plaintext left in its WAL could not be erased; close it and retry")
	}
	return nil
}

// resealTable seals the plaintext values of one table, a batch at a time.
func (s *DB) resealTable(ctx context.Context, tx *sql.Tx, t legacyTable) error {
	after := int64(0)
	for {
		type row struct {
			rowid  int64
			k1, k2 any
			ns     string
			value  []byte
		}
		rows, err := tx.QueryContext(ctx, t.sel, after)
		if err != nil {
			return internal(err, "encrypt")
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.rowid, &r.k1, &r.k2, &r.ns, &r.value); err != nil {
				rows.Close()
				return internal(err, "encrypt")
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return internal(err, "encrypt")
		}
		if len(batch) == 0 {
			return nil
		}
		for _, r := range batch {
			sealed, err := s.seal(r.ns, r.value, t.ad(r.k1, r.k2))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, t.update, sealed, r.rowid); err != nil {
				return internal(err, "encrypt")
			}
		}
		after = batch[len(batch)-1].rowid
	}
}

// moveIndex moves the entries of the plaintext recall index to the blind
// one, then drops and recreates the plaintext index empty ('delete-all' is
// refused by an FTS5 table that keeps its own content, and a DELETE would
// leave the words in the index's segments).
func (s *DB) moveIndex(ctx context.Context, tx *sql.Tx) error {
	after := int64(0)
	for {
		type entry struct {
			rowid, pid, seq int64
			ns, content     string
		}
		rows, err := tx.QueryContext(ctx, `SELECT f.rowid, f.pid, f.seq, p.namespace, f.content FROM messages_fts f
			JOIN processes p ON p.pid = f.pid WHERE f.rowid > ? ORDER BY f.rowid LIMIT 256`, after)
		if err != nil {
			return internal(err, "move the recall index")
		}
		var batch []entry
		for rows.Next() {
			var e entry
			if err := rows.Scan(&e.rowid, &e.pid, &e.seq, &e.ns, &e.content); err != nil {
				rows.Close()
				return internal(err, "move the recall index")
			}
			batch = append(batch, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return internal(err, "move the recall index")
		}
		if len(batch) == 0 {
			break
		}
		for _, e := range batch {
			terms, err := s.blindTerms(e.ns, e.content)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO messages_blind (terms, pid, seq) VALUES (?, ?, ?)`,
				terms, e.pid, e.seq); err != nil {
				return internal(err, "move the recall index")
			}
		}
		after = batch[len(batch)-1].rowid
	}
	_, err := tx.ExecContext(ctx, `DROP TABLE messages_fts;
		CREATE VIRTUAL TABLE messages_fts USING fts5 (content, pid UNINDEXED, seq UNINDEXED, tokenize = 'porter unicode61');`)
	return internal(err, "move the recall index")
}
