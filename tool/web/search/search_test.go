package search

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<strong>Go</strong> is   fun", "Go is fun"},
		{"a &amp; b &lt;c&gt;", "a & b <c>"},
		{"line\none\ttab\u0000nul", "line one tab nul"},
		{"  \n ", ""},
		{"x<br>y", "x y"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	} {
		if got := Clean(tc.in, 0); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Clean(strings.Repeat("é", 100), 11); got != "ééééé..." {
		t.Errorf("cut on a rune: %q", got)
	}
}

func TestTidy(t *testing.T) {
	rs := Tidy([]Result{
		{URL: "https://a/"}, {URL: "https://a/"}, {URL: "ftp://b/"}, {URL: ""}, {URL: " HTTP://c/ "}, {URL: "https://d/"},
	}, 2)
	if len(rs) != 2 || rs[0].URL != "https://a/" || rs[1].URL != "HTTP://c/" {
		t.Errorf("%+v", rs)
	}
}

func TestFormat(t *testing.T) {
	got := Format("go", []Result{{Title: "Go", URL: "https://go.dev/", Snippet: "A language."}, {URL: "https://x/"}})
	want := "Results for \"go\":\n\n1. Go\n   https://go.dev/\n   A language.\n\n2. (no title)\n   https://x/\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := Format("zz", nil); got != `No results for "zz".` {
		t.Error(got)
	}
}
