package local

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/vectortest"
)

// testSecret derives the keys of the test cipher of the crash children.
const testSecret = "test-secret"

// testCipher is AES-256-GCM with a key per namespace and key id derived from
// a secret, in the vault's format: "LV1", a 4-byte big-endian key id, a
// 12-byte nonce, the ciphertext and tag (the 7-byte prefix is authenticated
// with ad). shred deletes a namespace's keys: Open then fails with code
// not_found, and Seal takes a new key id.
type testCipher struct {
	secret string
	mu     sync.Mutex
	cur    map[string]uint32 // the key id Seal uses, per namespace
	gone   map[string]uint32 // key ids up to this one are deleted
	aeads  map[string]cipher.AEAD
}

func newTestCipher(secret string) *testCipher {
	return &testCipher{secret: secret, cur: map[string]uint32{}, gone: map[string]uint32{}, aeads: map[string]cipher.AEAD{}}
}

func (c *testCipher) aead(ns string, kid uint32) cipher.AEAD {
	name := fmt.Sprintf("%s\x00%d", ns, kid)
	if a := c.aeads[name]; a != nil {
		return a
	}
	key := sha256.Sum256([]byte(c.secret + "\x00" + name))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	c.aeads[name] = a
	return a
}

func (c *testCipher) Seal(ns string, plaintext, ad []byte) ([]byte, error) {
	c.mu.Lock()
	kid := max(c.cur[ns], c.gone[ns]+1)
	c.cur[ns] = kid
	a := c.aead(ns, kid)
	c.mu.Unlock()
	out := make([]byte, 7+12, 7+12+len(plaintext)+16)
	copy(out, "LV1")
	binary.BigEndian.PutUint32(out[3:], kid)
	rand.Read(out[7:19])
	return a.Seal(out, out[7:19], plaintext, append(bytes.Clone(out[:7]), ad...)), nil
}

func (c *testCipher) Open(ns string, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < 7+12+16 || string(sealed[:3]) != "LV1" {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "the value is not sealed")
	}
	kid := binary.BigEndian.Uint32(sealed[3:])
	c.mu.Lock()
	gone := kid <= c.gone[ns]
	a := c.aead(ns, kid)
	c.mu.Unlock()
	if gone {
		return nil, llmos.Errorf(llmos.CodeNotFound, "the key of namespace %s was deleted", ns)
	}
	p, err := a.Open(nil, sealed[7:19], sealed[19:], append(bytes.Clone(sealed[:7]), ad...))
	if err != nil {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "the value does not open: a wrong key, or it was altered")
	}
	return p, nil
}

// shred deletes every key of namespace ns.
func (c *testCipher) shred(ns string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gone[ns] = max(c.cur[ns], c.gone[ns], 1)
}

// bothModes runs a test on a plaintext index and on an encrypted one.
func bothModes(t *testing.T, test func(t *testing.T, c Cipher)) {
	t.Run("plain", func(t *testing.T) { test(t, nil) })
	t.Run("sealed", func(t *testing.T) { test(t, newTestCipher(testSecret)) })
}

// kindOf returns the kind of log an index opened with c has.
func kindOf(c Cipher) byte {
	if c == nil {
		return kindPlain
	}
	return kindSealed
}

func TestConformanceSealed(t *testing.T) {
	c := newTestCipher(testSecret)
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

// needles returns the encodings of s that a file must not hold: UTF-8,
// UTF-16 (both byte orders), hex (both cases) and base64 (standard and URL,
// at the 3 alignments: the part of the encoding of s that does not depend on
// the bytes around it).
func needles(s string) map[string][]byte {
	out := map[string][]byte{"utf8": []byte(s)}
	u := utf16.Encode([]rune(s))
	le, be := make([]byte, 2*len(u)), make([]byte, 2*len(u))
	for i, r := range u {
		binary.LittleEndian.PutUint16(le[2*i:], r)
		binary.BigEndian.PutUint16(be[2*i:], r)
	}
	out["utf16le"], out["utf16be"] = le, be
	out["hex"] = []byte(hex.EncodeToString([]byte(s)))
	out["HEX"] = []byte(strings.ToUpper(hex.EncodeToString([]byte(s))))
	for k := range 3 {
		for name, enc := range map[string]*base64.Encoding{"base64": base64.StdEncoding, "base64url": base64.URLEncoding} {
			e := enc.EncodeToString(append(bytes.Repeat([]byte{'x'}, k), s...))
			from := 0
			if k > 0 {
				from = 4 // the first quantum holds the bytes before s
			}
			out[fmt.Sprintf("%s+%d", name, k)] = []byte(e[from : len(e)-4]) // the last may be padded
		}
	}
	return out
}

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

// findIn returns "file: encoding" for every file under dir that holds one of
// the needles.
func findIn(t *testing.T, dir string, needles map[string][]byte) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for name, n := range needles {
			if bytes.Contains(b, n) {
				found = append(found, filepath.Base(path)+": "+name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// assertAbsent fails if a file under dir holds s in any encoding of needles.
func assertAbsent(t *testing.T, dir, s string) {
	t.Helper()
	if found := findIn(t, dir, needles(s)); len(found) > 0 {
		t.Errorf("%q is in the index files: %v", s, found)
	}
}

// The needles find what they look for, wherever it lies.
func TestNeedles(t *testing.T) {
	n := needles(canary)
	enc16 := func(order binary.AppendByteOrder) []byte {
		var b []byte
		for _, r := range utf16.Encode([]rune(canary)) {
			b = order.AppendUint16(b, r)
		}
		return b
	}
	var cases [][]byte
	cases = append(cases, []byte("..."+canary+"..."), enc16(binary.LittleEndian), enc16(binary.BigEndian),
		[]byte(hex.EncodeToString([]byte(canary))), []byte(strings.ToUpper(hex.EncodeToString([]byte(canary)))))
	for k := range 3 {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
			cases = append(cases, []byte(enc.EncodeToString(append(bytes.Repeat([]byte{'?'}, k), canary+"~~"...))))
		}
	}
	for i, c := range cases {
		hit := false
		for _, nd := range n {
			hit = hit || bytes.Contains(c, nd)
		}
		if !hit {
			t.Errorf("case %d (%q) not found", i, c)
		}
	}
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
				c = newTestCipher(testSecret)
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

			all := needles(canary)
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
					files[strings.Split(f, ":")[0]] = true
				}
				all := strings.Join(found, " ")
				if !files[logName] || !files[snapName] || !strings.Contains(all, "utf8") || !strings.Contains(all, "vector.log: alice-00 raw float32le") || !strings.Contains(all, "vector.snap: alice-00 normalised float32le") {
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
	right := newTestCipher(testSecret)
	x := open(t, dir, Options{Cipher: right})
	items := fillCanaries(t, x)
	x.Close()
	for _, what := range []string{"snapshot", "log"} {
		if what == "log" {
			os.Remove(filepath.Join(dir, snapName))
		}
		_, err := Open(context.Background(), dir, Options{Cipher: newTestCipher("another secret"), Logger: quiet()})
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
	x := open(t, dir, Options{Cipher: newTestCipher(testSecret)})
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
			ci := newTestCipher(testSecret)
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
	c := newTestCipher(testSecret)
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
		c2 := newTestCipher(testSecret)
		c2.shred(indexNS)
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
