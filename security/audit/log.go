package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/llmos/llmos"
)

// Log is an open audit log. Its methods are safe for concurrent use; several
// Logs, in one process or several, may append to the same file at once.
type Log struct {
	path, headPath string
	opts           Options
	now            func() time.Time

	mu     sync.Mutex   // serialises this handle's appends and Close
	fmu    sync.RWMutex // guards f, which reopen replaces (under mu too)
	f      *os.File
	closed bool
	// What this handle last saw of the file, under the file lock: its size
	// and modification time, the seq and hash of its last record, and why
	// appending is refused (nil when it is not).
	size   int64
	mtime  time.Time
	seq    int64
	hash   string
	broken error

	rmu        sync.Mutex // the cursor of Read
	rOff, rSeq int64      // every line before rOff has a seq of at most rSeq
}

// Open opens the audit log at path, creating it (and its directory) if
// needed. A torn last line, left by a process that crashed in the middle of
// an append, is cut off, with a warning in the log. Open does not check the
// log (Verify does), but it notices the damage that would make an append
// extend a wrong chain; Err reports it and Append then refuses to write.
func Open(path string, opts Options) (*Log, error) {
	l := &Log{path: path, headPath: path + HeadSuffix, opts: opts, now: opts.Now, hash: zeroHash}
	if l.now == nil {
		l.now = time.Now
	}
	if opts.ReadOnly {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, llmos.Errorf(llmos.CodeNotFound, "audit: there is no audit log at %s", path)
		}
		if err != nil {
			return nil, llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot open the audit log")
		}
		l.f = f
		return l, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot create the directory of the audit log")
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot open the audit log")
	}
	l.f = f
	if err := lockFile(context.Background(), f, true); err != nil {
		f.Close()
		return nil, err
	}
	err = l.reload()
	unlockFile(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// Err reports why Append would refuse to write: the log ends before the
// record its head file names (it was cut), the head file is missing or not
// valid, the last record is damaged or does not open with the Sealer. A
// person must look (llmos audit verify) and, to start a new log, move
// audit.log and audit.log.head aside. Err is nil for a healthy log.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.broken
}

// reload reads the tip of the chain from the file, which changed since this
// handle last looked; the caller holds the exclusive file lock.
func (l *Log) reload() error {
	st, err := l.f.Stat()
	if err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot read the audit log")
	}
	end, lines, err := tailLines(l.f, st.Size(), 1)
	if err != nil {
		return err
	}
	if end < st.Size() {
		// Only a writer that died mid-append leaves bytes after the last
		// newline: writers hold the lock from their write to their sync.
		slog.Warn("audit: cutting a torn last line left by a crash", "path", l.path, "bytes", st.Size()-end)
		if err := l.f.Truncate(end); err != nil {
			return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot repair the torn end of the audit log")
		}
		if err := syncData(l.f); err != nil {
			return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot repair the torn end of the audit log")
		}
		if st, err = l.f.Stat(); err != nil {
			return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot read the audit log")
		}
	}
	l.size, l.mtime = st.Size(), st.ModTime()
	l.seq, l.hash, l.broken = 0, zeroHash, nil
	if len(lines) == 1 {
		e, err := parseLine(lines[0])
		if err != nil {
			l.broken = llmos.Errorf(llmos.CodeConflict, "audit: the last line of %s is damaged (%s); run llmos audit verify", l.path, llmos.ErrorMessage(err))
			return nil
		}
		if e.Sealed != nil && l.opts.Sealer != nil {
			if _, err := decodeRecord(e, l.opts.Sealer); err != nil {
				l.broken = llmos.Wrap(err, llmos.ErrorCode(err), "audit: the last record of "+l.path+" does not open with this key (a wrong key, or it was altered); run llmos audit verify")
				return nil
			}
		}
		l.seq, l.hash = e.Seq, e.Hash
	}
	h, ok, err := readHead(l.headPath)
	switch {
	case llmos.ErrorCode(err) == llmos.CodeInvalid:
		l.broken = llmos.Errorf(llmos.CodeConflict, "audit: %s; run llmos audit verify", llmos.ErrorMessage(err))
	case err != nil:
		return err
	case !ok && l.seq == 0:
		return writeHead(l.headPath, 0, zeroHash, l.opts.Sealer)
	case !ok:
		l.broken = llmos.Errorf(llmos.CodeConflict, "audit: the head file %s is missing, so the log may have been cut; run llmos audit verify", l.headPath)
	case h.Seq > l.seq:
		l.broken = llmos.Errorf(llmos.CodeConflict, "audit: %s ends at record %d but its head says %d: records were cut from its end; run llmos audit verify", l.path, l.seq, h.Seq)
	case h.Mac != "" && l.opts.Sealer != nil && !checkMac(h, l.opts.Sealer):
		l.broken = llmos.Errorf(llmos.CodeConflict, "audit: the head file %s does not check with this key (a wrong key, or it was altered); run llmos audit verify", l.headPath)
	}
	return nil
}

// Append adds r to the log and returns it as stored: Seq, Prev and Hash set,
// and Time set to now (UTC) if it was zero. The record is on disk (the file
// is fdatasync'ed) when Append returns. Append refuses a record without a
// Kind, or whose Data is not JSON or larger than MaxData, with
// llmos.CodeInvalid, and any record while Err is not nil.
func (l *Log) Append(ctx context.Context, r Record) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, llmos.Wrap(err, llmos.CodeCanceled, "audit: cancelled")
	}
	if r.Kind == "" {
		return Record{}, llmos.Errorf(llmos.CodeInvalid, "audit: a record needs a kind")
	}
	if len(r.Data) > MaxData {
		return Record{}, llmos.Errorf(llmos.CodeInvalid, "audit: the data of a record is limited to %d bytes (got %d)", MaxData, len(r.Data))
	}
	if len(r.Data) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, r.Data); err != nil {
			return Record{}, llmos.Wrap(err, llmos.CodeInvalid, "audit: the data of a record must be JSON")
		}
		r.Data = buf.Bytes()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return Record{}, llmos.Errorf(llmos.CodeConflict, "audit: the log is closed")
	case l.opts.ReadOnly:
		return Record{}, llmos.Errorf(llmos.CodeConflict, "audit: the log was opened read-only")
	}
	if err := lockFile(ctx, l.f, true); err != nil {
		return Record{}, err
	}
	defer func() { unlockFile(l.f) }()
	st, err := l.f.Stat()
	if err != nil {
		return Record{}, llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot read the audit log")
	}
	if pst, err := os.Stat(l.path); err != nil || !os.SameFile(st, pst) {
		// The file was removed or replaced under us: write to what the
		// path names now (reload then sees what became of the chain).
		if err := l.reopen(ctx); err != nil {
			return Record{}, err
		}
		l.size = -1
	}
	if _, err := os.Stat(l.headPath); err != nil {
		l.size = -1 // the head is gone: reload says what that means
	}
	if st.Size() != l.size || !st.ModTime().Equal(l.mtime) {
		// Another Log appended since we looked: continue its chain.
		if err := l.reload(); err != nil {
			return Record{}, err
		}
	}
	if l.broken != nil {
		return Record{}, l.broken
	}

	r.Seq, r.Prev = l.seq+1, l.hash
	if r.Time.IsZero() {
		r.Time = l.now()
	}
	r.Time = r.Time.UTC()
	payload, err := marshalBody(&r)
	if err != nil {
		return Record{}, err
	}
	sealed := l.opts.Sealer != nil
	if sealed {
		c, err := l.opts.Sealer.Seal(payload, seqAD(r.Seq))
		if err != nil {
			return Record{}, llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot encrypt the record")
		}
		payload = []byte(base64.StdEncoding.EncodeToString(c))
	}
	r.Hash = chainHash(r.Prev, r.Seq, payload)
	line := encodeLine(r.Seq, r.Prev, r.Hash, payload, sealed)
	if _, err := l.f.Write(line); err != nil {
		l.f.Truncate(l.size) // drop what part of the line was written
		l.size = -1
		return Record{}, llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot write to the audit log")
	}
	if err := syncData(l.f); err != nil {
		l.size = -1 // look again next time: the line may or may not be there
		return Record{}, llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot sync the audit log")
	}
	if st, err := l.f.Stat(); err == nil {
		l.size, l.mtime = st.Size(), st.ModTime()
	} else {
		l.size = -1
	}
	l.seq, l.hash = r.Seq, r.Hash
	if err := writeHead(l.headPath, r.Seq, r.Hash, l.opts.Sealer); err != nil {
		// The record is safe; the head only lags, which Verify tolerates.
		slog.Warn("audit: cannot update the head of the log", "path", l.headPath, "err", err)
	}
	return r, nil
}

// reopen replaces the locked file of l by the file its path names now,
// locked; the caller holds l.mu.
func (l *Log) reopen(ctx context.Context) error {
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot open the audit log")
	}
	if err := lockFile(ctx, f, true); err != nil {
		f.Close()
		return err
	}
	unlockFile(l.f)
	l.f.Close()
	l.fmu.Lock()
	l.f = f
	l.fmu.Unlock()
	return nil
}

// Close closes the log; later appends fail. It is safe to call twice.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if err := l.f.Close(); err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot close the audit log")
	}
	return nil
}
