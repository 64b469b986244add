package calc_test

import (
	"fmt"

	"github.com/llmos/llmos/tool/calc"
)

func ExampleEval() {
	for _, expr := range []string{
		"12345 * 6789",
		"2^-2 + 1/8",
		"1/3",
		"(-8)^(1/3)",
		"20% of 50",
		"sqrt(2)",
		"2^100",
		"1/0",
	} {
		v, err := calc.Eval(expr)
		if err != nil {
			fmt.Printf("%s: %v\n", expr, err)
			continue
		}
		fmt.Printf("%s = %s\n", expr, v)
	}
	// Output:
	// 12345 * 6789 = 83810205
	// 2^-2 + 1/8 = 0.375
	// 1/3 = 0.3333333333333333333333333333333333
	// (-8)^(1/3) = -2
	// 20% of 50 = 10
	// sqrt(2) = 1.414213562373095048801688724209698
	// 2^100 = 1267650600228229401496703205376
	// 1/0: division by zero at position 2
}
