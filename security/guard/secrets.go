package guard

import (
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"strings"
)

// The secrets scanner finds credentials: the key formats of the common
// providers, private keys, JWTs, passwords in URLs and in assignments, and
// high-entropy tokens. Placeholders ("sk-your-key-here", AWS's
// AKIAIOSFODNN7EXAMPLE) score low; hex strings (git SHAs, digests) and UUIDs
// count only when a word such as "secret" or "token" sits right before them;
// tokens inside URLs, public keys, integrity hashes and large encoded blobs
// are left alone. Reasons name the format and length, never the secret.

type secretRule struct {
	name  string
	score float64
	m     *matcher
	// lower rules are written in lower case and run on the lower-cased
	// text; the value is read from the original.
	lower bool
	// group is the submatch holding the secret (0: the whole match).
	group int
	// check returns the score of a value, 0 to drop it; nil keeps score.
	check func(v string) float64
}

// rule compiles a secret rule.
func rule(name string, score float64, group int, expr string, check func(string) float64) secretRule {
	return secretRule{name: name, score: score, m: newMatcher(regexp.MustCompile(expr)), group: group, check: check}
}

// lowerRule compiles a rule matched against the lower-cased text.
func lowerRule(name string, score float64, group int, expr string, check func(string) float64) secretRule {
	r := rule(name, score, group, expr, check)
	r.lower = true
	return r
}

var secretRules = []secretRule{
	rule("private key", 0.99, 0, `-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`, nil),
	rule("Anthropic API key", 0.97, 0, `\bsk-ant-(?:api|admin|sid|oat)?[0-9]{0,2}-?[A-Za-z0-9_-]{32,}`, nil),
	rule("OpenAI project key", 0.95, 0, `\bsk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}`, nil),
	rule("OpenAI-style API key", 0.85, 0, `\bsk-[A-Za-z0-9]{20,}`, nil),
	rule("AWS access key id", 0.9, 0, `\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b`, nil),
	lowerRule("AWS secret access key", 0.95, 1, `(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key|secretaccesskey)["']?\s*(?:[:=]|:=|=>)\s*["']?([a-z0-9/+]{40})\b`, nil),
	rule("GitHub token", 0.95, 0, `\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b`, nil),
	rule("GitHub fine-grained token", 0.95, 0, `\bgithub_pat_[A-Za-z0-9_]{60,255}\b`, nil),
	rule("GitLab token", 0.9, 0, `\bglpat-[A-Za-z0-9_-]{20,}`, nil),
	rule("Google API key", 0.9, 0, `\bAIza[0-9A-Za-z_-]{35}`, nil),
	rule("Slack token", 0.9, 0, `\bxox[bpasore]-[0-9A-Za-z-]{10,}`, nil),
	rule("Slack webhook", 0.9, 0, `https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{20,}`, nil),
	rule("Stripe live key", 0.95, 0, `\b(?:sk|rk)_live_[0-9a-zA-Z]{20,}`, nil),
	rule("Stripe test key", 0.6, 0, `\b(?:sk|rk)_test_[0-9a-zA-Z]{20,}`, nil),
	rule("Hugging Face token", 0.9, 0, `\bhf_[A-Za-z0-9]{30,}\b`, nil),
	rule("npm token", 0.9, 0, `\bnpm_[A-Za-z0-9]{36}\b`, nil),
	rule("SendGrid key", 0.9, 0, `\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b`, nil),
	rule("xAI key", 0.9, 0, `\bxai-[A-Za-z0-9]{40,}`, nil),
	rule("Groq key", 0.9, 0, `\bgsk_[A-Za-z0-9]{40,}`, nil),
	rule("Azure storage key", 0.9, 1, `AccountKey=([A-Za-z0-9+/]{80,}={0,2})`, nil),
	rule("JWT", 0.85, 0, `\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`, jwtScore),
	lowerRule("password in a URL", 0.75, 1, `\b(?:postgres(?:ql)?|mysql|mariadb|redis|rediss|mongodb(?:\+srv)?|amqps?|https?|ftps?|sftp|smtps?|ldaps?|mssql|sqlserver|jdbc:[a-z]+|git|ssh|nats|kafka|mqtts?|imaps?|pop3s?|clickhouse|cockroachdb|neo4j|couchdb|elasticsearch|influxdb|rabbitmq|oracle|db2|snowflake)://[^\s:/@"'<>]{1,64}:([^\s:/@"'<>]{3,128})@[a-z0-9.-]+`, urlPasswordScore),
}

// assignRe finds credentials assigned to a suggestive name, in the
// lower-cased text; the value is read from the original.
var assignSig = sig("secrets", "assignment", 0.75, `(?:api[_-]?key|apikey|api[_-]?secret|secret|token|password|passwd|pwd|credential|access[_-]?key|private[_-]?key|client[_-]?secret)[a-z0-9_-]{0,24}["']?\s*(?:[:=]|:=|=>)\s*["']?[^\s"'<>{}$;,()\[\]]{8,200}`)

// notSecretName are name parts that make an assignment metadata about a
// credential (its name, id, path, length), not the credential.
var notSecretName = []string{"name", "id", "path", "file", "arn", "version", "ref", "count", "len", "type", "url", "uri", "env", "var", "manager", "store", "header", "field", "prefix", "expir", "ttl", "limit", "usage", "used", "hint"}

var assignValueRe = regexp.MustCompile(`(?:[:=]|=>)\s*["']?([^\s"'<>{}$;,()\[\]]{8,200})$`)

var bearerSig = sig("secrets", "bearer", 0.75, `bearer\s+[a-z0-9._~+/-]{20,}=*`)

var (
	uuidRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hexTokRe = regexp.MustCompile(`^[0-9a-fA-F]+$`)
)

// scanSecrets implements the secrets scanner.
func scanSecrets(s *scan) []finding { return secretFindingsLower(s.text, s.lower) }

// secretFindings finds secrets in text (for rescans of decoded text).
func secretFindings(text string) []finding { return secretFindingsLower(text, lowerText(text)) }

func secretFindingsLower(text, lower string) []finding {
	var out []finding
	var taken [][2]int
	add := func(name string, score float64, s, e int) {
		if overlaps(taken, s, e) {
			return
		}
		taken = append(taken, [2]int{s, e})
		out = append(out, finding{scanner: ScanSecrets, score: score, spans: [][2]int{{s, e}},
			reason: fmt.Sprintf("%s (%d characters)", name, e-s)})
	}
	for _, r := range secretRules {
		src := text
		if r.lower {
			src = lower
		}
		for _, m := range r.m.find(src, 4096, 64) {
			s, e := m[2*r.group], m[2*r.group+1]
			if s < 0 {
				continue
			}
			v := text[s:e]
			score := r.score
			if r.name == "private key" {
				e = pemEnd(text, e)
			} else if placeholder(v) {
				score = 0.15
			}
			if r.check != nil && score > 0.15 {
				score = r.check(v)
			}
			if score > 0 {
				add(r.name, score, s, e)
			}
		}
	}
	// An AWS secret key near an access key id.
	for _, f := range out {
		if !strings.HasPrefix(f.reason, "AWS access key id") {
			continue
		}
		end := f.spans[0][1]
		win := text[end:min(len(text), end+200)]
		for _, m := range awsSecretNearRe.FindAllStringSubmatchIndex(win, 2) {
			v := win[m[2]:m[3]]
			if entropy(v) > 4 && !placeholder(v) {
				add("AWS secret access key", 0.9, end+m[2], end+m[3])
			}
		}
	}
	for _, h := range findSignal(assignSig, lower) {
		m := assignValueRe.FindStringSubmatchIndex(lower[h.start:h.end])
		if m == nil {
			continue
		}
		s, e := h.start+m[2], h.start+m[3]
		seg := lower[h.start:h.end]
		name := seg[:max(0, strings.IndexAny(seg, ":=>"))]
		meta := false
		for _, w := range notSecretName {
			if strings.Contains(name, w) {
				meta = true
			}
		}
		if sc := assignedScore(text[s:e]); sc > 0 && !meta {
			add("credential assigned to "+clip(strings.Trim(name, `"' `), 24), sc, s, e)
		}
	}
	for _, h := range findSignal(bearerSig, lower) {
		s := h.start + len("bearer")
		for s < h.end && (text[s] == ' ' || text[s] == '\t') {
			s++
		}
		if v := text[s:h.end]; entropy(v) >= 3.5 && !placeholder(v) {
			add("bearer token", 0.75, s, h.end)
		}
	}
	for _, t := range entropyTokens(text, lower) {
		add(t.name, t.score, t.s, t.e)
	}
	return out
}

var awsSecretNearRe = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`)

func overlaps(spans [][2]int, s, e int) bool {
	for _, sp := range spans {
		if s < sp[1] && sp[0] < e {
			return true
		}
	}
	return false
}

// pemEnd extends a private key's span to its END line, if it follows within
// 16 KiB.
func pemEnd(text string, from int) int {
	win := text[from:min(len(text), from+16<<10)]
	i := strings.Index(win, "-----END ")
	if i < 0 {
		return from
	}
	j := strings.Index(win[i+9:], "-----")
	if j < 0 {
		return from
	}
	return from + i + 9 + j + 5
}

// placeholder reports whether a key-shaped value is an obvious stand-in.
func placeholder(v string) bool {
	l := strings.ToLower(v)
	for _, w := range []string{"xxxx", "example", "your", "here", "placeholder", "redacted", "dummy", "sample", "fake", "changeme", "insert", "replace", "....", "****", "<", "0000000", "1234567", "abcdef"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	distinct := map[rune]bool{}
	for _, r := range v {
		distinct[r] = true
	}
	return len(v) >= 16 && len(distinct) < 8
}

// urlPasswordScore drops the stand-ins of documentation and templates.
func urlPasswordScore(v string) float64 {
	switch strings.ToLower(v) {
	case "password", "pass", "passwd", "pwd", "secret", "pw", "changeme", "admin", "root", "user", "test", "guest":
		return 0.15
	}
	if strings.ContainsAny(v, "${}") {
		return 0.15
	}
	return 0.75
}

// jwtScore keeps a JWT whose header decodes to JSON naming an algorithm.
func jwtScore(v string) float64 {
	head, _, _ := strings.Cut(v, ".")
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(head, "="))
	if err == nil && strings.Contains(string(b), `"alg"`) {
		return 0.85
	}
	return 0.5
}

// assignedScore scores a value assigned to a credential-like name: code
// (calls, references, environment lookups), placeholders and plain words
// score nothing.
func assignedScore(v string) float64 {
	l := strings.ToLower(v)
	if placeholder(v) || strings.ContainsAny(v, "()$%{}") || strings.HasPrefix(l, "os.") || strings.HasPrefix(l, "process.") ||
		strings.HasPrefix(l, "env.") || strings.HasPrefix(l, "self.") || strings.HasPrefix(l, "this.") || strings.HasPrefix(l, "config.") ||
		strings.HasPrefix(l, "settings.") || strings.HasPrefix(l, "http") || strings.HasSuffix(l, ".") {
		return 0
	}
	switch l {
	case "required", "optional", "undefined", "password", "none", "null", "string", "boolean", "true", "false", "secret", "required.":
		return 0
	}
	var upper, lowerC, digit, other int
	for _, r := range v {
		switch {
		case 'A' <= r && r <= 'Z':
			upper++
		case 'a' <= r && r <= 'z':
			lowerC++
		case '0' <= r && r <= '9':
			digit++
		default:
			other++
		}
	}
	classes := 0
	for _, c := range []int{upper, lowerC, digit, other} {
		if c > 0 {
			classes++
		}
	}
	// A dotted or underscored identifier (settings.api_key) is code.
	if digit == 0 && upper == 0 {
		return 0
	}
	if classes < 2 || entropy(v) < 3.0 {
		return 0
	}
	return 0.75
}

type tokenHit struct {
	name  string
	score float64
	s, e  int
}

func tokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' || c == '_' || c == '-'
}

// strongContext are words that make a hex string or UUID right after them a
// secret rather than an identifier.
var strongContext = []string{"secret", "password", "passwd", "token", "api_key", "apikey", "api-key", "api key", "access_key", "access key", "private", "credential", "bearer", "auth"}

// entropyTokens finds high-entropy tokens that no format matched.
func entropyTokens(text, lower string) []tokenHit {
	var out []tokenHit
	var plain int
	for i := 0; i < len(text); {
		if !tokenByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && tokenByte(text[j]) {
			if text[j] == '=' && j+1 < len(text) && tokenByte(text[j+1]) && text[j+1] != '=' {
				break // key=value: the value is the next token
			}
			j++
		}
		s, e := i, j
		i = max(j, i+1)
		// Trim separators at the ends ("--flag", "a/b/", "==").
		for s < e && strings.IndexByte("+/=_-", text[s]) >= 0 {
			s++
		}
		for e > s && strings.IndexByte("+/_-", text[e-1]) >= 0 {
			e--
		}
		if e-s < 24 || e-s > 256 {
			continue
		}
		tok := text[s:e]
		before := lower[max(0, s-40):s]
		ctx := false
		for _, w := range strongContext {
			if strings.Contains(before, w) {
				ctx = true
				break
			}
		}
		if skipToken(text, lower, s, e) {
			continue
		}
		if hexTokRe.MatchString(tok) || uuidRe.MatchString(tok) {
			if ctx && !hashContext(before) {
				out = append(out, tokenHit{"hex secret after a credential word", 0.7, s, e})
			}
			continue
		}
		if _, ok := decodeBase64(tok); ok {
			continue // encoded text, left to the encoded scanner
		}
		if strings.Count(tok, "/") >= 2 || strings.Count(tok, "-")+strings.Count(tok, "_") >= 4 && !ctx {
			continue // paths, slugs and identifiers
		}
		var up, lo, di bool
		for k := 0; k < len(tok); k++ {
			c := tok[k]
			up = up || 'A' <= c && c <= 'Z'
			lo = lo || 'a' <= c && c <= 'z'
			di = di || '0' <= c && c <= '9'
		}
		h := entropy(tok)
		need := 0.8 * math.Log2(float64(min(len(tok), 64)))
		switch {
		case up && lo && di && h >= need:
		case lo && di && !up && h >= need+0.3:
		default:
			continue
		}
		score := 0.55
		name := "high-entropy token"
		if ctx {
			score = 0.75
			name = "high-entropy token after a credential word"
		} else {
			plain++
		}
		if placeholder(tok) {
			score = 0.15
		}
		out = append(out, tokenHit{name, score, s, e})
	}
	if plain > 20 {
		// Many random-looking tokens: an encoded blob or a list of hashes,
		// not keys. Keep those after a credential word.
		kept := out[:0]
		for _, t := range out {
			if t.score >= 0.7 {
				kept = append(kept, t)
			}
		}
		out = kept
	}
	return out
}

// hashContext reports whether the words before a hex string call it a hash.
func hashContext(before string) bool {
	for _, w := range []string{"sha", "commit", "hash", "digest", "checksum", "md5", "etag", "revision"} {
		if strings.Contains(before, w) {
			return true
		}
	}
	return false
}

// skipToken leaves alone tokens that are parts of URLs, public keys,
// integrity hashes and data URIs.
func skipToken(text, lower string, s, e int) bool {
	ws := s
	for ws > 0 && !isSpaceByte(text[ws-1]) && s-ws < 2048 {
		ws--
	}
	word := lower[ws:e]
	if strings.Contains(word, "://") || strings.HasPrefix(word, "www.") || strings.Contains(word, "base64,") {
		// A credential in a URL's query still counts.
		pre := lower[max(ws, s-16):s]
		for _, k := range []string{"key=", "token=", "secret=", "password=", "sig=", "signature=", "auth=", "apikey="} {
			if strings.HasSuffix(pre, k) {
				return false
			}
		}
		return true
	}
	before := lower[max(0, s-24):s]
	for _, p := range []string{"sha256-", "sha384-", "sha512-", "sha1-", "h1:", "ssh-rsa ", "ssh-ed25519 ", "ecdsa-sha2-nistp256 ", "ssh-dss ", "integrity", "nonce", "data:"} {
		if strings.Contains(before, p) {
			return true
		}
	}
	return false
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '"' || c == '\'' || c == '(' || c == '<'
}
