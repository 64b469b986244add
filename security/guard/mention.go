package guard

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A phrase can be used or mentioned. Documentation about prompt injection
// quotes "ignore previous instructions" as an example; security training
// warns that a phishing mail "asks you to forward your password". Those
// texts steer no model, and flagging them blocks the pages an agent reads to
// learn about the topic. mentioned keeps such hits but cuts their weight to
// mentionFactor:
//
//   - a hit inside a short quotation that follows a marker of example ("such
//     as", "like", "e.g.", "comme", "wie", "como", "例如", …), or inside any
//     quotation when the text talks about attacks (prompt injection,
//     attackers, jailbreak prompts, phishing);
//   - an action hit (send the passwords, forward all mail) reported or
//     negated: "asks you to forward", "never send".
//
// An attacker can quote too, so the weight is cut, not dropped: a quoted
// phrase with other evidence still flags.
const mentionFactor = 0.25

var (
	markerRe = regexp.MustCompile(`(?:(?:asked|told|prompted) (?:it|them|the model|the assistant|the bot|the ai) to|such as|like|e\.g\.,?|eg\.?|for example,?|for instance,?|known as|called|phrases?|the words?|strings?|comme|par exemple,?|tel(?:le)?s? que|wie|z\. ?b\.|zum beispiel|etwa|como|por ejemplo,?|tales como|come|ad esempio,?|tipo|zoals|bijvoorbeeld|как|например,?|типа|例如|比如|譬如|像是|如|例えば|のような)[\s:：,，]*$`)
	metaRe   = regexp.MustCompile(`prompt[- ]?injection|injection de prompt|inyecci[óo]n de prompts?|injeç[ãa]o de prompt|prompt-injektion|promptinjectie|инъекци\pL* промпт|提示注入|提示词注入|プロンプトインジェクション|jailbreak prompts?|jailbreak[- ]angriff|attackers?|adversarial|angreifer|atacantes?|attaccanti|aanvallers|злоумышленник|攻击者|攻撃者|phishing`)
	// reportRe ends where a reported or negated action starts.
	reportRe = regexp.MustCompile(`(?:(?:asks?|asking|asked|requests?|requesting|urges?|urging|tricks?|tricking|pressures?|persuades?|gets?) (?:you|users?|employees|staff|people|victims?|someone|them) (?:to|into)|never|do not|don[’']t|must not|should not|shouldn[’']t|will never|won[’']t|(?:must|should|may) not (?:attempt|try) to|n[ãa]o|nunca|jamais|ne|nicht|niemals|nie|niet|nooit|no|non|mai|не|никогда|никому)\s+(?:\pL+\s+)?$|(?:请勿|請勿|勿|不要|别|別|绝不|絕不)$`)
)

// topicLabels are the jailbreak signals that name the topic ("jailbreak",
// "DAN"): mentions in a text about attacks, or about jailbroken phones.
var topicLabels = map[string]bool{"jailbreak-word": true, "dan-caps": true, "aim-caps": true, "harmful-topic": true}

// deviceRe names what else gets jailbroken.
var deviceRe = regexp.MustCompile(`iphone|ipad|\bios\b|android|phone|device|console|kindle|playstation|xbox|firmware|router|warranty|cydia|rooted|smartphone|tablet`)

// reportLabels are the action signals that reportRe can weaken.
var reportLabels = map[string]bool{"send-sensitive": true, "send-to-address": true, "forward-all": true,
	"covert-action": true, "send-secrets-more": true, "bypass-guidelines": true}

// quotePairs are the opening and closing quotation marks.
var quotePairs = map[rune]rune{'"': '"', '“': '”', '‘': '’', '\'': '\'', '«': '»', '„': '“', '「': '」', '『': '』', '‹': '›'}

// maxQuote bounds the quotation a mentioned phrase sits in.
const maxQuote = 160

// mentioned weakens the hits that are mentioned rather than used.
func mentioned(hits []hit, lower string) []hit {
	meta := -1
	for i := range hits {
		h := &hits[i]
		if h.sig.weight <= 0 {
			continue
		}
		if reportLabels[h.sig.label] && reportRe.MatchString(lower[max(0, h.start-48):h.start]) {
			h.w = h.sig.weight * mentionFactor
			continue
		}
		if topicLabels[h.sig.label] {
			if meta < 0 {
				meta = boolInt(metaRe.MatchString(lower))
			}
			if meta == 1 || deviceRe.MatchString(lower[max(0, h.start-80):min(len(lower), h.end+80)]) {
				h.w = h.sig.weight * mentionFactor
				continue
			}
		}
		open, ok := quotedAt(lower, h.start, h.end)
		if !ok {
			continue
		}
		if meta < 0 {
			meta = boolInt(metaRe.MatchString(lower))
		}
		if meta == 1 || markerRe.MatchString(lower[max(0, runeStart(lower, open-40)):open]) {
			h.w = h.sig.weight * mentionFactor
		}
	}
	return hits
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// quotedAt reports whether [start, end) lies inside a short quotation on one
// line, and where the quotation opens.
func quotedAt(s string, start, end int) (int, bool) {
	for i := start; i > 0 && start-i < maxQuote; {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		i -= n
		if r == '\n' {
			return 0, false
		}
		closeR, ok := quotePairs[r]
		if !ok {
			continue
		}
		if r == '\'' && i > 0 {
			if p, _ := utf8.DecodeLastRuneInString(s[:i]); unicode.IsLetter(p) {
				continue // an apostrophe: user's
			}
		}
		if closesAfter(s, end, closeR, i+n) {
			return i, true
		}
		return 0, false
	}
	return 0, false
}

// closesAfter reports whether the quotation opened before from closes after
// end within maxQuote bytes of its opening, on the same line.
func closesAfter(s string, end int, closeR rune, from int) bool {
	limit := min(len(s), from+maxQuote)
	if end > limit {
		return false
	}
	if k := strings.IndexByte(s[end:limit], '\n'); k >= 0 {
		limit = end + k
	}
	for j := end; j < limit; {
		r, n := utf8.DecodeRuneInString(s[j:])
		if r == closeR {
			if r != '\'' || j+n >= len(s) {
				return true
			}
			if nx, _ := utf8.DecodeRuneInString(s[j+n:]); !unicode.IsLetter(nx) {
				return true
			}
		}
		j += n
	}
	return false
}
