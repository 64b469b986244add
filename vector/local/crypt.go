package local

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path/filepath"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
)

// Cipher seals values at rest under the data key of a namespace (a user).
// security/vault implements it; Options.Cipher takes one.
type Cipher interface {
	// Seal encrypts plaintext with AES-256-GCM under ns's current data key,
	// binding ad (associated data, not stored: Open must be given the same ad).
	Seal(ns string, plaintext, ad []byte) ([]byte, error)
	// Open decrypts what Seal returned. A wrong key, a deleted (shredded)
	// namespace key or an altered value is an *llmos.Error, never garbage:
	// code not_found when ns's key was deleted, unauthenticated when the
	// value does not authenticate.
	Open(ns string, sealed, ad []byte) ([]byte, error)
}

// The key namespaces the index uses besides those of its items.
const (
	// defaultNS is the key namespace of items without a namespace.
	defaultNS = "default"
	// indexNS seals the snapshot, which holds the items of every namespace.
	indexNS = "_index"
)

// keyNS returns the key namespace that seals the items of namespace ns.
func keyNS(ns string) string {
	if ns == "" {
		return defaultNS
	}
	return ns
}

// itemAD is the associated data of an item's sealed record: the record is
// bound to the id and namespace stored beside it in the clear, so it cannot
// be moved to another item.
func itemAD(id, ns string) []byte {
	ad := append([]byte(nil), "llmos/vector/item\x00"...)
	ad = appendString(ad, id)
	return appendString(ad, ns)
}

// keyID returns the key id of a value sealed in the vault's format ("LV1",
// a 4-byte big-endian key id, ...), or 0. The index uses it only to group
// items by key when it checks which keys are gone.
func keyID(sealed []byte) uint32 {
	if len(sealed) >= 7 && string(sealed[:3]) == "LV1" {
		return binary.BigEndian.Uint32(sealed[3:7])
	}
	return 0
}

// keyError is a failure of Cipher.Open. If the namespace's key was deleted
// (code not_found), what it sealed counts as deleted; any other failure
// (a wrong key, an altered value) fails Open with the cipher's code.
type keyError struct {
	ns  string // the key namespace
	err error
}

func (e *keyError) Error() string { return fmt.Sprintf("the key of namespace %q: %v", e.ns, e.err) }
func (e *keyError) Unwrap() error { return e.err }

// shredded reports whether the namespace's key was deleted.
func (e *keyError) shredded() bool { return llmos.ErrorCode(e.err) == llmos.CodeNotFound }

// openFailure is an error that fails Open as it is: not damage that a
// rebuild from the log could mend.
type openFailure struct{ err *llmos.Error }

func (e *openFailure) Error() string { return e.err.Error() }
func (e *openFailure) Unwrap() error { return e.err }

// failure returns the error Open fails with for err, if err is a keyError or
// an openFailure, and nil otherwise.
func failure(err error, dir string) error {
	var f *openFailure
	if errors.As(err, &f) {
		return f.err
	}
	var k *keyError
	if errors.As(err, &k) {
		return llmos.Wrap(err, llmos.ErrorCode(k.err), fmt.Sprintf("vector: the index in %s does not open with the key of namespace %q: %s", dir, k.ns, llmos.ErrorMessage(k.err)))
	}
	return nil
}

// errNoKey is the error of an encrypted index opened without a Cipher.
func errNoKey(dir string) *llmos.Error {
	return llmos.Errorf(llmos.CodeInvalid, "the vector index in %s is encrypted: no key given", dir)
}

// encodeUpsert returns the framed record of it: an opUpsert record without a
// cipher, an opSealed one (and the key id that sealed it) with one.
func (x *Index) encodeUpsert(it *vector.Item) (rec []byte, kid uint32, err error) {
	c := x.opts.Cipher
	if c == nil {
		rec, err = appendUpsert(nil, it)
		return rec, 0, err
	}
	body := appendVector(appendBody(nil, it), it.Vector)
	if len(body) > maxRecord {
		return nil, 0, llmos.Errorf(llmos.CodeInvalid, "vector: item %q is too large (%d bytes encoded; the limit is %d)", clip(it.ID), len(body), maxRecord)
	}
	sealed, err := c.Seal(keyNS(it.Namespace), body, itemAD(it.ID, it.Namespace))
	clear(body)
	if err != nil {
		return nil, 0, llmos.Wrap(err, llmos.ErrorCode(err), fmt.Sprintf("vector: cannot seal item %q: %s", clip(it.ID), llmos.ErrorMessage(err)))
	}
	rec, err = appendSealed(nil, it.ID, it.Namespace, sealed)
	return rec, keyID(sealed), err
}

// unseal opens the sealed part of the opSealed record of item id at off and
// returns the item, vector included. A failure of the cipher is a *keyError.
func (x *Index) unseal(id, ns string, sealed []byte, off int64) (vector.Item, error) {
	c := x.opts.Cipher
	if c == nil {
		return vector.Item{}, &openFailure{errNoKey(x.dir)}
	}
	p, err := c.Open(keyNS(ns), sealed, itemAD(id, ns))
	if err != nil {
		return vector.Item{}, &keyError{ns: keyNS(ns), err: err}
	}
	it := vector.Item{ID: id, Namespace: ns}
	d := decoder{b: p}
	d.body(&it)
	it.Vector = d.vector()
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	clear(p)
	if d.err != nil {
		return vector.Item{}, fmt.Errorf("%w: the sealed record of item %q at byte %d opens but does not decode", ErrCorrupt, clip(id), off)
	}
	return it, nil
}

// readItem reads the record of item id, of size bytes at off, and returns
// the item with its vector, opening it if it is sealed.
func (x *Index) readItem(off, size int64, id string) (vector.Item, error) {
	rec, err := x.wal.readRecord(off, size)
	if err != nil {
		return vector.Item{}, err
	}
	if rec.item.ID != id {
		return vector.Item{}, fmt.Errorf("%w: the record at byte %d is not that of item %q", ErrCorrupt, off, clip(id))
	}
	switch rec.op {
	case opUpsert:
		return rec.item, nil
	case opSealed:
		return x.unseal(rec.item.ID, rec.item.Namespace, rec.sealed, off)
	}
	return vector.Item{}, fmt.Errorf("%w: the record at byte %d is not an item", ErrCorrupt, off)
}

// The encrypted snapshot is sealed in chunks, each framed like a log record
// (length, CRC-32C of length and sealed bytes), after a header: the magic,
// a random stream id and the CRC-32C of both. Chunk i is sealed under
// indexNS with the associated data chunkAD(id, i, final), final set on the
// last chunk only (the STREAM construction): chunks moved, cut off or taken
// from another snapshot do not open.
const (
	snapMagicSealed = "LLMVSNP\x02"
	streamIDSize    = 16
	sealedHeader    = len(snapMagicSealed) + streamIDSize + 4
	// maxChunkOverhead bounds what sealing adds to a chunk.
	maxChunkOverhead = 1024
)

// snapChunk is the size of a plaintext chunk of the encrypted snapshot (a
// variable so that tests can make snapshots of many chunks).
var snapChunk = 1 << 20

func chunkAD(id []byte, i uint64, final bool) []byte {
	ad := append([]byte(nil), "llmos/vector/snapshot\x00"...)
	ad = append(ad, id...)
	ad = binary.BigEndian.AppendUint64(ad, i)
	if final {
		return append(ad, 1)
	}
	return append(ad, 0)
}

// sealWriter seals what is written to it, chunk by chunk, into w. Close
// seals the last chunk; nothing is complete before.
type sealWriter struct {
	w   io.Writer
	c   Cipher
	id  []byte
	n   uint64
	buf []byte
	err error
}

// newSealWriter writes the header of an encrypted snapshot to w and returns
// the writer of its content.
func newSealWriter(w io.Writer, c Cipher) (*sealWriter, error) {
	s := &sealWriter{w: w, c: c, id: make([]byte, streamIDSize), buf: make([]byte, 0, snapChunk)}
	rand.Read(s.id)
	hdr := append([]byte(snapMagicSealed), s.id...)
	hdr = binary.LittleEndian.AppendUint32(hdr, crc32.Checksum(hdr, castagnoli))
	_, err := w.Write(hdr)
	return s, err
}

func (s *sealWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 && s.err == nil {
		if len(s.buf) == snapChunk {
			s.err = s.emit(false) // more follows: not the last chunk
			continue
		}
		k := min(snapChunk-len(s.buf), len(p))
		s.buf = append(s.buf, p[:k]...)
		p = p[k:]
	}
	if s.err != nil {
		return 0, s.err
	}
	return total, nil
}

// Close seals the last chunk.
func (s *sealWriter) Close() error {
	if s.err == nil {
		s.err = s.emit(true)
	}
	clear(s.buf[:cap(s.buf)])
	return s.err
}

func (s *sealWriter) emit(final bool) error {
	sealed, err := s.c.Seal(indexNS, s.buf, chunkAD(s.id, s.n, final))
	clear(s.buf)
	s.buf = s.buf[:0]
	if err != nil {
		return llmos.Wrap(err, llmos.ErrorCode(err), "vector: cannot seal the snapshot: "+llmos.ErrorMessage(err))
	}
	var hdr [frameHeader]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(len(sealed)))
	crc := crc32.Update(0, castagnoli, hdr[:4])
	binary.LittleEndian.PutUint32(hdr[4:], crc32.Update(crc, castagnoli, sealed))
	if _, err := s.w.Write(hdr[:]); err != nil {
		return err
	}
	_, err = s.w.Write(sealed)
	s.n++
	return err
}

// openReader reads the content of an encrypted snapshot, opening it chunk by
// chunk. A chunk damaged (bad frame or checksum) or a stream cut short at a
// chunk boundary is an error wrapping errSnapshot, so the index is rebuilt
// from the log; a chunk that does not open otherwise is a *keyError. Its
// first error sticks: err tells it from the errors of its callers' parsing.
type openReader struct {
	r     *bufio.Reader
	c     Cipher
	id    []byte
	n     uint64
	chunk []byte // the chunk opened last
	buf   []byte // what is not read yet of it
	final bool   // the last chunk was opened
	frame []byte
	err   error
}

// newOpenReader checks the header of the encrypted snapshot f, of size
// bytes, and returns the reader of its content.
func newOpenReader(f io.ReaderAt, size int64, c Cipher) (*openReader, error) {
	hdr := make([]byte, sealedHeader)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return nil, fmt.Errorf("%w: truncated header", errSnapshot)
	}
	if string(hdr[:len(snapMagicSealed)]) != snapMagicSealed ||
		crc32.Checksum(hdr[:sealedHeader-4], castagnoli) != binary.LittleEndian.Uint32(hdr[sealedHeader-4:]) {
		return nil, fmt.Errorf("%w: bad header", errSnapshot)
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, int64(sealedHeader), size-int64(sealedHeader)), 1<<20)
	return &openReader{r: r, c: c, id: hdr[len(snapMagicSealed) : sealedHeader-4]}, nil
}

func (o *openReader) Read(p []byte) (int, error) {
	for len(o.buf) == 0 {
		if o.err != nil {
			return 0, o.err
		}
		if o.final {
			return 0, io.EOF
		}
		o.err = o.next()
	}
	n := copy(p, o.buf)
	o.buf = o.buf[n:]
	return n, nil
}

// next opens the next chunk. Whether it is the last one is told by the end
// of the file: a file cut at a chunk boundary ends with a chunk that was not
// sealed as the last, and does not open as one.
func (o *openReader) next() error {
	bad := func(what string) error { return fmt.Errorf("%w: chunk %d: %s", errSnapshot, o.n, what) }
	var hdr [frameHeader]byte
	if _, err := io.ReadFull(o.r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return bad("cut short")
		}
		return err
	}
	size := binary.LittleEndian.Uint32(hdr[:])
	if size == 0 || int64(size) > int64(snapChunk)+maxChunkOverhead {
		return bad("bad length")
	}
	o.frame = append(append(o.frame[:0], hdr[:]...), make([]byte, size)...)
	if _, err := io.ReadFull(o.r, o.frame[frameHeader:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return bad("cut short")
		}
		return err
	}
	sealed, _, err := parseFrame(o.frame)
	if err != nil {
		return bad("checksum mismatch")
	}
	_, err = o.r.Peek(1)
	final := errors.Is(err, io.EOF)
	if err != nil && !final {
		return err
	}
	p, err := o.c.Open(indexNS, sealed, chunkAD(o.id, o.n, final))
	if err != nil {
		if final && llmos.ErrorCode(err) == llmos.CodeUnauthenticated {
			if p, err2 := o.c.Open(indexNS, sealed, chunkAD(o.id, o.n, false)); err2 == nil {
				clear(p)
				return bad("the snapshot is cut short after it")
			}
		}
		return &keyError{ns: indexNS, err: err}
	}
	o.close()
	o.n++
	o.chunk, o.buf, o.final = p, p, final
	return nil
}

// close clears the plaintext chunk it holds.
func (o *openReader) close() {
	clear(o.chunk)
	o.chunk, o.buf = nil, nil
}

// accepts checks that the item record s may stand in a log of w's kind: an
// encrypted log holds only sealed items (a plaintext one there was not
// written by the index: it would be an item nobody authenticated), and a
// plaintext log only plaintext ones.
func (w *wal) accepts(s scanned) error {
	switch {
	case w.kind == kindSealed && s.rec.op == opUpsert:
		return &openFailure{llmos.Errorf(llmos.CodeUnauthenticated, "vector: the encrypted log of the index in %s holds an item that is not sealed (at byte %d): it was not written by the index", filepath.Dir(w.path), s.off)}
	case w.kind == kindPlain && s.rec.op == opSealed:
		return &openFailure{llmos.Wrap(ErrCorrupt, llmos.CodeConflict, fmt.Sprintf("vector: the plaintext log of the index in %s holds an encrypted item (at byte %d)", filepath.Dir(w.path), s.off))}
	}
	return nil
}
