package calc

import (
	"context"
	"math"
	"math/big"

	"github.com/cockroachdb/apd/v3"
	"github.com/llmos/llmos"
)

// Digits is the number of significant digits shown for a result that is not
// an exact terminating decimal: an irrational number or a repeating fraction.
const Digits = 34

const (
	// maxAdj bounds every value: a nonzero value v must have
	// 10^-maxAdj <= |v| < 10^maxAdj, so an integer has at most maxAdj digits.
	maxAdj = 10000
	// maxDigits is the most digits printed for an exact result.
	maxDigits = 10000
	// maxRatBits bounds the numerator and the denominator of an exact value;
	// a result that would be larger is computed approximately instead.
	maxRatBits = 34000
	// baseWP is the working precision, in significant digits, of the first
	// evaluation; maxWP is the most it is raised to when digits were lost.
	baseWP = 50
	maxWP  = 300
	// wantSig is how many correct digits a result needs before it is shown
	// without a retry at a higher precision: Digits plus a guard.
	wantSig = Digits + 2
	// zeroBelow: a result that lost every digit prints as 0 only if it is
	// known to be within 10^zeroBelow of zero.
	zeroBelow = -30

	log2of10 = 3.321928094887362
	log10of2 = 0.3010299956639812
)

// value is a number during evaluation: exact (a rational, q) or approximate
// (a decimal, d, known to within 10^lerr of the true value).
type value struct {
	q    *big.Rat
	d    *apd.Decimal
	lerr float64
}

func exact(q *big.Rat) value  { return value{q: q} }
func exactInt(n int64) value  { return value{q: big.NewRat(n, 1)} }
func (v value) isExact() bool { return v.d == nil }

// sign returns -1, 0 or 1.
func (v value) sign() int {
	if v.d == nil {
		return v.q.Sign()
	}
	return v.d.Sign()
}

// evaluator evaluates a syntax tree at one working precision.
type evaluator struct {
	ctx   context.Context
	wp    uint32
	final bool // wp is maxWP: no retry is possible
	c     *apd.Context
}

func newEvaluator(ctx context.Context, wp uint32) *evaluator {
	return &evaluator{ctx: ctx, wp: wp, final: wp >= maxWP, c: decContext(wp)}
}

// decContext returns a context rounding to prec digits, half to even.
func decContext(prec uint32) *apd.Context {
	c := apd.BaseContext.WithPrecision(prec)
	c.Rounding = apd.RoundHalfEven
	return c
}

// precisionError is an error that may vanish at a higher working precision,
// such as a divisor that is zero to the digits computed.
type precisionError struct{ err error }

func (p *precisionError) Error() string { return p.err.Error() }
func (p *precisionError) Unwrap() error { return p.err }

// imprecise returns err as a retryable precisionError, or err itself when
// the precision can no longer be raised.
func (e *evaluator) imprecise(err error) error {
	if e.final {
		return err
	}
	return &precisionError{err}
}

func tooLarge(pos int) error {
	return errAt(pos, "result too large (more than %d digits)", maxDigits)
}

func tooSmall(pos int) error {
	return errAt(pos, "result too small (below 1e-%d)", maxAdj)
}

// lgInt returns log10|x| for x != 0, from its top 64 bits.
func lgInt(x *big.Int) float64 {
	n := x.BitLen()
	if n == 0 {
		return math.Inf(-1)
	}
	if n <= 64 {
		return math.Log10(float64(new(big.Int).Abs(x).Uint64()))
	}
	top := new(big.Int).Rsh(new(big.Int).Abs(x), uint(n-64))
	return math.Log10(float64(top.Uint64())) + float64(n-64)*log10of2
}

// lgRat returns log10|q|, -Inf for zero.
func lgRat(q *big.Rat) float64 {
	if q.Sign() == 0 {
		return math.Inf(-1)
	}
	return lgInt(q.Num()) - lgInt(q.Denom())
}

// adj returns the adjusted exponent of a nonzero d: the power of ten of its
// leading digit.
func adj(d *apd.Decimal) int64 {
	return d.NumDigits() + int64(d.Exponent) - 1
}

// lgDec returns log10|d|, -Inf for zero.
func lgDec(d *apd.Decimal) float64 {
	if d.IsZero() {
		return math.Inf(-1)
	}
	s := d.Coeff.String()
	if len(s) > 17 {
		s = s[:17]
	}
	var m float64
	for _, c := range s {
		m = m*10 + float64(c-'0')
	}
	return math.Log10(m) - float64(len(s)-1) + float64(adj(d))
}

// addErr returns log10(10^a + 10^b).
func addErr(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log10(1+math.Pow(10, b-a))
}

// ulp is log10 of one unit in the last place of d rounded to prec digits.
func ulp(d *apd.Decimal, prec uint32) float64 {
	if d.IsZero() {
		return math.Inf(-1)
	}
	return float64(adj(d)) - float64(prec) + 1
}

// rounded adds to lerr the rounding error of an operation that gave d with
// condition cond.
func (e *evaluator) rounded(d *apd.Decimal, cond apd.Condition, lerr float64) float64 {
	if cond.Inexact() {
		return addErr(lerr, ulp(d, e.wp))
	}
	return lerr
}

// decAt returns v as a decimal of at most prec digits and its error.
func decAt(v value, prec uint32) (*apd.Decimal, float64) {
	if v.d != nil {
		return v.d, v.lerr
	}
	num := new(apd.Decimal)
	num.Coeff.SetMathBigInt(new(big.Int).Abs(v.q.Num()))
	num.Negative = v.q.Sign() < 0
	c := decContext(prec)
	d := new(apd.Decimal)
	var cond apd.Condition
	if v.q.IsInt() {
		cond, _ = c.Round(d, num)
	} else {
		den := new(apd.Decimal)
		den.Coeff.SetMathBigInt(v.q.Denom())
		cond, _ = c.Quo(d, num, den)
	}
	if cond.Inexact() {
		return d, ulp(d, prec)
	}
	return d, math.Inf(-1)
}

// dec returns v as a decimal at the working precision.
func (e *evaluator) dec(v value) (*apd.Decimal, float64) { return decAt(v, e.wp) }

// approx makes an approximate value from an operation's result, zeroing a
// value that is no larger than its error and checking the range.
func (e *evaluator) approx(d *apd.Decimal, cond apd.Condition, lerr float64, pos int) (value, error) {
	lerr = e.rounded(d, cond, lerr)
	if !d.IsZero() && lgDec(d) <= lerr {
		d = new(apd.Decimal)
	}
	if !d.IsZero() {
		a := adj(d)
		if a >= maxAdj {
			return value{}, tooLarge(pos)
		}
		if a < -maxAdj {
			return value{}, tooSmall(pos)
		}
	}
	return value{d: d, lerr: lerr}, nil
}

// exactOr returns the exact q when it is small enough, the same number as a
// decimal when its numerator or denominator grew too long, and an error
// when it is out of range.
func (e *evaluator) exactOr(q *big.Rat, pos int) (value, error) {
	if q.Sign() != 0 {
		lg := lgRat(q)
		if lg >= maxAdj {
			return value{}, tooLarge(pos)
		}
		if lg < -maxAdj {
			return value{}, tooSmall(pos)
		}
	}
	if q.Num().BitLen() > maxRatBits || q.Denom().BitLen() > maxRatBits {
		d, lerr := e.dec(exact(q))
		return value{d: d, lerr: lerr}, nil
	}
	return exact(q), nil
}

// sig returns how many significant digits of v are correct.
func (v value) sig() float64 {
	if v.d == nil || math.IsInf(v.lerr, -1) {
		return math.Inf(1)
	}
	return lgDec(v.d) - v.lerr
}

// decToInt returns the integer value of an integral decimal.
func decToInt(d *apd.Decimal) *big.Int {
	n := d.Coeff.MathBigInt()
	if d.Exponent > 0 {
		n.Mul(n, pow10(int(d.Exponent)))
	} else if d.Exponent < 0 {
		n.Quo(n, pow10(int(-d.Exponent)))
	}
	if d.Negative {
		n.Neg(n)
	}
	return n
}

// checkCtx returns the context's error, if any.
func (e *evaluator) checkCtx() error { return e.ctx.Err() }

// invalid is shorthand for an invalid-input error without a position.
func invalid(format string, args ...any) error {
	return llmos.Errorf(llmos.CodeInvalid, format, args...)
}
