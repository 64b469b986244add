package calc

import (
	"math"
	"math/big"

	"github.com/cockroachdb/apd/v3"
)

// eval evaluates a node.
func (e *evaluator) eval(n *node) (value, error) {
	if err := e.checkCtx(); err != nil {
		return value{}, err
	}
	switch n.kind {
	case nNum:
		return exact(n.val), nil
	case nConst:
		return constants[n.op](e), nil
	}
	args := make([]value, len(n.args))
	for i, a := range n.args {
		v, err := e.eval(a)
		if err != nil {
			return value{}, err
		}
		args[i] = v
	}
	switch n.kind {
	case nNeg:
		return neg(args[0]), nil
	case nBin:
		a, b := args[0], args[1]
		switch n.op {
		case "+":
			return e.add(a, b, n.pos)
		case "-":
			return e.add(a, neg(b), n.pos)
		case "*":
			return e.mul(a, b, n.pos)
		case "/":
			return e.div(a, b, n.pos)
		case "mod":
			return e.mod(a, b, n.pos)
		case "^":
			return e.pow(a, b, n.pos)
		}
	case nPost:
		x := args[0]
		switch n.op {
		case "%":
			return e.div(x, exactInt(100), n.pos)
		case "!":
			return e.factorial(x, n.pos)
		case "deg":
			r, err := e.mul(x, constants["pi"](e), n.pos)
			if err != nil {
				return value{}, err
			}
			return e.div(r, exactInt(180), n.pos)
		}
	case nCall:
		return functions[n.op].call(e, args, n.pos)
	}
	return value{}, errAt(n.pos, "internal error: unknown operator %q", n.op)
}

func neg(v value) value {
	if v.d == nil {
		return exact(new(big.Rat).Neg(v.q))
	}
	return value{d: new(apd.Decimal).Neg(v.d), lerr: v.lerr}
}

func abs(v value) value {
	if v.sign() < 0 {
		return neg(v)
	}
	return v
}

// add returns a+b.
func (e *evaluator) add(a, b value, pos int) (value, error) {
	if a.isExact() && b.isExact() {
		return e.exactOr(new(big.Rat).Add(a.q, b.q), pos)
	}
	x, ex := e.dec(a)
	y, ey := e.dec(b)
	d := new(apd.Decimal)
	cond, err := e.c.Add(d, x, y)
	if err != nil {
		return value{}, tooLarge(pos)
	}
	return e.approx(d, cond, addErr(ex, ey), pos)
}

// mul returns a*b.
func (e *evaluator) mul(a, b value, pos int) (value, error) {
	if a.isExact() && b.isExact() {
		return e.exactOr(new(big.Rat).Mul(a.q, b.q), pos)
	}
	if a.sign() == 0 && a.isExact() || b.sign() == 0 && b.isExact() {
		return exactInt(0), nil
	}
	x, ex := e.dec(a)
	y, ey := e.dec(b)
	if float64(adjOr0(x)+adjOr0(y)) >= maxAdj+1 {
		return value{}, tooLarge(pos)
	}
	if !x.IsZero() && !y.IsZero() && float64(adj(x)+adj(y)) < -maxAdj-1 {
		return value{}, tooSmall(pos)
	}
	d := new(apd.Decimal)
	cond, err := e.c.Mul(d, x, y)
	if err != nil {
		return value{}, tooLarge(pos)
	}
	lerr := addErr(lgDec(y)+ex, lgDec(x)+ey)
	lerr = addErr(lerr, ex+ey)
	return e.approx(d, cond, lerr, pos)
}

func adjOr0(d *apd.Decimal) int64 {
	if d.IsZero() {
		return 0
	}
	return adj(d)
}

// div returns a/b.
func (e *evaluator) div(a, b value, pos int) (value, error) {
	if b.sign() == 0 {
		if b.isExact() {
			return value{}, errAt(pos, "division by zero")
		}
		return value{}, e.imprecise(errAt(pos, "division by zero (the divisor is zero to %d digits)", e.wp))
	}
	if a.isExact() && b.isExact() {
		return e.exactOr(new(big.Rat).Quo(a.q, b.q), pos)
	}
	if a.sign() == 0 && a.isExact() {
		return exactInt(0), nil
	}
	x, ex := e.dec(a)
	y, ey := e.dec(b)
	lgy := lgDec(y)
	if ey >= lgy-0.3 {
		return value{}, e.imprecise(errAt(pos, "division by zero (the divisor is zero to %d digits)", e.wp))
	}
	if float64(adjOr0(x)-adj(y)) >= maxAdj+1 {
		return value{}, tooLarge(pos)
	}
	if !x.IsZero() && float64(adj(x)-adj(y)) < -maxAdj-1 {
		return value{}, tooSmall(pos)
	}
	d := new(apd.Decimal)
	cond, err := e.c.Quo(d, x, y)
	if err != nil {
		return value{}, tooLarge(pos)
	}
	// |a/b - x/y| <= ex/|y| + |x|·ey/|y|² to first order; the factor 2
	// covers the second order while ey < |y|/2.
	lerr := addErr(ex-lgy, lgDec(x)+ey-2*lgy) + log10of2
	return e.approx(d, cond, lerr, pos)
}

// mod returns a - b·floor(a/b): the remainder takes the sign of b.
func (e *evaluator) mod(a, b value, pos int) (value, error) {
	if b.sign() == 0 && b.isExact() {
		return value{}, errAt(pos, "division by zero (mod 0)")
	}
	if a.isExact() && b.isExact() {
		q := new(big.Rat).Quo(a.q, b.q)
		f := new(big.Int).Div(q.Num(), q.Denom())
		r := new(big.Rat).Mul(b.q, new(big.Rat).SetInt(f))
		return e.exactOr(r.Sub(a.q, r), pos)
	}
	q, err := e.div(a, b, pos)
	if err != nil {
		return value{}, err
	}
	f, err := e.floor(q, pos)
	if err != nil {
		return value{}, err
	}
	r, err := e.mul(b, exact(new(big.Rat).SetInt(f)), pos)
	if err != nil {
		return value{}, err
	}
	return e.add(a, neg(r), pos)
}

// floor returns the largest integer not above v. An approximate value
// within its error of an integer is taken to be that integer.
func (e *evaluator) floor(v value, pos int) (*big.Int, error) {
	if v.isExact() {
		return new(big.Int).Div(v.q.Num(), v.q.Denom()), nil
	}
	n, near, err := e.nearInt(v, pos)
	if err != nil {
		return nil, err
	}
	if near {
		return n, nil
	}
	f := new(apd.Decimal)
	if _, err := e.c.Floor(f, v.d); err != nil {
		return nil, tooLarge(pos)
	}
	return decToInt(f), nil
}

// nearInt returns the integer nearest an approximate v and whether v is
// within its error of it. Near an integer, it asks for more precision
// first; and it fails when v is too imprecise to tell integers apart.
func (e *evaluator) nearInt(v value, pos int) (*big.Int, bool, error) {
	if v.lerr > -1 {
		return nil, false, e.imprecise(errAt(pos, "too much precision lost to find the integer part"))
	}
	r := new(apd.Decimal)
	if _, err := e.c.RoundToIntegralValue(r, v.d); err != nil {
		return nil, false, tooLarge(pos)
	}
	diff := new(apd.Decimal)
	if _, err := e.c.Sub(diff, v.d, r); err != nil {
		return nil, false, tooLarge(pos)
	}
	if diff.IsZero() || lgDec(diff) <= v.lerr {
		if !e.final && !diff.IsZero() {
			return nil, false, &precisionError{errAt(pos, "cannot tell whether the value is an integer")}
		}
		return decToInt(r), true, nil
	}
	return decToInt(r), false, nil
}

// integer returns v as an integer, or an error naming what needs one.
func (e *evaluator) integer(v value, pos int, what string) (*big.Int, error) {
	if v.isExact() {
		if !v.q.IsInt() {
			return nil, errAt(pos, "%s needs whole numbers", what)
		}
		return v.q.Num(), nil
	}
	n, near, err := e.nearInt(v, pos)
	if err != nil {
		return nil, err
	}
	if !near {
		return nil, errAt(pos, "%s needs whole numbers", what)
	}
	return n, nil
}

// factorial returns n! for a whole n >= 0.
func (e *evaluator) factorial(v value, pos int) (value, error) {
	if v.sign() < 0 {
		return value{}, errAt(pos, "factorial of a negative number")
	}
	n, err := e.integer(v, pos, "factorial")
	if err != nil {
		return value{}, err
	}
	if !n.IsInt64() || n.Int64() > 5000 {
		return value{}, tooLarge(pos)
	}
	k := n.Int64()
	lg, _ := math.Lgamma(float64(k) + 1)
	if lg/math.Ln10 >= maxAdj {
		return value{}, tooLarge(pos)
	}
	f := new(big.Int).MulRange(1, k)
	if k == 0 {
		f.SetInt64(1)
	}
	return e.exactOr(new(big.Rat).SetInt(f), pos)
}
