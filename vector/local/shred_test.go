package local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/leaktest"
	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/hnsw"
)

// sealedPlaintexts opens every sealed record of the log in dir with c and
// returns what they hold; records whose key is gone are skipped.
func sealedPlaintexts(t *testing.T, dir string, c Cipher) [][]byte {
	t.Helper()
	w, err := openLog(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	var out [][]byte
	if _, _, err := w.scan(headerSize, false, func(s scanned) error {
		if s.rec.op != opSealed {
			return nil
		}
		p, err := c.Open(keyNS(s.rec.item.Namespace), s.rec.sealed, itemAD(s.rec.item.ID, s.rec.item.Namespace))
		if llmos.ErrorCode(err) == llmos.CodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// holds reports whether any of bufs holds s.
func holds(bufs [][]byte, s string) bool {
	for _, b := range bufs {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

// shredFixture makes an encrypted index with the canary in alice, another in
// bob and items without a namespace, and returns its items by namespace.
func shredFixture(t *testing.T, dir string, c Cipher, close bool) map[string][]vector.Item {
	t.Helper()
	x := open(t, dir, Options{Cipher: c, SnapshotEvery: -1})
	byNS := map[string][]vector.Item{
		"alice": canaryItems("alice", canary, 5),
		"bob":   canaryItems("bob", otherCanary, 4),
		"":      canaryItems("", "nobody's canary", 3),
	}
	for _, items := range byNS {
		if err := x.Upsert(context.Background(), items); err != nil {
			t.Fatal(err)
		}
	}
	if close {
		x.Close()
	} else {
		x.abandon()
	}
	return byNS
}

func checkGone(t *testing.T, x *Index, items []vector.Item) {
	t.Helper()
	for _, it := range items {
		if _, err := x.Get(context.Background(), it.ID); llmos.ErrorCode(err) != llmos.CodeNotFound {
			t.Errorf("item %s of a shredded namespace: %v", it.ID, err)
		}
	}
	res, _ := x.Search(context.Background(), vector.Query{Text: "secret", K: 100})
	for _, r := range res {
		if r.Namespace == items[0].Namespace {
			t.Errorf("a search finds item %s of a shredded namespace", r.ID)
		}
	}
}

func checkThere(t *testing.T, x *Index, items []vector.Item) {
	t.Helper()
	for _, it := range items {
		got, err := x.Get(context.Background(), it.ID)
		if err != nil || got.Text != it.Text || !sameVec(got.Vector, it.Vector) {
			t.Fatalf("item %s: %+v, %v", it.ID, got, err)
		}
	}
}

// A namespace whose key is deleted: its items are skipped as deleted at Open
// (one warning), the others are intact, and the snapshot no longer holds
// them once Open returns; the namespace takes new items under a new key.
func TestShreddedNamespace(t *testing.T) {
	for _, closed := range []bool{true, false} { // with a snapshot, or the log only
		t.Run(fmt.Sprint("snapshot=", closed), func(t *testing.T) {
			dir := t.TempDir()
			c := leaktest.NewCipher(testSecret)
			byNS := shredFixture(t, dir, c, closed)
			c.Shred("alice")
			logger, buf := logs()
			x := open(t, dir, Options{Cipher: c, SnapshotEvery: -1, Logger: logger})
			checkGone(t, x, byNS["alice"])
			checkThere(t, x, byNS["bob"])
			checkThere(t, x, byNS[""])
			if n, _ := x.Len(context.Background()); n != 7 {
				t.Errorf("Len = %d, want 7", n)
			}
			if got := strings.Count(buf.String(), "crypto-shredded"); got != 1 || !strings.Contains(buf.String(), "namespace=alice items=5") {
				t.Errorf("%d warnings: %s", got, buf)
			}
			snap := decryptSnapshot(t, dir, c)
			if bytes.Contains(snap, []byte(canary)) || !bytes.Contains(snap, []byte(otherCanary)) {
				t.Errorf("the snapshot after Open: canary %v, other canary %v", bytes.Contains(snap, []byte(canary)), bytes.Contains(snap, []byte(otherCanary)))
			}
			fresh := canaryItems("alice", "a new life", 2)
			if err := x.Upsert(context.Background(), fresh); err != nil {
				t.Fatal(err)
			}
			x.Close()

			logger, buf = logs()
			x = open(t, dir, Options{Cipher: c, Logger: logger})
			checkThere(t, x, fresh)
			checkThere(t, x, byNS["bob"])
			if strings.Contains(buf.String(), "crypto-shredded") {
				t.Errorf("a second warning: %s", buf)
			}
			x.Close()
		})
	}
}

// A key deleted while the index is open: Get of an item with a vector
// fails with code not_found rather than garbage.
func TestShreddedWhileOpen(t *testing.T) {
	c := leaktest.NewCipher(testSecret)
	x := open(t, t.TempDir(), Options{Cipher: c})
	items := canaryItems("alice", canary, 2)
	if err := x.Upsert(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	c.Shred("alice")
	if _, err := x.Get(context.Background(), items[0].ID); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("Get: %v", err)
	}
}

// DeleteNamespace leaves no trace of the namespace in any file, under any
// key: the snapshot (under "_index") and every record of the log, opened
// with keys that still exist, hold neither its canary nor its ids.
func TestDeleteNamespace(t *testing.T) {
	for _, ciph := range []*leaktest.Cipher{nil, leaktest.NewCipher(testSecret)} {
		t.Run(fmt.Sprint("sealed=", ciph != nil), func(t *testing.T) {
			var c Cipher
			if ciph != nil {
				c = ciph
			}
			dir := t.TempDir()
			byNS := shredFixture(t, dir, c, true)
			x := open(t, dir, Options{Cipher: c, SnapshotEvery: -1, CompactMin: -1})
			ctx := context.Background()
			// Replace some, so the log holds older records of alice too.
			if err := x.Upsert(ctx, byNS["alice"][:2]); err != nil {
				t.Fatal(err)
			}
			n, err := x.DeleteNamespace(ctx, "alice")
			if err != nil || n != 5 {
				t.Fatalf("DeleteNamespace = %d, %v", n, err)
			}
			checkGone(t, x, byNS["alice"])
			checkThere(t, x, byNS["bob"])
			idNeedles, vecs := map[string][]byte{}, map[string][]byte{}
			for _, it := range byNS["alice"] {
				idNeedles[it.ID] = []byte(it.ID)
				for name, n := range vecNeedles(it.Vector) {
					vecs[it.ID+" "+name] = n
				}
			}
			if found := findIn(t, dir, idNeedles); len(found) > 0 {
				t.Errorf("the ids of the deleted items are still in the files: %v", found)
			}
			if c == nil {
				leaktest.AssertAbsent(t, dir, canary)
				if found := findIn(t, dir, vecs); len(found) > 0 {
					t.Errorf("the vectors of the deleted items are still in the files: %v", found)
				}
			} else {
				leaktest.AssertAbsent(t, dir, otherCanary)
				snap := decryptSnapshot(t, dir, c)
				recs := sealedPlaintexts(t, dir, c)
				if bytes.Contains(snap, []byte(canary)) || holds(recs, canary) {
					t.Errorf("the canary of the deleted namespace opens: snapshot %v, log %v", bytes.Contains(snap, []byte(canary)), holds(recs, canary))
				}
				for name, n := range vecs {
					if bytes.Contains(snap, n) || holds(recs, string(n)) {
						t.Errorf("the vector of a deleted item opens (%s)", name)
						break
					}
				}
				if !bytes.Contains(snap, []byte(otherCanary)) || !holds(recs, otherCanary) {
					t.Error("the other namespace is missing from the opened files")
				}
				ciph.Shred("alice")
			}

			// "" and "default" name the same key namespace.
			if n, err := x.DeleteNamespace(ctx, "default"); err != nil || n != 3 {
				t.Errorf("DeleteNamespace(default) = %d, %v", n, err)
			}
			if n, err := x.DeleteNamespace(ctx, "nobody"); err != nil || n != 0 {
				t.Errorf("DeleteNamespace(nobody) = %d, %v", n, err)
			}
			x.Close()
			logger, buf := logs()
			x = open(t, dir, Options{Cipher: c, Logger: logger})
			checkGone(t, x, byNS["alice"])
			checkGone(t, x, byNS[""])
			checkThere(t, x, byNS["bob"])
			if strings.Contains(buf.String(), "crypto-shredded") {
				t.Errorf("items were left to skip: %s", buf)
			}
			x.Close()
			if _, err := x.DeleteNamespace(ctx, "bob"); llmos.ErrorCode(err) != llmos.CodeConflict {
				t.Errorf("DeleteNamespace after Close: %v", err)
			}
		})
	}
}

// A plaintext index opened with a cipher is encrypted: its items stay, and
// no plaintext is left: not in the log, the snapshot, nor copies of damaged
// logs. A crash that leaves the plaintext snapshot beside the new log is
// mended at the next Open.
func TestEncryptPlainIndex(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir, Options{SnapshotEvery: -1})
	items := fillCanaries(t, x)
	x.Close()
	damaged := filepath.Join(dir, logName+".damaged-20260101T000000.000000000Z")
	os.WriteFile(damaged, []byte("an old log with "+canary), 0o600)
	plainSnap, err := os.ReadFile(filepath.Join(dir, snapName))
	if err != nil {
		t.Fatal(err)
	}

	c := leaktest.NewCipher(testSecret)
	logger, buf := logs()
	x = open(t, dir, Options{Cipher: c, Logger: logger})
	if !strings.Contains(buf.String(), "encrypting it now") || !strings.Contains(buf.String(), "index encrypted") {
		t.Errorf("no word of the encryption: %s", buf)
	}
	checkCanaries(t, x, items)
	checkItems(t, x, 0, 3)
	checkItems(t, x, 4, 40)
	upsertN(t, x, 40, 45)
	x.Close()
	leaktest.AssertAbsent(t, dir, canary)
	if _, err := os.Stat(damaged); !os.IsNotExist(err) {
		t.Errorf("the plaintext copy of a damaged log is still there: %v", err)
	}

	// The crash after the new log was renamed, before the snapshot was.
	os.WriteFile(filepath.Join(dir, snapName), plainSnap, 0o600)
	logger, buf = logs()
	x = open(t, dir, Options{Cipher: c, Logger: logger})
	if !strings.Contains(buf.String(), "removing a plaintext snapshot") {
		t.Errorf("the plaintext snapshot was not noticed: %s", buf)
	}
	checkCanaries(t, x, items)
	checkItems(t, x, 40, 45)
	x.Close()
	leaktest.AssertAbsent(t, dir, canary)

	if _, err := Open(context.Background(), dir, Options{Logger: quiet()}); llmos.ErrorCode(err) != llmos.CodeInvalid || !strings.Contains(err.Error(), "is encrypted: no key given") {
		t.Errorf("Open without the key: %v", err)
	}
}

// BenchmarkCipher compares the index with and without a cipher (the test
// cipher: AES-256-GCM): the encoding of one item's record, durable upserts
// of batches of 100 items of 384 dimensions (run it with a fixed -benchtime
// such as 30x: the graph grows with b.N), hybrid searches over 5,000 items
// of 128, Get (which reads the vector back from the log) and an Open that
// replays a log of 5,000 items.
func BenchmarkCipher(b *testing.B) {
	for _, mode := range []string{"plain", "sealed"} {
		cipherFor := func() Cipher {
			if mode == "sealed" {
				return leaktest.NewCipher(testSecret)
			}
			return nil
		}
		b.Run("encode/"+mode, func(b *testing.B) {
			x := &Index{opts: Options{Cipher: cipherFor()}}
			it := vector.Item{ID: "b00000001", Namespace: "alice", Text: benchText(1), Vector: randVec(1, 384), Meta: map[string]string{"k": "v"}}
			for b.Loop() {
				if _, _, err := x.encodeUpsert(&it); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("upsert100/"+mode, func(b *testing.B) {
			const dim = 384
			x := open(b, b.TempDir(), Options{Cipher: cipherFor(), SnapshotEvery: -1})
			batch := make([]vector.Item, 100)
			for i := 0; b.Loop(); i++ {
				for j := range batch {
					k := i*len(batch) + j
					batch[j] = vector.Item{ID: fmt.Sprintf("b%08d", k), Namespace: fmt.Sprint(k % 7), Text: benchText(k), Vector: randVec(uint64(k), dim)}
				}
				if err := x.Upsert(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "items/s")
		})
		const n, dim = 5000, 128
		dir := b.TempDir()
		x := open(b, dir, Options{Cipher: cipherFor(), SnapshotEvery: -1})
		batch := make([]vector.Item, 0, 500)
		for i := range n {
			batch = append(batch, vector.Item{ID: fmt.Sprintf("h%06d", i), Namespace: fmt.Sprint(i % 10), Text: benchText(i), Vector: randVec(uint64(i), dim)})
			if len(batch) == cap(batch) {
				if err := x.Upsert(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		b.Run("search_hybrid/"+mode, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				res, err := x.Search(context.Background(), vector.Query{Vector: randVec(uint64(n+i%1000), dim), Text: benchText(n + i%1000)})
				if err != nil || len(res) == 0 {
					b.Fatal(err)
				}
			}
		})
		b.Run("get/"+mode, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := x.Get(context.Background(), fmt.Sprintf("h%06d", i%n)); err != nil {
					b.Fatal(err)
				}
			}
		})
		x.abandon() // no snapshot: Open replays the log
		b.Run("open_replay/"+mode, func(b *testing.B) {
			for b.Loop() {
				y, err := Open(context.Background(), dir, Options{Cipher: x.opts.Cipher, SnapshotEvery: -1, Logger: quiet()})
				if err != nil {
					b.Fatal(err)
				}
				y.abandon()
			}
		})
	}
}

// The scrubber zeroes the vectors of the nodes not kept, whatever the sizes
// of the writes, and the graph reads back, CRC and all; a stream that is not
// a graph snapshot fails.
func TestScrubber(t *testing.T) {
	g, err := hnsw.New(hnsw.Config{Dim: testDim, Metric: hnsw.Cosine})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if _, err := g.Add(randVec(uint64(i), testDim)); err != nil {
			t.Fatal(err)
		}
	}
	live := make([]uint64, (g.Nodes()+63)/64)
	for n := 0; n < g.Nodes(); n += 3 {
		live[n/64] |= 1 << (n % 64)
	}
	var raw bytes.Buffer
	if _, err := g.WriteTo(&raw); err != nil {
		t.Fatal(err)
	}
	for _, piece := range []int{1, 3, 4, 5, 64, 1 << 20} {
		var out bytes.Buffer
		sc := newScrubber(&out, live)
		for b := raw.Bytes(); len(b) > 0; {
			k := min(piece, len(b))
			if _, err := sc.Write(b[:k]); err != nil {
				t.Fatal(err)
			}
			b = b[k:]
		}
		if err := sc.finish(); err != nil {
			t.Fatalf("pieces of %d: %v", piece, err)
		}
		g2, err := hnsw.Read(&out)
		if err != nil {
			t.Fatalf("pieces of %d: %v", piece, err)
		}
		for n := range uint32(g.Nodes()) {
			want := g.Vector(n)
			if n%3 != 0 {
				want = make([]float32, testDim)
			}
			if !sameVec(g2.Vector(n), want) {
				t.Fatalf("pieces of %d: node %d: %v, want %v", piece, n, g2.Vector(n), want)
			}
		}
		if hits := g2.Search(g.Vector(3), 1, 64, nil); len(hits) != 1 || hits[0].Node != 3 {
			t.Errorf("pieces of %d: search: %v", piece, hits)
		}
	}
	sc := newScrubber(io.Discard, live)
	sc.Write(bytes.Repeat([]byte("not a graph "), 10))
	if err := sc.finish(); err == nil {
		t.Error("a stream that is not a graph passed")
	}
}
