package calc

import (
	"math"
	"math/big"
	"sync"

	"github.com/cockroachdb/apd/v3"
)

// maxTrigAdj bounds the arguments of sin, cos and tan: |x| < 10^maxTrigAdj.
const maxTrigAdj = 100

// constPrec is the precision to which constants are computed once: enough
// to reduce the largest trigonometric argument at the highest precision.
const constPrec = maxWP + maxTrigAdj + 40

// lazyDec returns a function computing a constant once, at constPrec digits.
func lazyDec(f func(c *apd.Context, d *apd.Decimal)) func() *apd.Decimal {
	var once sync.Once
	var d apd.Decimal
	return func() *apd.Decimal {
		once.Do(func() { f(decContext(constPrec+5), &d) })
		return &d
	}
}

// piDec is π by Machin's formula, π = 16·atan(1/5) - 4·atan(1/239).
var piDec = lazyDec(func(c *apd.Context, d *apd.Decimal) {
	a := atanSeries(c, apd.New(2, -1)) // 1/5
	b := new(apd.Decimal)
	c.Quo(b, apd.New(1, 0), apd.New(239, 0))
	b = atanSeries(c, b)
	c.Mul(a, a, apd.New(16, 0))
	c.Mul(b, b, apd.New(4, 0))
	c.Sub(d, a, b)
})

var tauDec = lazyDec(func(c *apd.Context, d *apd.Decimal) { c.Mul(d, piDec(), apd.New(2, 0)) })

var halfPiDec = lazyDec(func(c *apd.Context, d *apd.Decimal) { c.Quo(d, piDec(), apd.New(2, 0)) })

var eDec = lazyDec(func(c *apd.Context, d *apd.Decimal) { c.Exp(d, apd.New(1, 0)) })

// cached returns a constant rounded to prec digits.
func (e *evaluator) cached(k *apd.Decimal, prec uint32) value {
	d := new(apd.Decimal)
	cond, _ := decContext(prec).Round(d, k)
	if cond.Inexact() {
		return value{d: d, lerr: ulp(d, prec)}
	}
	return value{d: d, lerr: math.Inf(-1)}
}

// atanSeries sums atan x = x - x³/3 + x⁵/5 - ... for small |x|, at c's
// precision.
func atanSeries(c *apd.Context, x *apd.Decimal) *apd.Decimal {
	sum := new(apd.Decimal).Set(x)
	if x.IsZero() {
		return sum
	}
	x2 := new(apd.Decimal)
	c.Mul(x2, x, x)
	term := new(apd.Decimal).Set(x)
	t := new(apd.Decimal)
	limit := adj(x) - int64(c.Precision) - 2
	for k := int64(1); k < 100000; k++ {
		c.Mul(term, term, x2)
		term.Negative = !term.Negative
		c.Quo(t, term, apd.New(2*k+1, 0))
		c.Add(sum, sum, t)
		if t.IsZero() || adj(t) < limit {
			break
		}
	}
	return sum
}

// atanDec returns atan x at c's precision, for any x.
func atanDec(c *apd.Context, x *apd.Decimal) *apd.Decimal {
	if x.Negative {
		r := atanDec(c, new(apd.Decimal).Neg(x))
		return r.Neg(r)
	}
	one := apd.New(1, 0)
	if x.Cmp(one) > 0 {
		inv := new(apd.Decimal)
		c.Quo(inv, one, x)
		r := atanDec(c, inv)
		c.Sub(r, halfPiDec(), r)
		return r
	}
	// atan x = 2·atan(x / (1 + √(1 + x²))) until |x| <= 0.1.
	y := new(apd.Decimal).Set(x)
	t := new(apd.Decimal)
	halvings := 0
	for y.Cmp(apd.New(1, -1)) > 0 {
		c.Mul(t, y, y)
		c.Add(t, t, one)
		c.Sqrt(t, t)
		c.Add(t, t, one)
		c.Quo(y, y, t)
		halvings++
	}
	r := atanSeries(c, y)
	for ; halvings > 0; halvings-- {
		c.Add(r, r, r)
	}
	return r
}

// sinCos returns sin r and cos r for |r| <= π/4 by their Taylor series.
func sinCos(c *apd.Context, r *apd.Decimal) (*apd.Decimal, *apd.Decimal) {
	s, co := new(apd.Decimal), apd.New(1, 0)
	term := apd.New(1, 0)
	limit := -int64(c.Precision) - 2
	for n := int64(1); n < 100000; n++ {
		c.Mul(term, term, r)
		c.Quo(term, term, apd.New(n, 0))
		if n%2 == 1 {
			if (n/2)%2 == 0 {
				c.Add(s, s, term)
			} else {
				c.Sub(s, s, term)
			}
		} else {
			if (n/2)%2 == 0 {
				c.Add(co, co, term)
			} else {
				c.Sub(co, co, term)
			}
		}
		if term.IsZero() || adj(term) < limit {
			break
		}
	}
	return s, co
}

// trig returns sin, cos or tan of x, in radians.
func (e *evaluator) trig(name string, x value, pos int) (value, error) {
	if x.sign() == 0 {
		if x.isExact() {
			if name == "cos" {
				return exactInt(1), nil
			}
			return exactInt(0), nil
		}
		if name == "cos" { // cos(0 ± ε) = 1 - ε²/2
			return e.approx(apd.New(1, 0), 0, 2*x.lerr, pos)
		}
		return value{d: new(apd.Decimal), lerr: x.lerr}, nil
	}
	var size float64
	if x.isExact() {
		size = lgRat(x.q)
	} else {
		size = lgDec(x.d)
	}
	if size >= maxTrigAdj {
		return value{}, errAt(pos, "%s: the argument is too large (it must be below 1e%d)", name, maxTrigAdj)
	}
	prec := e.wp + uint32(math.Max(size, 0)) + 10
	xd, ex := decAt(x, prec)
	c := decContext(prec)
	halfPi := e.cached(halfPiDec(), prec+2).d
	k := new(apd.Decimal)
	c.Quo(k, xd, halfPi)
	c.RoundToIntegralValue(k, k)
	r := new(apd.Decimal)
	c.Mul(r, k, halfPi)
	c.Sub(r, xd, r)
	s, co := sinCos(decContext(e.wp+6), r)
	quad := new(big.Int).Mod(decToInt(k), big.NewInt(4)).Int64()
	switch quad {
	case 1:
		s, co = co, s.Neg(s)
	case 2:
		s, co = s.Neg(s), co.Neg(co)
	case 3:
		s, co = co.Neg(co), s
	}
	// sin and cos change no faster than their argument. The reduction
	// subtracts k·π/2 to prec digits; the series is good to wp+5 digits.
	red := math.Inf(-1)
	if !k.IsZero() {
		red = math.Max(size, 0) - float64(prec) + 2
	}
	lerrOf := func(d *apd.Decimal) float64 {
		return addErr(ex, addErr(red, lgDec(d)-float64(e.wp)-5))
	}
	lerr := lerrOf(s)
	switch name {
	case "sin":
		return e.approx(s, apd.Inexact, lerr, pos)
	case "cos":
		return e.approx(co, apd.Inexact, lerrOf(co), pos)
	}
	lc := lerrOf(co)
	if co.IsZero() || lgDec(co)-lc < 0.3 {
		return value{}, e.imprecise(errAt(pos, "tan is undefined at odd multiples of pi/2"))
	}
	t := new(apd.Decimal)
	cond, _ := e.c.Quo(t, s, co)
	if t.IsZero() {
		return e.approx(t, cond, ex, pos)
	}
	// tan = s/c: the relative errors of s and c add up; and d/dx tan x =
	// 1 + tan² x carries the error of x. The factor 2 covers second order.
	lt := lgDec(t)
	rel := addErr(addErr(red, lgDec(s)-float64(e.wp)-5)-lgDec(s), addErr(red, lgDec(co)-float64(e.wp)-5)-lgDec(co))
	lerr = addErr(ex+math.Max(0, 2*lt)+log10of2, lt+rel) + log10of2
	return e.approx(t, cond, lerr, pos)
}

// asin returns the arcsine of x, in radians.
func (e *evaluator) asin(x value, pos int) (value, error) {
	if x.sign() == 0 {
		return x, nil
	}
	xd, ex := e.dec(x)
	ax := new(apd.Decimal).Abs(xd)
	one := apd.New(1, 0)
	over := new(apd.Decimal)
	e.c.Sub(over, ax, one)
	if over.Sign() > 0 {
		if x.isExact() || lgDec(over) > ex {
			return value{}, errAt(pos, "asin and acos are defined only from -1 to 1")
		}
		if !e.final {
			return value{}, &precisionError{errAt(pos, "asin and acos are defined only from -1 to 1")}
		}
		over.SetInt64(0)
	}
	c := decContext(e.wp + 6)
	var r *apd.Decimal
	if over.Sign() == 0 || (!x.isExact() && lgDec(over) <= ex) {
		r = new(apd.Decimal).Set(halfPiDec())
		r.Negative = xd.Negative
	} else {
		// asin x = atan(x / √((1-x)(1+x)))
		t, u := new(apd.Decimal), new(apd.Decimal)
		c.Sub(t, one, xd)
		c.Add(u, one, xd)
		c.Mul(t, t, u)
		c.Sqrt(t, t)
		c.Quo(t, xd, t)
		r = atanDec(c, t)
	}
	// d/dx asin x = 1/√(1-x²); near ±1 the error is at most √(2ex).
	oneMinus := new(apd.Decimal)
	e.c.Mul(oneMinus, xd, xd)
	e.c.Sub(oneMinus, one, oneMinus)
	lerr := ex/2 + 0.16
	if !oneMinus.IsZero() {
		lerr = math.Min(lerr, ex-lgDec(oneMinus)/2)
	}
	lerr = addErr(lerr, lgDec(r)-float64(e.wp)-4)
	d := new(apd.Decimal)
	cond, _ := e.c.Round(d, r)
	return e.approx(d, cond|apd.Inexact, lerr, pos)
}

// acos returns the arccosine of x, in radians: π/2 - asin x.
func (e *evaluator) acos(x value, pos int) (value, error) {
	if x.isExact() && x.q.Cmp(big.NewRat(1, 1)) == 0 {
		return exactInt(0), nil
	}
	a, err := e.asin(x, pos)
	if err != nil {
		return value{}, err
	}
	return e.add(e.cached(halfPiDec(), e.wp), neg(a), pos)
}

// atan returns the arctangent of x, in radians.
func (e *evaluator) atan(x value, pos int) (value, error) {
	if x.sign() == 0 {
		return x, nil
	}
	xd, ex := e.dec(x)
	r := atanDec(decContext(e.wp+6), xd)
	// d/dx atan x = 1/(1+x²) <= 1.
	x2 := 2 * lgDec(xd)
	lerr := addErr(ex-math.Max(0, x2), lgDec(r)-float64(e.wp)-4)
	d := new(apd.Decimal)
	cond, _ := e.c.Round(d, r)
	return e.approx(d, cond|apd.Inexact, lerr, pos)
}
