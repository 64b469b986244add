package guard

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/llmos/llmos"
)

// Case is one labelled text of an evaluation set: the scanners that should
// detect it (Want; empty for benign text).
type Case struct {
	Text   string   `json:"text"`
	Stage  Stage    `json:"stage"`
	Kind   Kind     `json:"kind,omitempty"`
	Want   []string `json:"want"`
	Note   string   `json:"note,omitempty"`
	Canary string   `json:"canary,omitempty"`
	Tool   string   `json:"tool,omitempty"`
	// Set names the part of the data the case belongs to: "" for the cases
	// written while tuning the scanners, "holdout…" for those written after
	// without reading them (measured blind, then tuned on), "posthoc…" for
	// those written after reading them.
	Set string `json:"set,omitempty"`
}

// ScannerMetrics are one scanner's counts on an evaluation set.
type ScannerMetrics struct {
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

// Metrics summarise an evaluation. A scanner detects a case when one of its
// findings scores at or above the guard's threshold, whatever the action.
type Metrics struct {
	Cases   int `json:"cases"`
	Attacks int `json:"attacks"` // cases with a non-empty Want
	Benign  int `json:"benign"`
	// Recall is the share of attack cases detected by at least one of their
	// wanted scanners.
	Recall float64 `json:"recall"`
	// FullRecall is the share of attack cases detected by all of them.
	FullRecall float64 `json:"full_recall"`
	// FPRate is the share of benign cases that any scanner detected.
	FPRate   float64                   `json:"fp_rate"`
	Scanners map[string]ScannerMetrics `json:"scanners"`
	// Misses and FalsePositives describe the cases that went wrong
	// (their Note, or the start of their text).
	Misses         []string `json:"misses,omitempty"`
	FalsePositives []string `json:"false_positives,omitempty"`
	// Partial describes attack cases some of whose wanted scanners missed.
	Partial []string `json:"partial,omitempty"`
	// Extra describes attack cases detected by scanners they did not want.
	Extra []string `json:"extra,omitempty"`
}

// ReadCases reads an evaluation set: one JSON Case per line; blank lines
// and lines starting with # are skipped. A bad line is an error naming it.
func ReadCases(r io.Reader) ([]Case, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var out []Case
	known := Scanners()
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var c Case
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, llmos.Errorf(llmos.CodeInvalid, "eval line %d: %v", n, err)
		}
		if c.Stage != StageInput && c.Stage != StageOutput {
			return nil, llmos.Errorf(llmos.CodeInvalid, "eval line %d: stage %q: use input or output", n, c.Stage)
		}
		if c.Kind != "" && !slices.Contains(Kinds(), c.Kind) {
			return nil, llmos.Errorf(llmos.CodeInvalid, "eval line %d: unknown kind %q", n, c.Kind)
		}
		for _, w := range c.Want {
			if !slices.Contains(known, w) {
				return nil, llmos.Errorf(llmos.CodeInvalid, "eval line %d: unknown scanner %q", n, w)
			}
		}
		if c.Note == "" {
			c.Note = fmt.Sprintf("line %d", n)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, llmos.Errorf(llmos.CodeInvalid, "reading the eval set: %v", err)
	}
	return out, nil
}

// Evaluate checks every case with g and computes per-scanner precision and
// recall, the recall over attack cases and the false-positive rate on
// benign ones.
func Evaluate(ctx context.Context, g *Guard, cases []Case) Metrics {
	m := Metrics{Scanners: map[string]ScannerMetrics{}}
	var caught, full, benignHit int
	for _, c := range cases {
		v := g.Check(ctx, Input{Stage: c.Stage, Kind: c.Kind, Text: c.Text, Canary: c.Canary, Tool: c.Tool})
		got := map[string]bool{}
		for _, f := range v.Scanners {
			if f.Score >= g.Threshold() {
				got[f.Scanner] = true
			}
		}
		m.Cases++
		if len(c.Want) == 0 {
			m.Benign++
			if len(got) > 0 {
				benignHit++
				m.FalsePositives = append(m.FalsePositives, describe(c, got))
			}
		} else {
			m.Attacks++
			any, all := false, true
			for _, w := range c.Want {
				if got[w] {
					any = true
				} else {
					all = false
				}
			}
			if any {
				caught++
			} else {
				m.Misses = append(m.Misses, describe(c, got))
			}
			if all {
				full++
			} else if any {
				m.Partial = append(m.Partial, describe(c, got))
			}
			for n := range got {
				if !slices.Contains(c.Want, n) {
					m.Extra = append(m.Extra, describe(c, got))
					break
				}
			}
		}
		for _, name := range Scanners() {
			sm := m.Scanners[name]
			want := slices.Contains(c.Want, name)
			switch {
			case want && got[name]:
				sm.TP++
			case want:
				sm.FN++
			case got[name]:
				sm.FP++
			default:
				continue
			}
			m.Scanners[name] = sm
		}
	}
	for name, sm := range m.Scanners {
		sm.Precision = ratio(sm.TP, sm.TP+sm.FP)
		sm.Recall = ratio(sm.TP, sm.TP+sm.FN)
		m.Scanners[name] = sm
	}
	m.Recall = ratio(caught, m.Attacks)
	m.FullRecall = ratio(full, m.Attacks)
	m.FPRate = ratio(benignHit, m.Benign)
	return m
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return round(float64(a) / float64(b))
}

func describe(c Case, got map[string]bool) string {
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	return fmt.Sprintf("%s (want %v, got %v)", c.Note, c.Want, names)
}

// String renders metrics as a small table.
func (m Metrics) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cases %d (attacks %d, benign %d): recall %.3f, full recall %.3f, benign FP rate %.3f\n",
		m.Cases, m.Attacks, m.Benign, m.Recall, m.FullRecall, m.FPRate)
	fmt.Fprintf(&b, "%-10s %4s %4s %4s %9s %7s\n", "scanner", "tp", "fp", "fn", "precision", "recall")
	for _, name := range Scanners() {
		sm, ok := m.Scanners[name]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "%-10s %4d %4d %4d %9.3f %7.3f\n", name, sm.TP, sm.FP, sm.FN, sm.Precision, sm.Recall)
	}
	return b.String()
}
