package audit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"

	"github.com/llmos/llmos"
)

// Read calls fn with every record whose Seq is greater than after, in the
// order of the file, and stops at fn's first error, which it returns. A last
// line still being written is left for the next Read; lines that do not
// decode are skipped with a warning in the log (Verify names them). A sealed
// record with no Sealer, or one the Sealer cannot open, is an error
// (llmos.CodeUnauthenticated). Successive Reads with a growing after resume
// where the previous one stopped, so polling a long log stays cheap.
func (l *Log) Read(ctx context.Context, after int64, fn func(Record) error) error {
	l.rmu.Lock()
	defer l.rmu.Unlock()
	f := l.file()
	st, err := f.Stat()
	if err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot read the audit log")
	}
	size := st.Size()
	var off, maxSeq int64
	if l.rOff <= size && l.rSeq <= after {
		off, maxSeq = l.rOff, l.rSeq
	}
	lr := newLineReader(io.NewSectionReader(f, off, size-off))
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return llmos.Wrap(err, llmos.CodeCanceled, "audit: cancelled")
			}
		}
		b, complete, long, err := lr.next()
		if err == io.EOF || (err == nil && !complete) {
			return nil
		}
		if err != nil {
			return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot read the audit log")
		}
		off += lr.consumed
		e := l.parse(b, long)
		if e != nil && e.Seq > maxSeq {
			maxSeq = e.Seq
		}
		l.rOff, l.rSeq = off, maxSeq
		if e == nil || e.Seq <= after {
			continue
		}
		rec, ok, err := l.open(e)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// Tail returns the last n records of the log, oldest first (fewer if the
// log is shorter or some of its last lines do not decode).
func (l *Log) Tail(ctx context.Context, n int) ([]Record, error) {
	if n <= 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeCanceled, "audit: cancelled")
	}
	f := l.file()
	st, err := f.Stat()
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot read the audit log")
	}
	_, lines, err := tailLines(f, st.Size(), n)
	if err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(lines))
	for _, b := range lines {
		e := l.parse(b, len(b) > maxLine)
		if e == nil {
			continue
		}
		rec, ok, err := l.open(e)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, rec)
		}
	}
	return out, nil
}

// file returns the file l reads, which an Append may replace.
func (l *Log) file() *os.File {
	l.fmu.RLock()
	defer l.fmu.RUnlock()
	return l.f
}

// parse decodes the frame of a line, or returns nil for a line to skip.
func (l *Log) parse(b []byte, long bool) *entry {
	if long {
		slog.Warn("audit: skipping a line that is too long", "path", l.path)
		return nil
	}
	e, err := parseLine(b)
	if err != nil {
		slog.Warn("audit: skipping a malformed line", "path", l.path, "err", err)
		return nil
	}
	return e
}

// open turns an entry into a record; ok is false for a record to skip. A
// record that needs a key, or does not open with it, is an error.
func (l *Log) open(e *entry) (rec Record, ok bool, err error) {
	rec, err = decodeRecord(e, l.opts.Sealer)
	if llmos.ErrorCode(err) == llmos.CodeUnauthenticated {
		return rec, false, err
	}
	if err != nil {
		slog.Warn("audit: skipping a record that does not decode", "path", l.path, "seq", e.Seq, "err", err)
		return rec, false, nil
	}
	return rec, true, nil
}

// tailLines returns the last n complete lines of the first size bytes of f
// (without their newlines, oldest first) and end, the offset just past the
// last newline: bytes after end are an unterminated tail.
func tailLines(f io.ReaderAt, size int64, n int) (end int64, lines [][]byte, err error) {
	var buf []byte // f[pos:size]
	pos, chunk := size, int64(64<<10)
	for pos > 0 && bytes.Count(buf, []byte{'\n'}) < n+1 {
		k := min(chunk, pos)
		b := make([]byte, int(k)+len(buf))
		if _, err := f.ReadAt(b[:k], pos-k); err != nil && !errors.Is(err, io.EOF) {
			return 0, nil, llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot read the audit log")
		}
		copy(b[k:], buf)
		buf, pos = b, pos-k
		chunk *= 2
	}
	last := bytes.LastIndexByte(buf, '\n')
	if last < 0 {
		return pos, nil, nil
	}
	end = pos + int64(last) + 1
	parts := bytes.Split(buf[:last], []byte{'\n'})
	if pos > 0 {
		parts = parts[1:] // the first part may begin before pos
	}
	if len(parts) > n {
		parts = parts[len(parts)-n:]
	}
	return end, parts, nil
}

// lineReader reads the lines of a log whose content cannot be trusted: a
// line longer than maxLine is reported, not kept in memory.
type lineReader struct {
	r        *bufio.Reader
	buf      []byte
	consumed int64 // bytes of the last line returned, newline included
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its newline. complete is false for a
// last line with no newline; long is true for a line over maxLine, of which
// only the start is returned. err is io.EOF at the end.
func (lr *lineReader) next() (line []byte, complete, long bool, err error) {
	lr.buf, lr.consumed = lr.buf[:0], 0
	for {
		chunk, err := lr.r.ReadSlice('\n')
		lr.consumed += int64(len(chunk))
		if len(lr.buf)+len(chunk) <= maxLine+1 {
			lr.buf = append(lr.buf, chunk...)
		} else {
			long = true
		}
		switch {
		case err == nil:
			if !long {
				return lr.buf[:len(lr.buf)-1], true, false, nil
			}
			return lr.buf, true, true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if lr.consumed == 0 {
				return nil, false, false, io.EOF
			}
			return lr.buf, false, long, nil
		default:
			return nil, false, false, err
		}
	}
}
