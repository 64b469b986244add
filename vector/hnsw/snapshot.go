package hnsw

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"sync/atomic"

	"github.com/llmos/llmos"
)

// The snapshot format, all integers little-endian:
//
//	magic "llmosHNW", version uint32
//	config: dim, M, ef_construction, ef_search, metric, flags (1 = quantize) uint32; seed uint64
//	nodes, entry node, top level + 1 (0 when empty) uint32
//	vectors:     nodes × dim float32
//	levels:      nodes × uint8
//	layer 0:     nodes × (1 + 2M) uint32: count, then the links, unused slots zero
//	upper links: for each node of level L > 0, L × (1 + M) uint32, layer 1 first
//	tombstones:  count uint32, then the deleted nodes in ascending order
//	CRC-32C (Castagnoli) of everything above, uint32
//
// Int8 codes are not stored: Read computes them again.
const (
	magic   = "llmosHNW"
	version = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encoder buffers output and keeps its checksum.
type encoder struct {
	w   io.Writer
	buf []byte
	crc uint32
	n   int64
	err error
}

func (e *encoder) flush() {
	if e.err != nil || len(e.buf) == 0 {
		e.buf = e.buf[:0]
		return
	}
	e.crc = crc32.Update(e.crc, castagnoli, e.buf)
	n, err := e.w.Write(e.buf)
	e.n += int64(n)
	e.err = err
	e.buf = e.buf[:0]
}

func (e *encoder) u32(v uint32) {
	if len(e.buf)+4 > cap(e.buf) {
		e.flush()
	}
	e.buf = binary.LittleEndian.AppendUint32(e.buf, v)
}

// WriteTo writes a snapshot of the graph to w: the configuration, vectors,
// levels, neighbour lists and tombstones, with a CRC-32C at the end. It waits
// for running Adds and Deletes and holds off new ones until it is done;
// searches go on. Read loads the snapshot back.
func (g *Graph) WriteTo(w io.Writer) (int64, error) {
	g.snap.Lock()
	defer g.snap.Unlock()
	e := &encoder{w: w, buf: make([]byte, 0, 1<<16)}
	e.buf = append(e.buf, magic...)
	e.u32(version)
	flags := uint32(0)
	if g.cfg.Quantize {
		flags |= 1
	}
	for _, v := range []int{g.dim, g.cfg.M, g.cfg.EfConstruction, g.cfg.EfSearch, int(g.cfg.Metric)} {
		e.u32(uint32(v))
	}
	e.u32(flags)
	e.u32(uint32(g.cfg.Seed))
	e.u32(uint32(g.cfg.Seed >> 32))
	n := g.n.Load()
	st := g.ep.Load()
	e.u32(n)
	e.u32(uint32(st))
	e.u32(uint32(st >> 32))
	pages := *g.pages.Load()
	node := func(id uint32) (*page, int) { return pages[id>>g.shift], int(id & g.mask) }
	for id := uint32(0); id < n; id++ {
		p, i := node(id)
		for _, x := range p.vecs[i*g.dim : (i+1)*g.dim] {
			e.u32(math.Float32bits(x))
		}
	}
	for id := uint32(0); id < n; id++ {
		p, i := node(id)
		if len(e.buf)+1 > cap(e.buf) {
			e.flush()
		}
		e.buf = append(e.buf, uint8(len(p.upper[i])/g.strideU))
	}
	list := func(lst []uint32) {
		cnt := atomic.LoadUint32(&lst[0])
		e.u32(cnt)
		for j := 1; j < len(lst); j++ {
			if uint32(j) <= cnt {
				e.u32(atomic.LoadUint32(&lst[j]))
			} else {
				e.u32(0)
			}
		}
	}
	for id := uint32(0); id < n; id++ {
		p, i := node(id)
		list(g.list(p, i, 0))
	}
	for id := uint32(0); id < n; id++ {
		p, i := node(id)
		for l := 1; l <= len(p.upper[i])/g.strideU; l++ {
			list(g.list(p, i, l))
		}
	}
	var dead []uint32
	for id := uint32(0); id < n; id++ {
		p, i := node(id)
		if atomic.LoadUint32(&p.state[i])&stateDeleted != 0 {
			dead = append(dead, id)
		}
	}
	e.u32(uint32(len(dead)))
	for _, id := range dead {
		e.u32(id)
	}
	e.flush()
	if e.err == nil {
		var sum [4]byte
		binary.LittleEndian.PutUint32(sum[:], e.crc)
		k, err := w.Write(sum[:])
		e.n += int64(k)
		e.err = err
	}
	if e.err != nil {
		return e.n, llmos.Wrap(e.err, llmos.CodeInternal, "cannot write the index snapshot")
	}
	return e.n, nil
}

// decoder reads the snapshot in chunks, keeping the checksum. It never reads
// past the snapshot's end and allocates only as data arrives, so a garbage
// header cannot make it allocate much.
type decoder struct {
	r   io.Reader
	buf []byte
	crc uint32
}

// corrupt is the error of a snapshot that fails a check.
func corrupt(format string, args ...any) error {
	return llmos.Errorf(llmos.CodeInvalid, "index snapshot is corrupt: "+format, args...)
}

// read fills b from the reader.
func (d *decoder) read(b []byte) error {
	if _, err := io.ReadFull(d.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return corrupt("truncated")
		}
		return llmos.Wrap(err, llmos.CodeInternal, "cannot read the index snapshot")
	}
	d.crc = crc32.Update(d.crc, castagnoli, b)
	return nil
}

// u32s fills dst with little-endian uint32s.
func (d *decoder) u32s(dst []uint32) error {
	for len(dst) > 0 {
		k := min(len(dst), cap(d.buf)/4)
		b := d.buf[:4*k]
		if err := d.read(b); err != nil {
			return err
		}
		for i := range k {
			dst[i] = binary.LittleEndian.Uint32(b[4*i:])
		}
		dst = dst[k:]
	}
	return nil
}

// Read loads a graph from a snapshot written by WriteTo. It checks the magic,
// version, checksum and every count and link; a snapshot that fails a check
// (a truncated one included) is an invalid error "index snapshot is corrupt:
// ...". It reads no further than the snapshot's end.
func Read(r io.Reader) (*Graph, error) {
	d := &decoder{r: r, buf: make([]byte, 1<<16)}
	hdr := make([]uint32, 11)
	m := make([]byte, len(magic))
	if err := d.read(m); err != nil {
		return nil, err
	}
	if string(m) != magic {
		return nil, corrupt("not an llmos HNSW snapshot")
	}
	if err := d.u32s(hdr[:1]); err != nil {
		return nil, err
	}
	if hdr[0] != version {
		return nil, corrupt("unknown version %d", hdr[0])
	}
	if err := d.u32s(hdr); err != nil {
		return nil, err
	}
	cfg := Config{Dim: int(hdr[0]), M: int(hdr[1]), EfConstruction: int(hdr[2]), EfSearch: int(hdr[3]),
		Metric: Metric(hdr[4]), Quantize: hdr[5]&1 != 0, Seed: uint64(hdr[6]) | uint64(hdr[7])<<32}
	if hdr[5]&^1 != 0 || hdr[0] == 0 || hdr[1] == 0 || hdr[2] == 0 || hdr[3] == 0 || hdr[4] > uint32(Dot) {
		return nil, corrupt("bad configuration")
	}
	g, err := New(cfg)
	if err != nil || g.cfg != cfg {
		return nil, corrupt("bad configuration")
	}
	n, entry, top := hdr[8], hdr[9], hdr[10]
	if n == math.MaxUint32 || (n == 0) != (top == 0) || (n == 0 && entry != 0) || (n > 0 && entry >= n) || top > maxLevel+1 {
		return nil, corrupt("bad entry point")
	}
	return g.load(d, n, entry, int(top)-1)
}

// load reads the sections after the header into g.
func (g *Graph) load(d *decoder, n, entry uint32, top int) (*Graph, error) {
	// Vectors, a page at a time.
	var pages []*page
	per := uint32(1) << g.shift
	for base := uint32(0); base < n; base += per {
		p := g.newPage()
		k := int(min(per, n-base))
		raw := make([]uint32, k*g.dim)
		if err := d.u32s(raw); err != nil {
			return nil, err
		}
		for i, b := range raw {
			p.vecs[i] = math.Float32frombits(b)
		}
		if !finite(p.vecs[:k*g.dim]) {
			return nil, corrupt("a vector has a NaN or infinite value")
		}
		for i := range k {
			p.state[i] = stateWritten
			if g.cfg.Quantize {
				g.encode(p, i)
			}
		}
		pages = append(pages, p)
		if base+per < base { // wrapped: n is near 2^32
			break
		}
	}
	node := func(id uint32) (*page, int) { return pages[id>>g.shift], int(id & g.mask) }

	// Levels.
	levels := make([]uint8, 0, min(int(n), 1<<16))
	for len(levels) < int(n) {
		b := d.buf[:min(len(d.buf), int(n)-len(levels))]
		if err := d.read(b); err != nil {
			return nil, err
		}
		levels = append(levels, b...)
	}
	upper := 0
	for id, l := range levels {
		if int(l) > top {
			return nil, corrupt("node %d is above the top level", id)
		}
		upper += int(l)
	}
	if n > 0 && int(levels[entry]) != top {
		return nil, corrupt("bad entry point")
	}

	// Neighbour lists: layer 0, then the upper layers.
	check := func(id uint32, lst []uint32, maxLinks int) error {
		if int(lst[0]) > maxLinks {
			return corrupt("node %d has %d links", id, lst[0])
		}
		for _, nb := range lst[1 : 1+lst[0]] {
			if nb >= n || nb == id {
				return corrupt("node %d has a bad link", id)
			}
		}
		return nil
	}
	for id := uint32(0); id < n; id++ {
		p, i := node(id)
		if i == 0 {
			k := int(min(per, n-id))
			if err := d.u32s(p.links[:k*g.stride0]); err != nil {
				return nil, err
			}
		}
		if err := check(id, g.list(p, i, 0), g.m0); err != nil {
			return nil, err
		}
	}
	var slab []uint32 // the upper lists of many nodes, allocated as they arrive
	for id := uint32(0); id < n; id++ {
		l := int(levels[id])
		if l == 0 {
			continue
		}
		need := l * g.strideU
		if len(slab) < need {
			slab = make([]uint32, max(need, min(upper*g.strideU, 1<<16)))
		}
		lst := slab[:need:need]
		slab = slab[need:]
		upper -= l
		if err := d.u32s(lst); err != nil {
			return nil, err
		}
		p, i := node(id)
		p.upper[i] = lst
		for k := 1; k <= l; k++ {
			lst := g.list(p, i, k)
			if err := check(id, lst, g.cfg.M); err != nil {
				return nil, err
			}
			for _, nb := range lst[1 : 1+lst[0]] {
				if int(levels[nb]) < k {
					return nil, corrupt("node %d has a link on layer %d to a node below it", id, k)
				}
			}
		}
	}

	// Tombstones.
	var cnt [1]uint32
	if err := d.u32s(cnt[:]); err != nil {
		return nil, err
	}
	if cnt[0] > n {
		return nil, corrupt("%d tombstones for %d nodes", cnt[0], n)
	}
	var dead [1024]uint32
	next := uint32(0) // tombstones come in ascending order
	for left := cnt[0]; left > 0; {
		b := dead[:min(int(left), len(dead))]
		if err := d.u32s(b); err != nil {
			return nil, err
		}
		for _, id := range b {
			if id >= n || id < next {
				return nil, corrupt("bad tombstone")
			}
			p, i := node(id)
			p.state[i] |= stateDeleted
			next = id + 1
		}
		left -= uint32(len(b))
	}

	sum := d.crc
	var want [4]byte
	if _, err := io.ReadFull(d.r, want[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, corrupt("truncated")
		}
		return nil, llmos.Wrap(err, llmos.CodeInternal, "cannot read the index snapshot")
	}
	if binary.LittleEndian.Uint32(want[:]) != sum {
		return nil, corrupt("checksum mismatch")
	}

	g.pages.Store(&pages)
	g.n.Store(n)
	g.deleted.Store(int64(cnt[0]))
	if n > 0 {
		g.ep.Store(uint64(top+1)<<32 | uint64(entry))
	}
	return g, nil
}
