package target

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/llmos/llmos"
)

// Step is one step of a Path: a key of an object, or an index of an array.
type Step struct {
	Key   string
	Index int
	// IsIndex says the step is [Index].
	IsIndex bool
}

// Path is a parsed reply path.
type Path []Step

// ParsePath reads a simple dotted path with [n] indices, such as
// choices[0].message.content, output[0].content[1].text or [2].text. Keys
// are any characters but '.', '[' and ']'; indices are non-negative
// integers. The empty path (or ".") is the whole document.
func ParsePath(s string) (Path, error) {
	var p Path
	if s == "" || s == "." {
		return p, nil
	}
	bad := func(why string) (Path, error) {
		return nil, llmos.Errorf(llmos.CodeInvalid, "reply path %q: %s", s, why)
	}
	i := 0
	expectKey := true // a key may start here (at the beginning or after '.')
	for i < len(s) {
		switch c := s[i]; {
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return bad("a [ is not closed")
			}
			num := s[i+1 : i+j]
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 || num == "" || num[0] == '+' || num[0] == '-' {
				return bad("an index must be a number ≥ 0")
			}
			p = append(p, Step{Index: n, IsIndex: true})
			i += j + 1
			expectKey = false
		case c == '.':
			if expectKey {
				return bad("an empty key")
			}
			i++
			expectKey = true
			if i == len(s) {
				return bad("it ends with '.'")
			}
		case c == ']':
			return bad("a ] without [")
		default:
			if !expectKey {
				return bad("a key must follow '.'")
			}
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' && s[j] != ']' {
				j++
			}
			p = append(p, Step{Key: s[i:j]})
			i = j
			expectKey = false
		}
	}
	return p, nil
}

// String writes the path back in the syntax ParsePath reads.
func (p Path) String() string {
	var b strings.Builder
	for i, st := range p {
		if st.IsIndex {
			b.WriteString("[" + strconv.Itoa(st.Index) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(st.Key)
	}
	return b.String()
}

// Eval finds the path in a JSON document. A string is returned as it is;
// any other value as its JSON text. A path that does not match (a missing
// key, an index out of range, a step into a scalar) or a document that is
// not JSON is an error with code bad_response.
func (p Path) Eval(doc []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", llmos.Errorf(llmos.CodeBadResponse, "the reply is not JSON")
	}
	for i, st := range p {
		missing := func() (string, error) {
			return "", llmos.Errorf(llmos.CodeBadResponse, "the reply has no %s", Path(p[:i+1]).String())
		}
		if st.IsIndex {
			arr, ok := v.([]any)
			if !ok || st.Index >= len(arr) {
				return missing()
			}
			v = arr[st.Index]
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return missing()
		}
		if v, ok = obj[st.Key]; !ok {
			return missing()
		}
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", llmos.Errorf(llmos.CodeBadResponse, "the reply's value cannot be read")
	}
	return string(b), nil
}
