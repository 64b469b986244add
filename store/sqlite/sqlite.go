package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
)

// DB is a store in one SQLite file.
type DB struct {
	db     *sql.DB
	cipher Cipher // nil: plaintext

	mu  sync.Mutex
	nss map[int64]string // pid → namespace, for the processes seen; it never changes
}

var _ kernel.Store = (*DB)(nil)

// Options configure OpenWith.
type Options struct {
	// Cipher, when set, seals every value at rest (see the package doc).
	Cipher Cipher
	// Sealed says the store is known to be sealed already: plaintext found
	// in it was put there by someone without the key, and is refused rather
	// than converted (adopted as genuine).
	Sealed bool
}

// Open opens (creating if needed) the store in the file at path, in plaintext.
// It is OpenWith with no Cipher.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith opens (creating if needed) the store in the file at path. With
// opts.Cipher it seals everything it writes, and first converts the values a
// plaintext store left in the file (see the package doc).
func OpenWith(ctx context.Context, path string, opts Options) (*DB, error) {
	// A new file is the user's alone (SQLite would create it 0644), and its
	// WAL and shared-memory files take its mode.
	if f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
		f.Close()
	}
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"
	if opts.Cipher != nil {
		// Zero what is deleted or overwritten; keep sorts and temporary
		// tables (VACUUM's copy too) off the disk.
		dsn += "&_pragma=secure_delete(1)&_pragma=temp_store(2)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, "cannot open the state database "+path)
	}
	// One connection: SQLite has one writer anyway, and this keeps every
	// transaction of this process in order without SQLITE_BUSY between them.
	db.SetMaxOpenConns(1)
	s := &DB{db: db, cipher: opts.Cipher, nss: map[int64]string{}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, "cannot open the state database "+path+": "+err.Error())
	}
	if s.cipher != nil {
		if err := s.sealLegacy(ctx, opts.Sealed); err != nil {
			db.Close()
			var e *llmos.Error
			if errors.As(err, &e) {
				return nil, &llmos.Error{Code: e.Code, Msg: "cannot encrypt the state database " + path + ": " + e.Error(), Err: err}
			}
			return nil, llmos.Wrap(err, llmos.CodeUnavailable, "cannot encrypt the state database "+path+": "+err.Error())
		}
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
	// 3: the blind recall index of encrypted stores: keyed tokens of stemmed
	// words, opaque to the tokenizer (so no porter here). Sealed values are
	// BLOBs in the existing TEXT columns (SQLite keeps BLOBs as they are).
	// secure-delete removes deleted rows' tokens from the index itself.
	`CREATE VIRTUAL TABLE messages_blind USING fts5 (terms, pid UNINDEXED, seq UNINDEXED, tokenize = 'unicode61');
	INSERT INTO messages_blind (messages_blind, rank) VALUES ('secure-delete', 1);`,
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

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// CreateProcess implements kernel.Store.
func (s *DB) CreateProcess(ctx context.Context, p *kernel.Process, msgs []llmos.Message) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, "create process")
	}
	defer tx.Rollback()
	ns := namespaceOf(p)
	// The sealed record is bound to its pid, not known yet: insert a
	// placeholder, then saveProcess writes the record in the same transaction.
	data := []byte{}
	if s.cipher == nil {
		data, _ = json.Marshal(p)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO processes (parent, state, model, created, data, namespace) VALUES (?, ?, ?, ?, ?, ?)`,
		p.Parent, p.State, p.Model, p.Created.UnixNano(), data, ns)
	if err != nil {
		return internal(err, "create process")
	}
	if p.PID, err = res.LastInsertId(); err != nil {
		return internal(err, "create process")
	}
	if err := s.saveProcess(ctx, tx, p, ns); err != nil {
		return err
	}
	if err := s.appendMessages(ctx, tx, p.PID, ns, 0, msgs); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return internal(err, "create process")
	}
	// Remembered only once committed: a rolled-back pid may be given again.
	s.remember(p.PID, ns)
	return nil
}

// saveProcess writes p's record; ns is the namespace its row already has
// (with a cipher, a process cannot move to another namespace: its messages
// are sealed under the first one's key).
func (s *DB) saveProcess(ctx context.Context, db querier, p *kernel.Process, ns string) error {
	if s.cipher != nil && namespaceOf(p) != ns {
		return llmos.Errorf(llmos.CodeInvalid, "process %d cannot move from namespace %q to %q", p.PID, ns, namespaceOf(p))
	}
	data, err := json.Marshal(p)
	if err != nil {
		return internal(err, "save process")
	}
	stored, err := s.seal(ns, data, adProcess(p.PID))
	if err != nil {
		return err
	}
	res, err := db.ExecContext(ctx, `UPDATE processes SET state = ?, model = ?, data = ?, namespace = ?, heartbeat = MAX(heartbeat, ?) WHERE pid = ?`,
		p.State, p.Model, stored, namespaceOf(p), p.Heartbeat.UnixNano(), p.PID)
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
// that people wrote or read (user and assistant messages) for recall: in
// messages_fts in plaintext, as blind tokens in messages_blind with a cipher.
func (s *DB) appendMessages(ctx context.Context, db querier, pid int64, ns string, from int, msgs []llmos.Message) error {
	now := time.Now().UnixNano()
	for i, m := range msgs {
		seq := from + i
		data, err := json.Marshal(m)
		if err != nil {
			return internal(err, "save message")
		}
		stored, err := s.seal(ns, data, adMessage(pid, seq))
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO messages (pid, seq, data, time) VALUES (?, ?, ?, ?)`, pid, seq, stored, now); err != nil {
			return internal(err, "save message")
		}
		if !indexed(m) {
			continue
		}
		if s.cipher != nil {
			terms, err := s.blindTerms(ns, m.Content)
			if err != nil {
				return err
			}
			_, err = db.ExecContext(ctx, `INSERT INTO messages_blind (terms, pid, seq) VALUES (?, ?, ?)`, terms, pid, seq)
		} else {
			_, err = db.ExecContext(ctx, `INSERT INTO messages_fts (content, pid, seq) VALUES (?, ?, ?)`, m.Content, pid, seq)
		}
		if err != nil {
			return internal(err, "index message")
		}
	}
	return nil
}

// indexed reports whether recall search indexes m.
func indexed(m llmos.Message) bool {
	return (m.Role == llmos.RoleUser || m.Role == llmos.RoleAssistant) && strings.TrimSpace(m.Content) != ""
}

// Process implements kernel.Store.
func (s *DB) Process(ctx context.Context, pid int64) (*kernel.Process, error) {
	row := s.db.QueryRowContext(ctx, `SELECT pid, namespace, data, heartbeat FROM processes WHERE pid = ?`, pid)
	p, err := s.scanProcess(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, llmos.Errorf(llmos.CodeNotFound, "no process %d", pid)
	}
	return p, err
}

type scanner interface{ Scan(dest ...any) error }

func (s *DB) scanProcess(row scanner) (*kernel.Process, error) {
	var (
		pid  int64
		ns   string
		data []byte
		beat int64
	)
	if err := row.Scan(&pid, &ns, &data, &beat); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, internal(err, "read process")
	}
	s.remember(pid, ns)
	plain, err := s.open(ns, data, isSealed(data), adProcess(pid), "process "+strconv.FormatInt(pid, 10))
	if err != nil {
		return nil, err
	}
	p := new(kernel.Process)
	if err := json.Unmarshal(plain, p); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInternal, "a process record is corrupt")
	}
	if beat > 0 {
		p.Heartbeat = time.Unix(0, beat).UTC()
	}
	return p, nil
}

// Processes implements kernel.Store. With a cipher, the processes of a
// namespace whose key was deleted (the cipher says CodeNotFound) are left
// out; any other failure to open a record is returned.
func (s *DB) Processes(ctx context.Context) ([]*kernel.Process, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT pid, namespace, data, heartbeat FROM processes ORDER BY pid`)
	if err != nil {
		return nil, internal(err, "list processes")
	}
	defer rows.Close()
	var ps []*kernel.Process
	for rows.Next() {
		p, err := s.scanProcess(rows)
		if err != nil {
			if s.cipher != nil && llmos.ErrorCode(err) == llmos.CodeNotFound {
				continue // shredded
			}
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, internal(rows.Err(), "list processes")
}

// SaveProcess implements kernel.Store.
func (s *DB) SaveProcess(ctx context.Context, p *kernel.Process) error {
	ns, err := s.namespace(ctx, s.db, p.PID, namespaceOf(p))
	if err != nil {
		return err
	}
	return s.saveProcess(ctx, s.db, p, ns)
}

// CommitStep implements kernel.Store.
func (s *DB) CommitStep(ctx context.Context, p *kernel.Process, msgs []llmos.Message) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, "commit step")
	}
	defer tx.Rollback()
	ns, err := s.namespace(ctx, tx, p.PID, namespaceOf(p))
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE pid = ?`, p.PID).Scan(&n); err != nil {
		return internal(err, "commit step")
	}
	if err := s.saveProcess(ctx, tx, p, ns); err != nil {
		return err
	}
	if err := s.appendMessages(ctx, tx, p.PID, ns, n, msgs); err != nil {
		return err
	}
	return internal(tx.Commit(), "commit step")
}

// Messages implements kernel.Store.
func (s *DB) Messages(ctx context.Context, pid int64) ([]llmos.Message, error) {
	ns, err := s.namespace(ctx, s.db, pid, "")
	if llmos.ErrorCode(err) == llmos.CodeNotFound {
		return nil, nil // no process, no messages
	} else if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, data FROM messages WHERE pid = ? ORDER BY seq`, pid)
	if err != nil {
		return nil, internal(err, "read messages")
	}
	defer rows.Close()
	var msgs []llmos.Message
	for rows.Next() {
		var seq int
		var data []byte
		if err := rows.Scan(&seq, &data); err != nil {
			return nil, internal(err, "read messages")
		}
		m, err := s.openMessage(ns, pid, seq, data)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, internal(rows.Err(), "read messages")
}

func (s *DB) openMessage(ns string, pid int64, seq int, data []byte) (llmos.Message, error) {
	var m llmos.Message
	plain, err := s.open(ns, data, isSealed(data), adMessage(pid, seq), fmt.Sprintf("message %d of process %d", seq, pid))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(plain, &m); err != nil {
		return m, llmos.Wrap(err, llmos.CodeInternal, "a message record is corrupt")
	}
	return m, nil
}

// AppendEvent implements kernel.Store.
func (s *DB) AppendEvent(ctx context.Context, e *kernel.Event) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return internal(err, "append event")
	}
	defer tx.Rollback()
	ns, err := s.namespace(ctx, tx, e.PID, "")
	if err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE pid = ?`, e.PID).Scan(&e.Seq); err != nil {
		return internal(err, "append event")
	}
	data, err := json.Marshal(e)
	if err != nil {
		return internal(err, "append event")
	}
	stored, err := s.seal(ns, data, adEvent(e.PID, e.Seq))
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (pid, seq, time, kind, data) VALUES (?, ?, ?, ?, ?)`,
		e.PID, e.Seq, e.Time.UnixNano(), e.Kind, stored); err != nil {
		return internal(err, "append event")
	}
	return internal(tx.Commit(), "append event")
}

// Events implements kernel.Store.
func (s *DB) Events(ctx context.Context, pid int64, after int64) ([]kernel.Event, error) {
	ns, err := s.namespace(ctx, s.db, pid, "")
	if llmos.ErrorCode(err) == llmos.CodeNotFound {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, data FROM events WHERE pid = ? AND seq > ? ORDER BY seq`, pid, after)
	if err != nil {
		return nil, internal(err, "read events")
	}
	defer rows.Close()
	var evs []kernel.Event
	for rows.Next() {
		var seq int64
		var data []byte
		if err := rows.Scan(&seq, &data); err != nil {
			return nil, internal(err, "read events")
		}
		plain, err := s.open(ns, data, isSealed(data), adEvent(pid, seq), fmt.Sprintf("event %d of process %d", seq, pid))
		if err != nil {
			return nil, err
		}
		var e kernel.Event
		if err := json.Unmarshal(plain, &e); err != nil {
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
