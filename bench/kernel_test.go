package bench

import (
	"context"
	"testing"
)

func TestKernelOverheadWithMonitor(t *testing.T) {
	r, err := KernelOverhead(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *r)
	if r.Steps != 20 || r.KernelMSPerStep <= 0 || r.MonitorMSPerStep <= 0 {
		t.Errorf("%+v", *r)
	}
}
