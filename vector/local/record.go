package local

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"slices"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/hnsw"
)

// The kinds of log record.
const (
	opDim    byte = 1 // the dimension of the index's vectors, fixed once
	opUpsert byte = 2 // one item, with its vector
	opDelete byte = 3 // a set of ids
	opSealed byte = 4 // one item, sealed by the Cipher but for its id and namespace
)

const (
	// frameHeader is the size of a record's frame: the payload length and the
	// CRC-32C of the length and the payload, both little-endian uint32.
	frameHeader = 8
	// maxRecord bounds a record's payload, so an item (text, vector, metadata)
	// may take up to 1 GiB encoded.
	maxRecord = 1 << 30
	// maxDim bounds a vector's dimension.
	maxDim = hnsw.MaxDim
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errFrame marks a frame that is not a valid record: a length out of range or
// a checksum that does not match. errShort marks a frame cut short.
var (
	errFrame = errors.New("bad record frame")
	errShort = errors.New("record cut short")
)

// record is one decoded log record.
type record struct {
	op     byte
	dim    int         // opDim
	item   vector.Item // opUpsert, Vector included; opSealed: ID and Namespace only
	ids    []string    // opDelete
	sealed []byte      // opSealed: the rest of the item, as Cipher.Seal returned it
}

// beginFrame reserves a frame header at the end of buf; endFrame fills it in
// once the payload has been appended after it.
func beginFrame(buf []byte) ([]byte, int) {
	return append(buf, make([]byte, frameHeader)...), len(buf)
}

func endFrame(buf []byte, start int) []byte {
	payload := buf[start+frameHeader:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	crc := crc32.Update(0, castagnoli, buf[start:start+4])
	crc = crc32.Update(crc, castagnoli, payload)
	binary.LittleEndian.PutUint32(buf[start+4:], crc)
	return buf
}

// appendDim appends a framed opDim record.
func appendDim(buf []byte, dim int) []byte {
	buf, start := beginFrame(buf)
	buf = append(buf, opDim)
	buf = binary.AppendUvarint(buf, uint64(dim))
	return endFrame(buf, start)
}

// appendUpsert appends a framed opUpsert record for it; it fails with an
// invalid error when the item is too large for one record.
func appendUpsert(buf []byte, it *vector.Item) ([]byte, error) {
	buf, start := beginFrame(buf)
	buf = append(buf, opUpsert)
	buf = appendItem(buf, it)
	buf = appendVector(buf, it.Vector)
	if n := len(buf) - start - frameHeader; n > maxRecord {
		return buf[:start], llmos.Errorf(llmos.CodeInvalid, "vector: item %q is too large (%d bytes encoded; the limit is %d)", clip(it.ID), n, maxRecord)
	}
	return endFrame(buf, start), nil
}

// appendSealed appends a framed opSealed record: the id and namespace in the
// clear, then the rest of the item (appendBody and appendVector) sealed.
func appendSealed(buf []byte, id, ns string, sealed []byte) ([]byte, error) {
	buf, start := beginFrame(buf)
	buf = append(buf, opSealed)
	buf = appendString(buf, id)
	buf = appendString(buf, ns)
	buf = binary.AppendUvarint(buf, uint64(len(sealed)))
	buf = append(buf, sealed...)
	if n := len(buf) - start - frameHeader; n > maxRecord {
		return buf[:start], llmos.Errorf(llmos.CodeInvalid, "vector: item %q is too large (%d bytes encoded; the limit is %d)", clip(id), n, maxRecord)
	}
	return endFrame(buf, start), nil
}

// appendDelete appends a framed opDelete record.
func appendDelete(buf []byte, ids []string) []byte {
	buf, start := beginFrame(buf)
	buf = append(buf, opDelete)
	buf = binary.AppendUvarint(buf, uint64(len(ids)))
	for _, id := range ids {
		buf = appendString(buf, id)
	}
	return endFrame(buf, start)
}

// appendItem encodes the fields of an item but its vector; the snapshot uses
// it too.
func appendItem(buf []byte, it *vector.Item) []byte {
	buf = appendString(buf, it.ID)
	buf = appendString(buf, it.Namespace)
	return appendBody(buf, it)
}

// appendVector encodes a vector: its length, then its components.
func appendVector(buf []byte, v []float32) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(v)))
	for _, f := range v {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(f))
	}
	return buf
}

// appendBody encodes what follows an item's id and namespace: its text,
// time, label and metadata. A sealed record seals this and the vector.
func appendBody(buf []byte, it *vector.Item) []byte {
	buf = appendString(buf, it.Text)
	buf = appendTime(buf, it.Time)
	buf = binary.AppendUvarint(buf, uint64(len(it.Label.Sources)))
	for _, s := range it.Label.Sources {
		buf = appendString(buf, string(s))
	}
	keys := make([]string, 0, len(it.Meta))
	for k := range it.Meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	for _, k := range keys {
		buf = appendString(buf, k)
		buf = appendString(buf, it.Meta[k])
	}
	return buf
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// appendTime keeps the instant and the zone offset; the zone's name is not
// kept, so a time comes back in UTC or in a fixed zone of the same offset.
func appendTime(buf []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(buf, 0)
	}
	_, off := t.Zone()
	buf = append(buf, 1)
	buf = binary.AppendVarint(buf, t.Unix())
	buf = binary.AppendUvarint(buf, uint64(t.Nanosecond()))
	return binary.AppendVarint(buf, int64(off))
}

// parseFrame reads the frame at the start of b: it returns the payload and
// the frame's total size, errShort when b ends before the frame does, and
// errFrame when the length is out of range or the checksum is wrong.
func parseFrame(b []byte) (payload []byte, n int, err error) {
	if len(b) < frameHeader {
		return nil, 0, errShort
	}
	size := binary.LittleEndian.Uint32(b)
	if size == 0 || size > maxRecord {
		return nil, 0, errFrame
	}
	if uint64(len(b)-frameHeader) < uint64(size) {
		return nil, 0, errShort
	}
	n = frameHeader + int(size)
	crc := crc32.Update(0, castagnoli, b[:4])
	crc = crc32.Update(crc, castagnoli, b[frameHeader:n])
	if crc != binary.LittleEndian.Uint32(b[4:]) {
		return nil, 0, errFrame
	}
	return b[frameHeader:n], n, nil
}

// decodeRecord decodes a payload. It never panics: a payload it cannot read
// whole is an error.
func decodeRecord(p []byte) (record, error) {
	d := decoder{b: p}
	var r record
	r.op = d.byte()
	switch r.op {
	case opDim:
		n := d.uvarint()
		if n == 0 || n > maxDim {
			d.fail()
		}
		r.dim = int(n)
	case opUpsert:
		r.item = d.item()
		r.item.Vector = d.vector()
	case opSealed:
		r.item.ID = d.string()
		r.item.Namespace = d.string()
		if b := d.bytes(); d.err == nil {
			r.sealed = slices.Clone(b)
		}
	case opDelete:
		n := d.count(1)
		r.ids = make([]string, 0, n)
		for range n {
			r.ids = append(r.ids, d.string())
		}
	default:
		d.fail()
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return record{}, d.err
	}
	return r, nil
}

// errDecode is the error of a payload that does not decode.
var errDecode = errors.New("malformed record")

// decoder reads the encoding of record.go; after the first error every read
// returns a zero value and err stays set.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	d.err = errDecode
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count of elements that take at least min bytes each, so a
// corrupt count cannot make the decoder allocate more than the input's size.
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)/min) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// bytes reads a length-prefixed byte string; the result aliases the input.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	b := d.b[:n]
	d.b = d.b[n:]
	return b
}

func (d *decoder) time() time.Time {
	switch d.byte() {
	case 0:
		return time.Time{}
	case 1:
	default:
		d.fail()
		return time.Time{}
	}
	sec := d.varint()
	nsec := d.uvarint()
	off := d.varint()
	if nsec >= 1e9 || off < -24*3600 || off > 24*3600 {
		d.fail()
	}
	if d.err != nil {
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec))
	if off == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", int(off)))
}

func (d *decoder) item() vector.Item {
	var it vector.Item
	it.ID = d.string()
	it.Namespace = d.string()
	d.body(&it)
	return it
}

// body reads what appendBody wrote into it.
func (d *decoder) body(it *vector.Item) {
	it.Text = d.string()
	it.Time = d.time()
	if n := d.count(1); n > 0 {
		it.Label.Sources = make([]llmos.Source, 0, n)
		for range n {
			it.Label.Sources = append(it.Label.Sources, llmos.Source(d.string()))
		}
	}
	if n := d.count(2); n > 0 {
		it.Meta = make(map[string]string, n)
		for range n {
			k := d.string()
			it.Meta[k] = d.string()
		}
	}
}

func (d *decoder) vector() []float32 {
	n := d.count(4)
	if n == 0 || d.err != nil {
		return nil
	}
	if n > maxDim {
		d.fail()
		return nil
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(d.b[4*i:]))
	}
	d.b = d.b[4*n:]
	return v
}

// clip shortens an id for an error message.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:61] + "..."
}
