package audit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// TestConcurrentAppends has goroutines with their own *Log and two other
// processes append to one file at once: the chain must stay one line.
func TestConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	opts := Options{Sealer: newTestSealer("a")}
	const goroutines, each, procs, perProc = 6, 20, 2, 20

	var cmds []*exec.Cmd
	var outs []*syncBuffer
	for i := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAppender$")
		cmd.Env = append(os.Environ(), "AUDIT_HELPER_LOG="+path, "AUDIT_HELPER_N="+strconv.Itoa(perProc), "AUDIT_HELPER_ID="+strconv.Itoa(i))
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	var wg sync.WaitGroup
	seqs := make(chan int64, goroutines*each)
	for g := range goroutines {
		wg.Go(func() {
			l, err := Open(path, opts)
			if err != nil {
				t.Error(err)
				return
			}
			defer l.Close()
			for i := range each {
				r, err := l.Append(ctx, Record{Kind: "syscall", PID: int64(g + 1), Reason: fmt.Sprintf("g%d-%d", g, i)})
				if err != nil {
					t.Error(err)
					return
				}
				seqs <- r.Seq
			}
		})
	}
	wg.Wait()
	close(seqs)
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper process %d: %v\n%s", i, err, outs[i].String())
		}
	}
	seen := map[int64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Fatalf("seq %d was given twice", s)
		}
		seen[s] = true
	}

	total := goroutines*each + procs*perProc
	rep, err := Verify(ctx, path, opts)
	if err != nil || !rep.OK || rep.Records != total || rep.Head != int64(total) {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	l := openLog(t, path, Options{Sealer: opts.Sealer, ReadOnly: true})
	want := int64(1)
	err = l.Read(ctx, 0, func(r Record) error {
		if r.Seq != want {
			return fmt.Errorf("seq %d where %d was expected", r.Seq, want)
		}
		want++
		return nil
	})
	if err != nil || want != int64(total+1) {
		t.Fatalf("seqs are not 1..%d: %v (next %d)", total, err, want)
	}
}

// TestHelperAppender is the other process of TestConcurrentAppends.
func TestHelperAppender(t *testing.T) {
	path := os.Getenv("AUDIT_HELPER_LOG")
	if path == "" {
		t.Skip("a helper process of TestConcurrentAppends")
	}
	n, _ := strconv.Atoi(os.Getenv("AUDIT_HELPER_N"))
	l, err := Open(path, Options{Sealer: newTestSealer("a")})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := range n {
		if _, err := l.Append(context.Background(), Record{Kind: "syscall", Reason: fmt.Sprintf("p%s-%d", os.Getenv("AUDIT_HELPER_ID"), i)}); err != nil {
			t.Fatal(err)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}
