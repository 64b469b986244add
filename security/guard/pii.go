package guard

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// The pii scanner finds personal data: e-mail addresses, phone numbers in
// international and common national formats, card numbers that pass the
// Luhn check and start like a card, IBANs that pass the mod-97 check, and
// US social security numbers. Documentation addresses (example.com, .test)
// and the well-known test card numbers score low; digit runs that look like
// dates, versions or IP addresses are not phone numbers. Reasons say what
// was found, never the value.

// scanPII implements the pii scanner.
func scanPII(s *scan) []finding {
	var out []finding
	out = append(out, emails(s.text)...)
	out = append(out, digitRuns(s.text, s.lower)...)
	out = append(out, ibans(s.text)...)
	return out
}

func piiFinding(score float64, s, e int, format string, args ...any) finding {
	return finding{scanner: ScanPII, score: score, spans: [][2]int{{s, e}}, reason: fmt.Sprintf(format, args...)}
}

func emailLocal(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._%+-", c) >= 0
}

func emailDomain(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-'
}

// fileTLDs are extensions that follow an @ in file names ("icon@2x.png"),
// not top-level domains of mail hosts.
var fileTLDs = map[string]bool{"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true, "js": true, "ts": true,
	"css": true, "json": true, "md": true, "txt": true, "go": true, "py": true, "html": true, "yaml": true, "yml": true, "lock": true, "tsx": true, "jsx": true}

// reservedDomain reports whether host is reserved for documentation and tests.
func reservedDomain(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, d := range []string{"example.com", "example.org", "example.net", "localhost"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	for _, t := range []string{".example", ".test", ".invalid", ".localhost", ".local"} {
		if strings.HasSuffix(host, t) {
			return true
		}
	}
	return false
}

// emails finds e-mail addresses by expanding around each @.
func emails(text string) []finding {
	var out []finding
	for from := 0; from < len(text) && len(out) < 256; {
		at := strings.IndexByte(text[from:], '@')
		if at < 0 {
			break
		}
		at += from
		from = at + 1
		s := at
		for s > 0 && at-s < 64 && emailLocal(text[s-1]) {
			s--
		}
		e := at + 1
		for e < len(text) && e-at < 253 && emailDomain(text[e]) {
			e++
		}
		for e > at+1 && (text[e-1] == '.' || text[e-1] == '-') {
			e--
		}
		for s < at && text[s] == '.' {
			s++
		}
		if s == at || e <= at+1 {
			continue
		}
		if s > 0 && (text[s-1] == '/' || text[s-1] == ':') {
			continue // a URL's userinfo or a path
		}
		domain := text[at+1 : e]
		dot := strings.LastIndexByte(domain, '.')
		if dot <= 0 {
			continue
		}
		tld := strings.ToLower(domain[dot+1:])
		if len(tld) < 2 || !isLetters(tld) || fileTLDs[tld] {
			continue
		}
		if e < len(text) && text[e] == ':' && strings.ToLower(text[s:at]) == "git" {
			continue // git@github.com:owner/repo
		}
		from = e
		local := strings.ToLower(text[s:at])
		switch {
		case reservedDomain(domain):
			out = append(out, piiFinding(0.2, s, e, "e-mail address at a documentation domain"))
		case strings.HasPrefix(local, "noreply") || strings.HasPrefix(local, "no-reply") || strings.HasPrefix(local, "donotreply"):
			out = append(out, piiFinding(0.35, s, e, "no-reply e-mail address"))
		default:
			out = append(out, piiFinding(0.7, s, e, "e-mail address"))
		}
	}
	return out
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !('a' <= s[i] && s[i] <= 'z' || 'A' <= s[i] && s[i] <= 'Z') {
			return false
		}
	}
	return s != ""
}

var (
	intlPhoneRe  = regexp.MustCompile(`^\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?)(?:[ .-]?\d{2,5}){1,5}$`)
	usPhoneRe    = regexp.MustCompile(`^(?:1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}$`)
	frPhoneRe    = regexp.MustCompile(`^0[1-9](?:[ .-]\d{2}){4}$`)
	ukPhoneRe    = regexp.MustCompile(`^0\d{3,4} \d{3} ?\d{3,4}$`)
	dePhoneRe    = regexp.MustCompile(`^0\d{2,4}[ /-]\d{4,9}$`)
	parenPhoneRe = regexp.MustCompile(`^\(0?\d{2,5}\) ?\d{3,4}[ .-]?\d{3,4}$`)
	plainPhoneRe = regexp.MustCompile(`^(?:0\d{9,10}|1\d{10}|\d{10})$`)
	ssnRe        = regexp.MustCompile(`^(\d{3})-(\d{2})-(\d{4})$`)
	dateLikeRe   = regexp.MustCompile(`^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$`)
	dottedRe     = regexp.MustCompile(`^\d{1,3}(?:\.\d{1,3}){2,}$`)
	cardFormRe   = regexp.MustCompile(`^(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2}[ -]\d{1,7}|\d{4}[ -]\d{6}[ -]\d{4,5})$`)
)

var phoneContext = []string{"phone", "tel", "call", "mobile", "cell", "fax", "whatsapp", "sms", "téléphone", "tél", "portable",
	"telefon", "handy", "teléfono", "telefone", "telefono", "cellulare", "телефон", "电话", "電話", "携帯", "contact"}

var testCards = map[string]bool{
	"4111111111111111": true, "4242424242424242": true, "5555555555554444": true, "378282246310005": true,
	"371449635398431": true, "6011111111111117": true, "4012888888881881": true, "5105105105105100": true,
	"4000056655665556": true, "2223003122003222": true, "6011000990139424": true, "3056930009020004": true,
	"4000000000000002": true, "4000000000000077": true, "5200828282828210": true, "4222222222222": true,
}

// digitRuns finds phone numbers, card numbers and SSNs: runs of digits and
// separators, each classified once.
func digitRuns(text, lower string) []finding {
	var out []finding
	for i := 0; i < len(text) && len(out) < 256; {
		c := text[i]
		if !(c >= '0' && c <= '9' || c == '+' || c == '(') {
			i++
			continue
		}
		if i > 0 && isWordByte(text[i-1]) {
			i++
			for i < len(text) && isWordByte(text[i]) {
				i++
			}
			continue
		}
		j, digits := i, 0
		for j < len(text) && j-i < 40 {
			c := text[j]
			if c >= '0' && c <= '9' {
				digits++
			} else if !(c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '+' && j == i) {
				break
			}
			j++
		}
		for j > i && !(text[j-1] >= '0' && text[j-1] <= '9') {
			j--
		}
		start := i
		i = max(j, i+1)
		if digits < 7 || j < len(text) && isWordByte(text[j]) {
			continue
		}
		run := text[start:j]
		if f, ok := classifyDigits(run, start, j, lower[max(0, start-32):start]); ok {
			out = append(out, f)
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c >= 0x80
}

func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func classifyDigits(run string, s, e int, before string) (finding, bool) {
	d := onlyDigits(run)
	if cardFormRe.MatchString(run) && len(d) >= 13 && len(d) <= 19 && luhn(d) {
		switch {
		case testCards[d]:
			return piiFinding(0.3, s, e, "a well-known test card number"), true
		case cardIIN(d) != "":
			return piiFinding(0.9, s, e, "%s card number (passes Luhn)", cardIIN(d)), true
		default:
			return piiFinding(0.4, s, e, "a number that passes Luhn but starts like no card"), true
		}
	}
	if m := ssnRe.FindStringSubmatch(run); m != nil {
		if m[1] == "000" || m[1] == "666" || m[1][0] == '9' || m[2] == "00" || m[3] == "0000" {
			return finding{}, false
		}
		score := 0.5
		if strings.Contains(before, "ssn") || strings.Contains(before, "social security") {
			score = 0.85
		}
		return piiFinding(score, s, e, "US social security number"), true
	}
	if dateLikeRe.MatchString(run) || dottedRe.MatchString(run) {
		return finding{}, false
	}
	ctx := false
	for _, w := range phoneContext {
		if strings.Contains(before, w) {
			ctx = true
			break
		}
	}
	score := 0.0
	switch {
	case intlPhoneRe.MatchString(run) && len(d) >= 8 && len(d) <= 15:
		score = 0.75
	case usPhoneRe.MatchString(run), frPhoneRe.MatchString(run), parenPhoneRe.MatchString(run):
		score = 0.6
	case ukPhoneRe.MatchString(run), dePhoneRe.MatchString(run):
		score = 0.5
	case ctx && plainPhoneRe.MatchString(run):
		score = 0.45
	}
	if score == 0 {
		return finding{}, false
	}
	if ctx {
		score = min(0.9, score+0.2)
	}
	return piiFinding(score, s, e, "phone number"), true
}

// luhn reports whether a digit string passes the Luhn check.
func luhn(d string) bool {
	sum, alt := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if alt {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		alt = !alt
	}
	return sum%10 == 0
}

// cardIIN names the card network a number starts like, or "".
func cardIIN(d string) string {
	p2 := atoi(d[:2])
	p4 := atoi(d[:4])
	p3 := atoi(d[:3])
	switch {
	case d[0] == '4' && (len(d) == 13 || len(d) == 16 || len(d) == 19):
		return "Visa"
	case (p2 >= 51 && p2 <= 55 || p4 >= 2221 && p4 <= 2720) && len(d) == 16:
		return "Mastercard"
	case (p2 == 34 || p2 == 37) && len(d) == 15:
		return "American Express"
	case (p4 == 6011 || p2 == 65 || p3 >= 644 && p3 <= 649) && len(d) >= 16:
		return "Discover"
	case p4 >= 3528 && p4 <= 3589 && len(d) >= 16:
		return "JCB"
	case (p3 >= 300 && p3 <= 305 || p2 == 36 || p2 == 38 || p2 == 39) && len(d) >= 14:
		return "Diners Club"
	case p2 == 62 && len(d) >= 16:
		return "UnionPay"
	case (p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 6304 || p4 == 6759 || p4 == 6761 || p4 == 6763) && len(d) >= 12:
		return "Maestro"
	}
	return ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// ibanLengths are the IBAN lengths of the countries that use them most.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AT": 20, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21, "CY": 28, "CZ": 24,
	"DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GI": 23, "GL": 18, "GR": 27,
	"HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20,
	"LU": 20, "LV": 21, "MC": 27, "ME": 22, "MK": 19, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
	"PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26,
	"UA": 29, "VA": 22, "XK": 20,
}

var ibanRe = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?`)

// ibans finds IBANs: a country code and check digits, then groups, whose
// length fits the country and which pass the mod-97 check.
func ibans(text string) []finding {
	var out []finding
	for i := 0; i+4 <= len(text) && len(out) < 64; i++ {
		c := text[i]
		if c < 'A' || c > 'Z' || i > 0 && isWordByte(text[i-1]) {
			continue
		}
		if !(text[i+1] >= 'A' && text[i+1] <= 'Z' && text[i+2] >= '0' && text[i+2] <= '9' && text[i+3] >= '0' && text[i+3] <= '9') {
			continue
		}
		want, ok := ibanLengths[text[i:i+2]]
		if !ok {
			continue
		}
		m := ibanRe.FindString(text[i:min(len(text), i+48)])
		if m == "" {
			continue
		}
		compact := strings.ReplaceAll(m, " ", "")
		if len(compact) < want {
			continue
		}
		// Trim to the country's length (a trailing group may run on).
		n, k := 0, 0
		for k < len(m) && n < want {
			if m[k] != ' ' {
				n++
			}
			k++
		}
		compact = compact[:want]
		if end := i + k; end < len(text) && isWordByte(text[end]) && len(strings.ReplaceAll(m, " ", "")) == want {
			continue
		}
		if ibanValid(compact) {
			out = append(out, piiFinding(0.85, i, i+k, "IBAN (%s, passes mod-97)", compact[:2]))
			i += k - 1
		}
	}
	return out
}

// ibanValid checks the mod-97 of an IBAN without spaces.
func ibanValid(iban string) bool {
	r := iban[4:] + iban[:4]
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			fmt.Fprintf(&b, "%d", int(c-'A')+10)
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(b.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}
