package calc

import (
	"bufio"
	"fmt"
	"os"
	"testing"
	"time"
)

func TestZZDebug(t *testing.T) {
	f, err := os.Open(os.Getenv("CALC_IN"))
	if err != nil {
		t.Skip()
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		start := time.Now()
		r, err := Eval(sc.Text())
		if len(r) > 120 {
			r = r[:60] + fmt.Sprintf("...(%d chars)...", len(r)) + r[len(r)-40:]
		}
		in := sc.Text()
		if len(in) > 40 {
			in = in[:40] + "..."
		}
		fmt.Printf("%-30s => %s  err=%v  [%v]\n", in, r, err, time.Since(start).Round(time.Microsecond))
	}
}
