package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/leaktest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// newTestSealer returns the test cipher of the secret name bound to the
// "_audit" namespace, as llmos binds the vault: Sealers of two names do not
// open each other's records.
func newTestSealer(name string) Sealer { return leaktest.NewCipher(name).For("_audit") }

// clock returns a Now that starts at a fixed time and ticks a second a call.
func clock() func() time.Time {
	t := time.Date(2026, 8, 3, 10, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func openLog(t testing.TB, path string, opts Options) *Log {
	t.Helper()
	l, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// fill appends n records numbered from 1.
func fill(t testing.TB, l *Log, n int) []Record {
	t.Helper()
	var out []Record
	for i := 1; i <= n; i++ {
		r, err := l.Append(context.Background(), Record{Kind: "syscall", PID: int64(i%7 + 1), Tool: "shell",
			Action: "allow", Reason: fmt.Sprintf("call %d", i), Data: json.RawMessage(fmt.Sprintf(`{"i": %d}`, i))})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestAppendReadTail(t *testing.T) {
	ctx := context.Background()
	for _, sealed := range []bool{false, true} {
		t.Run(fmt.Sprintf("sealed=%v", sealed), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sub", FileName)
			opts := Options{Now: clock()}
			if sealed {
				opts.Sealer = newTestSealer("a")
			}
			l := openLog(t, path, opts)
			recs := fill(t, l, 5)
			prev := zeroHash
			for i, r := range recs {
				if r.Seq != int64(i+1) || r.Prev != prev || len(r.Hash) != 64 || r.Time.IsZero() {
					t.Fatalf("record %d: %+v", i, r)
				}
				prev = r.Hash
			}
			if string(recs[2].Data) != `{"i":3}` {
				t.Errorf("data is not compacted: %s", recs[2].Data)
			}
			var got []Record
			if err := l.Read(ctx, 3, func(r Record) error { got = append(got, r); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].Seq != 4 || got[1].Hash != recs[4].Hash || got[0].Reason != "call 4" ||
				!got[0].Time.Equal(recs[3].Time) || string(got[1].Data) != `{"i":5}` {
				t.Fatalf("Read after 3: %+v", got)
			}
			tail, err := l.Tail(ctx, 2)
			if err != nil || len(tail) != 2 || tail[0].Seq != 4 || tail[1].Seq != 5 {
				t.Fatalf("Tail 2: %v %+v", err, tail)
			}
			if tail, _ := l.Tail(ctx, 50); len(tail) != 5 || tail[0].Seq != 1 {
				t.Fatalf("Tail 50: %+v", tail)
			}
			l.Close()

			// A new handle continues the chain.
			l2 := openLog(t, path, opts)
			r, err := l2.Append(ctx, Record{Kind: "verdict", Action: "block"})
			if err != nil || r.Seq != 6 || r.Prev != recs[4].Hash {
				t.Fatalf("append after reopen: %v %+v", err, r)
			}
			rep, err := Verify(ctx, path, opts)
			if err != nil || !rep.OK || rep.Records != 6 || rep.Head != 6 || rep.PastHead != 0 {
				t.Fatalf("verify: %v %+v", err, rep)
			}
			if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("the log is not private: %v %v", info.Mode(), err)
			}
		})
	}
}

func TestReadResumesAndSeesGrowth(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	w := openLog(t, path, Options{})
	fill(t, w, 3)
	r := openLog(t, path, Options{ReadOnly: true})
	var seen []int64
	read := func(after int64) {
		if err := r.Read(ctx, after, func(rec Record) error { seen = append(seen, rec.Seq); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	read(0)
	fill(t, w, 2)
	// A line being written is not returned until it is whole.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"seq":6,"prev":"`)
	f.Close()
	read(3)
	read(1) // going back rescans
	want := []int64{1, 2, 3, 4, 5, 2, 3, 4, 5}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("seen %v, want %v", seen, want)
	}
	stop := fmt.Errorf("stop")
	if err := r.Read(ctx, 0, func(Record) error { return stop }); err != stop {
		t.Errorf("fn's error is not returned: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.Read(cctx, 0, func(Record) error { return nil }); llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("cancelled Read: %v", err)
	}
}

func TestAppendRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openLog(t, filepath.Join(dir, FileName), Options{})
	big := json.RawMessage(`"` + strings.Repeat("x", MaxData) + `"`)
	for name, r := range map[string]Record{
		"no kind":   {Action: "allow"},
		"too big":   {Kind: "syscall", Data: big},
		"not JSON":  {Kind: "syscall", Data: json.RawMessage(`{"a":`)},
		"not JSON2": {Kind: "syscall", Data: json.RawMessage(`{} {}`)},
	} {
		if _, err := l.Append(ctx, r); llmos.ErrorCode(err) != llmos.CodeInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := l.Append(ctx, Record{Kind: "syscall", Data: big[:MaxData-1]}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("cut JSON: %v", err)
	}
	ok := json.RawMessage(`"` + strings.Repeat("<", MaxData-2) + `"`)
	if r, err := l.Append(ctx, Record{Kind: "syscall", Data: ok}); err != nil || r.Seq != 1 {
		t.Errorf("1 MiB of data: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Append(cctx, Record{Kind: "syscall"}); llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("cancelled: %v", err)
	}
	l.Close()
	if _, err := l.Append(ctx, Record{Kind: "syscall"}); llmos.ErrorCode(err) != llmos.CodeConflict {
		t.Errorf("closed: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "none.log"), Options{ReadOnly: true}); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("read-only open of a missing log: %v", err)
	}
	ro := openLog(t, filepath.Join(dir, FileName), Options{ReadOnly: true})
	if _, err := ro.Append(ctx, Record{Kind: "syscall"}); llmos.ErrorCode(err) != llmos.CodeConflict {
		t.Errorf("read-only append: %v", err)
	}
	if _, err := Verify(ctx, filepath.Join(dir, "none.log"), Options{}); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("verify of a missing log: %v", err)
	}
}

// TestGolden pins the file format: a change shows up as a diff in testdata.
func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	l := openLog(t, path, Options{Now: clock()})
	ctx := context.Background()
	for _, r := range []Record{
		{Kind: "syscall", PID: 1, Namespace: "alice", Tool: "web_fetch", Action: "allow", Data: json.RawMessage(`{"args":{"url":"https://example.com/<a>"}}`)},
		{Kind: "policy", PID: 1, Tool: "shell", Action: "ask", Reason: "the command comes from a web page"},
		{Kind: "verdict", PID: 1, Action: "block", Reason: "prompt injection", Data: json.RawMessage(`{"scanner":"injection","score":0.97}`)},
	} {
		if _, err := l.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{FileName, FileName + HeadSuffix} {
		got, _ := os.ReadFile(filepath.Join(filepath.Dir(path), name))
		golden := filepath.Join("testdata", name)
		if *update {
			os.WriteFile(golden, got, 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run with -update if the change is meant):\n%s", name, golden, got)
		}
	}
	rep, err := Verify(ctx, filepath.Join("testdata", FileName), Options{})
	if err != nil || !rep.OK || rep.Head != 3 {
		t.Errorf("the golden log does not verify: %v %+v", err, rep)
	}
}

func TestTornTailIsRepaired(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	l := openLog(t, path, Options{})
	fill(t, l, 3)
	l.Close()
	b, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(b), "\n")
	// A crash in the middle of the write of record 4.
	line4 := strings.Replace(lines[2], `"seq":3`, `"seq":4`, 1)
	os.WriteFile(path, append(b, line4[:len(line4)/2]...), 0o600)

	rep, err := Verify(ctx, path, Options{})
	if err != nil || rep.OK || len(rep.Problems) != 1 || rep.Problems[0].Kind != Torn || rep.Problems[0].Line != 4 {
		t.Fatalf("torn: %v %+v", err, rep)
	}
	l = openLog(t, path, Options{})
	if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
		t.Fatalf("Open did not cut the torn line:\n%s", after)
	}
	if r, err := l.Append(ctx, Record{Kind: "syscall"}); err != nil || r.Seq != 4 {
		t.Fatalf("append after repair: %v %+v", err, r)
	}
	if rep, _ := Verify(ctx, path, Options{}); !rep.OK || rep.Head != 4 {
		t.Fatalf("after repair: %+v", rep)
	}

	// A torn line from another process is repaired by the next Append too.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"seq":5,"pr`)
	f.Close()
	if r, err := l.Append(ctx, Record{Kind: "syscall"}); err != nil || r.Seq != 5 {
		t.Fatalf("append over a torn line: %v %+v", err, r)
	}
	if rep, _ := Verify(ctx, path, Options{}); !rep.OK || rep.Head != 5 {
		t.Fatalf("after the second repair: %+v", rep)
	}
}

func TestAppendRefusesADamagedLog(t *testing.T) {
	ctx := context.Background()
	for name, damage := range map[string]func(path string){
		"truncated": func(path string) {
			b, _ := os.ReadFile(path)
			lines := strings.SplitAfter(string(b), "\n")
			os.WriteFile(path, []byte(strings.Join(lines[:5], "")), 0o600)
		},
		"head deleted": func(path string) { os.Remove(path + HeadSuffix) },
		"log deleted":  func(path string) { os.Remove(path) },
		"last line damaged": func(path string) {
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString("garbage\n")
			f.Close()
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			l := openLog(t, path, Options{})
			fill(t, l, 10)
			damage(path)
			// Both this handle (which sees the file change) and a new one refuse.
			_, err := l.Append(ctx, Record{Kind: "syscall"})
			if llmos.ErrorCode(err) != llmos.CodeConflict {
				t.Errorf("old handle: %v", err)
			}
			l2 := openLog(t, path, Options{})
			if llmos.ErrorCode(l2.Err()) != llmos.CodeConflict {
				t.Errorf("Err: %v", l2.Err())
			}
			if _, err := l2.Append(ctx, Record{Kind: "syscall"}); llmos.ErrorCode(err) != llmos.CodeConflict || !strings.Contains(err.Error(), "verify") {
				t.Errorf("new handle: %v", err)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	key := Options{Sealer: newTestSealer("right")}
	fill(t, openLog(t, path, key), 3)

	wrong := Options{Sealer: newTestSealer("wrong")}
	l := openLog(t, path, wrong)
	if l.Err() == nil {
		t.Error("a wrong key is not noticed at Open")
	}
	if _, err := l.Tail(ctx, 1); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
		t.Errorf("Tail with a wrong key: %v", err)
	}
	nokey := openLog(t, path, Options{ReadOnly: true})
	if err := nokey.Read(ctx, 0, func(Record) error { return nil }); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
		t.Errorf("Read without a key: %v", err)
	}
	rep, err := Verify(ctx, path, wrong)
	if err != nil || rep.OK || rep.Problems[0].Kind != Undecryptable || rep.Problems[0].Count != 3 {
		t.Errorf("verify with a wrong key: %v %+v", err, rep)
	}
	// Without a key the chain still verifies.
	if rep, err := Verify(ctx, path, Options{}); err != nil || !rep.OK {
		t.Errorf("verify without a key: %v %+v", err, rep)
	}
}

// TestCanary proves that with a Sealer no file of the log holds a record's
// text in any encoding.
func TestCanary(t *testing.T) {
	const canary = "CANARY-7f3a9c-the-owl-flies-at-dawn"
	dir := t.TempDir()
	l := openLog(t, filepath.Join(dir, FileName), Options{Sealer: newTestSealer("a")})
	ctx := context.Background()
	data, _ := json.Marshal(map[string]string{"memory": canary})
	for _, r := range []Record{
		{Kind: "syscall", Tool: "memory_insert", Reason: canary, Data: data},
		{Kind: "verdict", Namespace: canary, Action: "redact"},
	} {
		if _, err := l.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if files, err := leaktest.Files(dir); err != nil || len(files) < 2 {
		t.Fatalf("only %v were searched: %v", files, err)
	}
	leaktest.AssertAbsent(t, dir, canary)
	// It is there, for whoever holds the key.
	if rep, err := Verify(ctx, filepath.Join(dir, FileName), Options{Sealer: newTestSealer("a")}); err != nil || !rep.OK {
		t.Fatalf("%v %+v", err, rep)
	}
}
