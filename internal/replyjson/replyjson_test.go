package replyjson

import (
	"reflect"
	"testing"
)

func TestValue(t *testing.T) {
	cases := []struct {
		in   string
		want any
		ok   bool
	}{
		{`true`, true, true},
		{"```json\n{\"a\":1}\n```", map[string]any{"a": 1.0}, true},
		{`Sure! Here it is: {"a":"}"} and more`, map[string]any{"a": "}"}, true},
		{`["x"] trailing`, []any{"x"}, true},
		{`no json here`, nil, false},
		{"```\n\"s\"\n```", "s", true},
	}
	for _, c := range cases {
		got, ok := Value(c.in)
		if ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Value(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if MatchBrace(`{"a":"{\"}"}x`, 0) != 11 || MatchBrace(`{`, 0) != -1 {
		t.Error("MatchBrace")
	}
}

func FuzzValue(f *testing.F) {
	f.Add("```json\n{\"a\":[1,2]}\n```")
	f.Add(`{"a":"\"}"`)
	f.Fuzz(func(t *testing.T, s string) {
		Value(s)
		for i := range len(s) {
			if j := MatchBrace(s, i); j >= 0 && (j < i || j >= len(s)) {
				t.Fatalf("MatchBrace(%q, %d) = %d", s, i, j)
			}
		}
	})
}
