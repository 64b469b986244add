package guard

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// The exfil scanner finds links in model output that would carry data to a
// host that is not allowed: markdown images and HTML resources (which a
// client loads without a click, so the data leaves at once), markdown links
// and bare URLs. A link carries data when its query, path or subdomains hold
// long or encoded values, or a secret, the canary, an e-mail address or
// words such as "password". Hosts in Config.AllowHosts (and their
// subdomains) and the documentation domains (example.com, .test) are fine.

var urlRe = newMatcher(regexp.MustCompile(`https?://[^\s<>"'\x60)\]]+`))

// autoLoad are the HTML elements whose URL a client fetches by itself.
var autoLoad = []string{"<img", "<image", "<iframe", "<script", "<link", "<source", "<video", "<audio", "<embed", "<object", "<input", "<body", "<table", "<td", "<svg", "<use"}

var dataWords = []string{"password", "passcode", "passwd", "secret", "api key", "api_key", "apikey", "token", "ssn", "social security",
	"credit card", "card number", "cvv", "private key", "system prompt", "conversation", "chat history"}

var dataParams = map[string]bool{"password": true, "passwd": true, "pwd": true, "secret": true, "token": true, "apikey": true, "api_key": true,
	"key": true, "ssn": true, "card": true, "cc": true, "cvv": true, "conversation": true, "history": true, "chat": true, "prompt": true,
	"memory": true, "email": true, "data": true, "d": true, "exfil": true, "leak": true, "content": true, "msg": true, "message": true,
	"text": true, "info": true, "payload": true, "p": true, "c": true, "x": true, "s": true, "m": true, "t": true, "v": true, "b64": true}

// scanExfil implements the exfil scanner.
func scanExfil(s *scan) []finding {
	var out []finding
	text := s.text
	for _, m := range urlRe.find(text, 8192, 256) {
		raw := strings.TrimRight(text[m[0]:m[1]], ".,;:!?*_~")
		st, e := m[0], m[0]+len(raw)
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" {
			continue
		}
		host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
		if s.g.allowedHost(host) || reservedDomain(host) {
			continue
		}
		kind, sst, se := linkContext(text, st, e)
		auto := strings.Contains(kind, "image") || strings.Contains(kind, "element") || strings.HasPrefix(kind, "CSS")
		score, why := s.linkData(u, raw, auto)
		if score == 0 {
			continue
		}
		out = append(out, finding{scanner: ScanExfil, score: score, spans: [][2]int{{sst, se}},
			reason: fmt.Sprintf("%s to %s %s", kind, clip(host, 80), why)})
	}
	return out
}

// allowedHost reports whether host is allowed or a subdomain of one that is.
func (g *Guard) allowedHost(host string) bool {
	for _, h := range g.hosts {
		if host == h || strings.HasSuffix(host, "."+h) {
			return true
		}
	}
	return false
}

// linkContext says what a URL at [s, e) is part of, "image" (fetched
// without a click), "link" or "bare URL", and the span of the construct.
func linkContext(text string, s, e int) (string, int, int) {
	before := text[max(0, s-600):s]
	off := s - len(before)
	closeAfter := func(c byte) int {
		if i := strings.IndexByte(text[e:min(len(text), e+300)], c); i >= 0 {
			return e + i + 1
		}
		return e
	}
	trimmed := strings.TrimRight(before, " \t<")
	if strings.HasSuffix(trimmed, "](") {
		open := strings.LastIndexByte(trimmed[:len(trimmed)-2], '[')
		if open >= 0 {
			if open > 0 && trimmed[open-1] == '!' {
				return "markdown image", off + open - 1, closeAfter(')')
			}
			return "markdown link", off + open, closeAfter(')')
		}
	}
	if lt := strings.LastIndexByte(before, '<'); lt >= 0 && !strings.Contains(before[lt:], ">") {
		tag := strings.ToLower(before[lt:])
		for _, t := range autoLoad {
			if strings.HasPrefix(tag, t) {
				return "HTML " + strings.TrimPrefix(t, "<") + " element", off + lt, closeAfter('>')
			}
		}
		if strings.HasPrefix(tag, "<a") {
			return "HTML link", off + lt, closeAfter('>')
		}
	}
	lb := strings.ToLower(before)
	if strings.HasSuffix(strings.TrimRight(lb, ` "'`), "url(") || strings.HasSuffix(strings.TrimRight(lb, ` "'`), "@import") {
		return "CSS resource", s, e
	}
	// A reference-style definition "[id]: URL" used by "![alt][id]".
	line := before[strings.LastIndexByte(before, '\n')+1:]
	if strings.HasPrefix(strings.TrimSpace(line), "[") && strings.Contains(line, "]:") && strings.Contains(text, "![") {
		return "markdown image reference", s, e
	}
	return "bare URL", s, e
}

// linkData scores the data a URL carries; image links (fetched without a
// click) score higher.
func (s *scan) linkData(u *url.URL, raw string, image bool) (float64, string) {
	if strings.HasPrefix(raw, "http") && !strings.Contains(raw, "://") {
		return 0, ""
	}
	var (
		sensitive, encoded, carries, named string
		queryLen                           int
	)
	dec, err := url.QueryUnescape(raw)
	if err != nil {
		dec = raw
	}
	ldec := strings.ToLower(dec)
	for _, f := range secretFindings(dec) {
		if f.score >= 0.5 {
			sensitive = "a secret (" + f.reason + ")"
		}
	}
	if sensitive == "" && s.in.Canary != "" && s.canaryIn(dec) {
		sensitive = "the canary"
	}
	if sensitive == "" {
		for _, f := range emails(dec) {
			if f.score >= 0.5 {
				sensitive = "an e-mail address"
			}
		}
	}
	if sensitive == "" {
		rest := ldec
		if i := strings.Index(ldec, strings.ToLower(u.Host)); i >= 0 {
			rest = ldec[i+len(u.Host):]
		}
		for _, w := range dataWords {
			if strings.Contains(rest, w) {
				sensitive = fmt.Sprintf("the word %q", w)
				break
			}
		}
	}
	q := u.RawQuery
	queryLen = len(q)
	vals, _ := url.ParseQuery(q)
	for k, vs := range vals {
		for _, v := range vs {
			if looksEncoded(v) {
				encoded = fmt.Sprintf("an encoded value in parameter %q", clip(k, 20))
			}
			if len(v) >= 12 && carries == "" {
				carries = fmt.Sprintf("a %d-character value in parameter %q", len(v), clip(k, 20))
			}
			if dataParams[strings.ToLower(k)] && len(v) >= 4 {
				named = fmt.Sprintf("parameter %q", clip(k, 20))
			}
		}
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		v, err := url.PathUnescape(seg)
		if err != nil {
			v = seg
		}
		if looksEncoded(v) {
			encoded = "an encoded path segment"
		} else if len(v) >= 48 && carries == "" && !strings.Contains(v, ".") {
			carries = fmt.Sprintf("a %d-character path segment", len(v))
		}
	}
	host := strings.ToLower(u.Hostname())
	labels := strings.Split(host, ".")
	for _, l := range labels[:max(0, len(labels)-2)] {
		if len(l) >= 24 || looksEncoded(l) {
			encoded = "data in its subdomains"
		}
	}
	switch {
	case sensitive != "" && image:
		return 0.95, "carries " + sensitive
	case sensitive != "":
		return 0.85, "carries " + sensitive
	case encoded != "" && image:
		return 0.9, "carries " + encoded
	case encoded != "":
		return 0.6, "carries " + encoded
	case image && (carries != "" || named != ""):
		return 0.75, "carries " + firstOf(carries, named)
	case image && queryLen > 0:
		return 0.45, "has a query string"
	case image:
		return 0.25, "loads from a host not allowed"
	case carries != "":
		return 0.3, "carries " + carries
	}
	return 0, ""
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// canaryIn reports whether text holds the canary in a form the canary
// scanner finds.
func (s *scan) canaryIn(text string) bool {
	sub := &scan{g: s.g, in: s.in, text: text, lower: lowerText(text)}
	return len(scanCanary(sub)) > 0
}

// looksEncoded reports whether v looks like encoded data: base64 or hex that
// decodes to text, or a long random-looking run of base64 characters.
func looksEncoded(v string) bool {
	if len(v) < 16 {
		return false
	}
	if hexOnlyRe.MatchString(v) {
		_, ok := decodeHex(v)
		return ok
	}
	if b64RunRe.MatchString(v) {
		if _, ok := decodeBase64(v); ok {
			return true
		}
		var up, lo, di bool
		for i := 0; i < len(v); i++ {
			c := v[i]
			up = up || 'A' <= c && c <= 'Z'
			lo = lo || 'a' <= c && c <= 'z'
			di = di || '0' <= c && c <= '9'
		}
		return up && lo && di && entropy(v) >= 3.8 && strings.Count(v, "-")+strings.Count(v, "_") < 3
	}
	return false
}
