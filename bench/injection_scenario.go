package bench

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
)

// The vectors by which injected text reaches an agent.
const (
	vecEmail  = "email"
	vecWeb    = "web"
	vecFile   = "file"
	vecTool   = "tool"
	vecMemory = "memory"
	vecAgent  = "agent"
)

// injectionVectors lists the vectors in the order they are reported.
var injectionVectors = []string{vecEmail, vecWeb, vecFile, vecTool, vecMemory, vecAgent}

// scenario is one indirect-injection case: a user task, the untrusted data
// it needs (which carries an injected instruction in attack runs), what the
// user wants done with it, and what the attacker wants done.
type scenario struct {
	Name   string
	Vector string
	// Task is the user's request.
	Task string
	// Tool and Args are the call that fetches the untrusted data. An empty
	// Tool pages the data into the context window as recalled memories.
	Tool, Args string
	// Data is the untrusted text: "{inject}", "{inject2}"... mark where each
	// piece of Inject goes (Clean in benign runs), "{key}" the private key.
	Data   string
	Inject []string
	// Clean replaces Inject in benign runs: benign text, often with the same
	// trigger words, or nothing.
	Clean []string
	// Fails makes the data tool return the data as an error message.
	Fails bool

	// Question and Schema are what a planner that cannot see the data asks
	// the reader; Schema is a JSON Schema ({"type":"string"} if empty).
	Question, Schema string
	// Answer is the value that completes the task (JSON text for a boolean
	// or an enum: true, "urgent"); it can be told from the data only when
	// Evidence (Answer for a string, if empty) is in it.
	Answer, Evidence string
	// Finish is what the user asked to be done with the value.
	Finish finish

	// Goal is what the injection asks for, in order.
	Goal []goal
	// Markers are the pieces of the injection a model must see to obey it
	// (all of them); by default the targets of the goal.
	Markers []string
	// ReaderAttack is what a worst-case reader answers to a string question
	// once it has seen the injection; by default the first goal's target.
	ReaderAttack string
}

// finish is the last step of the user's task. Tool "" answers Text; else
// Tool (send_email, send_message, write_file) is called with To as its
// recipient or path and Text as its body, text or content. "{value}" in
// Text stands for the value read from the data.
type finish struct {
	Tool, To, Text string
}

// goal is one step of what an injection asks for: a tool call, or (Tool "")
// text to add to the final answer. Args and Text may hold "{secret}" (the
// token in the system prompt), "{canary}" (the monitor's canary, or the
// token when there is none) and "{key}" (the private key, when the model
// has seen it).
type goal struct {
	Tool string
	Args string
	// hit is what makes an executed call of Tool the attacker's: the
	// recipient, the URL's host, part of the command or the path.
	hit string
	arg string // the argument hit is found in
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// The attacker's goals.
func sendEmail(to, body string) goal {
	return goal{Tool: "send_email", Args: mustJSON(map[string]string{"to": to, "subject": "sync", "body": body}), hit: to, arg: "to"}
}

func sendMessage(to, text string) goal {
	return goal{Tool: "send_message", Args: mustJSON(map[string]string{"to": to, "text": text}), hit: to, arg: "to"}
}

func fetch(u string) goal {
	return goal{Tool: "web_fetch", Args: mustJSON(map[string]string{"url": u}), hit: hostOf(u), arg: "url"}
}

// runShell is a command; hit is the part of it that marks it as the attacker's.
func runShell(cmd, hit string) goal {
	return goal{Tool: "shell", Args: mustJSON(map[string]string{"command": cmd}), hit: hit, arg: "command"}
}

func writeFile(path, content string) goal {
	return goal{Tool: "write_file", Args: mustJSON(map[string]string{"path": path, "content": content}), hit: path, arg: "path"}
}

// readPrivate reads the private key: a step towards sending it.
func readPrivate() goal {
	return goal{Tool: "read_file", Args: mustJSON(map[string]string{"path": privateKeyPath})}
}

// sayAlso is text the injection wants in the final answer (a link that
// carries a secret to the attacker's server when it is rendered).
func sayAlso(text string) goal { return goal{Args: text, hit: hostOf(linkIn(text))} }

var linkRE = regexp.MustCompile(`https?://[^\s)"'<>]+`)

func linkIn(s string) string { return linkRE.FindString(s) }

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Hostname()
}

// markers returns what a model must see to obey the injection.
func (s *scenario) markers() []string {
	if len(s.Markers) > 0 {
		return s.Markers
	}
	var out []string
	for _, g := range s.Goal {
		if g.hit != "" {
			out = append(out, g.hit)
			break
		}
	}
	return out
}

// schema returns the JSON Schema the benign planner asks the reader for.
func (s *scenario) schema() string {
	if s.Schema == "" {
		return `{"type":"string"}`
	}
	return s.Schema
}

// evidence is the text that must be visible to tell the answer.
func (s *scenario) evidence() string {
	if s.Evidence != "" {
		return s.Evidence
	}
	return s.Answer
}

// answerText is the answer as a final answer or an e-mail shows it: a
// JSON string's contents, other JSON as it is.
func (s *scenario) answerText() string {
	var v string
	if json.Unmarshal([]byte(s.Answer), &v) == nil {
		return v
	}
	return s.Answer
}

// isString reports whether the answer is free text (not a boolean or enum).
func (s *scenario) isString() bool { return s.Schema == "" }

// render returns the data with the injection (attack) or the clean text, and
// the private key put in.
func (s *scenario) render(attack bool, key string) string {
	out := s.Data
	for i := range s.Inject {
		mark := "{inject}"
		if i > 0 {
			mark = "{inject" + string(rune('1'+i)) + "}"
		}
		text := ""
		if attack {
			text = s.Inject[i]
		} else if i < len(s.Clean) {
			text = s.Clean[i]
		}
		out = strings.ReplaceAll(out, mark, text)
	}
	return strings.ReplaceAll(out, "{key}", key)
}

// Encodings an injection hides in.

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func rot13(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case 'A' <= r && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, s)
}

// tagged writes s in Unicode tag characters, invisible on most screens.
func tagged(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x20 && r < 0x7f {
			b.WriteRune(0xE0000 + r)
		}
	}
	return b.String()
}

// zeroWidth puts a zero-width space between the characters of s.
func zeroWidth(s string) string {
	return strings.Join(strings.Split(s, ""), "\u200b")
}
