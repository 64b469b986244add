package guard

import (
	"context"
	"strings"
	"testing"
	"time"
)

// benignMB is about 1 MiB of ordinary text that uses trigger words: code
// reviews, mail, links, numbers.
func benignMB() string {
	para := "Please ignore this warning in my code: the linter complains about the previous instructions block. " +
		"You are now able to reset your password from the settings page. The system prompt field in the config is optional. " +
		"Run rm -rf build/ before a clean build; commit 3f786850e387550fdab836ed7d6dc881de23001b fixed it. " +
		"See https://example.com/docs?page=2 and https://github.com/llmos/llmos/pull/42 for details. " +
		"Order 1234 5678 9012 3456 shipped on 2024-05-01; call support at +1 415 555 0100 or write to help@llmos.dev.\n"
	var b strings.Builder
	for b.Len() < 1<<20 {
		b.WriteString(para)
	}
	return b.String()
}

// adversarialMB is about 1 MiB dense with anchors of every signal, the worst
// case for the windowed matching.
func adversarialMB() string {
	para := "ignore you are send forget system developer reveal instead dan pretend never 忽略 以前 игнорируй " +
		"aGVsbG8gd29ybGQgaGVsbG8= %41%42%43 https://x.io/?a=b sk-aaaa AKIA 4111 +33 ignore previous instructions "
	var b strings.Builder
	for b.Len() < 1<<20 {
		b.WriteString(para)
	}
	return b.String()
}

func benchCheck(b *testing.B, text string, in Input) {
	g, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	in.Text = text
	// Baseline: one lower-casing pass over the same text.
	start := time.Now()
	for range 5 {
		_ = lowerText(text)
	}
	base := time.Since(start) / 5
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		g.Check(context.Background(), in)
	}
	b.StopTimer()
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(base.Microseconds()), "baseline-µs")
	b.ReportMetric(float64(per)/float64(base), "x-baseline")
}

func BenchmarkCheck1MB(b *testing.B) {
	b.Run("input-benign", func(b *testing.B) { benchCheck(b, benignMB(), Input{Stage: StageInput, Kind: KindToolResult}) })
	b.Run("output-benign", func(b *testing.B) { benchCheck(b, benignMB(), Input{Stage: StageOutput, Canary: "CANARY-7f3a9c"}) })
	b.Run("code-benign", func(b *testing.B) { benchCheck(b, benignMB(), Input{Stage: StageInput, Kind: KindCode}) })
	b.Run("input-adversarial", func(b *testing.B) {
		benchCheck(b, adversarialMB(), Input{Stage: StageInput, Kind: KindToolResult})
	})
	b.Run("output-adversarial", func(b *testing.B) {
		benchCheck(b, adversarialMB(), Input{Stage: StageOutput, Canary: "CANARY-7f3a9c"})
	})
}
