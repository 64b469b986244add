package guard

import (
	"context"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/llmos/llmos"
)

// Stage says on which side of a model call or syscall a text is checked.
type Stage string

// The stages.
const (
	// StageInput checks text on its way into a model: user prompts, tool
	// results, fetched pages, retrieved memories, tool arguments.
	StageInput Stage = "input"
	// StageOutput checks text a model produced before it leaves: replies to
	// the user, and tool arguments when the monitor checks them as output.
	StageOutput Stage = "output"
)

// Action is what the monitor does with a flagged text. Actions are ordered
// Allow < Redact < Ask < Block; a verdict takes the strongest of its findings.
type Action string

// The actions.
const (
	Allow  Action = "allow"  // let it through (a finding may still be logged)
	Redact Action = "redact" // replace the flagged spans, then let it through
	Ask    Action = "ask"    // ask the user to approve, showing the text
	Block  Action = "block"  // stop it
)

var actionRank = map[Action]int{Allow: 0, Redact: 1, Ask: 2, Block: 3}

// Stronger reports whether a is a stronger action than b.
func (a Action) Stronger(b Action) bool { return actionRank[a] > actionRank[b] }

// Kind says what a text is, which decides the scanners that apply.
type Kind string

// The kinds of text.
const (
	KindPrompt     Kind = "prompt"      // the user's own input (trusted; the monitor may only log)
	KindToolResult Kind = "tool_result" // what a tool, page, file or memory returned (untrusted)
	KindToolArgs   Kind = "tool_args"   // the arguments of a tool call a model made
	KindReply      Kind = "reply"       // a model's answer
	KindCode       Kind = "code"        // generated code or a shell command line
)

// Kinds lists the kinds, for validation and docs.
func Kinds() []Kind { return []Kind{KindPrompt, KindToolResult, KindToolArgs, KindReply, KindCode} }

// Input is one text to check.
type Input struct {
	Stage Stage
	// Kind defaults to prompt at the input stage and reply at the output stage.
	Kind Kind
	Text string
	// Canary is the secret planted in the system prompt; the canary scanner
	// reports it leaking in output. Empty: no canary check.
	Canary string
	// Tool names the tool whose arguments (KindToolArgs) or result this is.
	Tool string
}

// Finding is what one scanner found. A finding whose Action is not Allow
// flagged the text.
type Finding struct {
	Scanner string  `json:"scanner"`
	Score   float64 `json:"score"`
	// Reason says what was found, with a short excerpt; secrets and canaries
	// are never quoted in it.
	Reason string `json:"reason"`
	Action Action `json:"action"`
	// Start and End are the byte span in Input.Text of what was found (the
	// first span when there are several), -1 when it has none.
	Start int `json:"-"`
	End   int `json:"-"`
}

// Verdict is the result of a check.
type Verdict struct {
	Flagged bool `json:"flagged"`
	// Score is the highest score of the findings.
	Score float64 `json:"score"`
	// Action is the strongest action of the flagged findings, Allow if none.
	Action Action `json:"action"`
	// Scanners holds every finding with a score above zero, or an action;
	// at most maxReported per scanner, strongest first.
	Scanners []Finding `json:"scanners"`
	// Text is Input.Text with the spans of the Redact findings replaced by
	// "[REDACTED:<scanner>]", set when Action is Redact.
	Text string `json:"text,omitempty"`
	// Truncated is set when Input.Text was longer than Config.MaxBytes: only
	// its head and tail were scanned.
	Truncated bool `json:"truncated,omitempty"`
}

// Config configures a Guard. The zero Config is usable.
type Config struct {
	// Actions maps a scanner name to the action taken when it flags; missing
	// scanners take DefaultActions(stage).
	Actions map[string]Action
	// Threshold is the score at or above which a finding flags; 0 means 0.5.
	Threshold float64
	// AllowHosts are the hosts exfil links may point to: a link's host
	// matches when it equals one or ends with "."+one.
	AllowHosts []string
	// Disabled names scanners that do not run.
	Disabled []string
	// Judge, when set, is asked for a verdict on every text (the judge
	// scanner); JudgeModel is the model name sent in its requests.
	Judge      Generator
	JudgeModel string
	// JudgeFailOpen makes a failing judge allow the text; by default a
	// failure asks the user (fail closed).
	JudgeFailOpen bool
	// MaxBytes is the most text scanned; 0 means 1 MiB. Longer texts are
	// scanned head and tail (half each) and the verdict says Truncated.
	MaxBytes int
}

// Guard runs the scanners. It is safe for concurrent use.
type Guard struct {
	cfg      Config
	disabled map[string]bool
	hosts    []string
}

// The scanner names.
const (
	ScanInjection = "injection"
	ScanJailbreak = "jailbreak"
	ScanEncoded   = "encoded"
	ScanInvisible = "invisible"
	ScanSecrets   = "secrets"
	ScanPII       = "pii"
	ScanCanary    = "canary"
	ScanExfil     = "exfil"
	ScanCode      = "code"
	ScanJudge     = "judge"
)

// Scanners returns the scanner names, in the order they run.
func Scanners() []string {
	return []string{ScanInjection, ScanJailbreak, ScanEncoded, ScanInvisible, ScanSecrets, ScanPII, ScanCanary, ScanExfil, ScanCode, ScanJudge}
}

// DefaultActions returns the actions taken at a stage when a scanner flags.
//
// At the input stage the texts are mostly untrusted tool results: phrasing
// that tries to steer the model (injection, jailbreak, hidden in encodings or
// invisible characters) blocks, secrets are redacted before a model sees
// them, personal data is normal content and only logged (allow), dangerous
// code asks. At the output stage what leaves is redacted (secrets, personal
// data, exfiltration links, invisible characters, encoded secrets), a leaked
// canary blocks and code asks. The judge blocks at both stages. The monitor
// may downgrade findings on the user's own prompts to logging.
func DefaultActions(stage Stage) map[string]Action {
	if stage == StageOutput {
		return map[string]Action{
			ScanInjection: Block, ScanJailbreak: Block, ScanEncoded: Redact, ScanInvisible: Redact,
			ScanSecrets: Redact, ScanPII: Redact, ScanCanary: Block, ScanExfil: Redact, ScanCode: Ask, ScanJudge: Block,
		}
	}
	return map[string]Action{
		ScanInjection: Block, ScanJailbreak: Block, ScanEncoded: Block, ScanInvisible: Block,
		ScanSecrets: Redact, ScanPII: Allow, ScanCanary: Block, ScanExfil: Redact, ScanCode: Ask, ScanJudge: Block,
	}
}

// DefaultMaxBytes is the default of Config.MaxBytes.
const DefaultMaxBytes = 1 << 20

// DefaultThreshold is the default of Config.Threshold.
const DefaultThreshold = 0.5

// maxReported bounds the findings of one scanner in a verdict; redaction
// still covers all of them.
const maxReported = 16

// New validates cfg and returns a Guard. Unknown scanner names, unknown
// actions, a threshold outside [0, 1] or a negative MaxBytes are errors with
// code invalid that name the mistake.
func New(cfg Config) (*Guard, error) {
	known := Scanners()
	for name, a := range cfg.Actions {
		if !slices.Contains(known, name) {
			return nil, llmos.Errorf(llmos.CodeInvalid, "guard: unknown scanner %q in actions: use one of %s", name, strings.Join(known, ", "))
		}
		if _, ok := actionRank[a]; !ok {
			return nil, llmos.Errorf(llmos.CodeInvalid, "guard: unknown action %q for scanner %s: use allow, redact, ask or block", a, name)
		}
	}
	g := &Guard{cfg: cfg, disabled: map[string]bool{}}
	for _, name := range cfg.Disabled {
		if !slices.Contains(known, name) {
			return nil, llmos.Errorf(llmos.CodeInvalid, "guard: cannot disable unknown scanner %q: use one of %s", name, strings.Join(known, ", "))
		}
		g.disabled[name] = true
	}
	if cfg.Threshold < 0 || cfg.Threshold > 1 || math.IsNaN(cfg.Threshold) {
		return nil, llmos.Errorf(llmos.CodeInvalid, "guard: threshold %v is outside [0, 1]", cfg.Threshold)
	}
	if g.cfg.Threshold == 0 {
		g.cfg.Threshold = DefaultThreshold
	}
	if cfg.MaxBytes < 0 {
		return nil, llmos.Errorf(llmos.CodeInvalid, "guard: max bytes %d is negative", cfg.MaxBytes)
	}
	if g.cfg.MaxBytes == 0 {
		g.cfg.MaxBytes = DefaultMaxBytes
	}
	g.cfg.MaxBytes = max(g.cfg.MaxBytes, 64)
	for _, h := range cfg.AllowHosts {
		h = strings.Trim(strings.ToLower(strings.TrimSpace(h)), ".")
		if h == "" || strings.ContainsAny(h, "/:@ ") {
			return nil, llmos.Errorf(llmos.CodeInvalid, "guard: allowed host %q is not a host name", h)
		}
		g.hosts = append(g.hosts, h)
	}
	return g, nil
}

// Threshold returns the score at or above which a finding flags.
func (g *Guard) Threshold() float64 { return g.cfg.Threshold }

// action returns the action for a scanner at a stage.
func (g *Guard) action(stage Stage, scanner string) Action {
	if a, ok := g.cfg.Actions[scanner]; ok {
		return a
	}
	return DefaultActions(stage)[scanner]
}

// finding is a scanner's result before actions are decided.
type finding struct {
	scanner string
	score   float64
	reason  string
	spans   [][2]int // byte spans in the segment scanned, shifted to Input.Text by Check
	// preset, when set, is the action regardless of score (a failing judge).
	preset Action
}

// segment is a part of the input scanned as a whole.
type segment struct {
	off  int
	text string
}

// scan is what a scanner sees: one segment of the input, its lower-cased
// form, and the input's stage, kind and canary.
type scan struct {
	g     *Guard
	in    *Input
	text  string
	lower string
}

type scanFunc func(s *scan) []finding

var offline = map[string]scanFunc{
	ScanInjection: scanInjection,
	ScanJailbreak: scanJailbreak,
	ScanEncoded:   scanEncoded,
	ScanInvisible: scanInvisible,
	ScanSecrets:   scanSecrets,
	ScanPII:       scanPII,
	ScanCanary:    scanCanary,
	ScanExfil:     scanExfil,
	ScanCode:      scanCode,
}

// applies says whether a scanner runs on an input.
func (g *Guard) applies(name string, in *Input) bool {
	if g.disabled[name] {
		return false
	}
	switch name {
	case ScanInjection, ScanJailbreak:
		return in.Stage == StageInput && in.Kind != KindCode
	case ScanCanary:
		return in.Stage == StageOutput && in.Canary != ""
	case ScanExfil:
		return in.Stage == StageOutput
	case ScanCode:
		return in.Kind == KindCode || in.Kind == KindToolArgs && codeTool(in.Tool)
	case ScanJudge:
		return g.cfg.Judge != nil
	}
	return true
}

// codeTool reports whether a tool runs code or commands: its arguments are
// then checked for dangerous code. An unnamed tool counts.
func codeTool(name string) bool {
	if name == "" {
		return true
	}
	n := strings.ToLower(name)
	for _, w := range []string{"shell", "python", "bash", "exec", "terminal", "command", "script", "code", "powershell", "cmd", "sh_", "run_"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return n == "sh" || n == "zsh" || n == "run"
}

// Check scans in and returns the verdict. It never fails: a failing judge
// becomes a finding. Text longer than MaxBytes is scanned head and tail.
// Scanning is bounded by MaxBytes; only the judge waits on ctx.
func (g *Guard) Check(ctx context.Context, in Input) Verdict {
	if in.Stage != StageOutput {
		in.Stage = StageInput
	}
	if in.Kind == "" {
		in.Kind = KindPrompt
		if in.Stage == StageOutput {
			in.Kind = KindReply
		}
	}
	segs, truncated := split(in.Text, g.cfg.MaxBytes)
	var all []finding
	for _, seg := range segs {
		if seg.text == "" {
			continue
		}
		s := &scan{g: g, in: &in, text: seg.text, lower: lowerText(seg.text)}
		for _, name := range Scanners() {
			fn := offline[name]
			if fn == nil || !g.applies(name, &in) {
				continue
			}
			for _, f := range fn(s) {
				for i := range f.spans {
					f.spans[i][0] += seg.off
					f.spans[i][1] += seg.off
				}
				all = append(all, f)
			}
		}
	}
	if g.applies(ScanJudge, &in) && strings.TrimSpace(in.Text) != "" {
		all = append(all, g.judge(ctx, &in))
	}
	v := g.verdict(&in, all)
	v.Truncated = truncated
	return v
}

// split cuts text longer than maxBytes into its head and tail, at rune
// boundaries.
func split(text string, maxBytes int) ([]segment, bool) {
	if len(text) <= maxBytes {
		return []segment{{0, text}}, false
	}
	half := maxBytes / 2
	h := runeStart(text, half)
	t := runeEnd(text, len(text)-half)
	return []segment{{0, text[:h]}, {t, text[t:]}}, true
}

// verdict decides the actions of the findings and assembles the verdict.
func (g *Guard) verdict(in *Input, all []finding) Verdict {
	v := Verdict{Action: Allow, Scanners: []Finding{}}
	type redaction struct {
		span    [2]int
		scanner string
	}
	var cuts []redaction
	var out []Finding
	for _, f := range all {
		if f.score <= 0 && f.preset == "" {
			continue
		}
		a := Allow
		switch {
		case f.preset != "":
			a = f.preset
		case f.score >= g.cfg.Threshold:
			a = g.action(in.Stage, f.scanner)
		}
		if a == Redact {
			if len(f.spans) == 0 {
				// A redaction with nothing to cut would let the text through.
				a = Block
			}
			for _, sp := range f.spans {
				cuts = append(cuts, redaction{sp, f.scanner})
			}
		}
		fo := Finding{Scanner: f.scanner, Score: round(min(1, f.score)), Reason: f.reason, Action: a, Start: -1, End: -1}
		if len(f.spans) > 0 {
			fo.Start, fo.End = f.spans[0][0], f.spans[0][1]
		}
		out = append(out, fo)
		v.Score = max(v.Score, fo.Score)
		if a.Stronger(v.Action) {
			v.Action = a
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Scanner < out[j].Scanner
	})
	per := map[string]int{}
	for _, f := range out {
		if per[f.Scanner] < maxReported {
			v.Scanners = append(v.Scanners, f)
		}
		per[f.Scanner]++
	}
	v.Flagged = v.Action != Allow
	if v.Action == Redact {
		spans := make([][2]int, len(cuts))
		names := make([]string, len(cuts))
		sort.SliceStable(cuts, func(i, j int) bool { return cuts[i].span[0] < cuts[j].span[0] })
		for i, c := range cuts {
			spans[i], names[i] = c.span, c.scanner
		}
		v.Text = redact(in.Text, spans, names)
	}
	return v
}

// redact replaces the spans of text (sorted by start) with
// "[REDACTED:<scanner>]"; overlapping spans merge under the first one's name.
// Spans are clamped to the text and widened to rune boundaries.
func redact(text string, spans [][2]int, names []string) string {
	var b strings.Builder
	b.Grow(len(text))
	pos := 0
	for i := 0; i < len(spans); i++ {
		s, e := clampSpan(text, spans[i])
		if e <= s {
			continue
		}
		name := names[i]
		for i+1 < len(spans) {
			ns, ne := clampSpan(text, spans[i+1])
			if ns > e {
				break
			}
			e = max(e, ne)
			i++
		}
		if s < pos {
			s = pos
		}
		if e <= s {
			continue
		}
		b.WriteString(text[pos:s])
		b.WriteString("[REDACTED:" + name + "]")
		pos = e
	}
	b.WriteString(text[pos:])
	return b.String()
}

func clampSpan(text string, sp [2]int) (int, int) {
	s := min(max(sp[0], 0), len(text))
	e := min(max(sp[1], s), len(text))
	return runeStart(text, s), runeEnd(text, e)
}
