package bench

import (
	"context"
	"testing"
)

// TestRecallSmall runs a small recall benchmark end to end; the figures are
// checked for range only, since targets belong to the full benchmark.
func TestRecallSmall(t *testing.T) {
	res, err := Recall(context.Background(), RecallOptions{Messages: 800, Facts: 40, EndToEnd: 5})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{"recall": res.Recall5, "bm25": res.Recall5Words, "dense": res.Recall5Vectors, "e2e": res.EndToEnd} {
		if v < 0 || v > 1 {
			t.Errorf("%s = %v, out of [0, 1]", name, v)
		}
	}
	if res.Recall5 < 0.5 {
		t.Errorf("recall@5 %.2f on a small history: paging is broken", res.Recall5)
	}
}
