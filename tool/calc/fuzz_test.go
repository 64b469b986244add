package calc

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/llmos/llmos"
)

// FuzzEval checks that no input panics, that every failure is an invalid
// input error, that every input within the length limit is answered in
// bounded time, and that a plain result reads back as itself.
func FuzzEval(f *testing.F) {
	for _, s := range []string{
		"1+2*3", "-2^2", "2^-2", "8^(1/3)", "(-8)^(1/3)", "50% of 20", "7 mod -3",
		"sqrt(2)^2-2", "sin(pi)", "tan(pi/2)", "log(8, 2)", "1,234,567.89", "1_000",
		"3 × 4 ÷ 2", "3x4", "√2", "2³", "10!", "round(pi, 3)", "max(1,234)",
		"exp(1e4)", "2^33000", "1e-9999", "(1+1e-50)^(10^40)", "1/(sqrt(2)^2-2)",
		"asin(1)", "acos(sin(pi/2))", "gcd(12,18)", "lcm(3^100, 2^100)", "1/3",
		"floor(ln(e^5))", "sin(30°)", "cos(60 deg)", "atan(1e50)", "2pi", "50 % 3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		start := time.Now()
		watchdog := time.AfterFunc(MaxTime+10*time.Second, func() { panic("hang: " + strconv.Quote(expr)) })
		defer watchdog.Stop()
		got, err := Eval(expr)
		if d := time.Since(start); len(expr) <= MaxLength && d > MaxTime+5*time.Second {
			t.Fatalf("Eval(%q) took %v", expr, d)
		}
		if err != nil {
			var e *llmos.Error
			if !errors.As(err, &e) || e.Code != llmos.CodeInvalid {
				t.Fatalf("Eval(%q): error %v is not an invalid-input *llmos.Error", expr, err)
			}
			if !utf8.ValidString(err.Error()) && utf8.ValidString(expr) {
				t.Fatalf("Eval(%q): message is not UTF-8", expr)
			}
			return
		}
		if got == "" {
			t.Fatalf("Eval(%q) returned nothing", expr)
		}
		if len(got) >= MaxLength || strings.Contains(got, "e") {
			return
		}
		again, err := Eval(got)
		if err != nil || again != got {
			t.Fatalf("Eval(%q) = %s, but Eval(%s) = %s, %v", expr, got, got, again, err)
		}
	})
}
