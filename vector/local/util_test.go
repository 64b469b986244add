package local

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmos/llmos/vector"
)

const testDim = 16

// syncBuffer is a buffer safe for a logger shared by goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logs returns a logger that writes into a buffer, to check warnings.
func logs() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, nil)), buf
}

// open opens dir and closes the index when the test ends.
func open(t testing.TB, dir string, opts Options) *Index {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger, _ = logs()
	}
	x, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// randVec returns a deterministic vector, not normalised.
func randVec(seed uint64, dim int) []float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

var words = strings.Fields(`apple river mountain quantum violin harbor lantern meadow orbit
	pepper glacier saddle thunder canvas marble falcon velvet compass ember tulip`)

// testItem returns item i: a text of three words, a vector, a time and metadata.
func testItem(i int) vector.Item {
	return vector.Item{
		ID:        fmt.Sprintf("id-%04d", i),
		Namespace: []string{"alice", "bob"}[i%2],
		Text:      fmt.Sprintf("%s %s %s note %d", words[i%len(words)], words[(i/3)%len(words)], words[(i*7)%len(words)], i),
		Vector:    randVec(uint64(i), testDim),
		Time:      time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC),
		Meta:      map[string]string{"n": fmt.Sprint(i)},
	}
}

func upsertN(t testing.TB, x *Index, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := x.Upsert(context.Background(), []vector.Item{testItem(i)}); err != nil {
			t.Fatalf("Upsert %d: %v", i, err)
		}
	}
}

// checkItems checks that items [from, to) are there, whole, and found by
// their vectors.
func checkItems(t *testing.T, x *Index, from, to int) {
	t.Helper()
	ctx := context.Background()
	for i := from; i < to; i++ {
		want := testItem(i)
		got, err := x.Get(ctx, want.ID)
		if err != nil {
			t.Fatalf("Get %s: %v", want.ID, err)
		}
		if got.Text != want.Text || got.Namespace != want.Namespace || !got.Time.Equal(want.Time) || got.Meta["n"] != want.Meta["n"] || !sameVec(got.Vector, want.Vector) {
			t.Fatalf("Get %s = %+v, want %+v", want.ID, got, want)
		}
		res, err := x.Search(ctx, vector.Query{Vector: want.Vector, K: 1})
		if err != nil || len(res) != 1 || res[0].ID != want.ID {
			t.Fatalf("search by the vector of %s: %v %v", want.ID, res, err)
		}
	}
}

func sameVec(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// recordOffsets returns the offsets of the records of the log in dir.
func recordOffsets(t *testing.T, dir string) []int64 {
	t.Helper()
	w, err := openLog(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	var offs []int64
	if _, _, err := w.scan(headerSize, false, func(s scanned) error {
		offs = append(offs, s.off)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return offs
}

// flip inverts the byte at off of the file at path.
func flip(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := []byte{0}
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func quiet() *slog.Logger {
	l, _ := logs()
	return l
}

// atomicCounter hands out increasing numbers.
type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) add() int { return int(c.n.Add(1)) }
