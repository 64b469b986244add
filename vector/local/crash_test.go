package local

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/llmos/llmos/internal/leaktest"
	"github.com/llmos/llmos/vector"
)

// The crash tests re-run the test binary as a child that writes to an index
// and prints a line after each acknowledged write; the parent kills it with
// SIGKILL mid-stream, reopens the index and checks every acknowledged write.
const (
	childMode  = "LLMOS_VECTOR_CRASH_CHILD" // "inserts" or "ops"
	childDir   = "LLMOS_VECTOR_CRASH_DIR"
	childStart = "LLMOS_VECTOR_CRASH_START"
	childSeal  = "LLMOS_VECTOR_CRASH_SEALED" // "1": the index is encrypted with leaktest.NewCipher(testSecret)
)

// childOptions snapshot and compact often, so kills land in the middle of
// both.
var childOptions = Options{SnapshotEvery: 25, CompactMin: 2048}

func TestCrashChild(t *testing.T) {
	mode := os.Getenv(childMode)
	if mode == "" {
		t.Skip("run by TestKill*")
	}
	start, _ := strconv.Atoi(os.Getenv(childStart))
	opts := childOptions
	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	if os.Getenv(childSeal) == "1" {
		opts.Cipher = leaktest.NewCipher(testSecret)
	}
	x, err := Open(context.Background(), os.Getenv(childDir), opts)
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(3)
	}
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute) // in case the parent is gone
	switch mode {
	case "inserts":
		// Four writers insert distinct items, one or three at a time.
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := start + w*3; time.Now().Before(deadline); i += 12 {
					batch := []vector.Item{testItem(i)}
					if w%2 == 1 {
						batch = append(batch, testItem(i+1), testItem(i+2))
					}
					if err := x.Upsert(ctx, batch); err != nil {
						fmt.Printf("error %v\n", err)
						os.Exit(3)
					}
					for _, it := range batch {
						fmt.Printf("ack %s\n", it.ID)
					}
				}
			})
		}
		wg.Wait()
	case "ops":
		for i := start; time.Now().Before(deadline); i++ {
			if err := crashOp(i).do(ctx, x); err != nil {
				fmt.Printf("error %v\n", err)
				os.Exit(3)
			}
			fmt.Printf("ack %d\n", i)
		}
	}
	os.Exit(0)
}

// op is one write of the "ops" child: an upsert of a version of one of 150
// ids, or a delete.
type op struct {
	i      int
	id     string
	delete bool
}

func crashOp(i int) op {
	r := rand.New(rand.NewPCG(uint64(i), 5))
	return op{i: i, id: fmt.Sprintf("k%03d", r.IntN(150)), delete: r.IntN(8) == 0}
}

func (o op) item() vector.Item {
	return vector.Item{ID: o.id, Text: fmt.Sprintf("version %d of %s", o.i, o.id), Vector: randVec(uint64(o.i), testDim)}
}

func (o op) do(ctx context.Context, x *Index) error {
	if o.delete {
		return x.Delete(ctx, []string{o.id})
	}
	return x.Upsert(ctx, []vector.Item{o.item()})
}

// stateAfter returns the texts of the ids after ops [0, n).
func stateAfter(n int) map[string]string {
	s := map[string]string{}
	for i := range n {
		o := crashOp(i)
		if o.delete {
			delete(s, o.id)
		} else {
			s[o.id] = o.item().Text
		}
	}
	return s
}

// runChild runs the child until it has acknowledged about kill writes, kills
// it, and returns the acknowledged lines and what it logged.
func runChild(t *testing.T, mode, dir string, start, kill int, sealed bool) ([]string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	seal := "0"
	if sealed {
		seal = "1"
	}
	cmd.Env = append(os.Environ(), childMode+"="+mode, childDir+"="+dir, childStart+"="+strconv.Itoa(start), childSeal+"="+seal)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acks []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error ") {
			t.Errorf("child: %s", line)
		}
		if ack, ok := strings.CutPrefix(line, "ack "); ok {
			// Lines still in the pipe after the kill were printed after
			// their write returned: they count.
			if acks = append(acks, ack); len(acks) == kill {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the child was not killed: %v; stderr:\n%s", err, stderr.String())
	}
	return acks, stderr.String()
}

// Concurrent writers are killed mid-stream; every acknowledged item is there
// after the restart, whole and searchable. Three rounds on one directory, so
// later children recover from what earlier ones left.
func TestKillInserts(t *testing.T) { bothModes(t, testKillInserts) }

func testKillInserts(t *testing.T, ciph Cipher) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	acked := map[string]bool{}
	next := 0
	for round := range 3 {
		acks, _ := runChild(t, "inserts", dir, next, 40+rand.IntN(120), ciph != nil)
		for _, id := range acks {
			acked[id] = true
		}
		opts := childOptions
		opts.Logger, opts.Cipher = quiet(), ciph
		x := open(t, dir, opts)
		ctx := context.Background()
		n, _ := x.Len(ctx)
		if n < len(acked) {
			t.Errorf("round %d: %d items after the kill, %d acknowledged", round, n, len(acked))
		}
		for id := range acked {
			i, _ := strconv.Atoi(strings.TrimPrefix(id, "id-"))
			want := testItem(i)
			got, err := x.Get(ctx, id)
			if err != nil || got.Text != want.Text || !sameVec(got.Vector, want.Vector) {
				t.Fatalf("round %d: acknowledged item %s: %+v, %v", round, id, got, err)
			}
		}
		res, err := x.Search(ctx, vector.Query{Text: "note", K: n + 10})
		if err != nil || len(res) != n {
			t.Errorf("round %d: a text search found %d of %d items: %v", round, len(res), n, err)
		}
		x.Close()
		if ciph != nil {
			leaktest.AssertAbsent(t, dir, " note ") // in every text, and nowhere else
		}
		t.Logf("round %d: %d acknowledged in this round, %d items", round, len(acks), n)
		next += 100_000
	}
}

// A single writer of upserts and deletes over few ids (so replacements and
// compactions) is killed mid-stream: the state after the restart is exactly
// that of the acknowledged operations, or of those and the one in flight.
func TestKillOps(t *testing.T) { bothModes(t, testKillOps) }

func testKillOps(t *testing.T, ciph Cipher) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	next, compactions := 0, 0
	for round := range 4 {
		acks, logged := runChild(t, "ops", dir, next, 50+rand.IntN(250), ciph != nil)
		compactions += strings.Count(logged, "log compacted")
		for j, a := range acks {
			if a != strconv.Itoa(next+j) {
				t.Fatalf("round %d: ack %q out of order, want %d", round, a, next+j)
			}
		}
		done := next + len(acks)
		opts := childOptions
		opts.Logger, opts.Cipher = quiet(), ciph
		x := open(t, dir, opts)
		got := map[string]string{}
		items, err := x.List(context.Background(), vector.Filter{}, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			got[it.ID] = it.Text
		}
		switch {
		case sameState(got, stateAfter(done)):
			next = done
		case sameState(got, stateAfter(done+1)):
			next = done + 1 // the write in flight made it
		default:
			t.Fatalf("round %d: after %d acknowledged operations the index holds %d items that match neither that state nor the next", round, done, len(got))
		}
		for id, text := range got {
			res, err := x.Search(context.Background(), vector.Query{Text: text, K: 1})
			if err != nil || len(res) != 1 || res[0].ID != id {
				t.Fatalf("round %d: text search for %q: %v %v", round, text, res, err)
			}
		}
		x.Close()
		if ciph != nil {
			leaktest.AssertAbsent(t, dir, "version ")
		}
		t.Logf("round %d: %d operations acknowledged, %d items", round, len(acks), len(got))
	}
	if compactions == 0 {
		t.Error("no child compacted its log")
	}
}

func sameState(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
