package calc

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/llmos/llmos"
)

// MaxTime bounds the time spent evaluating one expression.
const MaxTime = 5 * time.Second

// Eval evaluates expr exactly and returns its value as text.
//
// Integers and terminating decimals are exact and printed in full (up to
// 10,000 digits); other results are rounded to Digits significant digits,
// with trailing zeros removed. Errors are *llmos.Error with code invalid and
// a message that names the problem and its 1-based position.
func Eval(expr string) (string, error) {
	return evaluate(context.Background(), expr)
}

// evaluate is Eval, stopping early when ctx is cancelled.
func evaluate(ctx context.Context, expr string) (string, error) {
	if len(expr) > MaxLength {
		return "", llmos.Errorf(llmos.CodeInvalid, "expression too long (%d bytes; the limit is %d)", len(expr), MaxLength)
	}
	if !utf8.ValidString(expr) {
		return "", llmos.Errorf(llmos.CodeInvalid, "expression is not valid UTF-8")
	}
	tree, err := parse([]rune(expr))
	if err != nil {
		return "", err
	}
	budget, cancel := context.WithTimeout(ctx, MaxTime)
	defer cancel()
	wp := uint32(baseWP)
	for {
		e := newEvaluator(budget, wp)
		v, err := e.eval(tree)
		if err != nil && ctx.Err() == nil && budget.Err() != nil {
			return "", llmos.Errorf(llmos.CodeInvalid, "expression too expensive: not evaluated within %v", MaxTime)
		}
		var pe *precisionError
		if errors.As(err, &pe) {
			if wp < maxWP {
				wp = maxWP
				continue
			}
			err = pe.err
		}
		if err != nil {
			return "", err
		}
		if !v.isExact() && !e.final {
			if v.d.IsZero() {
				// Zero may hide a tiny result: look again at twice the
				// digits, then at the most if it is still not surely zero.
				if wp < 2*baseWP {
					wp = 2 * baseWP
					continue
				}
				if v.lerr > zeroBelow-10 {
					wp = maxWP
					continue
				}
			} else if s := v.sig(); s < wantSig {
				next := math.Max(float64(wp)+wantSig-s+10, float64(2*wp))
				wp = uint32(math.Min(next, maxWP))
				continue
			}
		}
		return format(v)
	}
}

// format renders a value.
func format(v value) (string, error) {
	if v.isExact() {
		return formatRat(v.q), nil
	}
	digits := Digits
	if s := v.sig(); s < float64(Digits)+1 {
		digits = int(math.Floor(s)) - 1
	}
	if v.d.IsZero() || digits < 1 {
		if v.lerr <= zeroBelow {
			return "0", nil
		}
		return "", invalid("the result cannot be computed reliably: too many digits were lost (it may be undefined, or too sensitive to rounding)")
	}
	d := new(apd.Decimal)
	decContext(uint32(digits)).Round(d, v.d)
	return formatDec(d, digits), nil
}

// formatDec renders a decimal: plainly when its size is moderate, in
// scientific notation (1.5e-20, 2.7e+43) otherwise. A decimal rounded to
// sig significant digits (sig 0: exact) is written plainly only if no zero
// beyond those digits would have to be written before the decimal point.
func formatDec(d *apd.Decimal, sig int) string {
	coeff := d.Coeff.String()
	exp := int64(d.Exponent)
	trimmed := strings.TrimRight(coeff, "0")
	exp += int64(len(coeff) - len(trimmed))
	coeff = trimmed
	if coeff == "" {
		return "0"
	}
	sign := ""
	if d.Negative {
		sign = "-"
	}
	a := int64(len(coeff)) - 1 + exp
	plain := a >= -10 && (sig == 0 || a < int64(sig))
	if !plain {
		s := coeff[:1]
		if len(coeff) > 1 {
			s += "." + coeff[1:]
		}
		if a >= 0 {
			return sign + s + "e+" + itoa(a)
		}
		return sign + s + "e" + itoa(a)
	}
	switch {
	case exp >= 0:
		return sign + coeff + strings.Repeat("0", int(exp))
	case a >= 0:
		return sign + coeff[:a+1] + "." + coeff[a+1:]
	default:
		return sign + "0." + strings.Repeat("0", int(-a-1)) + coeff
	}
}

func itoa(n int64) string { return big.NewInt(n).String() }

// formatRat renders an exact rational: integers and terminating decimals in
// full, other fractions rounded to Digits significant digits.
func formatRat(q *big.Rat) string {
	if q.IsInt() {
		return q.Num().String()
	}
	num := new(big.Int).Abs(q.Num())
	den := q.Denom()
	// den = 2^a·5^b means q terminates after max(a, b) decimal places.
	a := den.TrailingZeroBits()
	rest := new(big.Int).Rsh(den, a)
	b, ok := powerOf5(rest)
	if ok {
		k := max(a, b)
		coeff := new(big.Int).Mul(num, new(big.Int).Lsh(big.NewInt(1), k-a))
		coeff.Mul(coeff, new(big.Int).Exp(big.NewInt(5), big.NewInt(int64(k-b)), nil))
		if float64(coeff.BitLen()) <= maxDigits*log2of10 {
			d := new(apd.Decimal)
			d.Coeff.SetMathBigInt(coeff)
			d.Exponent = -int32(k)
			d.Negative = q.Sign() < 0
			return formatDec(d, 0)
		}
	}
	d, _ := decAt(exact(q), Digits)
	return formatDec(d, Digits)
}

// powerOf5 returns b when n = 5^b.
func powerOf5(n *big.Int) (uint, bool) {
	if n.Cmp(big.NewInt(1)) == 0 {
		return 0, true
	}
	if n.Bit(0) == 0 {
		return 0, false
	}
	guess := math.Round(lgInt(n) / math.Log10(5))
	for _, g := range []float64{guess - 1, guess, guess + 1} {
		if g < 1 {
			continue
		}
		if new(big.Int).Exp(big.NewInt(5), big.NewInt(int64(g)), nil).Cmp(n) == 0 {
			return uint(g), true
		}
	}
	return 0, false
}

// description tells a model what the tool does and how to write for it.
const description = `Exact calculator. Evaluates one arithmetic expression and returns its value as text. ` +
	`Integers and terminating decimals are exact, printed in full (2^200 gives all 61 digits; 1/8 gives 0.125); ` +
	`repeating fractions and irrational results are rounded to 34 significant digits (1/3 gives 0.3333333333333333333333333333333333). ` +
	`Operators: + - * / (also × ÷, and x between numbers), ^ or ** for powers (right associative; -2^2 = -4), ` +
	`mod (remainder with the sign of the divisor), parentheses, postfix % (percent: 50% = 0.5, 20% of 50 = 10; ` +
	`50 + 10% is 50.1, so write 50 * 110% for an increase), postfix ! (factorial), postfix deg or ° (degrees to radians). ` +
	`Numbers: 42, 1.5, .5, 1e6, 2.5e-3, 1,234,567 (commas only between groups of three digits) or 1_000_000. ` +
	`Functions: sqrt cbrt abs exp ln log (base 10, or log(x, base)) log2 log10 sin cos tan asin acos atan (radians) ` +
	`floor ceil trunc round (round(x, places)) min max gcd lcm factorial. Constants: pi, e, tau. ` +
	`No variables and no implicit multiplication: write 2*pi, not 2pi. Results are limited to about 10,000 digits.`

// schema is the JSON Schema of the tool's arguments.
const schema = `{"type":"object","properties":{"expression":{"type":"string","description":"The expression to evaluate, such as (1+2)*3^4 or sqrt(2)/2.","maxLength":10000}},"required":["expression"],"additionalProperties":false}`

// Tool returns the calculator as an llmos.Tool named "calc". It needs no
// capabilities: it reads nothing and changes nothing. Its result is computed
// from its arguments alone, so it is labelled as the system's: the monitor
// adds the label of the arguments.
func Tool() llmos.Tool {
	return llmos.Tool{
		ToolDef: llmos.ToolDef{
			Name:        "calc",
			Description: description,
			Parameters:  json.RawMessage(schema),
		},
		Source: llmos.SourceSystem,
		Call:   call,
	}
}

func call(ctx context.Context, args json.RawMessage) (string, error) {
	var a struct {
		Expression string `json:"expression"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return "", llmos.Wrap(err, llmos.CodeInvalid, `calc expects {"expression": "..."}`)
	}
	return evaluate(ctx, a.Expression)
}
