package calc

import (
	"math"
	"math/big"

	"github.com/cockroachdb/apd/v3"
)

// pow returns x^y. A rational power of an exact number is exact when the
// root is (8^(1/3) = 2); an odd root of a negative number is real
// ((-8)^(1/3) = -2); 0^0 is 1.
func (e *evaluator) pow(x, y value, pos int) (value, error) {
	if y.isExact() {
		if y.q.IsInt() {
			if x.isExact() {
				return e.powRatInt(x.q, y.q.Num(), pos)
			}
			return e.powDecInt(x, y.q.Num(), pos)
		}
		return e.powRatFrac(x, y.q, pos)
	}
	switch x.sign() {
	case -1:
		return value{}, errAt(pos, "a negative number to a power that is not an exact fraction has no real value")
	case 0:
		if y.sign() > 0 {
			return exactInt(0), nil
		}
		return value{}, e.imprecise(errAt(pos, "zero to a power that is not positive"))
	}
	return e.powGeneral(x, y, pos)
}

// outOfRange checks that |x|^n, with s the sign of log|x| and lt the log10
// of |log10|x||, stays within range; ln is log10|n| and ns the sign of n.
func outOfRange(s int, lt float64, ns int, ln float64, pos int) error {
	if s == 0 || ns == 0 {
		return nil
	}
	if lt+ln >= math.Log10(maxAdj) {
		if s*ns > 0 {
			return tooLarge(pos)
		}
		return tooSmall(pos)
	}
	return nil
}

// logLogRat returns the sign of log|q| and log10|log10|q|| for q != 0,
// accurate also when |q| is close to 1.
func logLogRat(q *big.Rat) (int, float64) {
	num := new(big.Int).Abs(q.Num())
	den := q.Denom()
	diff := new(big.Int).Sub(num, den)
	if diff.Sign() == 0 {
		return 0, 0
	}
	t := lgInt(diff) - lgInt(den)
	if t < -3 {
		return diff.Sign(), t - math.Log10(math.Ln10)
	}
	lg := lgInt(num) - lgInt(den)
	if lg == 0 {
		return 0, 0
	}
	s := 1
	if lg < 0 {
		s = -1
	}
	return s, math.Log10(math.Abs(lg))
}

// logLogDec is logLogRat for a decimal.
func (e *evaluator) logLogDec(d *apd.Decimal) (int, float64) {
	a := new(apd.Decimal).Abs(d)
	t := new(apd.Decimal)
	if _, err := e.c.Sub(t, a, apd.New(1, 0)); err != nil || t.IsZero() {
		return 0, 0
	}
	lt := lgDec(t)
	if lt < -3 {
		return t.Sign(), lt - math.Log10(math.Ln10)
	}
	lg := lgDec(a)
	if lg == 0 {
		return 0, 0
	}
	s := 1
	if lg < 0 {
		s = -1
	}
	return s, math.Log10(math.Abs(lg))
}

// powRatInt returns q^n exactly when it fits, approximately otherwise.
func (e *evaluator) powRatInt(q *big.Rat, n *big.Int, pos int) (value, error) {
	switch {
	case n.Sign() == 0:
		return exactInt(1), nil
	case q.Sign() == 0:
		if n.Sign() < 0 {
			return value{}, errAt(pos, "division by zero (zero to a negative power)")
		}
		return exactInt(0), nil
	}
	s, lt := logLogRat(q)
	if s == 0 { // |q| == 1
		if q.Sign() < 0 && n.Bit(0) == 1 {
			return exactInt(-1), nil
		}
		return exactInt(1), nil
	}
	if err := outOfRange(s, lt, n.Sign(), lgInt(n), pos); err != nil {
		return value{}, err
	}
	// In range, so |n| < 10^maxAdj·ln(10)/|ln|q||: the bit sizes below are
	// products of modest numbers unless q is very close to 1.
	an := new(big.Int).Abs(n)
	nb := lgInt(q.Num()) * log2of10 * absFloat(an)
	db := lgInt(q.Denom()) * log2of10 * absFloat(an)
	if nb <= maxRatBits && db <= maxRatBits {
		num := new(big.Int).Exp(q.Num(), an, nil)
		den := new(big.Int).Exp(q.Denom(), an, nil)
		r := new(big.Rat)
		if n.Sign() > 0 {
			r.SetFrac(num, den)
		} else {
			r.SetFrac(den, num)
		}
		return e.exactOr(r, pos)
	}
	return e.powDecInt(exact(q), n, pos)
}

// absFloat returns |n| as a float64, +Inf when huge.
func absFloat(n *big.Int) float64 {
	f, _ := new(big.Float).SetInt(n).Float64()
	return math.Abs(f)
}

// powDecInt returns x^n for an integer n, approximately.
func (e *evaluator) powDecInt(x value, n *big.Int, pos int) (value, error) {
	if n.Sign() == 0 {
		return exactInt(1), nil
	}
	xd, ex := e.dec(x)
	if xd.IsZero() {
		if n.Sign() < 0 {
			return value{}, e.imprecise(errAt(pos, "division by zero (zero to a negative power)"))
		}
		// (0 ± 10^ex)^n is within 10^(n·ex) of zero.
		return value{d: new(apd.Decimal), lerr: ex * math.Min(absFloat(n), 1e9)}, nil
	}
	s, lt := e.logLogDec(xd)
	if err := outOfRange(s, lt, n.Sign(), lgInt(n), pos); err != nil {
		return value{}, err
	}
	// the relative error of x^n is |n| times that of x.
	rel := lgInt(n) + ex - lgDec(xd)
	if rel > -1 {
		return value{}, e.imprecise(errAt(pos, "too much precision lost in a power"))
	}
	y := new(apd.Decimal)
	y.Coeff.SetMathBigInt(new(big.Int).Abs(n))
	y.Negative = n.Sign() < 0
	if n.BitLen() > 32 {
		d, err := e.expLn(new(apd.Decimal).Abs(xd), y, pos)
		if err != nil {
			return value{}, err
		}
		if xd.Negative && n.Bit(0) == 1 {
			d.Negative = true
		}
		return e.approx(d, apd.Inexact, addErr(lgDec(d)+rel, ulp(d, e.wp)), pos)
	}
	d := new(apd.Decimal)
	cond, err := e.c.Pow(d, xd, y)
	if err != nil {
		return value{}, tooLarge(pos)
	}
	lerr := addErr(lgDec(d)+rel, ulp(d, e.wp)+math.Log10(float64(n.BitLen()+1)))
	return e.approx(d, cond, lerr, pos)
}

// expLn returns x^y = e^(y·ln x) for x > 0, to the working precision.
func (e *evaluator) expLn(x, y *apd.Decimal, pos int) (*apd.Decimal, error) {
	c := decContext(e.wp + 15)
	t := new(apd.Decimal)
	if _, err := c.Ln(t, x); err != nil {
		return nil, errAt(pos, "logarithm failed")
	}
	if _, err := c.Mul(t, t, y); err != nil {
		return nil, tooLarge(pos)
	}
	d, err := expDec(t, e.wp+6, pos)
	if err != nil {
		return nil, err
	}
	e.c.Round(d, d)
	return d, nil
}

// powRatFrac returns x^(p/r) for a fraction p/r in lowest terms, r > 1.
func (e *evaluator) powRatFrac(x value, y *big.Rat, pos int) (value, error) {
	p, r := y.Num(), y.Denom()
	odd := r.Bit(0) == 1
	switch x.sign() {
	case 0:
		if y.Sign() < 0 {
			if x.isExact() {
				return value{}, errAt(pos, "division by zero (zero to a negative power)")
			}
			return value{}, e.imprecise(errAt(pos, "division by zero (zero to a negative power)"))
		}
		if x.isExact() {
			return exactInt(0), nil
		}
		// (0 ± 10^ex)^y is within 10^(y·ex) of zero.
		yf, _ := y.Float64()
		return value{d: new(apd.Decimal), lerr: x.lerr * yf}, nil
	case -1:
		if !odd {
			return value{}, errAt(pos, "even root of a negative number")
		}
	}
	negate := x.sign() < 0 && p.Bit(0) == 1
	ax := abs(x)
	var res value
	var err error
	if root, ok := ratRoot(ax, r); ok {
		res, err = e.powRatInt(root, p, pos)
	} else {
		res, err = e.powGeneral(ax, exact(y), pos)
	}
	if err != nil {
		return value{}, err
	}
	if negate {
		res = neg(res)
	}
	return res, nil
}

// ratRoot returns the exact r-th root of an exact positive v, if it has one.
func ratRoot(v value, r *big.Int) (*big.Rat, bool) {
	if !v.isExact() || !r.IsInt64() {
		return nil, false
	}
	k := r.Int64()
	num, ok := intRoot(v.q.Num(), k)
	if !ok {
		return nil, false
	}
	den, ok := intRoot(v.q.Denom(), k)
	if !ok {
		return nil, false
	}
	return new(big.Rat).SetFrac(num, den), true
}

// intRoot returns the k-th root of n > 0 when n is a perfect k-th power.
func intRoot(n *big.Int, k int64) (*big.Int, bool) {
	if n.Cmp(big.NewInt(1)) == 0 {
		return big.NewInt(1), true
	}
	bl := int64(n.BitLen())
	if k >= bl {
		return nil, false
	}
	kk := big.NewInt(k)
	l2 := lgInt(n) * log2of10 / float64(k) // log2 of the root
	var x *big.Int
	if l2 < 30 {
		c := int64(math.Round(math.Exp2(l2)))
		for _, cand := range []int64{c - 1, c, c + 1} {
			if cand < 2 {
				continue
			}
			b := big.NewInt(cand)
			if new(big.Int).Exp(b, kk, nil).Cmp(n) == 0 {
				return b, true
			}
		}
		return nil, false
	}
	// Newton's method from just above the root converges down to floor.
	sh := max(int(l2)-52, 0)
	m := math.Exp2(l2-float64(sh)) * (1 + 1e-9)
	x, _ = new(big.Float).SetFloat64(m).Int(nil)
	x.Lsh(x, uint(sh))
	km1 := big.NewInt(k - 1)
	for i := 0; i < 200; i++ {
		t := new(big.Int).Exp(x, km1, nil)
		t.Quo(n, t)
		y := new(big.Int).Mul(x, km1)
		y.Add(y, t)
		y.Quo(y, kk)
		if y.Cmp(x) >= 0 {
			break
		}
		x = y
	}
	if new(big.Int).Exp(x, kk, nil).Cmp(n) == 0 {
		return x, true
	}
	return nil, false
}

// powGeneral returns x^y for x > 0, approximately.
func (e *evaluator) powGeneral(x, y value, pos int) (value, error) {
	xd, ex := decAt(x, e.wp+10)
	yd, ey := decAt(y, e.wp+10)
	s, lt := e.logLogDec(xd)
	lnx := lt + math.Log10(math.Ln10) // log10 |ln x|
	if yd.IsZero() {
		// x^(0 ± 10^ey) = 1 ± |ln x|·10^ey roughly.
		lerr := ey + lnx + log10of2
		if s == 0 {
			lerr = ey
		}
		return e.approx(apd.New(1, 0), 0, lerr, pos)
	}
	if err := outOfRange(s, lt, yd.Sign(), lgDec(yd), pos); err != nil {
		return value{}, err
	}
	// relative error: |y|·rel(x) + |ln x|·err(y).
	rel := lgDec(yd) + ex - lgDec(xd)
	if s != 0 {
		rel = addErr(rel, lnx+ey)
	}
	if rel > -1 {
		return value{}, e.imprecise(errAt(pos, "too much precision lost in a power"))
	}
	d, err := e.expLn(xd, yd, pos)
	if err != nil {
		return value{}, err
	}
	lerr := addErr(lgDec(d)+rel, ulp(d, e.wp)+log10of2)
	return e.approx(d, apd.Inexact, lerr, pos)
}
