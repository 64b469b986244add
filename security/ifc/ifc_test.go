package ifc

import (
	"strings"
	"testing"

	"github.com/llmos/llmos"
)

func TestDefaultPolicy(t *testing.T) {
	p := Default()
	if p.Mode != Dual || p.Untrusted != Ask || !p.Rule("shell").Effects || p.Rule("calc").Effects || !p.Rule("mcp.git.push").Effects {
		t.Fatalf("default policy: %+v", p)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	cases := []struct{ text, want string }{
		{"version: 1\nmode: duel\n", "p.yaml:2: mode \"duel\" is not one of"},
		{"version: 1\nmodes: dual\n", "p.yaml:2: unknown key \"modes\""},
		{"tools:\n  shell:\n    effects: yes please\n", "p.yaml:3: effects"},
		{"tools:\n  send_email:\n    args:\n      to: [user, webb]\n", "p.yaml:4: argument to: \"webb\" is not a source"},
		{"guard:\n  input:\n    injection: explode\n", "p.yaml:3: the action of injection"},
		{"guard:\n  allow_hosts: [\"https://x.com/\"]\n", "p.yaml:2: \"https://x.com/\" is not a host"},
		{"mode: dual\n  spotlight: [\n", "p.yaml:"},
		{"version: 2\n", "p.yaml:1: version"},
		{"mode: dual\nmode: off\n", "p.yaml:2: the policy \"mode\" is given twice"},
		{"- a\n- b\n", "p.yaml:1: the policy must be a mapping"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.text), "p.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) || llmos.ErrorCode(err) != llmos.CodeInvalid {
			t.Errorf("Parse(%q) = %v, want %q", c.text, err, c.want)
		}
	}
}

func TestDecide(t *testing.T) {
	p := Default()
	web := llmos.LabelOf(llmos.SourceWeb)
	user := llmos.LabelOf(llmos.SourceUser)
	cases := []struct {
		tool string
		args map[string]llmos.Label
		want Action
	}{
		{"calc", map[string]llmos.Label{"expression": web}, Allow},
		{"shell", map[string]llmos.Label{"command": user}, Allow},
		{"shell", map[string]llmos.Label{"command": web}, Ask},
		{"send_email", map[string]llmos.Label{"to": user, "body": web}, Allow},
		{"send_email", map[string]llmos.Label{"to": web, "body": user}, Ask},
		{"mcp.fs.write", map[string]llmos.Label{"path": llmos.LabelOf(llmos.SourceFile)}, Ask},
	}
	for _, c := range cases {
		if d := p.Decide(c.tool, c.args); d.Action != c.want {
			t.Errorf("Decide(%s, %v) = %+v, want %s", c.tool, c.args, d, c.want)
		}
	}
	p.Untrusted = Deny
	if d := p.Decide("shell", map[string]llmos.Label{"command": web}); d.Action != Deny || len(d.Reasons) != 1 {
		t.Errorf("deny policy: %+v", d)
	}
}

func TestResolve(t *testing.T) {
	vals := map[string]Value{
		"v3": {Text: "attacker@evil.example", Label: llmos.LabelOf(llmos.SourceWeb)},
		"v5": {Text: `{"n":2}`, Label: llmos.LabelOf(llmos.SourceFile), JSON: true},
	}
	lookup := func(r string) (Value, bool) { v, ok := vals[r]; return v, ok }
	out, labels, err := Resolve(`{"to":"$v3","body":"see $v5 and $v3","n":1,"x":"$v5"}`, llmos.Label{}, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if out != `{"body":"see {\"n\":2} and attacker@evil.example","n":1,"to":"attacker@evil.example","x":{"n":2}}` {
		t.Errorf("resolved %s", out)
	}
	if labels["to"].String() != "web" || labels["body"].String() != "file+web" || !labels["n"].Trusted() {
		t.Errorf("labels %v", labels)
	}
	if _, _, err := Resolve(`{"a":"$v9"}`, llmos.Label{}, lookup); err == nil || !strings.Contains(err.Error(), "$v9") {
		t.Errorf("unknown ref: %v", err)
	}
	if out, _, err := Resolve(`not json`, llmos.Label{}, lookup); err != nil || out != "not json" {
		t.Errorf("not json: %q %v", out, err)
	}
	text, l := Expand("The address is $v3.", lookup)
	if text != "The address is attacker@evil.example." || l.String() != "web" {
		t.Errorf("Expand: %q %v", text, l)
	}
}

func FuzzResolve(f *testing.F) {
	f.Add(`{"a":"$v1 $m2","b":["$v1"]}`)
	f.Add(`{"a":{"b":"$v1"}}`)
	f.Fuzz(func(t *testing.T, args string) {
		lookup := func(r string) (Value, bool) { return Value{Text: "x\"y", Label: llmos.LabelOf(llmos.SourceWeb)}, true }
		Resolve(args, llmos.Label{}, lookup)
	})
}
