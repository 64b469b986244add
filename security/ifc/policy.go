package ifc

import (
	_ "embed"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/llmos/llmos"
)

//go:embed default.yaml
var defaultPolicy []byte

// DefaultText is the text of the built-in policy.
func DefaultText() []byte { return slices.Clone(defaultPolicy) }

// Default returns the built-in policy.
func Default() *Policy {
	p, err := Parse(defaultPolicy, "default policy")
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return p
}

// Mode is how untrusted data reaches the planner.
type Mode string

// The modes.
const (
	Dual      Mode = "dual"
	Spotlight Mode = "spotlight"
	Off       Mode = "off"
)

// Action is what the policy does with a syscall.
type Action string

// The actions of the policy.
const (
	Allow Action = "allow"
	Ask   Action = "ask"
	Deny  Action = "deny"
)

// Policy is a parsed, valid policy file.
type Policy struct {
	// File names where the policy came from, for messages.
	File      string
	Version   int
	Mode      Mode
	Spotlight string
	// Untrusted is what an effect call with untrusted arguments gets: Ask or Deny.
	Untrusted Action
	Reader    string
	Tools     map[string]ToolRule
	Guard     GuardRules
}

// ToolRule is the policy of one tool, or of the tools a pattern matches.
type ToolRule struct {
	Effects bool
	// Args maps an argument (or "*", the others) to the sources it may carry.
	Args map[string][]llmos.Source
	// Action overrides Policy.Untrusted for this tool when set.
	Action Action
}

// GuardRules configures the evaluators.
type GuardRules struct {
	// Input and Output map a scanner to an action (allow, redact, ask, block).
	Input, Output map[string]string
	// Lines holds the line of each scanner entry ("input.injection"), so that
	// a scanner name the guard does not know can be reported where it is.
	Lines      map[string]int
	AllowHosts []string
	Judge      string
	Threshold  float64
}

// Every source a label may carry, and "any".
var allSources = []llmos.Source{llmos.SourceUser, llmos.SourceSystem, llmos.SourceTool, llmos.SourceWeb,
	llmos.SourceFile, llmos.SourceMemory, llmos.SourceApp, llmos.SourceAgent}

// trustedSources is what an effect tool's arguments may carry by default.
var trustedSources = []llmos.Source{llmos.SourceUser, llmos.SourceSystem}

// Load reads and parses a policy file.
func Load(file string) (*Policy, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, llmos.Errorf(llmos.CodeInvalid, "cannot read the policy %s: %v", file, err)
	}
	return Parse(data, file)
}

// Parse parses and validates a policy; file names it in errors, which give
// the line of the first problem ("policy.yaml:12: ...").
func Parse(data []byte, file string) (*Policy, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, llmos.Errorf(llmos.CodeInvalid, "%s", yamlError(file, err))
	}
	p := &Policy{File: file, Version: 1, Mode: Dual, Spotlight: "datamark", Untrusted: Ask, Tools: map[string]ToolRule{},
		Guard: GuardRules{Input: map[string]string{}, Output: map[string]string{}, Lines: map[string]int{}}}
	if len(root.Content) == 0 {
		return p, nil // an empty file: the defaults
	}
	d := &decoder{file: file}
	d.policy(root.Content[0], p)
	if d.err != nil {
		return nil, d.err
	}
	return p, nil
}

func yamlError(file string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		// "line 3: did not find expected key" → "file:3: did not find expected key"
		if i := strings.Index(msg, ":"); i > 0 {
			return file + ":" + strings.TrimPrefix(msg[:i], "line ") + ":" + msg[i+1:]
		}
	}
	return file + ": " + msg
}

// decoder walks the YAML tree, keeping the first error with its line.
type decoder struct {
	file string
	err  error
}

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	if d.err == nil {
		d.err = llmos.Errorf(llmos.CodeInvalid, "%s:%d: %s", d.file, n.Line, fmt.Sprintf(format, args...))
	}
}

// mapping calls fn for each key of a mapping node, refusing keys not in known
// (when known is not nil) and repeated keys.
func (d *decoder) mapping(n *yaml.Node, what string, known []string, fn func(key string, k, v *yaml.Node)) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, "%s must be a mapping of keys to values", what)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			d.fail(k, "%s %q is given twice", what, k.Value)
			return
		}
		seen[k.Value] = true
		if known != nil && !slices.Contains(known, k.Value) {
			d.fail(k, "unknown key %q in %s; the keys are: %s", k.Value, what, strings.Join(known, ", "))
			return
		}
		fn(k.Value, k, v)
	}
}

func (d *decoder) scalar(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, "%s must be a single value", what)
		return ""
	}
	if n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

func (d *decoder) oneOf(n *yaml.Node, what string, choices ...string) string {
	v := d.scalar(n, what)
	if d.err == nil && !slices.Contains(choices, v) {
		d.fail(n, "%s %q is not one of: %s", what, v, strings.Join(choices, ", "))
	}
	return v
}

func (d *decoder) policy(n *yaml.Node, p *Policy) {
	d.mapping(n, "the policy", []string{"version", "mode", "spotlight", "untrusted", "reader", "tools", "guard"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			if d.scalar(v, "version") != "1" {
				d.fail(v, "version %q is not known: this llmos reads version 1", v.Value)
			}
		case "mode":
			p.Mode = Mode(d.oneOf(v, "mode", string(Dual), string(Spotlight), string(Off)))
		case "spotlight":
			p.Spotlight = d.oneOf(v, "spotlight", "delimit", "datamark", "base64")
		case "untrusted":
			p.Untrusted = Action(d.oneOf(v, "untrusted", string(Ask), string(Deny)))
		case "reader":
			p.Reader = d.scalar(v, "reader")
			if p.Reader != "" && !strings.Contains(p.Reader, ":") && p.Reader != "offline" {
				d.fail(v, "reader %q is not a model name of the form provider:model", p.Reader)
			}
		case "tools":
			d.mapping(v, "tools", nil, func(name string, k, v *yaml.Node) {
				if _, err := path.Match(name, ""); err != nil || name == "" {
					d.fail(k, "tool pattern %q is not valid", name)
					return
				}
				p.Tools[name] = d.tool(v, name)
			})
		case "guard":
			d.guard(v, &p.Guard)
		}
	})
}

func (d *decoder) tool(n *yaml.Node, name string) ToolRule {
	var r ToolRule
	d.mapping(n, "tool "+name, []string{"effects", "args", "action"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "effects":
			r.Effects = d.oneOf(v, "effects", "true", "false") == "true"
		case "action":
			r.Action = Action(d.oneOf(v, "action", string(Allow), string(Ask), string(Deny)))
		case "args":
			r.Args = map[string][]llmos.Source{}
			d.mapping(v, "args of "+name, nil, func(arg string, k, v *yaml.Node) {
				r.Args[arg] = d.sources(v, "argument "+arg)
			})
		}
	})
	return r
}

// sources reads "any", one source, or a list of sources.
func (d *decoder) sources(n *yaml.Node, what string) []llmos.Source {
	var words []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		words = []*yaml.Node{n}
	case yaml.SequenceNode:
		words = n.Content
	default:
		d.fail(n, "%s must be a source, a list of sources, or any", what)
		return nil
	}
	var out []llmos.Source
	for _, w := range words {
		v := d.scalar(w, what)
		if v == "any" {
			return slices.Clone(allSources)
		}
		if !slices.Contains(allSources, llmos.Source(v)) {
			names := make([]string, len(allSources))
			for i, s := range allSources {
				names[i] = string(s)
			}
			d.fail(w, "%s: %q is not a source; the sources are %s, or any", what, v, strings.Join(names, ", "))
			return nil
		}
		out = append(out, llmos.Source(v))
	}
	return out
}

var guardActions = []string{"allow", "redact", "ask", "block"}

func (d *decoder) guard(n *yaml.Node, g *GuardRules) {
	d.mapping(n, "guard", []string{"input", "output", "allow_hosts", "judge", "threshold"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "input", "output":
			m := g.Input
			if key == "output" {
				m = g.Output
			}
			d.mapping(v, "guard."+key, nil, func(scanner string, k, v *yaml.Node) {
				m[scanner] = d.oneOf(v, "the action of "+scanner, guardActions...)
				g.Lines[key+"."+scanner] = k.Line
			})
		case "allow_hosts":
			if v.Kind != yaml.SequenceNode {
				d.fail(v, "allow_hosts must be a list of host names")
				return
			}
			for _, h := range v.Content {
				host := d.scalar(h, "a host")
				if host == "" || strings.ContainsAny(host, "/: ") {
					d.fail(h, "%q is not a host name (write example.com, not a URL)", host)
				}
				g.AllowHosts = append(g.AllowHosts, host)
			}
		case "judge":
			g.Judge = d.scalar(v, "judge")
			if g.Judge != "" && !strings.Contains(g.Judge, ":") {
				d.fail(v, "judge %q is not a model name of the form provider:model", g.Judge)
			}
		case "threshold":
			var f float64
			if err := v.Decode(&f); err != nil || f <= 0 || f > 1 {
				d.fail(v, "threshold must be a number in (0, 1]")
			}
			g.Threshold = f
		}
	})
}

// Rule returns the rule of a tool: its own, else that of the longest
// pattern that matches it, else "*"'s, else a rule with no effects.
func (p *Policy) Rule(tool string) ToolRule {
	if r, ok := p.Tools[tool]; ok {
		return r
	}
	best := ""
	for pat := range p.Tools {
		if ok, _ := path.Match(pat, tool); ok && len(pat) > len(best) {
			best = pat
		}
	}
	if best != "" {
		return p.Tools[best]
	}
	return ToolRule{}
}

// Decision is the policy's answer for one syscall.
type Decision struct {
	Action Action `json:"action"`
	// Reasons say, argument by argument, what broke the policy.
	Reasons []string `json:"reasons,omitempty"`
	Effects bool     `json:"effects,omitempty"`
}

// Decide applies the policy to a call of tool whose arguments carry the
// given labels (by argument name).
func (p *Policy) Decide(tool string, args map[string]llmos.Label) Decision {
	r := p.Rule(tool)
	d := Decision{Action: Allow, Effects: r.Effects}
	if p.Mode == Off || !r.Effects {
		return d
	}
	names := make([]string, 0, len(args))
	for a := range args {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		allowed, ok := r.Args[a]
		if !ok {
			allowed, ok = r.Args["*"]
		}
		if !ok {
			allowed = trustedSources
		}
		var bad []string
		for _, s := range args[a].Sources {
			if !slices.Contains(allowed, s) {
				bad = append(bad, string(s))
			}
		}
		if len(bad) > 0 {
			d.Reasons = append(d.Reasons, fmt.Sprintf("the argument %s is derived from untrusted data (%s), and %s acts on the world",
				a, strings.Join(bad, ", "), tool))
		}
	}
	if len(d.Reasons) > 0 {
		d.Action = p.Untrusted
		if r.Action != "" {
			d.Action = r.Action
		}
	}
	return d
}
