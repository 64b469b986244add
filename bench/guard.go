package bench

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/llmos/llmos/security/guard"
)

// GuardResult is what `llmos bench guard` measures: the offline evaluators
// on their evaluation set, against a keyword filter (the common baseline: a
// list of injection phrases) on the same cases in the same run.
type GuardResult struct {
	Cases  int `json:"cases"`
	Benign int `json:"benign"`
	// Injection cases are those that want the injection or jailbreak
	// scanner: the ones a keyword filter is meant for.
	InjectionCases            int     `json:"injection_cases"`
	InjectionRecall           float64 `json:"injection_recall"`
	BaselineInjectionRecall   float64 `json:"baseline_injection_recall"`
	InjectionRecallVsBaseline float64 `json:"injection_recall_vs_baseline"`
	// HoldoutInjectionRecall is on the cases written after the scanners
	// were first tuned (sets "holdout*"). They have since been tuned on too:
	// measured blind, before that, the injection scanner caught a third of
	// holdout1-2 and a fifth of holdout3 (security/guard/doc.go has the
	// history, and the later batches measured before tuning).
	HoldoutInjectionRecall         float64 `json:"holdout_injection_recall"`
	BaselineHoldoutInjectionRecall float64 `json:"baseline_holdout_injection_recall"`
	// BlindRecall and BlindFalsePositiveRate are on the blind holdout
	// (guard.BlindSet), never tuned on: the honest figure for new text.
	BlindCases             int     `json:"blind_cases"`
	BlindRecall            float64 `json:"blind_recall"`
	BaselineBlindRecall    float64 `json:"baseline_blind_recall"`
	BlindFalsePositiveRate float64 `json:"blind_false_positive_rate"`
	// FalsePositiveRate is the share of benign cases flagged.
	FalsePositiveRate         float64 `json:"false_positive_rate"`
	BaselineFalsePositiveRate float64 `json:"baseline_false_positive_rate"`
	// Recall is over every attack case and every scanner.
	Recall   float64                         `json:"recall"`
	Scanners map[string]guard.ScannerMetrics `json:"scanners"`
	// MicrosPerCheck is the mean time of one Check; the baseline's beside it.
	MicrosPerCheck         float64 `json:"us_per_check"`
	BaselineMicrosPerCheck float64 `json:"baseline_us_per_check"`
}

// baselinePhrases is the keyword filter the guard is compared with.
var baselinePhrases = []string{"ignore previous instructions", "ignore all previous instructions", "ignore the above",
	"disregard previous", "disregard all previous", "forget your instructions", "you are now", "system prompt",
	"jailbreak", "do anything now", "developer mode", "no restrictions"}

func baselineFlags(text string) bool {
	t := strings.ToLower(text)
	for _, p := range baselinePhrases {
		if strings.Contains(t, p) {
			return true
		}
	}
	return false
}

// Guard measures the evaluators against the keyword baseline.
func Guard(ctx context.Context) (*GuardResult, error) {
	cases, err := guard.EvalSet()
	if err != nil {
		return nil, err
	}
	g, err := guard.New(guard.Config{AllowHosts: []string{"llmos.dev", "github.com", "githubusercontent.com", "go.dev",
		"pkg.go.dev", "wikipedia.org", "shields.io", "google.com", "youtube.com", "openstreetmap.org"}})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	m := guard.Evaluate(ctx, g, cases)
	guardTime := time.Since(start)
	r := &GuardResult{Cases: m.Cases, Benign: m.Benign, Recall: m.Recall, FalsePositiveRate: m.FPRate, Scanners: m.Scanners}

	var inj, injHit, base, hold, holdHit, holdBase, benignBase int
	for _, c := range cases {
		flagged := baselineFlags(c.Text)
		if len(c.Want) == 0 {
			if flagged {
				benignBase++
			}
			continue
		}
		if !slices.Contains(c.Want, "injection") && !slices.Contains(c.Want, "jailbreak") {
			continue
		}
		v := g.Check(ctx, guard.Input{Stage: c.Stage, Kind: c.Kind, Text: c.Text, Canary: c.Canary, Tool: c.Tool})
		hit := false
		for _, f := range v.Scanners {
			hit = hit || (f.Score >= g.Threshold() && slices.Contains(c.Want, f.Scanner))
		}
		inj++
		if hit {
			injHit++
		}
		if flagged {
			base++
		}
		if strings.HasPrefix(c.Set, "holdout") {
			hold++
			if hit {
				holdHit++
			}
			if flagged {
				holdBase++
			}
		}
	}
	r.InjectionCases = inj
	r.InjectionRecall, r.BaselineInjectionRecall = share(injHit, inj), share(base, inj)
	if base > 0 {
		r.InjectionRecallVsBaseline = float64(injHit) / float64(base)
	}
	r.HoldoutInjectionRecall, r.BaselineHoldoutInjectionRecall = share(holdHit, hold), share(holdBase, hold)
	r.BaselineFalsePositiveRate = share(benignBase, m.Benign)
	r.MicrosPerCheck = float64(guardTime.Microseconds()) / float64(max(1, m.Cases))
	blind, err := guard.BlindSet()
	if err != nil {
		return nil, err
	}
	bm := guard.Evaluate(ctx, g, blind)
	r.BlindCases, r.BlindRecall, r.BlindFalsePositiveRate = bm.Cases, bm.Recall, bm.FPRate
	caught := 0
	for _, c := range blind {
		if len(c.Want) > 0 && baselineFlags(c.Text) {
			caught++
		}
	}
	r.BaselineBlindRecall = share(caught, bm.Attacks)
	start = time.Now()
	for _, c := range cases {
		baselineFlags(c.Text)
	}
	r.BaselineMicrosPerCheck = float64(time.Since(start).Microseconds()) / float64(max(1, len(cases)))
	return r, nil
}

func share(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
