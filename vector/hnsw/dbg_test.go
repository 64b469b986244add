package hnsw

import (
	"os"
	"strconv"
	"testing"
	"runtime"
	"syscall"
	"time"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestDbgAB(t *testing.T) {
	if os.Getenv("AB") == "" {
		t.Skip()
	}
	n, _ := strconv.Atoi(os.Getenv("AB"))
	data := clustered(10, n+1000, 128)
	for _, quant := range []bool{false, true} {
		g := build(t, Config{Dim: 128, Quantize: quant}, data[:n], 2)
		qs := data[n:]
		best := map[bool]time.Duration{}
		runtime.LockOSThread()
		for round := 0; round < 6; round++ {
			for _, tt := range []bool{false, true} {
				t0 := cpuNow()
				for _, q := range qs {
					g.Search(q, 10, 64, nil)
				}
				el := (cpuNow() - t0) / time.Duration(len(qs))
				if best[tt] == 0 || el < best[tt] {
					best[tt] = el
				}
			}
		}
		t.Logf("quant=%v n=%d: plain %v, touch %v", quant, n, best[false], best[true])
	}
}
