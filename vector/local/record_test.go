package local

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
)

func sampleRecords() [][]byte {
	it := vector.Item{
		ID: "id-1", Namespace: "alice", Text: "hello wörld", Vector: []float32{1, -2.5, 3e-7},
		Time:  time.Date(2026, 8, 1, 10, 0, 0, 5, time.FixedZone("", -5*3600)),
		Label: llmos.LabelOf(llmos.SourceWeb), Meta: map[string]string{"k": "v", "z": ""},
	}
	up, _ := appendUpsert(nil, &it)
	bare, _ := appendUpsert(nil, &vector.Item{ID: "x", Text: "only text"})
	sealed, _ := appendSealed(nil, "id-2", "bob", []byte("LV1\x00\x00\x00\x01 nonce and ciphertext"))
	return [][]byte{up, bare, appendDim(nil, 384), appendDelete(nil, []string{"a", "", "ccc"}), sealed}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, framed := range sampleRecords() {
		p, n, err := parseFrame(framed)
		if err != nil || n != len(framed) {
			t.Fatalf("parseFrame: %d, %v", n, err)
		}
		rec, err := decodeRecord(p)
		if err != nil {
			t.Fatal(err)
		}
		if again := encodeRecord(rec); !bytes.Equal(again, framed) {
			t.Errorf("op %d: the record does not encode back to the same bytes", rec.op)
		}
		for cut := range len(framed) {
			if _, _, err := parseFrame(framed[:cut]); !errors.Is(err, errShort) && !errors.Is(err, errFrame) {
				t.Fatalf("a frame cut at %d parsed: %v", cut, err)
			}
		}
		for i := range framed {
			bad := bytes.Clone(framed)
			bad[i] ^= 0x10
			if p, _, err := parseFrame(bad); err == nil {
				t.Fatalf("a flip at byte %d went unnoticed (%x)", i, p)
			}
		}
	}
	up := sampleRecords()[0]
	rec, _ := decodeRecord(up[frameHeader:])
	if _, off := rec.item.Time.Zone(); off != -5*3600 || rec.item.Time.Nanosecond() != 5 {
		t.Errorf("time = %v", rec.item.Time)
	}
}

// encodeRecord frames rec again.
func encodeRecord(rec record) []byte {
	switch rec.op {
	case opDim:
		return appendDim(nil, rec.dim)
	case opUpsert:
		b, _ := appendUpsert(nil, &rec.item)
		return b
	case opSealed:
		b, _ := appendSealed(nil, rec.item.ID, rec.item.Namespace, rec.sealed)
		return b
	}
	return appendDelete(nil, rec.ids)
}

// FuzzDecodeRecord feeds the decoder arbitrary payloads: it must never panic,
// and what it accepts must encode to a payload that decodes the same.
func FuzzDecodeRecord(f *testing.F) {
	for _, r := range sampleRecords() {
		f.Add(r[frameHeader:])
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		rec, err := decodeRecord(payload)
		if err != nil {
			return
		}
		framed := encodeRecord(rec)
		rec2, err := decodeRecord(framed[frameHeader:])
		if err != nil {
			t.Fatalf("a decoded record does not decode once encoded: %v", err)
		}
		if !bytes.Equal(encodeRecord(rec2), framed) {
			t.Fatal("decoding is not stable")
		}
	})
}

// FuzzScanLog scans arbitrary bytes as the records of a log, strictly and
// skipping damage: it must never panic, and what it returns must be sound.
func FuzzScanLog(f *testing.F) {
	all := bytes.Join(sampleRecords(), nil)
	f.Add(all)
	f.Add(all[:len(all)-3])
	f.Add(append(bytes.Clone(all[:30]), all...))
	f.Fuzz(func(t *testing.T, body []byte) {
		path := filepath.Join(t.TempDir(), "log")
		if err := os.WriteFile(path, append(encodeHeader(1, kindPlain), body...), 0o600); err != nil {
			t.Fatal(err)
		}
		w, err := openLog(path)
		if err != nil {
			t.Fatal(err)
		}
		defer w.close()
		for _, skip := range []bool{false, true} {
			last := int64(headerSize)
			end, skipped, err := w.scan(headerSize, skip, func(s scanned) error {
				if s.off < last || s.size < frameHeader+1 {
					t.Fatalf("record at %d of %d bytes after %d", s.off, s.size, last)
				}
				last = s.off + s.size
				return nil
			})
			var corrupt *corruptError
			if err != nil && !errors.As(err, &corrupt) {
				t.Fatal(err)
			}
			if err == nil && (end < last || end > w.size || skipped < 0) {
				t.Fatalf("end %d, last record ends at %d, size %d", end, last, w.size)
			}
			if skip && err != nil {
				t.Fatalf("a scan that skips damage failed: %v", err)
			}
		}
	})
}
