package hnsw

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmos/llmos"
)

func snapshot(t testing.TB, g *Graph) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := g.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
	}
	return buf.Bytes()
}

func TestSnapshotRoundTrip(t *testing.T) {
	data := clustered(20, 2100, 24)
	for _, cfg := range []Config{
		{Dim: 24, M: 6, EfConstruction: 40, Seed: 3},
		{Dim: 24, M: 8, EfSearch: 30, Metric: Cosine, Quantize: true},
		{Dim: 24, Metric: Dot},
	} {
		g := build(t, cfg, data[:2000], 1)
		for i := 0; i < 2000; i += 7 {
			g.Delete(uint32(i))
		}
		snap := snapshot(t, g)
		h, err := Read(bytes.NewReader(snap))
		if err != nil {
			t.Fatal(err)
		}
		if h.Config() != g.Config() || h.Len() != g.Len() || h.Nodes() != g.Nodes() {
			t.Fatalf("read back %+v, %d/%d nodes; want %+v, %d/%d", h.Config(), h.Len(), h.Nodes(), g.Config(), g.Len(), g.Nodes())
		}
		for _, id := range []uint32{0, 1, 7, 1999} {
			if !slices.Equal(h.Vector(id), g.Vector(id)) || h.Deleted(id) != g.Deleted(id) {
				t.Fatalf("node %d differs", id)
			}
		}
		for _, q := range data[2000:] {
			if a, b := g.Search(q, 10, 0, nil), h.Search(q, 10, 0, nil); !slices.Equal(a, b) {
				t.Fatalf("searches differ:\n%v\n%v", a, b)
			}
		}
		if again := snapshot(t, h); !bytes.Equal(again, snap) {
			t.Fatal("a snapshot of the read graph differs")
		}
		// The graph read back takes more nodes.
		id, err := h.Add(data[2000])
		if err != nil || id != 2000 {
			t.Fatalf("Add after Read = %d, %v", id, err)
		}
		if hits, want := h.Search(data[2000], 1, 0, nil), h.Exact(data[2000], 1, nil); !slices.Equal(hits, want) {
			t.Fatalf("after an Add, Search = %v, Exact = %v", hits, want)
		}
	}
}

func TestSnapshotEmpty(t *testing.T) {
	g, _ := New(Config{Dim: 3})
	h, err := Read(bytes.NewReader(snapshot(t, g)))
	if err != nil {
		t.Fatal(err)
	}
	if h.Nodes() != 0 || h.Search([]float32{1, 2, 3}, 1, 0, nil) != nil {
		t.Error("an empty graph read back is not empty")
	}
	if _, err := h.Add([]float32{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotStopsAtEnd: Read leaves what follows the snapshot unread.
func TestSnapshotStopsAtEnd(t *testing.T) {
	g := build(t, Config{Dim: 4}, clustered(21, 50, 4), 1)
	r := bytes.NewReader(append(snapshot(t, g), "tail"...))
	if _, err := Read(r); err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(r); string(rest) != "tail" {
		t.Errorf("left %q unread", rest)
	}
}

func TestSnapshotCorrupt(t *testing.T) {
	g := build(t, Config{Dim: 8, M: 4}, clustered(22, 300, 8), 1)
	g.Delete(5)
	snap := snapshot(t, g)
	check := func(name string, b []byte) {
		t.Helper()
		_, err := Read(bytes.NewReader(b))
		var e *llmos.Error
		if !errors.As(err, &e) || e.Code != llmos.CodeInvalid || !strings.HasPrefix(e.Msg, "index snapshot is corrupt: ") {
			t.Errorf("%s: Read = %v, want an invalid 'index snapshot is corrupt' error", name, err)
		}
	}
	for _, n := range []int{0, 1, 7, 8, 12, 40, 55, len(snap) / 2, len(snap) - 5, len(snap) - 1} {
		check("truncated", snap[:n])
	}
	// Flip one bit anywhere: the checksum (or an earlier check) catches it.
	for i := 0; i < len(snap); i += 1 + len(snap)/97 {
		b := bytes.Clone(snap)
		b[i] ^= 0x10
		check("flipped", b)
	}
	b := bytes.Clone(snap)
	copy(b, "llmosXXX")
	check("magic", b)
}

// TestSnapshotBadUpperLink: a link on an upper layer to a node without that
// layer is caught even under a valid checksum (a search would follow it).
func TestSnapshotBadUpperLink(t *testing.T) {
	g := build(t, Config{Dim: 2, M: 4}, clustered(25, 200, 2), 1)
	snap := snapshot(t, g)
	n, per := g.Nodes(), 1+g.cfg.M
	levels := snap[56+4*n*g.dim:][:n]
	off := 56 + 4*n*g.dim + n + 4*n*(1+2*g.cfg.M)
	low := bytes.IndexByte(levels, 0) // a node of level 0
	for id, l := range levels {
		if l == 0 {
			continue
		}
		if binary.LittleEndian.Uint32(snap[off:]) > 0 && id != low {
			binary.LittleEndian.PutUint32(snap[off+4:], uint32(low))
			binary.LittleEndian.PutUint32(snap[len(snap)-4:], crc32.Update(0, castagnoli, snap[:len(snap)-4]))
			if _, err := Read(bytes.NewReader(snap)); err == nil || !strings.Contains(err.Error(), "below it") {
				t.Fatalf("Read = %v, want a corrupt error", err)
			}
			return
		}
		off += 4 * int(l) * per
	}
	t.Fatal("no upper link to break")
}

// errReader fails after some bytes.
type errReader struct {
	r io.Reader
	n int
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, errors.New("disk on fire")
	}
	if len(p) > e.n {
		p = p[:e.n]
	}
	n, err := e.r.Read(p)
	e.n -= n
	return n, err
}

func TestSnapshotIOErrors(t *testing.T) {
	g := build(t, Config{Dim: 8}, clustered(23, 100, 8), 1)
	snap := snapshot(t, g)
	if _, err := Read(&errReader{bytes.NewReader(snap), 100}); llmos.ErrorCode(err) != llmos.CodeInternal {
		t.Errorf("Read with a failing reader = %v, want an internal error", err)
	}
	if _, err := g.WriteTo(&failWriter{}); err == nil {
		t.Error("WriteTo to a failing writer succeeded")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// FuzzRead: garbage never panics Read, and whatever it accepts is a graph
// that can be searched, added to and written again.
func FuzzRead(f *testing.F) {
	g := build(f, Config{Dim: 3, M: 2}, clustered(24, 20, 3), 1)
	g.Delete(3)
	snap := snapshot(f, g)
	f.Add(snap)
	f.Add(snap[:30])
	empty, _ := New(Config{Dim: 2, Metric: Cosine, Quantize: true})
	f.Add(snapshot(f, empty))
	f.Fuzz(func(t *testing.T, b []byte) {
		readFuzz(t, b)
		// Again with a valid checksum, to reach the checks behind it.
		if len(b) > 4 {
			b = bytes.Clone(b)
			binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Update(0, castagnoli, b[:len(b)-4]))
			readFuzz(t, b)
		}
	})
}

func readFuzz(t *testing.T, b []byte) {
	g, err := Read(bytes.NewReader(b))
	if err != nil {
		if llmos.ErrorCode(err) != llmos.CodeInvalid {
			t.Fatalf("Read = %v, want an invalid error", err)
		}
		return
	}
	q := make([]float32, g.Config().Dim)
	g.Search(q, 3, 0, nil)
	g.Exact(q, 3, nil)
	if _, err := g.Add(q); err != nil {
		t.Fatal(err)
	}
	g.Search(q, 3, 0, nil)
	if _, err := g.WriteTo(io.Discard); err != nil {
		t.Fatal(err)
	}
}

// TestWriteFuzzSeeds writes the seeds of FuzzRead to testdata/fuzz when run
// with -fuzzseeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*fuzzSeeds {
		t.Skip("run with -fuzzseeds to write testdata/fuzz/FuzzRead")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	os.MkdirAll(dir, 0o755)
	g := build(t, Config{Dim: 3, M: 2}, clustered(24, 20, 3), 1)
	g.Delete(3)
	snap := snapshot(t, g)
	q, _ := New(Config{Dim: 2, Metric: Cosine, Quantize: true})
	q.Add([]float32{1, 0})
	q.Add([]float32{0, 1})
	for name, b := range map[string][]byte{"valid": snap, "truncated": snap[:len(snap)/2], "cosine-quantized": snapshot(t, q)} {
		if err := os.WriteFile(filepath.Join(dir, name), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var fuzzSeeds = flag.Bool("fuzzseeds", false, "write the seeds of FuzzRead")
