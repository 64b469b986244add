package guard

import (
	"bytes"
	_ "embed"
)

//go:embed testdata/eval.jsonl
var evalSet []byte

// EvalSet returns the evaluation set the guard is measured on
// (testdata/eval.jsonl): attacks for every scanner in several languages, and
// benign text that uses the same trigger words. Its Set field tells the cases
// written while tuning from the holdouts written after.
func EvalSet() ([]Case, error) { return ReadCases(bytes.NewReader(evalSet)) }
