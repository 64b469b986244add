package bench

import (
	"context"
	"testing"
)

func TestGuardBench(t *testing.T) {
	r, err := Guard(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *r)
	if r.Cases < 300 || r.InjectionCases < 50 {
		t.Fatalf("too few cases: %+v", r)
	}
	if r.InjectionRecall <= r.BaselineInjectionRecall || r.FalsePositiveRate > 0.03 || r.Recall < 0.95 {
		t.Errorf("the guard against the keyword baseline: %+v", r)
	}
}
