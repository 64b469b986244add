// Package calc is the exact calculator: the first Software-1.0 driver of
// llmos. A model that needs arithmetic calls it as a tool, named "calc",
// instead of guessing digits, and gets the exact answer back as text.
//
// Tool returns the llmos.Tool that the kernel puts in its syscall table; it
// needs no capabilities, since it reads and changes nothing. Eval is the
// same calculator as a function:
//
//	calc.Eval("12345 * 6789")    // "83810205"
//	calc.Eval("2^-2 + 1/8")      // "0.375"
//	calc.Eval("1/3")             // "0.3333333333333333333333333333333333"
//	calc.Eval("8^(1/3)")         // "2"
//	calc.Eval("20% of 50")       // "10"
//	calc.Eval("sqrt(2)")         // "1.414213562373095048801688724209698"
//	calc.Eval("sin(pi)")         // "0"
//	calc.Eval("1/0")             // error: division by zero at position 2
//
// # Arithmetic
//
// Numbers are exact rationals (math/big.Rat) for as long as the result is:
// + - * / and mod, integer powers, and rational powers whose root is exact
// (8^(1/3) = 2, (9/4)^0.5 = 1.5), floor, round, gcd, factorial. Integers and
// terminating decimals are printed in full, up to 10,000 digits; a
// non-terminating fraction is rounded to Digits (34) significant digits.
//
// Irrational results (sqrt(2), ln, exp, sin, π...) are computed with
// github.com/cockroachdb/apd/v3 at a working precision of 50 digits, and
// each approximate value carries a bound on its error. A result known to
// fewer than 36 digits is evaluated again at a higher precision (up to 300
// digits), so that the 34 digits shown are correct; a result that cancels to
// zero within its error (sin(pi), sqrt(2)^2-2) prints as 0, and one whose
// digits cannot be trusted at all is an error. Angles are in radians (use
// deg or ° to convert: sin(30°) = 0.5).
//
// # Grammar
//
// From loosest to tightest binding:
//
//	a + b, a - b               left to right
//	a * b, a / b, a mod b      left to right; also ×, ÷, ·, "of", and x between operands
//	-a, +a                     signs
//	a ^ b, a ** b              right to left: 2^3^2 = 512, -2^2 = -4, 2^-2 = 0.25
//	a%, a!, a deg, a°, a², a³  percent (a/100), factorial, degrees to radians, powers
//
// % is always percent, never a remainder (write mod, whose result has the
// sign of the divisor); so 50 + 10% is 50.1, and 20% of 50 is 10. Numbers
// may be written 42, 1.5, .5, 1e6, 2.5e-3, 1_000_000 or 1,234,567: a comma
// inside a number must separate groups of three digits, except inside the
// arguments of a function that takes several (max(1,234) is max(1, 234)).
// Functions: sqrt cbrt abs exp ln log log2 log10 sin cos tan asin acos atan
// floor ceil trunc round min max gcd lcm factorial, with log(x, base) and
// round(x, places); constants pi (π), e and tau (τ). There are no variables
// and no implicit multiplication: 2pi is an error that says to write 2*pi.
//
// # Limits
//
// No input can hang the calculator or exhaust its memory: an expression is
// at most MaxLength bytes and MaxDepth levels deep; a value must lie within
// 10^±10000, and a power, factorial or literal that would exceed it is
// refused before it is computed; and an evaluation stops after MaxTime.
// Errors are *llmos.Error with code invalid and a message that names the
// problem and its 1-based position, fit to show to a model.
package calc
