package local

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/llmos/llmos/vector/hnsw"
)

// The snapshot file of a plaintext index:
//
//	magic "LLMVSNP\x01"
//	u64 log generation, u64 log offset covered, u32 dimension, uvarint item count
//	per item: uvarint length + item (record.go's encoding, no vector),
//	          uvarint node+1 (0: no vector), uvarint record offset, uvarint record size
//	the graph (hnsw.Graph.WriteTo), G bytes
//	u64 G, u32 CRC-32C of everything before it
//
// Numbers are little-endian. The snapshot of an encrypted index is the
// header of crypt.go (magic "LLMVSNP\x02", stream id, CRC) and then, sealed
// in chunks:
//
//	u64 log generation, u64 log offset covered, u32 dimension, uvarint item count
//	per item: as above, then uvarint the key id of its record
//	u8 1 if a graph follows (0 if not), the graph, u64 G
const snapMagic = "LLMVSNP\x01"

// snapTrailer is the size of the trailer: the graph's length and the CRC.
const snapTrailer = 12

// errSnapshot is the error of a snapshot that does not read back;
// errPlainSnapshot that of a plaintext snapshot beside an encrypted log (left
// by a crash while the index was being encrypted).
var (
	errSnapshot      = errors.New("bad snapshot")
	errPlainSnapshot = errors.New("plaintext snapshot of an encrypted log")
)

// snapshot writes the state covering the whole log to the snapshot file,
// unless the snapshot there already does. The caller holds snapMu.
//
// The items are copied under the read lock, with the log offset they cover;
// the graph is written afterwards, without the index's lock, so it may hold
// nodes added since (loading drops those no item points to) and tombstones
// made since (replaying the log after the offset redoes what made them).
func (x *Index) snapshot() error {
	x.mu.RLock()
	w, off, dim, g := x.wal, x.wal.size, x.dim, x.graph
	gen := w.gen
	seq, pending := w.seq.Load(), x.pending.Load()
	if gen == x.snapGen && off == x.snapOff {
		x.mu.RUnlock()
		return nil
	}
	docs := make([]*doc, 0, len(x.items))
	for _, d := range x.items {
		docs = append(docs, d)
	}
	x.mu.RUnlock()
	// The snapshot must not cover records a crash could still take away.
	if err := w.syncTo(seq); err != nil {
		return err
	}
	err := writeFileSync(x.path(snapName), func(bw *bufio.Writer) error {
		if w.kind == kindSealed {
			sw, err := newSealWriter(bw, x.opts.Cipher)
			if err == nil {
				_, err = writeSnapBody(sw, nil, gen, off, dim, docs, g, true)
			}
			if cerr := sw.Close(); err == nil {
				err = cerr
			}
			return err
		}
		h := crc32.New(castagnoli)
		gsize, err := writeSnapBody(io.MultiWriter(bw, h), []byte(snapMagic), gen, off, dim, docs, g, false)
		if err != nil {
			return err
		}
		trailer := binary.LittleEndian.AppendUint64(nil, uint64(gsize))
		h.Write(trailer)
		trailer = binary.LittleEndian.AppendUint32(trailer, h.Sum32())
		_, err = bw.Write(trailer)
		return err
	})
	if err != nil {
		return err
	}
	x.snapGen, x.snapOff = gen, off
	x.pending.Add(-pending)
	return nil
}

// writeSnapBody writes head, then the snapshot's content (see the top of
// this file) to out and returns the size of the graph. sealed selects the
// content of an encrypted snapshot.
func writeSnapBody(out io.Writer, head []byte, gen uint64, off int64, dim int, docs []*doc, g *hnsw.Graph, sealed bool) (int64, error) {
	var item []byte
	buf := append([]byte(nil), head...)
	buf = binary.LittleEndian.AppendUint64(buf, gen)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(off))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(dim))
	buf = binary.AppendUvarint(buf, uint64(len(docs)))
	for _, d := range docs {
		item = appendItem(item[:0], &d.item)
		buf = binary.AppendUvarint(buf, uint64(len(item)))
		buf = append(buf, item...)
		node := uint64(0)
		if d.node != noNode {
			node = uint64(d.node) + 1
		}
		buf = binary.AppendUvarint(buf, node)
		buf = binary.AppendUvarint(buf, uint64(d.off))
		buf = binary.AppendUvarint(buf, uint64(d.size))
		if sealed {
			buf = binary.AppendUvarint(buf, uint64(d.kid))
		}
		if len(buf) >= 1<<20 {
			if _, err := out.Write(buf); err != nil {
				return 0, err
			}
			clear(buf)
			buf = buf[:0]
		}
	}
	clear(item)
	if sealed {
		buf = append(buf, 0)
		if g != nil {
			buf[len(buf)-1] = 1
		}
	}
	_, err := out.Write(buf)
	clear(buf)
	if err != nil {
		return 0, err
	}
	var gsize int64
	if g != nil {
		live := make([]uint64, (g.Nodes()+63)/64)
		for _, d := range docs {
			if d.node != noNode && int(d.node)/64 < len(live) {
				live[d.node/64] |= 1 << (d.node % 64)
			}
		}
		sc := newScrubber(out, live)
		if gsize, err = g.WriteTo(sc); err == nil {
			err = sc.finish()
		}
		if err != nil {
			return 0, err
		}
	}
	if sealed {
		_, err = out.Write(binary.LittleEndian.AppendUint64(nil, uint64(gsize)))
	}
	return gsize, err
}

// snapState is a snapshot read back.
type snapState struct {
	gen   uint64
	off   int64
	dim   int
	docs  []*doc
	graph *hnsw.Graph
}

// readSnapshot reads and checks the snapshot at path, beside a log of this
// kind (an encrypted snapshot is opened with c). It returns os.ErrNotExist
// when there is none, errPlainSnapshot for a plaintext snapshot beside an
// encrypted log, a *keyError when an encrypted one does not open but for
// damage, and an error wrapping errSnapshot when it is damaged.
func readSnapshot(path string, kind byte, c Cipher) (*snapState, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	magic := make([]byte, len(snapMagic))
	if _, err := f.ReadAt(magic, 0); err != nil {
		return nil, fmt.Errorf("%w: too short", errSnapshot)
	}
	var s *snapState
	switch string(magic) {
	case snapMagic:
		if kind == kindSealed {
			return nil, errPlainSnapshot
		}
		s, err = readPlainSnapshot(f, size)
	case snapMagicSealed:
		if kind != kindSealed || c == nil {
			return nil, fmt.Errorf("%w: an encrypted snapshot beside a plaintext log", errSnapshot)
		}
		s, err = readSealedSnapshot(f, size, c)
	default:
		return nil, fmt.Errorf("%w: not a snapshot", errSnapshot)
	}
	if err != nil {
		return nil, err
	}
	if s.graph == nil && s.dim != 0 || s.graph != nil && s.graph.Config().Dim != s.dim {
		return nil, fmt.Errorf("%w: graph and dimension disagree", errSnapshot)
	}
	for _, d := range s.docs {
		if d.node != noNode && (s.graph == nil || int(d.node) >= s.graph.Nodes()) {
			return nil, fmt.Errorf("%w: an item's node is not in the graph", errSnapshot)
		}
	}
	return s, nil
}

func readPlainSnapshot(f *os.File, size int64) (*snapState, error) {
	bad := func(what string) error { return fmt.Errorf("%w: %s", errSnapshot, what) }
	if size < int64(len(snapMagic))+20+1+snapTrailer {
		return nil, bad("too short")
	}
	var tr [snapTrailer]byte
	if _, err := f.ReadAt(tr[:], size-snapTrailer); err != nil {
		return nil, err
	}
	gsize := binary.LittleEndian.Uint64(tr[:])
	// Check the whole file before parsing any of it, so that damage cannot
	// make the parser (the graph's especially) allocate wildly.
	h := crc32.New(castagnoli)
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size-4)); err != nil {
		return nil, err
	}
	if h.Sum32() != binary.LittleEndian.Uint32(tr[8:]) {
		return nil, bad("checksum mismatch")
	}
	if gsize > uint64(size) {
		return nil, bad("graph length")
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, int64(len(snapMagic)), size-snapTrailer-int64(len(snapMagic))), 1<<20)
	s, err := readSnapItems(r, size, false)
	if err != nil {
		return nil, err
	}
	if gsize > 0 {
		g, err := hnsw.Read(io.LimitReader(r, int64(gsize)))
		if err != nil {
			return nil, fmt.Errorf("%w: graph: %w", errSnapshot, err)
		}
		s.graph = g
	}
	return s, nil
}

// readSealedSnapshot reads an encrypted snapshot. Every chunk is
// authenticated before it is parsed, and the parse must end with the last
// chunk, so a snapshot cut short never reads as a shorter one.
func readSealedSnapshot(f *os.File, size int64, c Cipher) (*snapState, error) {
	o, err := newOpenReader(f, size, c)
	if err != nil {
		return nil, err
	}
	defer o.close()
	r := bufio.NewReaderSize(o, 1<<16)
	s, err := readSnapItems(r, size, true)
	if err == nil {
		err = readSealedGraph(r, s)
	}
	if o.err != nil {
		return nil, o.err // the cause of the parse's failure, if it failed
	}
	return s, err
}

// readSealedGraph reads what follows the items of an encrypted snapshot.
func readSealedGraph(r *bufio.Reader, s *snapState) error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", errSnapshot, what) }
	flag, err := r.ReadByte()
	if err != nil || flag > 1 {
		return bad("graph flag")
	}
	cr := &countReader{r: r}
	if flag == 1 {
		if s.graph, err = hnsw.Read(cr); err != nil {
			return fmt.Errorf("%w: graph: %w", errSnapshot, err)
		}
	}
	var tr [8]byte
	if _, err := io.ReadFull(r, tr[:]); err != nil || binary.LittleEndian.Uint64(tr[:]) != uint64(cr.n) {
		return bad("graph length")
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return bad("data after the end")
	}
	return nil
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readSnapItems reads a snapshot's content up to the graph, from a file of
// size bytes; withKid reads the key ids of an encrypted snapshot.
func readSnapItems(r *bufio.Reader, size int64, withKid bool) (*snapState, error) {
	bad := func(what string) error { return fmt.Errorf("%w: %s", errSnapshot, what) }
	head := make([]byte, 20)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, bad("truncated header")
	}
	s := &snapState{
		gen: binary.LittleEndian.Uint64(head),
		off: int64(binary.LittleEndian.Uint64(head[8:])),
		dim: int(binary.LittleEndian.Uint32(head[16:])),
	}
	count, err := binary.ReadUvarint(r)
	if err != nil || count > uint64(size) {
		return nil, bad("item count")
	}
	var buf []byte
	defer func() { clear(buf) }()
	for range count {
		n, err := binary.ReadUvarint(r)
		if err != nil || n > uint64(size) {
			return nil, bad("item length")
		}
		buf = append(buf[:0], make([]byte, n)...)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, bad("truncated item")
		}
		dec := decoder{b: buf}
		d := &doc{item: dec.item(), node: noNode}
		if dec.err != nil || len(dec.b) != 0 {
			return nil, bad("item")
		}
		node, err1 := binary.ReadUvarint(r)
		off, err2 := binary.ReadUvarint(r)
		sz, err3 := binary.ReadUvarint(r)
		if err1 != nil || err2 != nil || err3 != nil || node > noNode || off > uint64(s.off) || sz > maxRecord+frameHeader {
			return nil, bad("item place")
		}
		if withKid {
			kid, err := binary.ReadUvarint(r)
			if err != nil || kid > math.MaxUint32 {
				return nil, bad("item key")
			}
			d.kid = uint32(kid)
		}
		if node > 0 {
			d.node = uint32(node - 1)
		}
		d.off, d.size = int64(off), int64(sz)
		s.docs = append(s.docs, d)
	}
	return s, nil
}
