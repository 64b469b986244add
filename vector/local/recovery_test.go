package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
)

// A write cut short by a crash leaves a partial last record: Open cuts it and
// keeps everything before it, and appends after the cut read back.
func TestTornTail(t *testing.T) { bothModes(t, testTornTail) }

func testTornTail(t *testing.T, ciph Cipher) {
	for _, c := range []struct {
		name string
		tear func(t *testing.T, path string)
	}{
		{"mid_record", func(t *testing.T, path string) {
			os.Truncate(path, fileSize(t, path)-10)
		}},
		{"mid_header", func(t *testing.T, path string) {
			offs := recordOffsets(t, filepath.Dir(path))
			os.Truncate(path, offs[len(offs)-1]+5)
		}},
		{"bad_crc_at_end", func(t *testing.T, path string) {
			flip(t, path, fileSize(t, path)-3)
		}},
		{"zeros_after", func(t *testing.T, path string) {
			offs := recordOffsets(t, filepath.Dir(path))
			os.Truncate(path, offs[len(offs)-1])
			os.Truncate(path, offs[len(offs)-1]+4096) // the size grew, the data did not land
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			x := open(t, dir, Options{Cipher: ciph, SnapshotEvery: -1})
			upsertN(t, x, 0, 10)
			x.abandon()
			c.tear(t, filepath.Join(dir, logName))

			logger, buf := logs()
			x = open(t, dir, Options{Cipher: ciph, SnapshotEvery: -1, Logger: logger})
			if n, _ := x.Len(context.Background()); n != 9 {
				t.Errorf("Len = %d after losing the torn last record, want 9", n)
			}
			checkItems(t, x, 0, 9)
			if !strings.Contains(buf.String(), "torn") {
				t.Errorf("no warning about the torn record: %s", buf)
			}
			upsertN(t, x, 9, 12)
			x.abandon()
			x = open(t, dir, Options{Cipher: ciph, SnapshotEvery: -1})
			checkItems(t, x, 0, 12)
		})
	}
}

// A torn tail after the part of the log a snapshot covers.
func TestTornTailAfterSnapshot(t *testing.T) { bothModes(t, testTornTailAfterSnapshot) }

func testTornTailAfterSnapshot(t *testing.T, ciph Cipher) {
	dir := t.TempDir()
	x := open(t, dir, Options{Cipher: ciph})
	upsertN(t, x, 0, 10)
	x.Close()
	x = open(t, dir, Options{Cipher: ciph})
	upsertN(t, x, 10, 15)
	x.abandon()
	path := filepath.Join(dir, logName)
	os.Truncate(path, fileSize(t, path)-1)
	x = open(t, dir, Options{Cipher: ciph})
	checkItems(t, x, 0, 14)
	if _, err := x.Get(context.Background(), testItem(14).ID); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("the torn item: %v", err)
	}
}

// A damaged snapshot is detected and rebuilt from the log, losing nothing.
func TestCorruptSnapshot(t *testing.T) { bothModes(t, testCorruptSnapshot) }

func testCorruptSnapshot(t *testing.T, ciph Cipher) {
	dir := t.TempDir()
	x := open(t, dir, Options{Cipher: ciph})
	upsertN(t, x, 0, 50)
	x.Delete(context.Background(), []string{testItem(3).ID})
	x.Close()
	path := filepath.Join(dir, snapName)
	for i := range 6 {
		size := fileSize(t, path)
		off := []int64{0, 20, size / 3, size / 2, size - 100, size - 1}[i]
		flip(t, path, off)
		logger, buf := logs()
		x = open(t, dir, Options{Cipher: ciph, Logger: logger})
		if !strings.Contains(buf.String(), "snapshot is unusable") {
			t.Errorf("flip at %d of %d: no warning: %s", off, size, buf)
		}
		if n, _ := x.Len(context.Background()); n != 49 {
			t.Errorf("flip at %d: Len = %d, want 49", off, n)
		}
		checkItems(t, x, 0, 3)
		checkItems(t, x, 4, 50)
		x.Close() // writes a sound snapshot again
		if _, err := readSnapshot(path, kindOf(ciph), ciph); err != nil {
			t.Fatalf("the snapshot written after the rebuild: %v", err)
		}
	}
}

// A record damaged in the middle of the log is not a torn tail: Open fails
// with a clear error rather than drop it silently; with Repair, it keeps
// everything else and a copy of the damaged log.
func TestCorruptMiddle(t *testing.T) { bothModes(t, testCorruptMiddle) }

func testCorruptMiddle(t *testing.T, ciph Cipher) {
	for _, c := range []struct {
		name string
		at   func(off int64) int64 // the byte to flip, from the record's offset
	}{
		{"payload", func(off int64) int64 { return off + 20 }},
		{"crc", func(off int64) int64 { return off + 5 }},
		{"length", func(off int64) int64 { return off + 3 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			x := open(t, dir, Options{Cipher: ciph, SnapshotEvery: -1})
			upsertN(t, x, 0, 10)
			x.abandon()
			offs := recordOffsets(t, dir)
			flip(t, filepath.Join(dir, logName), c.at(offs[6])) // offs[0] is the dimension record: item 5
			_, err := Open(context.Background(), dir, Options{Cipher: ciph, Logger: quiet()})
			if !errors.Is(err, ErrCorrupt) || llmos.ErrorCode(err) != llmos.CodeConflict || !strings.Contains(llmos.ErrorMessage(err), "Repair") {
				t.Fatalf("Open of a damaged log: %v (code %s), want a conflict wrapping ErrCorrupt that names Repair", err, llmos.ErrorCode(err))
			}

			logger, buf := logs()
			x = open(t, dir, Options{Cipher: ciph, Repair: true, Logger: logger})
			if n, _ := x.Len(context.Background()); n != 9 {
				t.Errorf("Len after repair = %d, want 9", n)
			}
			checkItems(t, x, 0, 5)
			checkItems(t, x, 6, 10)
			if !strings.Contains(buf.String(), "repaired") {
				t.Errorf("no warning about the repair: %s", buf)
			}
			copies, _ := filepath.Glob(filepath.Join(dir, logName+".damaged-*"))
			if len(copies) != 1 {
				t.Errorf("copies of the damaged log: %v", copies)
			}
			upsertN(t, x, 5, 6)
			x.abandon()
			x = open(t, dir, Options{Cipher: ciph})
			checkItems(t, x, 0, 10)
		})
	}
}

// A damaged log header is damage too.
func TestCorruptHeader(t *testing.T) { bothModes(t, testCorruptHeader) }

func testCorruptHeader(t *testing.T, ciph Cipher) {
	dir := t.TempDir()
	x := open(t, dir, Options{Cipher: ciph, SnapshotEvery: -1})
	upsertN(t, x, 0, 5)
	x.abandon()
	flip(t, filepath.Join(dir, logName), 2)
	if _, err := Open(context.Background(), dir, Options{Cipher: ciph, Logger: quiet()}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with a damaged header: %v", err)
	}
	x = open(t, dir, Options{Cipher: ciph, Repair: true})
	checkItems(t, x, 0, 5)
}

// The leftovers of a crash in the middle of a compaction: a temporary log,
// or a new log whose snapshot is not written yet.
func TestCrashDuringCompaction(t *testing.T) { bothModes(t, testCrashDuringCompaction) }

func testCrashDuringCompaction(t *testing.T, ciph Cipher) {
	dir := t.TempDir()
	x := open(t, dir, Options{Cipher: ciph, CompactMin: -1})
	upsertN(t, x, 0, 20)
	upsertN(t, x, 0, 20) // every record replaced once
	x.Close()
	os.WriteFile(filepath.Join(dir, logName+".tmp"), []byte("half a compacted log"), 0o600)

	x = open(t, dir, Options{Cipher: ciph, CompactMin: -1})
	if _, err := os.Stat(filepath.Join(dir, logName+".tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary log is still there: %v", err)
	}
	x.snapMu.Lock()
	before, after, err := x.compact()
	x.snapMu.Unlock()
	if err != nil || after >= before {
		t.Fatalf("compact: %d -> %d bytes, %v", before, after, err)
	}
	upsertN(t, x, 20, 25)
	x.abandon() // the snapshot is of the old log

	logger, buf := logs()
	x = open(t, dir, Options{Cipher: ciph, Logger: logger})
	if !strings.Contains(buf.String(), "predates") {
		t.Errorf("the stale snapshot was not noticed: %s", buf)
	}
	checkItems(t, x, 0, 25)
}

// Compaction while writers write: nothing acknowledged is lost, and the log
// shrinks.
func TestCompactUnderWrites(t *testing.T) { bothModes(t, testCompactUnderWrites) }

func testCompactUnderWrites(t *testing.T, ciph Cipher) {
	dir := t.TempDir()
	x := open(t, dir, Options{Cipher: ciph, SnapshotEvery: -1, CompactMin: 1})
	upsertN(t, x, 0, 100)
	ctx := context.Background()
	done := make(chan error)
	go func() {
		for round := range 5 {
			for i := range 100 {
				it := testItem(i)
				it.Text += " round " + string(rune('a'+round))
				if err := x.Upsert(ctx, []vector.Item{it}); err != nil {
					done <- err
					return
				}
			}
		}
		done <- x.Delete(ctx, []string{testItem(99).ID})
	}()
	for range 5 {
		x.snapMu.Lock()
		if err := x.maintain(); err != nil {
			t.Error(err)
		}
		x.snapMu.Unlock()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	x.snapMu.Lock()
	x.maintain()
	x.snapMu.Unlock()
	for _, reopen := range []func(){x.abandon, func() { x.Close() }} {
		reopen()
		x = open(t, dir, Options{Cipher: ciph, SnapshotEvery: -1, CompactMin: 1})
		if n, _ := x.Len(ctx); n != 99 {
			t.Errorf("Len = %d, want 99", n)
		}
		for i := range 99 {
			got, err := x.Get(ctx, testItem(i).ID)
			if err != nil || !strings.HasSuffix(got.Text, "round e") || !sameVec(got.Vector, testItem(i).Vector) {
				t.Fatalf("item %d after compaction: %+v %v", i, got, err)
			}
		}
		res, err := x.Search(ctx, vector.Query{Text: "round", K: 200})
		if err != nil || len(res) != 99 {
			t.Errorf("text search after compaction: %d results, %v", len(res), err)
		}
	}
	if size := fileSize(t, filepath.Join(dir, logName)); size > 2*x.liveBytes+1024 {
		t.Errorf("the log holds %d bytes for %d of live records", size, x.liveBytes)
	}
}

func TestSnapshotWithoutLog(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir, Options{})
	upsertN(t, x, 0, 3)
	x.Close()
	os.Remove(filepath.Join(dir, logName))
	if _, err := Open(context.Background(), dir, Options{Logger: quiet()}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Open without the log: %v", err)
	}
}

func TestOpenTwice(t *testing.T) {
	dir := t.TempDir()
	open(t, dir, Options{})
	if _, err := Open(context.Background(), dir, Options{}); llmos.ErrorCode(err) != llmos.CodeConflict {
		t.Errorf("a second Open: %v, want conflict", err)
	}
}

func TestClosed(t *testing.T) {
	x := open(t, t.TempDir(), Options{})
	upsertN(t, x, 0, 1)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, err := range map[string]error{
		"upsert": x.Upsert(ctx, []vector.Item{testItem(2)}),
		"delete": x.Delete(ctx, []string{"x"}),
		"get":    func() error { _, err := x.Get(ctx, testItem(0).ID); return err }(),
		"search": func() error { _, err := x.Search(ctx, vector.Query{Text: "x"}); return err }(),
		"list":   func() error { _, err := x.List(ctx, vector.Filter{}, "", 1); return err }(),
		"len":    func() error { _, err := x.Len(ctx); return err }(),
	} {
		if llmos.ErrorCode(err) != llmos.CodeConflict {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
	if err := x.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}
