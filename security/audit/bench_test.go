package audit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkAppend measures one durable append, and reports it as a ratio to
// the baseline measured in the same run: writing a line of the same size to
// a file and fdatasync'ing it, the least any durable log can do.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	rec := Record{Kind: "syscall", PID: 7, Namespace: "alice", Tool: "web_fetch", Action: "allow",
		Reason: "labels allow it", Data: json.RawMessage(`{"args":{"url":"https://example.com/a/b?c=d"},"labels":["user"]}`)}
	for _, c := range []struct {
		name   string
		sealer Sealer
	}{{"plain", nil}, {"sealed", newTestSealer("a")}} {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			l, err := Open(filepath.Join(dir, FileName), Options{Sealer: c.sealer})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			r, err := l.Append(ctx, rec)
			if err != nil {
				b.Fatal(err)
			}
			line, _ := json.Marshal(r)
			base := baseline(b, filepath.Join(dir, "baseline"), len(line)+64)
			b.ResetTimer()
			for b.Loop() {
				if _, err := l.Append(ctx, rec); err != nil {
					b.Fatal(err)
				}
			}
			per := b.Elapsed() / time.Duration(b.N)
			b.StopTimer()
			// Disks are noisy: the baseline is the mean of one run before
			// the loop and one after.
			base = (base + baseline(b, filepath.Join(dir, "baseline"), len(line)+64)) / 2
			b.ReportMetric(float64(per)/float64(base), "x_baseline")
			b.Logf("append %v, baseline (write+fdatasync) %v", per, base)
		})
	}
}

// baseline is the time to append n bytes to a file and fdatasync it.
func baseline(b *testing.B, path string, n int) time.Duration {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	line := make([]byte, n)
	const runs = 200
	start := time.Now()
	for range runs {
		f.Write(line)
		syncData(f)
	}
	return time.Since(start) / runs
}
