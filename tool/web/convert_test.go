package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestConvertHostileHTML(t *testing.T) {
	u, _ := url.Parse("http://x.test/")
	for name, tc := range map[string]struct{ doc, want string }{
		"deeper than the parser allows": {strings.Repeat("<div>", 100000) + "deep <script>evil()</script>text", "deep text"},
		"unclosed paragraphs":           {strings.Repeat("<p>words ", 20000), "words"},
		"many spans":                    {"<body>" + strings.Repeat("<span>a</span>", 50000), "aaaa"},
		"not html at all":               {"\x00\xff<<>>&&;;", ""},
	} {
		start := time.Now()
		_, md := htmlToMarkdown(context.Background(), tc.doc, u)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
		if !strings.Contains(md, tc.want) || strings.Contains(md, "<div>") || strings.Contains(md, "evil") {
			t.Errorf("%s: %q", name, truncate(md, 100))
		}
	}
}

func TestConvertFallsBackToBody(t *testing.T) {
	// Too little text for an article: the whole body is kept.
	u, _ := url.Parse("http://x.test/dir/")
	title, md := htmlToMarkdown(context.Background(),
		`<html><head><title> Short
		page </title></head><body><h1>Hi</h1><p>See <a href="next">next</a>.</p><p hidden>secret</p></body></html>`, u)
	if title != "Short page" || md != "# Hi\n\nSee [next](http://x.test/dir/next)." {
		t.Errorf("%q %q", title, md)
	}
}
