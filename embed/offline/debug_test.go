package offline

import (
	"os"
	"strings"
	"testing"
)

// TestDebugQuery shows the dense ranking of the planted fact whose question
// contains $DEBUG_Q. A tuning aid; skipped unless DEBUG_Q is set.
func TestDebugQuery(t *testing.T) {
	sub := os.Getenv("DEBUG_Q")
	if sub == "" {
		t.Skip("set DEBUG_Q to a part of a question")
	}
	msgs, plants := history(1)
	e := New(DefaultDim)
	for _, p := range plants {
		if !strings.Contains(p.question, sub) {
			continue
		}
		q := e.Vector(p.question)
		scores := make([]float64, len(msgs))
		for i, m := range msgs {
			v := e.Vector(m.text)
			var dot float32
			for j := range v {
				dot += v[j] * q[j]
			}
			scores[i] = float64(dot)
		}
		r := ranking(scores, len(scores))
		t.Logf("Q: %s", p.question)
		t.Logf("fact at rank %d score %.3f: %s", rankOf(r, p.doc), scores[p.doc], msgs[p.doc].text)
		for _, d := range r[:5] {
			t.Logf("  %.3f %s", scores[d], msgs[d].text)
		}
		return
	}
}
