package local

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// The head of a graph snapshot (see vector/hnsw's snapshot.go): magic,
// version, dimension and the rest of the configuration, node count and entry
// point; the vectors follow, node after node, and a CRC-32C of everything
// before it ends the snapshot.
const (
	graphMagic   = "llmosHNW"
	graphVersion = 1
	graphHead    = 56 // the vectors start here
	graphDimAt   = 12
	graphNodesAt = 44
)

// errGraphFormat is the error of a graph snapshot the scrubber does not
// know: it fails the snapshot rather than let a deleted vector through.
var errGraphFormat = errors.New("vector: the graph snapshot has a format the index does not know")

// scrubber passes a graph snapshot through to w with the vectors of the
// nodes that no item of the snapshot points to set to zero, and the CRC at
// its end made again. Deleting an item only tombstones its node, which keeps
// its vector in memory: without this, every snapshot would hold the vectors
// of deleted items, and of the crypto-shredded ones under the "_index" key.
// A zero vector is as far as can be from every query; the node's links stay.
type scrubber struct {
	w      io.Writer
	live   []uint64 // the nodes to keep, a bit each
	pos    int64    // bytes of the snapshot seen, held bytes included
	head   []byte   // its head, until complete
	stride int64    // bytes per vector, from the head
	end    int64    // where the vectors end
	held   []byte   // the last 4 bytes seen: the CRC if nothing follows
	crcIn  uint32   // of the bytes as the graph wrote them, but the held ones
	crcOut uint32   // of the bytes passed on
	buf    []byte
}

func newScrubber(w io.Writer, live []uint64) *scrubber {
	return &scrubber{w: w, live: live}
}

func (s *scrubber) keeps(node int64) bool {
	return node/64 < int64(len(s.live)) && s.live[node/64]&(1<<(node%64)) != 0
}

func (s *scrubber) Write(p []byte) (int, error) {
	data := append(s.held, p...)
	s.held = nil
	if len(data) <= 4 {
		s.held = data
		return len(p), nil
	}
	out := data[:len(data)-4]
	if err := s.pass(out); err != nil {
		return 0, err
	}
	s.held = append([]byte(nil), data[len(data)-4:]...)
	return len(p), nil
}

// pass writes b, the bytes of the snapshot from s.pos, with dead vectors
// zeroed.
func (s *scrubber) pass(b []byte) error {
	s.crcIn = crc32.Update(s.crcIn, castagnoli, b)
	s.buf = append(s.buf[:0], b...)
	start := s.pos
	if n := graphHead - len(s.head); n > 0 {
		s.head = append(s.head, b[:min(n, len(b))]...)
		if len(s.head) == graphHead {
			if string(s.head[:8]) != graphMagic || binary.LittleEndian.Uint32(s.head[8:]) != graphVersion {
				return errGraphFormat
			}
			dim := int64(binary.LittleEndian.Uint32(s.head[graphDimAt:]))
			nodes := int64(binary.LittleEndian.Uint32(s.head[graphNodesAt:]))
			s.stride, s.end = 4*dim, graphHead+4*dim*nodes
		}
	}
	if s.stride > 0 {
		for q := max(start, graphHead); q < min(start+int64(len(b)), s.end); {
			node := (q - graphHead) / s.stride
			next := min(graphHead+(node+1)*s.stride, start+int64(len(b)))
			if !s.keeps(node) {
				clear(s.buf[q-start : next-start])
			}
			q = next
		}
	}
	s.pos += int64(len(b))
	s.crcOut = crc32.Update(s.crcOut, castagnoli, s.buf)
	_, err := s.w.Write(s.buf)
	clear(s.buf)
	return err
}

// finish checks that the snapshot ended with the CRC of what came before it
// and writes the CRC of what was passed on in its place.
func (s *scrubber) finish() error {
	if len(s.head) < graphHead || s.pos < s.end || len(s.held) != 4 || binary.LittleEndian.Uint32(s.held) != s.crcIn {
		return errGraphFormat
	}
	_, err := s.w.Write(binary.LittleEndian.AppendUint32(nil, s.crcOut))
	return err
}
