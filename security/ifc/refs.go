package ifc

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/llmos/llmos"
)

// Value is what a reference names: an untrusted text, or the JSON a reader
// answered, with its label.
type Value struct {
	Text  string
	Label llmos.Label
	// JSON marks a Text that is a JSON value (a reader's answer): a reference
	// that is a whole argument becomes that value rather than a string.
	JSON bool
}

// refPattern matches a reference: $v12 (a message of the history) or $m3 (a
// value the monitor named for one run, such as recalled memories).
var refPattern = regexp.MustCompile(`\$([vm][0-9]{1,9})\b`)

// Refs returns the references in text, without the $, in order, once each.
func Refs(text string) []string {
	var out []string
	for _, m := range refPattern.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// Lookup finds the value a reference names ("v12").
type Lookup func(ref string) (Value, bool)

// UnknownRefError reports references that name nothing.
type UnknownRefError struct{ Refs []string }

func (e *UnknownRefError) Error() string {
	return "there is no value " + "$" + strings.Join(e.Refs, ", $")
}

// Resolve replaces the references in a call's arguments (a JSON object) by
// the values they name. An argument that is exactly a reference becomes the
// value (a JSON value for a reader's answer, a string otherwise); a reference
// inside a longer string is replaced by the value's text. It returns the new
// arguments and, per top-level argument, the join of base and the labels of
// the values it took. Arguments that are not a JSON object are returned as
// they are, for the syscall table to refuse.
func Resolve(args string, base llmos.Label, lookup Lookup) (string, map[string]llmos.Label, error) {
	dec := json.NewDecoder(strings.NewReader(args))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return args, map[string]llmos.Label{}, nil
	}
	labels := make(map[string]llmos.Label, len(obj))
	var unknown []string
	changed := false
	for k, v := range obj {
		label := base
		nv, ch := walk(v, func(s string) (any, bool) {
			refs := Refs(s)
			if len(refs) == 0 {
				return s, false
			}
			vals := make(map[string]Value, len(refs))
			for _, r := range refs {
				val, ok := lookup(r)
				if !ok {
					if !slices.Contains(unknown, r) {
						unknown = append(unknown, r)
					}
					continue
				}
				vals[r] = val
				label = label.Join(val.Label)
			}
			if m := refPattern.FindStringSubmatch(strings.TrimSpace(s)); m != nil && m[0] == strings.TrimSpace(s) {
				if val, ok := vals[m[1]]; ok {
					if val.JSON {
						var j any
						d := json.NewDecoder(strings.NewReader(val.Text))
						d.UseNumber()
						if d.Decode(&j) == nil {
							return j, true
						}
					}
					return val.Text, true
				}
				return s, false
			}
			return expand(s, vals), true
		})
		if ch {
			obj[k] = nv
			changed = true
		}
		labels[k] = label
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return args, labels, &UnknownRefError{Refs: unknown}
	}
	if !changed {
		return args, labels, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return args, labels, err
	}
	return strings.TrimSpace(buf.String()), labels, nil
}

// walk applies fn to every string in a decoded JSON value.
func walk(v any, fn func(string) (any, bool)) (any, bool) {
	switch x := v.(type) {
	case string:
		return fn(x)
	case []any:
		changed := false
		for i := range x {
			if nv, ch := walk(x[i], fn); ch {
				x[i], changed = nv, true
			}
		}
		return x, changed
	case map[string]any:
		changed := false
		for k := range x {
			if nv, ch := walk(x[k], fn); ch {
				x[k], changed = nv, true
			}
		}
		return x, changed
	}
	return v, false
}

// String is the value as text: a JSON string's contents, other JSON as it is.
func (v Value) String() string {
	if v.JSON {
		var s string
		if json.Unmarshal([]byte(v.Text), &s) == nil {
			return s
		}
	}
	return v.Text
}

func expand(s string, vals map[string]Value) string {
	return refPattern.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := vals[m[1:]]; ok {
			return v.String()
		}
		return m
	})
}

// Expand replaces the references in a text (a final answer) by the text of
// the values they name, leaving unknown ones as they are, and returns the
// join of the labels of the values it took.
func Expand(text string, lookup Lookup) (string, llmos.Label) {
	var label llmos.Label
	vals := map[string]Value{}
	for _, r := range Refs(text) {
		if v, ok := lookup(r); ok {
			vals[r] = v
			label = label.Join(v.Label)
		}
	}
	return expand(text, vals), label
}
