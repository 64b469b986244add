package local

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/llmos/llmos/vector/hnsw"
)

// The snapshot file:
//
//	magic "LLMVSNP\x01"
//	u64 log generation, u64 log offset covered, u32 dimension, uvarint item count
//	per item: uvarint length + item (record.go's encoding, no vector),
//	          uvarint node+1 (0: no vector), uvarint record offset, uvarint record size
//	the graph (hnsw.Graph.WriteTo), G bytes
//	u64 G, u32 CRC-32C of everything before it
//
// Numbers are little-endian.
const snapMagic = "LLMVSNP\x01"

// snapTrailer is the size of the trailer: the graph's length and the CRC.
const snapTrailer = 12

// errSnapshot is the error of a snapshot that does not read back.
var errSnapshot = errors.New("bad snapshot")

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
		h := crc32.New(castagnoli)
		out := io.MultiWriter(bw, h)
		var buf, item []byte
		buf = append(buf, snapMagic...)
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
			if len(buf) >= 1<<20 {
				if _, err := out.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
		if _, err := out.Write(buf); err != nil {
			return err
		}
		var gsize int64
		if g != nil {
			n, err := g.WriteTo(out)
			if err != nil {
				return err
			}
			gsize = n
		}
		trailer := binary.LittleEndian.AppendUint64(nil, uint64(gsize))
		h.Write(trailer)
		trailer = binary.LittleEndian.AppendUint32(trailer, h.Sum32())
		_, err := bw.Write(trailer)
		return err
	})
	if err != nil {
		return err
	}
	x.snapGen, x.snapOff = gen, off
	x.pending.Add(-pending)
	return nil
}

// snapState is a snapshot read back.
type snapState struct {
	gen   uint64
	off   int64
	dim   int
	docs  []*doc
	graph *hnsw.Graph
}

// readSnapshot reads and checks the snapshot at path. It returns
// os.ErrNotExist when there is none, and an error wrapping errSnapshot when
// it is damaged.
func readSnapshot(path string) (*snapState, error) {
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

	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, size-snapTrailer), 1<<20)
	head := make([]byte, len(snapMagic)+20)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, bad("truncated header")
	}
	if string(head[:len(snapMagic)]) != snapMagic {
		return nil, bad("not a snapshot")
	}
	s := &snapState{
		gen: binary.LittleEndian.Uint64(head[len(snapMagic):]),
		off: int64(binary.LittleEndian.Uint64(head[len(snapMagic)+8:])),
		dim: int(binary.LittleEndian.Uint32(head[len(snapMagic)+16:])),
	}
	count, err := binary.ReadUvarint(r)
	if err != nil || count > uint64(size) {
		return nil, bad("item count")
	}
	var buf []byte
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
		if node > 0 {
			d.node = uint32(node - 1)
		}
		d.off, d.size = int64(off), int64(sz)
		s.docs = append(s.docs, d)
	}
	if gsize > 0 {
		g, err := hnsw.Read(io.LimitReader(r, int64(gsize)))
		if err != nil {
			return nil, fmt.Errorf("%w: graph: %w", errSnapshot, err)
		}
		s.graph = g
	}
	if s.graph == nil && s.dim != 0 || s.graph != nil && s.graph.Config().Dim != s.dim {
		return nil, bad("graph and dimension disagree")
	}
	for _, d := range s.docs {
		if d.node != noNode && (s.graph == nil || int(d.node) >= s.graph.Nodes()) {
			return nil, bad("an item's node is not in the graph")
		}
	}
	return s, nil
}
