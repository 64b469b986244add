package calc

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// function is a named function: how many arguments it takes (max -1: any
// number) and how to compute it.
type function struct {
	min, max int
	call     func(e *evaluator, args []value, pos int) (value, error)
}

func (f function) arity() string {
	switch {
	case f.min == f.max && f.min == 1:
		return "1 argument"
	case f.min == f.max:
		return fmt.Sprintf("%d arguments", f.min)
	case f.max < 0:
		return fmt.Sprintf("%d or more arguments", f.min)
	}
	return fmt.Sprintf("%d to %d arguments", f.min, f.max)
}

func one(f func(e *evaluator, x value, pos int) (value, error)) function {
	return function{1, 1, func(e *evaluator, a []value, pos int) (value, error) { return f(e, a[0], pos) }}
}

var functions map[string]function

func init() {
	trig := func(name string) function {
		return one(func(e *evaluator, x value, pos int) (value, error) { return e.trig(name, x, pos) })
	}
	functions = map[string]function{
		"sqrt":      one((*evaluator).sqrt),
		"cbrt":      one(func(e *evaluator, x value, pos int) (value, error) { return e.pow(x, exact(big.NewRat(1, 3)), pos) }),
		"abs":       one(func(e *evaluator, x value, pos int) (value, error) { return abs(x), nil }),
		"exp":       one((*evaluator).exp),
		"ln":        one((*evaluator).ln),
		"log":       {1, 2, (*evaluator).logFunc},
		"log10":     one(func(e *evaluator, x value, pos int) (value, error) { return e.logBase(x, exactInt(10), pos) }),
		"log2":      one(func(e *evaluator, x value, pos int) (value, error) { return e.logBase(x, exactInt(2), pos) }),
		"sin":       trig("sin"),
		"cos":       trig("cos"),
		"tan":       trig("tan"),
		"asin":      one((*evaluator).asin),
		"acos":      one((*evaluator).acos),
		"atan":      one((*evaluator).atan),
		"floor":     one(func(e *evaluator, x value, pos int) (value, error) { return e.rounding(x, pos, "floor") }),
		"ceil":      one(func(e *evaluator, x value, pos int) (value, error) { return e.rounding(x, pos, "ceil") }),
		"trunc":     one(func(e *evaluator, x value, pos int) (value, error) { return e.rounding(x, pos, "trunc") }),
		"round":     {1, 2, (*evaluator).round},
		"min":       {1, -1, func(e *evaluator, a []value, pos int) (value, error) { return e.extreme(a, -1) }},
		"max":       {1, -1, func(e *evaluator, a []value, pos int) (value, error) { return e.extreme(a, 1) }},
		"gcd":       {1, -1, (*evaluator).gcd},
		"lcm":       {1, -1, (*evaluator).lcm},
		"factorial": one((*evaluator).factorial),
	}
}

// functionNames lists the functions for messages.
func functionNames() string {
	names := make([]string, 0, len(functions))
	for n := range functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// constants are the named numbers.
var constants = map[string]func(e *evaluator) value{
	"pi":  func(e *evaluator) value { return e.cached(piDec(), e.wp) },
	"tau": func(e *evaluator) value { return e.cached(tauDec(), e.wp) },
	"e":   func(e *evaluator) value { return e.cached(eDec(), e.wp) },
}

// sqrt returns the square root of x: exact when x is a perfect square.
func (e *evaluator) sqrt(x value, pos int) (value, error) {
	switch x.sign() {
	case -1:
		return value{}, errAt(pos, "square root of a negative number")
	case 0:
		if x.isExact() {
			return x, nil
		}
		return value{d: new(apd.Decimal), lerr: x.lerr/2 + 0.01}, nil
	}
	if r, ok := ratRoot(x, big.NewInt(2)); ok {
		return exact(r), nil
	}
	xd, ex := e.dec(x)
	d := new(apd.Decimal)
	cond, err := e.c.Sqrt(d, xd)
	if err != nil {
		return value{}, errAt(pos, "square root failed")
	}
	// d/dx √x = 1/(2√x); near zero the error is at most √ex.
	lerr := math.Min(ex-log10of2-lgDec(d), ex/2+0.01)
	return e.approx(d, cond, lerr, pos)
}

// ln10 returns ln(10) to maxWP+30 digits.
var ln10Dec = lazyDec(func(c *apd.Context, d *apd.Decimal) { c.Ln(d, apd.New(10, 0)) })

// exp returns e^x.
func (e *evaluator) exp(x value, pos int) (value, error) {
	if x.sign() == 0 && x.isExact() {
		return exactInt(1), nil
	}
	xd, ex := e.dec(x)
	d, err := expDec(xd, e.wp+6, pos)
	if err != nil {
		return value{}, err
	}
	cond, _ := e.c.Round(d, d)
	// the relative error of e^x is the absolute error of x.
	lerr := lgDec(d) + addErr(ex, -float64(e.wp)-5)
	return e.approx(d, cond|apd.Inexact, lerr, pos)
}

// expDec returns e^x to about prec digits, or a range error.
func expDec(x *apd.Decimal, prec uint32, pos int) (*apd.Decimal, error) {
	lim := apd.New(int64(math.Ceil(maxAdj*math.Ln10)), 0)
	if x.Cmp(lim) > 0 {
		return nil, tooLarge(pos)
	}
	if new(apd.Decimal).Neg(x).Cmp(lim) > 0 {
		return nil, tooSmall(pos)
	}
	// exp(x) = exp(x - n·ln10)·10^n, so the series sees |r| <= 1.2.
	c := decContext(prec + 6)
	l10 := new(apd.Decimal)
	c.Round(l10, ln10Dec())
	n := new(apd.Decimal)
	c.Quo(n, x, l10)
	c.RoundToIntegralValue(n, n)
	r := new(apd.Decimal)
	c.Mul(r, n, l10)
	c.Sub(r, x, r)
	d := new(apd.Decimal)
	if _, err := c.Exp(d, r); err != nil {
		return nil, tooLarge(pos)
	}
	ni, _ := n.Int64()
	d.Exponent += int32(ni)
	return d, nil
}

// ln returns the natural logarithm of x.
func (e *evaluator) ln(x value, pos int) (value, error) {
	switch {
	case x.sign() < 0 || x.sign() == 0 && x.isExact():
		return value{}, errAt(pos, "logarithm of zero or a negative number")
	case x.sign() == 0:
		return value{}, e.imprecise(errAt(pos, "logarithm of zero (the argument is zero to %d digits)", e.wp))
	case x.isExact() && x.q.Cmp(big.NewRat(1, 1)) == 0:
		return exactInt(0), nil
	}
	xd, ex := e.dec(x)
	d := new(apd.Decimal)
	cond, err := e.c.Ln(d, xd)
	if err != nil {
		return value{}, errAt(pos, "logarithm failed")
	}
	// the absolute error of ln x is the relative error of x.
	lerr := addErr(ex-lgDec(xd), ulp(d, e.wp))
	return e.approx(d, cond|apd.Inexact, lerr, pos)
}

func (e *evaluator) logFunc(args []value, pos int) (value, error) {
	if len(args) == 2 {
		return e.logBase(args[0], args[1], pos)
	}
	return e.logBase(args[0], exactInt(10), pos)
}

// logBase returns the logarithm of x to base b: exact when x is an exact
// rational power of b (log(1000) = 3, log(8, 4) = 1.5).
func (e *evaluator) logBase(x, b value, pos int) (value, error) {
	if b.sign() <= 0 || b.isExact() && b.q.Cmp(big.NewRat(1, 1)) == 0 {
		return value{}, errAt(pos, "logarithm base must be positive and not 1")
	}
	if x.isExact() && b.isExact() && x.sign() > 0 {
		if k, ok := e.exactLog(x.q, b.q); ok {
			return exact(k), nil
		}
	}
	lx, err := e.ln(x, pos)
	if err != nil {
		return value{}, err
	}
	lb, err := e.ln(b, pos)
	if err != nil {
		return value{}, err
	}
	return e.div(lx, lb, pos)
}

// exactLog finds a fraction k with small denominator and b^k = x exactly.
func (e *evaluator) exactLog(x, b *big.Rat) (*big.Rat, bool) {
	if x.Cmp(big.NewRat(1, 1)) == 0 {
		return new(big.Rat), true
	}
	kf := lgRat(x) / lgRat(b)
	if math.IsNaN(kf) || math.IsInf(kf, 0) || math.Abs(kf) > 1e6 {
		return nil, false
	}
	for q := int64(1); q <= 12; q++ {
		p := math.Round(kf * float64(q))
		if math.Abs(kf*float64(q)-p) > 1e-6 {
			continue
		}
		k := big.NewRat(int64(p), q)
		v, err := e.pow(exact(b), exact(k), 0)
		if err == nil && v.isExact() && v.q.Cmp(x) == 0 {
			return k, true
		}
		return nil, false
	}
	return nil, false
}

// rounding returns floor, ceil or trunc of x.
func (e *evaluator) rounding(x value, pos int, mode string) (value, error) {
	var n *big.Int
	var err error
	switch {
	case mode == "floor" || mode == "trunc" && x.sign() >= 0:
		n, err = e.floor(x, pos)
	default: // ceil, or trunc of a negative number
		n, err = e.floor(neg(x), pos)
		if n != nil {
			n.Neg(n)
		}
	}
	if err != nil {
		return value{}, err
	}
	return e.exactOr(new(big.Rat).SetInt(n), pos)
}

// round rounds to the nearest integer, or to a number of decimal places,
// halves away from zero.
func (e *evaluator) round(args []value, pos int) (value, error) {
	x := args[0]
	places := int64(0)
	if len(args) == 2 {
		n, err := e.integer(args[1], pos, "round's number of places")
		if err != nil {
			return value{}, err
		}
		if !n.IsInt64() || n.Int64() > maxAdj || n.Int64() < -maxAdj {
			return value{}, errAt(pos, "round: too many places")
		}
		places = n.Int64()
	}
	scale := new(big.Rat).SetInt(pow10(int(absInt(places))))
	if places < 0 {
		scale.Inv(scale)
	}
	s, err := e.mul(x, exact(scale), pos)
	if err != nil {
		return value{}, err
	}
	h, err := e.add(abs(s), exact(big.NewRat(1, 2)), pos)
	if err != nil {
		return value{}, err
	}
	n, err := e.floor(h, pos)
	if err != nil {
		return value{}, err
	}
	if s.sign() < 0 {
		n.Neg(n)
	}
	r := new(big.Rat).SetInt(n)
	return e.exactOr(r.Quo(r, scale), pos)
}

func absInt(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// cmp compares a and b.
func (e *evaluator) cmp(a, b value) int {
	if a.isExact() && b.isExact() {
		return a.q.Cmp(b.q)
	}
	x, _ := e.dec(a)
	y, _ := e.dec(b)
	return x.Cmp(y)
}

// extreme returns the least (dir -1) or greatest (dir 1) argument.
func (e *evaluator) extreme(args []value, dir int) (value, error) {
	best := args[0]
	for _, a := range args[1:] {
		if e.cmp(a, best)*dir > 0 {
			best = a
		}
	}
	return best, nil
}

// integers returns the arguments as integers, for gcd and lcm.
func (e *evaluator) integers(args []value, pos int, what string) ([]*big.Int, error) {
	ns := make([]*big.Int, len(args))
	for i, a := range args {
		n, err := e.integer(a, pos, what)
		if err != nil {
			return nil, err
		}
		ns[i] = new(big.Int).Abs(n)
	}
	return ns, nil
}

func (e *evaluator) gcd(args []value, pos int) (value, error) {
	ns, err := e.integers(args, pos, "gcd")
	if err != nil {
		return value{}, err
	}
	g := new(big.Int)
	for _, n := range ns {
		g.GCD(nil, nil, g, n)
	}
	return e.exactOr(new(big.Rat).SetInt(g), pos)
}

func (e *evaluator) lcm(args []value, pos int) (value, error) {
	ns, err := e.integers(args, pos, "lcm")
	if err != nil {
		return value{}, err
	}
	l := big.NewInt(1)
	for _, n := range ns {
		if n.Sign() == 0 {
			return exactInt(0), nil
		}
		g := new(big.Int).GCD(nil, nil, l, n)
		l.Mul(l, new(big.Int).Quo(n, g))
		if lgInt(l) >= maxAdj {
			return value{}, tooLarge(pos)
		}
	}
	return e.exactOr(new(big.Rat).SetInt(l), pos)
}
