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

//go:embed testdata/holdout4.jsonl
var blindSet []byte

// BlindSet returns the blind holdout (testdata/holdout4.jsonl): cases written
// by someone who had not read the scanners, measured once and never tuned
// on. It stays apart from EvalSet so that it can stay blind: tuning the
// scanners on it would make its figure meaningless; write a new one instead.
func BlindSet() ([]Case, error) { return ReadCases(bytes.NewReader(blindSet)) }
