package target

import (
	"reflect"
	"testing"

	"github.com/llmos/llmos"
)

func TestPath(t *testing.T) {
	doc := `{"choices":[{"message":{"content":"hi","n":1.50,"obj":{"a":[1,2]}}}],"a.b":{"c":"dotted"},"":"empty"}`
	for _, c := range []struct {
		path, want string
		code       llmos.Code
	}{
		{"choices[0].message.content", "hi", ""},
		{"choices[0].message.n", "1.50", ""},
		{"choices[0].message.obj", `{"a":[1,2]}`, ""},
		{"choices[0].message.obj.a[1]", "2", ""},
		{"choices[1].message", "", llmos.CodeBadResponse},
		{"choices.message", "", llmos.CodeBadResponse},
		{"choices[0].message.content.x", "", llmos.CodeBadResponse},
		{"missing", "", llmos.CodeBadResponse},
		{"choices[x]", "", llmos.CodeInvalid},
		{"choices[-1]", "", llmos.CodeInvalid},
		{"choices[0", "", llmos.CodeInvalid},
		{"a..b", "", llmos.CodeInvalid},
		{"a.", "", llmos.CodeInvalid},
		{".a", "", llmos.CodeInvalid},
		{"a]", "", llmos.CodeInvalid},
		{"choices[0]message", "", llmos.CodeInvalid},
	} {
		p, err := ParsePath(c.path)
		if err != nil {
			if llmos.ErrorCode(err) != c.code {
				t.Errorf("ParsePath(%q): %v", c.path, err)
			}
			continue
		}
		got, err := p.Eval([]byte(doc))
		if llmos.ErrorCode(err) != c.code || got != c.want {
			t.Errorf("%q = %q, %v; want %q, %q", c.path, got, err, c.want, c.code)
		}
	}
	p, _ := ParsePath("")
	if got, err := p.Eval([]byte(`"whole"`)); got != "whole" || err != nil {
		t.Errorf("empty path: %q %v", got, err)
	}
	if _, err := p.Eval([]byte(`{not json`)); llmos.ErrorCode(err) != llmos.CodeBadResponse {
		t.Errorf("not JSON: %v", err)
	}
	want := Path{{Key: "output"}, {Index: 0, IsIndex: true}, {Key: "content"}, {Index: 12, IsIndex: true}, {Key: "text"}}
	if p, _ := ParsePath("output[0].content[12].text"); !reflect.DeepEqual(p, want) || p.String() != "output[0].content[12].text" {
		t.Errorf("parsed %+v, %s", p, p)
	}
}

// FuzzPath checks that no path or document panics, and that a path that
// parses is written back to one that parses the same.
func FuzzPath(f *testing.F) {
	f.Add("choices[0].message.content", `{"choices":[{"message":{"content":"x"}}]}`)
	f.Add("[0]", `[1]`)
	f.Add("a[99999999999999999999]", `{"a":[]}`)
	f.Fuzz(func(t *testing.T, path, doc string) {
		p, err := ParsePath(path)
		if err != nil {
			return
		}
		q, err := ParsePath(p.String())
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("%q → %q → %v, %v", path, p.String(), q, err)
		}
		p.Eval([]byte(doc))
	})
}
