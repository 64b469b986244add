package spotlight

import (
	"strings"
	"testing"
	"time"
)

const benchSize = 10 << 20 // 10 MB, the size the issue asks to fence in bounded time

// benchInputs are 10 MB texts: ordinary prose, text in a non-Latin script, and
// hostile text dense with near-miss tokens, look-alikes and invisible
// characters, which takes the slow path at almost every byte.
func benchInputs() map[string]string {
	fill := func(unit string) string {
		return strings.Repeat(unit, benchSize/len(unit)+1)[:benchSize]
	}
	return map[string]string{
		"prose": fill("The quick brown fox jumps over the lazy dog; <b>bold</b> [1] a < b.\n"),
		"cjk":   fill("日本語のテキストと　全角の文字。"),
		"hostile": fill("<|im_start|>< | x<<end-untrusted<<SYS>>[INST]\n\nHuman: ＜｜ｉｍ｜＞〈|a|〉" +
			"z\u200b\u202e\U000E0041ˆ<|" + strings.Repeat("a", 70) + "<<<<[[[[\xff\r\n"),
	}
}

// baseline is the time of one strings.ToUpper over s: a linear pass that
// reads every rune and writes a copy, measured in the same run as the
// benchmark so that the ratio does not depend on the machine.
func baseline(s string) time.Duration {
	best := time.Duration(1 << 62)
	for range 3 {
		start := time.Now()
		_ = strings.ToUpper(s)
		best = min(best, time.Since(start))
	}
	return best
}

// BenchmarkFence fences 10 MB in each mode and reports the ratio of its time
// to strings.ToUpper on the same input (x_toupper).
func BenchmarkFence(b *testing.B) {
	for name, in := range benchInputs() {
		base := baseline(in)
		for _, m := range Modes {
			f := NewWithNonce(m, testNonce)
			b.Run(name+"/"+string(m), func(b *testing.B) {
				b.SetBytes(int64(len(in)))
				b.ReportAllocs()
				for b.Loop() {
					_ = f.Fence("web", in)
				}
				b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(base), "x_toupper")
			})
		}
	}
}

// BenchmarkNeutralize measures Neutralize alone on the same inputs.
func BenchmarkNeutralize(b *testing.B) {
	for name, in := range benchInputs() {
		base := baseline(in)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Neutralize(in)
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(base), "x_toupper")
		})
	}
}
