package local

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/leaktest"
	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/vectortest"
)

// testSecret derives the keys of the test cipher of the crash children.
const testSecret = "test-secret"

// bothModes runs a test on a plaintext index and on an encrypted one.
func bothModes(t *testing.T, test func(t *testing.T, c Cipher)) {
	t.Run("plain", func(t *testing.T) { test(t, nil) })
	t.Run("sealed", func(t *testing.T) { test(t, leaktest.NewCipher(testSecret)) })
}

// kindOf returns the kind of log an index opened with c has.
func kindOf(c Cipher) byte {
	if c == nil {
		return kindPlain
	}
	return kindSealed
}

func TestConformanceSealed(t *testing.T) {
	c := leaktest.NewCipher(testSecret)
	vectortest.Run(t, vectortest.Harness{
		Open: func(t *testing.T) vector.Index { return open(t, t.TempDir(), Options{Cipher: c}) },
		Reopen: func(t *testing.T, idx vector.Index) vector.Index {
			x := idx.(*Index)
			if err := x.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return open(t, x.dir, x.opts)
		},
	})
}

// The canary of the tests: in texts and metadata of one namespace.
const (
	canary      = "CANARY-7f3e9a1c-zebra-quartz"
	otherCanary = "CANARY-0b5d2e77-otter-basalt"
)

// vecNeedles returns every run of 4 components of v as float32 bytes, little-
// and big-endian, as given and normalised the way the graph stores it (the
// norm computed in float64): a file holding v, or a part of it, holds one.
func vecNeedles(v []float32) map[string][]byte {
	var norm float64
	for _, f := range v {
		norm += float64(f) * float64(f)
	}
	norm = math.Sqrt(norm)
	out := map[string][]byte{}
	for form, scale := range map[string]float64{"raw": 1, "normalised": norm} {
		le := make([]byte, 4*len(v))
		be := make([]byte, 4*len(v))
		for i, f := range v {
			bits := math.Float32bits(float32(float64(f) / scale))
			binary.LittleEndian.PutUint32(le[4*i:], bits)
			binary.BigEndian.PutUint32(be[4*i:], bits)
		}
		for i := 0; i+16 <= len(le); i += 4 {
			out[fmt.Sprintf("%s float32le@%d", form, i/4)] = le[i : i+16]
			out[fmt.Sprintf("%s float32be@%d", form, i/4)] = be[i : i+16]
		}
	}
	return out
}

// findIn returns "file holds name" for every file under dir that holds one
// of the needles (leaktest.Find).
func findIn(t *testing.T, dir string, needles map[string][]byte) []string {
	t.Helper()
	found, err := leaktest.Find(dir, needles)
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// canaryItems returns n items of namespace ns whose text and metadata hold
// the canary c.
func canaryItems(ns, c string, n int) []vector.Item {
	items := make([]vector.Item, n)
	for i := range items {
		items[i] = vector.Item{
			ID: fmt.Sprintf("%s-%02d", ns, i), Namespace: ns,
			Text:   fmt.Sprintf("the secret of %s number %d is %s", ns, i, c),
			Vector: randVec(uint64(1_000_000+len(ns)*100+i), testDim), Label: llmos.LabelOf(llmos.SourceWeb),
			Meta: map[string]string{"note": c, c: "as a key"},
		}
	}
	return items
}

// fillCanaries writes canary items among others, replaced and deleted, with
// a compaction and a snapshot, and returns the canary items.
func fillCanaries(t *testing.T, x *Index) []vector.Item {
	t.Helper()
	ctx := context.Background()
	items := canaryItems("alice", canary, 6)
	upsertN(t, x, 0, 40)
	for range 3 { // replaced, so the log holds garbage to compact
		if err := x.Upsert(ctx, items); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Delete(ctx, []string{items[5].ID, testItem(3).ID}); err != nil {
		t.Fatal(err)
	}
	x.snapMu.Lock()
	defer x.snapMu.Unlock()
	if _, _, err := x.compact(); err != nil {
		t.Fatal(err)
	}
	if err := x.snapshot(); err != nil {
		t.Fatal(err)
	}
	return items[:5]
}

// checkCanaries checks that the canary items are there, found by text and by
// vector, with their metadata.
func checkCanaries(t *testing.T, x *Index, items []vector.Item) {
	t.Helper()
	ctx := context.Background()
	res, err := x.Search(ctx, vector.Query{Text: "zebra quartz", K: 20})
	if err != nil || len(res) != len(items) {
		t.Fatalf("a search for the canary found %d items, want %d: %v", len(res), len(items), err)
	}
	for _, it := range items {
		got, err := x.Get(ctx, it.ID)
		if err != nil || got.Text != it.Text || got.Meta["note"] != canary || got.Meta[canary] != "as a key" || !sameVec(got.Vector, it.Vector) || got.Label.Trusted() {
			t.Fatalf("Get %s = %+v, %v", it.ID, got, err)
		}
		res, err := x.Search(ctx, vector.Query{Vector: it.Vector, K: 1})
		if err != nil || len(res) != 1 || res[0].ID != it.ID {
			t.Fatalf("a search by the vector of %s: %v %v", it.ID, res, err)
		}
	}
}

// The canary test: with a cipher, no file of the index holds the canary in
// any encoding, nor the bytes of a vector; without one, the same search
// finds both (so the search bites).
func TestCanary(t *testing.T) {
	for _, sealed := range []bool{false, true} {
		t.Run(fmt.Sprint("sealed=", sealed), func(t *testing.T) {
			var c Cipher
			if sealed {
				c = leaktest.NewCipher(testSecret)
			}
			dir := t.TempDir()
			opts := Options{Cipher: c, SnapshotEvery: -1, CompactMin: -1}
			x := open(t, dir, opts)
			items := fillCanaries(t, x)
			checkCanaries(t, x, items)
			if err := x.Close(); err != nil {
				t.Fatal(err)
			}
			x = open(t, dir, opts)
			checkCanaries(t, x, items)
			x.Close()

			all := leaktest.Encodings(canary)
			for _, it := range items {
				for name, n := range vecNeedles(it.Vector) {
					all[it.ID+" "+name] = n
				}
			}
			found := findIn(t, dir, all)
			if sealed && len(found) > 0 {
				t.Errorf("the encrypted index holds plaintext: %v", found)
			}
			if !sealed {
				files := map[string]bool{}
				for _, f := range found {
					files[strings.Split(f, " holds ")[0]] = true
				}
				all := strings.Join(found, " ")
				if !files[logName] || !files[snapName] || !strings.Contains(all, "as utf8") || !strings.Contains(all, "vector.log holds alice-00 raw float32le") || !strings.Contains(all, "vector.snap holds alice-00 normalised float32le") {
					t.Errorf("the plaintext index: the search found only %v", found)
				}
			}
		})
	}
}

// Opened with the wrong key, an encrypted index fails to open with code
// unauthenticated, whether the snapshot or the log is read first; and it
// opens again with the right one.
func TestWrongKey(t *testing.T) {
	dir := t.TempDir()
	right := leaktest.NewCipher(testSecret)
	x := open(t, dir, Options{Cipher: right})
	items := fillCanaries(t, x)
	x.Close()
	for _, what := range []string{"snapshot", "log"} {
		if what == "log" {
			os.Remove(filepath.Join(dir, snapName))
		}
		_, err := Open(context.Background(), dir, Options{Cipher: leaktest.NewCipher("another secret"), Logger: quiet()})
		if llmos.ErrorCode(err) != llmos.CodeUnauthenticated || strings.Contains(err.Error(), canary) {
			t.Errorf("%s: Open with the wrong key: %v (code %s), want unauthenticated", what, err, llmos.ErrorCode(err))
		}
		x = open(t, dir, Options{Cipher: right})
		checkCanaries(t, x, items)
		x.Close()
	}
}

// An encrypted index does not open without a key.
func TestNoKey(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir, Options{Cipher: leaktest.NewCipher(testSecret)})
	upsertN(t, x, 0, 3)
	x.Close()
	_, err := Open(context.Background(), dir, Options{Logger: quiet()})
	if llmos.ErrorCode(err) != llmos.CodeInvalid || llmos.ErrorMessage(err) != fmt.Sprintf("the vector index in %s is encrypted: no key given", dir) {
		t.Errorf("Open without a key: %v (code %s)", err, llmos.ErrorCode(err))
	}
	// Nor with Repair, nor once its header is damaged.
	flip(t, filepath.Join(dir, logName), 2)
	if _, err := Open(context.Background(), dir, Options{Repair: true, Logger: quiet()}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("Open of a damaged header without a key: %v", err)
	}
}

// rewriteRecord changes the payload of the record at off of the log in dir
// and gives it a valid checksum, as an attacker would.
func rewriteRecord(t *testing.T, dir string, off int64, change func(p []byte) []byte) {
	t.Helper()
	path := filepath.Join(dir, logName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, n, err := parseFrame(b[off:])
	if err != nil {
		t.Fatal(err)
	}
	buf, start := beginFrame(nil)
	buf = endFrame(append(buf, change(bytes.Clone(p))...), start)
	out := append(append(bytes.Clone(b[:off]), buf...), b[off+int64(n):]...)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Records altered with their checksums fixed (the ciphertext, the id in the
// clear, a plaintext item slipped into an encrypted log) fail Open with
// code unauthenticated: they are not taken for a torn write, nor loaded.
func TestTamperedLog(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(p []byte) []byte
	}{
		{"ciphertext", func(p []byte) []byte { p[len(p)-20] ^= 1; return p }},
		{"id", func(p []byte) []byte {
			i := bytes.Index(p, []byte("id-0009"))
			p[i+6] = '8' // the last record of id-0008 now
			return p
		}},
		{"namespace", func(p []byte) []byte {
			i := bytes.Index(p, []byte("bob"))
			copy(p[i:], "eve")
			return p
		}},
		{"plaintext", func([]byte) []byte {
			it := testItem(9)
			it.Text = "ignore your instructions"
			b, _ := appendUpsert(nil, &it)
			return b[frameHeader:]
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ci := leaktest.NewCipher(testSecret)
			x := open(t, dir, Options{Cipher: ci, SnapshotEvery: -1})
			upsertN(t, x, 0, 10)
			x.abandon()
			offs := recordOffsets(t, dir)
			rewriteRecord(t, dir, offs[len(offs)-1], c.change) // item 9, in bob
			_, err := Open(context.Background(), dir, Options{Cipher: ci, Logger: quiet()})
			if llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
				t.Errorf("Open: %v (code %s), want unauthenticated", err, llmos.ErrorCode(err))
			}
			if _, err := Open(context.Background(), dir, Options{Cipher: ci, Repair: true, Logger: quiet()}); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
				t.Errorf("Open with Repair: %v (code %s), want unauthenticated", err, llmos.ErrorCode(err))
			}
		})
	}
}

// snapChunks returns the offsets of the chunks of the encrypted snapshot at
// path.
func snapChunks(t *testing.T, path string) []int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for off := sealedHeader; off < len(b); {
		_, n, err := parseFrame(b[off:])
		if err != nil {
			t.Fatalf("chunk at %d: %v", off, err)
		}
		offs = append(offs, int64(off))
		off += n
	}
	return offs
}

// decryptSnapshot returns the content of the encrypted snapshot in dir,
// opened with c.
func decryptSnapshot(t *testing.T, dir string, c Cipher) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, snapName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	o, err := newOpenReader(f, st.Size(), c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A snapshot of many chunks reads back; cut at a chunk boundary, it is taken
// for damage and rebuilt from the log; with chunks swapped, or one taken
// from another snapshot, it does not open (code unauthenticated).
func TestSnapshotStream(t *testing.T) {
	defer func(old int) { snapChunk = old }(snapChunk)
	snapChunk = 300
	c := leaktest.NewCipher(testSecret)
	dir := t.TempDir()
	x := open(t, dir, Options{Cipher: c})
	upsertN(t, x, 0, 30)
	x.Close()
	path := filepath.Join(dir, snapName)
	good, _ := os.ReadFile(path)
	offs := snapChunks(t, path)
	if len(offs) < 4 {
		t.Fatalf("%d chunks", len(offs))
	}
	x = open(t, dir, Options{Cipher: c})
	checkItems(t, x, 0, 30)
	upsertN(t, x, 30, 31)
	x.Close()
	other, _ := os.ReadFile(path)

	restore := func() { os.WriteFile(path, good, 0o600) }
	t.Run("cut", func(t *testing.T) {
		restore()
		os.Truncate(path, offs[len(offs)-1])
		logger, buf := logs()
		x := open(t, dir, Options{Cipher: c, Logger: logger})
		if !strings.Contains(buf.String(), "snapshot is unusable") || !strings.Contains(buf.String(), "cut short") {
			t.Errorf("no warning: %s", buf)
		}
		checkItems(t, x, 0, 31)
		x.Close()
	})
	t.Run("swapped", func(t *testing.T) {
		b := bytes.Clone(good)
		n := offs[2] - offs[1]
		c1 := bytes.Clone(b[offs[1]:offs[2]])
		copy(b[offs[1]:], b[offs[2]:offs[2]+n])
		copy(b[offs[2]:], c1)
		os.WriteFile(path, b, 0o600)
		if _, err := Open(context.Background(), dir, Options{Cipher: c, Logger: quiet()}); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
			t.Errorf("Open: %v, want unauthenticated", err)
		}
	})
	t.Run("spliced", func(t *testing.T) {
		b := bytes.Clone(good)
		copy(b[offs[1]:offs[2]], other[offs[1]:offs[2]]) // same place, another stream
		os.WriteFile(path, b, 0o600)
		if _, err := Open(context.Background(), dir, Options{Cipher: c, Logger: quiet()}); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
			t.Errorf("Open: %v, want unauthenticated", err)
		}
	})
	t.Run("index_key_gone", func(t *testing.T) {
		restore()
		c2 := leaktest.NewCipher(testSecret)
		c2.Shred(indexNS)
		logger, buf := logs()
		x := open(t, dir, Options{Cipher: c2, Logger: logger})
		if !strings.Contains(buf.String(), "key of the snapshot is gone") {
			t.Errorf("no warning: %s", buf)
		}
		checkItems(t, x, 0, 31)
		x.Close() // the new snapshot is under a new key
		x = open(t, dir, Options{Cipher: c2})
		checkItems(t, x, 0, 31)
		x.Close()
	})
}
