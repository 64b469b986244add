// Package sqlite is the embedded durable store of llmos: one SQLite file under
// $LLMOS_HOME, through a pure-Go driver (modernc.org/sqlite), so the binary
// needs no cgo. It implements kernel.Store. Several llmos commands may open the
// same file at once (one runs a process while another lists or kills it): the
// file is in WAL mode and writers wait for each other.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
)

// DB is a store in one SQLite file.
type DB struct {
	db *sql.DB
}

var _ kernel.Store = (*DB)(nil)

// Open opens (creating if needed) the store in the file at path.
func Open(ctx context.Context, path string) (*DB, error) {
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, "cannot open the state database "+path)
	}
	// One connection: SQLite has one writer anyway, and this keeps every
	// transaction of this process in order without SQLITE_BUSY between them.
	db.SetMaxOpenConns(1)
	s := &DB{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, "cannot open the state database "+path+": "+err.Error())
	}
	return s, nil
}

// Close closes the file.
func (s *DB) Close() error { return s.db.Close() }

var migrations = []string{
	`CREATE TABLE processes (
		pid INTEGER PRIMARY KEY AUTOINCREMENT,
		parent INTEGER NOT NULL DEFAULT 0,
		state TEXT NOT NULL,
		model TEXT NOT NULL,
		created INTEGER NOT NULL,
		data TEXT NOT NULL,
		kill_requested INTEGER NOT NULL DEFAULT 0,
		heartbeat INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE messages (
		pid INTEGER NOT NULL REFERENCES processes(pid),
		seq INTEGER NOT NULL,
		data TEXT NOT NULL,
		PRIMARY KEY (pid, seq)
	);
	CREATE TABLE events (
		pid INTEGER NOT NULL REFERENCES processes(pid),
		seq INTEGER NOT NULL,
		time INTEGER NOT NULL,
		kind TEXT NOT NULL,
		data TEXT NOT NULL,
		PRIMARY KEY (pid, seq)
	);`,
	// 2: recall memory (message times, full-text search) and core memory.
	`ALTER TABLE messages ADD COLUMN time INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE processes ADD COLUMN namespace TEXT NOT NULL DEFAULT 'default';
	CREATE INDEX messages_time ON messages (time);
	CREATE VIRTUAL TABLE messages_fts USING fts5 (content, pid UNINDEXED, seq UNINDEXED, tokenize = 'porter unicode61');
	CREATE TABLE core_blocks (
		namespace TEXT NOT NULL,
		name TEXT NOT NULL,
		value TEXT NOT NULL,
		PRIMARY KEY (namespace, name)
	);
	CREATE TABLE memory_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
}

func (s *DB) migrate(ctx context.Context) error {
	var version int
	if err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("the database is of a newer llmos (schema %d, this one knows %d)", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func internal(err error, what string) error {
	if err == nil {
		return nil
	}
	var e *llmos.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return llmos.Wrap(err, llmos.CodeCanceled, what+": cancelled")
	}
	return llmos.Wrap(err, llmos.CodeUnavailable, what+" failed in the state database")
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// CreateProcess implements kernel.Store.
func (s *DB) CreateProcess(ctx context.Context, p *kernel.Process, msgs []llmos.Message) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, "create process")
	}
	defer tx.Rollback()
	data, _ := json.Marshal(p)
	res, err := tx.ExecContext(ctx, `INSERT INTO processes (parent, state, model, created, data, namespace) VALUES (?, ?, ?, ?, ?, ?)`,
		p.Parent, p.State, p.Model, p.Created.UnixNano(), data, namespaceOf(p))
	if err != nil {
		return internal(err, "create process")
	}
	if p.PID, err = res.LastInsertId(); err != nil {
		return internal(err, "create process")
	}
	if err := saveProcess(ctx, tx, p); err != nil {
		return err
	}
	if err := appendMessages(ctx, tx, p.PID, 0, msgs); err != nil {
		return err
	}
	return internal(tx.Commit(), "create process")
}

func saveProcess(ctx context.Context, db execer, p *kernel.Process) error {
	data, err := json.Marshal(p)
	if err != nil {
		return internal(err, "save process")
	}
	res, err := db.ExecContext(ctx, `UPDATE processes SET state = ?, model = ?, data = ?, namespace = ?, heartbeat = MAX(heartbeat, ?) WHERE pid = ?`,
		p.State, p.Model, data, namespaceOf(p), p.Heartbeat.UnixNano(), p.PID)
	if err != nil {
		return internal(err, "save process")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return llmos.Errorf(llmos.CodeNotFound, "no process %d", p.PID)
	}
	return nil
}

func namespaceOf(p *kernel.Process) string {
	if p.Namespace == "" {
		return "default"
	}
	return p.Namespace
}

// appendMessages stores messages from number from on, and indexes the text
// that people wrote or read (user and assistant messages) for recall.
func appendMessages(ctx context.Context, db execer, pid int64, from int, msgs []llmos.Message) error {
	now := time.Now().UnixNano()
	for i, m := range msgs {
		data, err := json.Marshal(m)
		if err != nil {
			return internal(err, "save message")
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO messages (pid, seq, data, time) VALUES (?, ?, ?, ?)`, pid, from+i, data, now); err != nil {
			return internal(err, "save message")
		}
		if (m.Role == llmos.RoleUser || m.Role == llmos.RoleAssistant) && strings.TrimSpace(m.Content) != "" {
			if _, err := db.ExecContext(ctx, `INSERT INTO messages_fts (content, pid, seq) VALUES (?, ?, ?)`, m.Content, pid, from+i); err != nil {
				return internal(err, "index message")
			}
		}
	}
	return nil
}

// Process implements kernel.Store.
func (s *DB) Process(ctx context.Context, pid int64) (*kernel.Process, error) {
	row := s.db.QueryRowContext(ctx, `SELECT data, heartbeat FROM processes WHERE pid = ?`, pid)
	p, err := scanProcess(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, llmos.Errorf(llmos.CodeNotFound, "no process %d", pid)
	}
	return p, err
}

type scanner interface{ Scan(dest ...any) error }

func scanProcess(row scanner) (*kernel.Process, error) {
	var data string
	var beat int64
	if err := row.Scan(&data, &beat); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, internal(err, "read process")
	}
	p := new(kernel.Process)
	if err := json.Unmarshal([]byte(data), p); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInternal, "a process record is corrupt")
	}
	if beat > 0 {
		p.Heartbeat = time.Unix(0, beat).UTC()
	}
	return p, nil
}

// Processes implements kernel.Store.
func (s *DB) Processes(ctx context.Context) ([]*kernel.Process, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT data, heartbeat FROM processes ORDER BY pid`)
	if err != nil {
		return nil, internal(err, "list processes")
	}
	defer rows.Close()
	var ps []*kernel.Process
	for rows.Next() {
		p, err := scanProcess(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, internal(rows.Err(), "list processes")
}

// SaveProcess implements kernel.Store.
func (s *DB) SaveProcess(ctx context.Context, p *kernel.Process) error {
	return saveProcess(ctx, s.db, p)
}

// CommitStep implements kernel.Store.
func (s *DB) CommitStep(ctx context.Context, p *kernel.Process, msgs []llmos.Message) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, "commit step")
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE pid = ?`, p.PID).Scan(&n); err != nil {
		return internal(err, "commit step")
	}
	if err := saveProcess(ctx, tx, p); err != nil {
		return err
	}
	if err := appendMessages(ctx, tx, p.PID, n, msgs); err != nil {
		return err
	}
	return internal(tx.Commit(), "commit step")
}

// Messages implements kernel.Store.
func (s *DB) Messages(ctx context.Context, pid int64) ([]llmos.Message, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM messages WHERE pid = ? ORDER BY seq`, pid)
	if err != nil {
		return nil, internal(err, "read messages")
	}
	defer rows.Close()
	var msgs []llmos.Message
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, internal(err, "read messages")
		}
		var m llmos.Message
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			return nil, llmos.Wrap(err, llmos.CodeInternal, "a message record is corrupt")
		}
		msgs = append(msgs, m)
	}
	return msgs, internal(rows.Err(), "read messages")
}

// AppendEvent implements kernel.Store.
func (s *DB) AppendEvent(ctx context.Context, e *kernel.Event) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, "append event")
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE pid = ?`, e.PID).Scan(&e.Seq); err != nil {
		return internal(err, "append event")
	}
	data, err := json.Marshal(e)
	if err != nil {
		return internal(err, "append event")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (pid, seq, time, kind, data) VALUES (?, ?, ?, ?, ?)`,
		e.PID, e.Seq, e.Time.UnixNano(), e.Kind, data); err != nil {
		return internal(err, "append event")
	}
	return internal(tx.Commit(), "append event")
}

// Events implements kernel.Store.
func (s *DB) Events(ctx context.Context, pid int64, after int64) ([]kernel.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM events WHERE pid = ? AND seq > ? ORDER BY seq`, pid, after)
	if err != nil {
		return nil, internal(err, "read events")
	}
	defer rows.Close()
	var evs []kernel.Event
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, internal(err, "read events")
		}
		var e kernel.Event
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return nil, llmos.Wrap(err, llmos.CodeInternal, "an event record is corrupt")
		}
		evs = append(evs, e)
	}
	return evs, internal(rows.Err(), "read events")
}

// RequestKill implements kernel.Store.
func (s *DB) RequestKill(ctx context.Context, pid int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE processes SET kill_requested = 1 WHERE pid = ?`, pid)
	if err != nil {
		return internal(err, "kill")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return llmos.Errorf(llmos.CodeNotFound, "no process %d", pid)
	}
	return nil
}

// Heartbeat implements kernel.Store.
func (s *DB) Heartbeat(ctx context.Context, pid int64) (bool, error) {
	var kill bool
	err := s.db.QueryRowContext(ctx, `UPDATE processes SET heartbeat = ? WHERE pid = ? RETURNING kill_requested`,
		time.Now().UnixNano(), pid).Scan(&kill)
	if errors.Is(err, sql.ErrNoRows) {
		return false, llmos.Errorf(llmos.CodeNotFound, "no process %d", pid)
	}
	return kill, internal(err, "heartbeat")
}
