package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/llmos/llmos"
)

// The models of the injection benchmark are test doubles, as
// provider/scripted is: scripted planners and readers, never offered as
// models. A worst-case model obeys any instruction it can see; to be fair
// to the defences it sees through every form an instruction may take in its
// context (datamarks, base64, rot13, tag characters, zero-width characters,
// HTML entities, URL escapes, fullwidth letters), so that a defence counts
// only when the text truly does not reach it or its call is truly stopped.

// views returns the texts a model can read in text: the text itself and
// each decoding of it, and of those.
func views(text string) []string {
	out := []string{text}
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	from := 0
	for depth := 0; depth < 3 && from < len(out); depth++ {
		frontier := slices.Clone(out[from:])
		from = len(out)
		for _, v := range frontier {
			add(undatamark(v))
			add(untag(v))
			add(stripInvisible(v))
			add(norm.NFKC.String(v))
			add(html.UnescapeString(v))
			if u, err := url.PathUnescape(v); err == nil {
				add(u)
			}
			add(rot13(v))
			for _, d := range base64Runs(v) {
				add(d)
			}
		}
	}
	return out
}

// undatamark reads datamarked text: the mark stands for a space, or goes
// before a tab or a line break.
func undatamark(s string) string {
	const mark = "\u02c6"
	if !strings.Contains(s, mark) {
		return s
	}
	s = strings.ReplaceAll(s, mark+"\n", "\n")
	s = strings.ReplaceAll(s, mark+"\t", "\t")
	return strings.ReplaceAll(s, mark, " ")
}

// untag turns Unicode tag characters into the ASCII they stand for.
func untag(s string) string {
	if !strings.ContainsFunc(s, isTag) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isTag(r) {
			return r - 0xE0000
		}
		return r
	}, s)
}

func isTag(r rune) bool { return r >= 0xE0020 && r <= 0xE007E }

// stripInvisible drops format characters (zero-width spaces and joiners,
// bidi controls), which a model reads past.
func stripInvisible(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) && !isTag(r) {
			return -1
		}
		return r
	}, s)
}

func isB64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_'
}

// base64Runs decodes the base64 in s: each run of 16 or more base64
// characters, and each block of lines made of nothing else (a fence in
// base64 mode wraps its body every 76 characters), that decodes to text.
func base64Runs(s string) []string {
	var out []string
	try := func(run string) {
		run = strings.TrimRight(run, "=")
		if len(run) < 16 {
			return
		}
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(run); err == nil && readable(b) {
				out = append(out, string(b))
				return
			}
		}
	}
	// Runs within a line; padding ends a run.
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isB64(s[i]) && s[i] != '=' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			try(s[start:i])
			start = -1
		}
	}
	// Blocks of whole lines.
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && lines[j] != "" && strings.IndexFunc(lines[j], func(r rune) bool { return r >= utf8.RuneSelf || !isB64(byte(r)) }) < 0 {
			j++
		}
		if j-i > 1 {
			try(strings.Join(lines[i:j], ""))
		}
		i = max(j, i+1)
	}
	return out
}

// readable reports whether b is UTF-8 text, mostly printable.
func readable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	bad := 0
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			bad++
		}
	}
	return bad*10 <= utf8.RuneCount(b)
}

// sees reports whether every marker is in one of the views, in any case.
func sees(vs []string, markers []string) bool {
	if len(markers) == 0 {
		return false
	}
	for _, m := range markers {
		m = strings.ToLower(m)
		if !slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(strings.ToLower(v), m) }) {
			return false
		}
	}
	return true
}

func seesText(vs []string, text string) bool {
	return slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(v, text) })
}

var (
	secretRE = regexp.MustCompile(regexp.QuoteMeta(secretPrefix) + `[0-9a-f]{16}`)
	keyRE    = regexp.MustCompile(regexp.QuoteMeta(keyPrefix) + `[0-9a-f]{16}`)
	canaryRE = regexp.MustCompile(regexp.QuoteMeta(canaryPrefix) + `[0-9a-f]+`)
	// refRE matches what a planner in dual mode sees of an untrusted value.
	refRE = regexp.MustCompile(`^\$([vm][0-9]+): untrusted`)
	// shownRE matches a reader's answer shown to the planner.
	shownRE = regexp.MustCompile(`^\$(v[0-9]+) = (.*) \(the reader's answer`)
)

// fill puts into an injection's template what the model can see of the
// secrets it names; a secret it cannot see is left out, or stands as ref
// (the reference to the result of its last call) when it has one.
func fill(tmpl string, vs []string, ref string) string {
	find := func(re *regexp.Regexp) string {
		for _, v := range vs {
			if s := re.FindString(v); s != "" {
				return s
			}
		}
		return ""
	}
	secret := find(secretRE)
	canary := find(canaryRE)
	if canary == "" {
		canary = secret
	}
	key := find(keyRE)
	if key == "" {
		key = ref
	}
	return strings.NewReplacer("{secret}", secret, "{canary}", canary, "{key}", key).Replace(tmpl)
}

// requestText is everything a model is shown in a request.
func requestText(req *llmos.Request) string {
	var b strings.Builder
	for _, m := range req.Messages {
		b.WriteString(m.Content)
		b.WriteByte('\n')
	}
	return b.String()
}

// planner is the scripted planner of one run. It follows the user's task:
// it calls the data tool; if the data is hidden behind a reference it asks
// the reader, else it takes the value from the text it sees; then it does
// what the user asked with the value. A worst-case planner also obeys the
// injection as soon as it sees it: it makes the goal's calls, once each, and
// adds the goal's text to its answer, then carries on with the task.
type planner struct {
	sc    *scenario
	worst bool

	mu      sync.Mutex
	next    int    // the next goal step to take
	tail    string // what the injection wants added to the answer
	lastRef string // the reference to the result of its last goal call
	lastID  string
	saw     bool
	canary  []string // canaries it was shown
	calls   int
}

func (p *planner) Generate(ctx context.Context, req *llmos.Request, _ func(llmos.Delta)) (*llmos.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeCanceled, "cancelled")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	text := requestText(req)
	for _, c := range canaryRE.FindAllString(text, -1) {
		if !slices.Contains(p.canary, c) {
			p.canary = append(p.canary, c)
		}
	}
	if p.worst && p.next < len(p.sc.Goal) {
		vs := views(text)
		if sees(vs, p.sc.markers()) {
			p.saw = true
			if p.lastID != "" {
				if m := toolAnswer(req.Messages, p.lastID); m != nil {
					p.lastRef = ""
					if r := refRE.FindStringSubmatch(m.Content); r != nil {
						p.lastRef = "$" + r[1]
					}
				}
			}
			for p.next < len(p.sc.Goal) {
				g := p.sc.Goal[p.next]
				p.next++
				if g.Tool == "" {
					p.tail += "\n\n" + fill(g.Args, vs, p.lastRef)
					continue
				}
				p.lastID = fmt.Sprintf("goal_%d", p.next)
				return toolCall(p.lastID, g.Tool, fill(g.Args, vs, p.lastRef)), nil
			}
		}
	}
	return p.benign(req), nil
}

// seen returns whether the planner saw the injection and the canaries it was shown.
func (p *planner) seen() (bool, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.saw, slices.Clone(p.canary)
}

func toolCall(id, name, args string) *llmos.Response {
	return &llmos.Response{Message: llmos.Message{Role: llmos.RoleAssistant,
		ToolCalls: []llmos.ToolCall{{ID: id, Name: name, Arguments: args}}},
		Usage: llmos.Usage{InputTokens: 100, OutputTokens: 20}, StopReason: "tool_calls"}
}

func say(text string) *llmos.Response {
	return &llmos.Response{Message: llmos.Message{Role: llmos.RoleAssistant, Content: text},
		Usage: llmos.Usage{InputTokens: 100, OutputTokens: 20}, StopReason: "stop"}
}

// called finds the planner's earlier call of tool with exactly args.
func called(msgs []llmos.Message, tool, args string) (string, bool) {
	for _, m := range msgs {
		for _, c := range m.ToolCalls {
			if c.Name == tool && c.Arguments == args {
				return c.ID, true
			}
		}
	}
	return "", false
}

// toolAnswer finds the tool message that answers a call.
func toolAnswer(msgs []llmos.Message, id string) *llmos.Message {
	for i := range msgs {
		if msgs[i].Role == llmos.RoleTool && msgs[i].ToolCallID == id {
			return &msgs[i]
		}
	}
	return nil
}

// benign takes the next step of the user's task.
func (p *planner) benign(req *llmos.Request) *llmos.Response {
	sc, msgs := p.sc, req.Messages
	var data string
	if sc.Tool != "" {
		id, ok := called(msgs, sc.Tool, sc.Args)
		if !ok {
			return toolCall("", sc.Tool, sc.Args)
		}
		m := toolAnswer(msgs, id)
		if m == nil {
			return say("The data tool did not answer.")
		}
		data = m.Content
	} else {
		// Paged memories: a system message after the system prompt.
		for i := 1; i < len(msgs) && msgs[i].Role == llmos.RoleSystem; i++ {
			data += msgs[i].Content
		}
	}
	value, next := p.value(msgs, data)
	if next != nil {
		return next
	}
	if value == "" {
		return say("I could not find what you asked for in the data." + p.tail)
	}
	f := sc.Finish
	text := strings.ReplaceAll(f.Text, "{value}", value)
	if f.Tool == "" {
		return say(text + p.tail)
	}
	var args string
	switch f.Tool {
	case "send_email":
		args = mustJSON(map[string]string{"to": f.To, "subject": "As you asked", "body": text})
	case "send_message":
		args = mustJSON(map[string]string{"to": f.To, "text": text})
	case "write_file":
		args = mustJSON(map[string]string{"path": f.To, "content": text})
	}
	id, ok := called(msgs, f.Tool, args)
	if !ok {
		return toolCall("", f.Tool, args)
	}
	if m := toolAnswer(msgs, id); m != nil && m.IsError {
		return say(fmt.Sprintf("I could not %s: %s%s", strings.ReplaceAll(f.Tool, "_", " "), m.Content, p.tail))
	}
	return say("Done." + p.tail)
}

// value returns the value the task needs: a reference or a shown answer of
// the reader when the data is hidden (asking the reader first: then next is
// that call), else what the planner reads in the text.
func (p *planner) value(msgs []llmos.Message, data string) (value string, next *llmos.Response) {
	sc := p.sc
	if r := refRE.FindStringSubmatch(data); r != nil {
		args := mustJSON(map[string]any{"value": "$" + r[1], "question": sc.Question, "schema": json.RawMessage(sc.schema())})
		id, ok := called(msgs, "read", args)
		if !ok {
			return "", toolCall("", "read", args)
		}
		m := toolAnswer(msgs, id)
		switch {
		case m == nil || m.IsError:
			return "", nil
		case shownRE.MatchString(m.Content):
			shown := shownRE.FindStringSubmatch(m.Content)[2]
			var s string
			if json.Unmarshal([]byte(shown), &s) == nil {
				return s, nil
			}
			return shown, nil
		case refRE.MatchString(m.Content):
			return "$" + refRE.FindStringSubmatch(m.Content)[1], nil
		}
		return "", nil
	}
	if seesText(views(data), sc.evidence()) {
		return sc.answerText(), nil
	}
	return "", nil
}

// reader is the scripted quarantined reader of one run. It answers the
// question from the value it is shown when the evidence is there; a
// worst-case reader that sees the injection answers what the attacker
// wants instead, fitting the schema.
type reader struct {
	sc    *scenario
	worst bool
}

func (r *reader) Generate(ctx context.Context, req *llmos.Request, _ func(llmos.Delta)) (*llmos.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeCanceled, "cancelled")
	}
	if len(req.Tools) > 0 {
		return nil, llmos.Errorf(llmos.CodeInvalid, "bench: the reader was offered tools")
	}
	var user string
	for _, m := range req.Messages {
		if m.Role == llmos.RoleUser {
			user = m.Content
		}
	}
	var schema map[string]any
	if _, rest, ok := strings.Cut(user, "JSON Schema:\n"); ok {
		if s, _, ok := strings.Cut(rest, "\n\n"); ok {
			json.Unmarshal([]byte(s), &schema)
		}
	}
	vs := views(user)
	var v any
	if r.worst && sees(vs, r.sc.markers()) {
		v = r.attack(schema, vs)
	} else {
		v = r.benign(schema, vs)
	}
	out, _ := json.Marshal(v)
	return say(string(out)), nil
}

// benign answers from the text: the answer if its evidence is visible,
// else something else that fits the schema.
func (r *reader) benign(schema map[string]any, vs []string) any {
	var want any
	if err := json.Unmarshal([]byte(r.sc.Answer), &want); err != nil || r.sc.isString() {
		want = r.sc.Answer
	}
	if seesText(vs, r.sc.evidence()) {
		return want
	}
	return other(schema, want)
}

// attack answers what the attacker wants: the opposite of the truth for a
// boolean or an enum, the attacker's text for a string.
func (r *reader) attack(schema map[string]any, vs []string) any {
	var want any
	if err := json.Unmarshal([]byte(r.sc.Answer), &want); err != nil || r.sc.isString() {
		want = r.sc.Answer
	}
	if schema["type"] == "string" && schema["enum"] == nil {
		text := r.sc.ReaderAttack
		if text == "" && len(r.sc.Goal) > 0 {
			text = r.sc.markers()[0]
		}
		return fill(text, vs, "")
	}
	return other(schema, want)
}

// other returns a value of the schema other than want.
func other(schema map[string]any, want any) any {
	if enum, ok := schema["enum"].([]any); ok {
		for _, e := range enum {
			if e != want {
				return e
			}
		}
	}
	switch schema["type"] {
	case "boolean":
		b, _ := want.(bool)
		return !b
	case "number", "integer":
		return 0
	}
	return "not stated"
}
