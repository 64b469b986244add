package local

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// The log file starts with a header: a magic string, the log's generation
// (random, new at every rewrite, so a snapshot is only ever replayed against
// the log it was taken from) and the CRC-32C of both. The magic tells a
// plaintext log from an encrypted one, whose items are opSealed records.
const (
	logMagic       = "LLMVLOG\x01"
	logMagicSealed = "LLMVLOG\x02"
	headerSize     = 8 + 8 + 4 // magic, generation, CRC
)

// The kinds of log: what its header says.
const (
	kindAny    byte = 0 // unknown (a damaged header): records of either kind
	kindPlain  byte = 1 // items are opUpsert records
	kindSealed byte = 2 // items are opSealed records
)

// wal is the append-only log, the durable store of an index.
//
// Appends happen under the index's write lock, so the order of the log is the
// order in which writes are applied in memory. Each append is one write call;
// syncTo then makes it durable, and writers that wait at the same time share
// one fsync (group commit).
type wal struct {
	path string
	f    *os.File // swapped by compaction, under the index's write lock and syncMu
	gen  uint64
	kind byte  // kindPlain or kindSealed
	size int64 // bytes written; changed under the index's write lock

	seq    atomic.Uint64 // appends so far
	syncMu sync.Mutex
	synced uint64 // the appends made durable, under syncMu

	broken atomic.Pointer[error] // set when the log can no longer be trusted
}

func encodeHeader(gen uint64, kind byte) []byte {
	magic := logMagic
	if kind == kindSealed {
		magic = logMagicSealed
	}
	b := append([]byte(magic), make([]byte, 12)...)
	binary.LittleEndian.PutUint64(b[len(logMagic):], gen)
	binary.LittleEndian.PutUint32(b[len(logMagic)+8:], crc32.Checksum(b[:len(logMagic)+8], castagnoli))
	return b
}

// writeFileSync writes a new file at path through a temporary file, fsynced
// and renamed over path, then fsyncs the directory: path holds either its old
// content or all of the new one, whatever happens.
func writeFileSync(path string, write func(w *bufio.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// createLog writes a new, empty log of this kind at path and opens it.
func createLog(path string, gen uint64, kind byte) (*wal, error) {
	if err := writeFileSync(path, func(w *bufio.Writer) error {
		_, err := w.Write(encodeHeader(gen, kind))
		return err
	}); err != nil {
		return nil, err
	}
	return openLog(path)
}

// errHeader is the error of a log whose header is damaged.
var errHeader = errors.New("bad log header")

// openLog opens the log at path and checks its header.
func openLog(path string) (*wal, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	gen, kind := readHeader(f)
	if kind == kindAny {
		f.Close()
		return nil, errHeader
	}
	return &wal{path: path, f: f, gen: gen, kind: kind, size: st.Size()}, nil
}

// readHeader reads and checks the header of the log f: its generation and
// kind, or kindAny if it is damaged.
func readHeader(f *os.File) (gen uint64, kind byte) {
	hdr := make([]byte, headerSize)
	if _, err := f.ReadAt(hdr, 0); err != nil ||
		crc32.Checksum(hdr[:headerSize-4], castagnoli) != binary.LittleEndian.Uint32(hdr[headerSize-4:]) {
		return 0, kindAny
	}
	switch string(hdr[:len(logMagic)]) {
	case logMagic:
		kind = kindPlain
	case logMagicSealed:
		kind = kindSealed
	default:
		return 0, kindAny
	}
	return binary.LittleEndian.Uint64(hdr[len(logMagic):]), kind
}

// failed returns the error that broke the log, or nil.
func (w *wal) failed() error {
	if p := w.broken.Load(); p != nil {
		return *p
	}
	return nil
}

func (w *wal) fail(err error) {
	w.broken.CompareAndSwap(nil, &err)
}

// append writes buf, one or more framed records, at the end of the log and
// returns the append's sequence number for syncTo. The caller holds the
// index's write lock. If the write fails, the log is cut back to where it was,
// so a later append never follows a partial record.
func (w *wal) append(buf []byte) (uint64, error) {
	if err := w.failed(); err != nil {
		return 0, err
	}
	if _, err := w.f.WriteAt(buf, w.size); err != nil {
		if terr := w.f.Truncate(w.size); terr != nil {
			w.fail(fmt.Errorf("write: %w; truncate: %w", err, terr))
		}
		return 0, err
	}
	w.size += int64(len(buf))
	return w.seq.Add(1), nil
}

// syncTo returns once the append seq is durable. Whoever holds syncMu fsyncs
// every append written so far, so writers waiting behind it usually find
// their append already durable. A failed fsync breaks the log for good: the
// kernel may have dropped the dirty pages, and retrying would lie.
func (w *wal) syncTo(seq uint64) error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	if err := w.failed(); err != nil {
		return err
	}
	if w.synced >= seq {
		return nil
	}
	target := w.seq.Load()
	if err := w.f.Sync(); err != nil {
		w.fail(err)
		return err
	}
	w.synced = target
	return nil
}

// readRecord reads and decodes the record of size bytes at off.
func (w *wal) readRecord(off, size int64) (record, error) {
	buf := make([]byte, size)
	if _, err := w.f.ReadAt(buf, off); err != nil {
		return record{}, err
	}
	p, n, err := parseFrame(buf)
	if err != nil || int64(n) != size {
		return record{}, fmt.Errorf("record at %d: %w", off, errFrame)
	}
	return decodeRecord(p)
}

// truncate cuts the log at size, for a torn tail, and makes that durable.
func (w *wal) truncate(size int64) error {
	if err := w.f.Truncate(size); err != nil {
		return err
	}
	w.size = size
	return w.f.Sync()
}

// close makes every append durable and closes the file; a syncTo that comes
// later finds its append durable and does not touch the file.
func (w *wal) close() error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	var err error
	if w.failed() == nil {
		err = w.f.Sync()
		w.synced = w.seq.Load()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// corruptError reports a damaged record that is followed by valid ones: not
// a torn tail, which only unacknowledged writes can leave, but damage to data
// that may have been acknowledged.
type corruptError struct {
	off, next int64
}

func (e *corruptError) Error() string {
	return fmt.Sprintf("damaged record at byte %d, valid records again from byte %d", e.off, e.next)
}

// scanned is a record found by scan, with its place in the log.
type scanned struct {
	off, size int64
	rec       record
}

// scan reads the records from off to the end of the log and calls fn for
// each. At the first record that is damaged or cut short it looks for a valid
// record further on: if there is none, the damage is a torn tail and scan
// returns its offset as end, for the caller to truncate; if there is one,
// scan returns a *corruptError, unless skip is set, in which case it counts
// the damaged bytes and carries on from the valid record.
func (w *wal) scan(off int64, skip bool, fn func(s scanned) error) (end, skipped int64, err error) {
	st, err := w.f.Stat()
	if err != nil {
		return 0, 0, err
	}
	fileSize := st.Size()
	r := bufio.NewReaderSize(io.NewSectionReader(w.f, off, fileSize-off), 1<<20)
	var hdr [frameHeader]byte
	var buf []byte
	for off < fileSize {
		bad := false
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			bad = true
		} else if size := int64(binary.LittleEndian.Uint32(hdr[:])); size == 0 || size > maxRecord || off+frameHeader+size > fileSize {
			bad = true
		} else {
			buf = append(buf[:0], hdr[:]...)
			buf = append(buf, make([]byte, size)...)
			if _, err := io.ReadFull(r, buf[frameHeader:]); err != nil {
				return 0, 0, err
			}
			p, n, ferr := parseFrame(buf)
			var rec record
			if ferr == nil {
				rec, ferr = decodeRecord(p)
			}
			if ferr != nil {
				bad = true
			} else {
				if err := fn(scanned{off: off, size: int64(n), rec: rec}); err != nil {
					return 0, 0, err
				}
				off += int64(n)
				continue
			}
		}
		if !bad {
			continue
		}
		next, err := w.resync(off+1, fileSize)
		if err != nil {
			return 0, 0, err
		}
		if next < 0 {
			return off, skipped, nil // a torn tail
		}
		if !skip {
			return 0, 0, &corruptError{off: off, next: next}
		}
		skipped += next - off
		off = next
		r.Reset(io.NewSectionReader(w.f, off, fileSize-off))
	}
	return off, skipped, nil
}

// resync returns the offset of the first valid record that starts at from or
// later, or -1 if there is none before end.
func (w *wal) resync(from, end int64) (int64, error) {
	const window = 1 << 20
	buf := make([]byte, window+frameHeader+1)
	for base := from; base < end; base += window {
		n, err := w.f.ReadAt(buf[:min(int64(len(buf)), end-base)], base)
		if err != nil && err != io.EOF {
			return 0, err
		}
		for i := 0; i < n && i < window; i++ {
			if i+frameHeader+1 > n {
				break // too close to the end of the file to be a record
			}
			size := int64(binary.LittleEndian.Uint32(buf[i:]))
			op := buf[i+frameHeader]
			if size == 0 || size > maxRecord || base+int64(i)+frameHeader+size > end || op < opDim || op > opSealed {
				continue
			}
			frame := make([]byte, frameHeader+size)
			if _, err := w.f.ReadAt(frame, base+int64(i)); err != nil {
				return 0, err
			}
			if p, _, err := parseFrame(frame); err == nil {
				if _, err := decodeRecord(p); err == nil {
					return base + int64(i), nil
				}
			}
		}
	}
	return -1, nil
}
