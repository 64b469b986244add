// Package guard holds the evaluators of the reference monitor: an input
// stage and an output stage that run around every model call and syscall.
//
// The monitor (package security) calls Check on each text that crosses the
// line: a user prompt or a tool result on its way into a model (StageInput),
// a reply or the arguments of a tool call on their way out (StageOutput, or
// KindToolArgs). Check runs the scanners that apply to the stage and kind and
// returns a Verdict: whether the text was flagged, the highest score, the
// action to take (allow < redact < ask < block), every finding with its
// scanner, score and reason, and, for a redaction, the text with the flagged
// spans replaced by "[REDACTED:<scanner>]".
//
// The offline scanners need no model:
//
//   - injection and jailbreak score phrasing with weighted signals in ten
//     languages (en, fr, de, es, it, pt, nl, ru, zh, ja; a few in pl, tr, ko,
//     sv) and the shape of an injection: text addressed to the AI that reads
//     it ("Note for the AI:", "If you are an LLM summarising this", a JSON key
//     "assistant_instructions", "TODO(agent):") followed closely by an
//     imperative is a directive and flags alone; an address without one only
//     raises the score of other evidence (concealment from the user, claims
//     of authority or of the user's consent, "when asked about X, say Y",
//     imperatives in hidden HTML, fake chat turns). A phrase that is only
//     mentioned — quoted after "such as", quoted in a text about attacks, or
//     negated ("never send your password") — counts for a quarter;
//   - encoded decodes base64, hex, URL-encoding, HTML references and \u
//     escapes (depth 2, within a byte budget) and reads rot13 and leetspeak,
//     then rescans what it finds;
//   - invisible reports Unicode tag characters (and decodes the ASCII they
//     hide), variation-selector smuggling, zero-width characters inside words
//     or in runs, and bidi overrides, sparing emoji, flags and scripts that
//     need joiners;
//   - secrets, pii, canary and exfil protect what leaves: key formats and
//     high-entropy tokens; e-mail, phones, Luhn-checked cards, mod-97-checked
//     IBANs; the canary planted in the system prompt in any of its encodings;
//     images and links that would carry data to hosts not allowed;
//   - code reports dangerous shell and code patterns in generated code and in
//     the arguments of shell-like tools.
//
// With Config.Judge set, the judge scanner also asks a model (for example a
// guard model served by Ollama) for a JSON verdict; a failing judge asks the
// user unless JudgeFailOpen is set.
//
// Scanning is bounded: every regexp is RE2, the phrase signals are matched
// only where their anchor literals occur, decoding has a depth and a byte
// budget, and a text longer than MaxBytes (1 MiB) is scanned head and tail
// with Truncated set. A megabyte dense with trigger words takes half a second
// to a second on one core at the input stage (BenchmarkCheck1MB; the third
// round's structural signals made it about 1.5 times slower); a chat message,
// well under a millisecond.
//
// # Measurement
//
// testdata/eval.jsonl holds 1143 labelled texts written for this package:
// attacks for every scanner in several languages and benign text that uses
// the same trigger words ("ignore this warning in my code", "you are now able
// to reset your password", hex SHAs, UUIDs, example.com links, numbers that
// fail Luhn). Evaluate computes per-scanner precision and recall and the
// false-positive rate on benign text. The set has five parts, and the
// numbers must be read with that in mind:
//
//   - tuning (373 cases), written with the scanners: recall 1.0, benign false
//     positives 0 — in-sample, so it proves little beyond the absence of bugs;
//   - holdout1 (85), written after the first round and measured blind: recall
//     0.66 (injection 0.33, jailbreak 0.29; the structural scanners 1.0),
//     false positives 0; the phrase tables were then broadened;
//   - holdout2 (89), written after that and measured blind: recall 0.69
//     (injection 0.35, jailbreak 0.38; the structural scanners 1.0), benign
//     false positives 0.026; it was then used for a second round, after
//     which it scores recall 0.92 (injection 0.77) and the whole set 0.99
//     with benign false positives 0.004 (1 of 242: a French instruction not
//     to tell the end user their password reads like an injection); after
//     the third round it scores 0.98 (injection 0.94): the structural
//     signals caught two of its four remaining misses before anyone looked
//     at them, and a phrase fix a third;
//   - holdout3 (256: 127 attacks, 129 hard benign), written after that in
//     fourteen languages without reading the scanners or the earlier cases —
//     indirect injections in e-mails, web pages, reviews, calendar invites,
//     JSON fields, code comments, and jailbreak prompts — and measured blind:
//     recall 0.24 (injection 0.19, 17 of 90; jailbreak 0.38, 14 of 37),
//     benign false positives 0.062 (8 of 129, e.g. security documentation
//     quoting "ignore previous instructions", a phone-jailbreaking guide,
//     a game walkthrough's "your new objective is"). A third
//     round then added the structural signals above (directive.go), the
//     concepts of phrases.go and the mention rule (mention.go); holdout3 now
//     scores 1.0 with no false positive — in-sample, like the others;
//   - posthoc3 (340: 150 attacks, 190 hard benign), written during that round
//     after reading the scanners, in five batches of 60 to 80. Each batch was
//     measured before it was tuned on; the share of attacks caught by either
//     scanner and of benign texts flagged went 0.55 and 0.18, 0.70 and 0.03,
//     0.57 and 0.03, 0.17 and 0.17 (a batch phrased on purpose away from the
//     patterns: plural and dative addresses, synonyms), 0.83 and 0.05. After
//     tuning it scores recall 0.97 (injection 0.96, jailbreak 1.0) with
//     benign false positives 0.016; the whole set 0.99 and 0.007.
//
// The blind figures are the honest ones: phrase matching catches the common
// phrasings of injection and jailbreaks and little of what is new; the
// structural signals of the third round did better on the fresh batches
// (0.55 to 0.83 of natural phrasings), but a writer who knows them still
// gets past (0.17), while the structural scanners (encodings, invisible
// text, secrets, personal data, canary, exfiltration links, dangerous code)
// generalise. That is why the
// monitor does not rely on the guard alone: labels and the dual-LLM split
// (package security/ifc) stop what phrasing misses, and a judge model can be
// added here.
//
// # Example
//
//	g, err := guard.New(guard.Config{AllowHosts: []string{"docs.example.org"}})
//	if err != nil {
//		return err
//	}
//	v := g.Check(ctx, guard.Input{Stage: guard.StageInput, Kind: guard.KindToolResult, Text: page})
//	switch v.Action {
//	case guard.Block:
//		// keep the page from the model; log v.Scanners
//	case guard.Redact:
//		page = v.Text
//	}
package guard
