package web

import (
	"strings"
	"testing"
)

func TestRobots(t *testing.T) {
	for _, tc := range []struct {
		name  string
		txt   string
		allow []string
		deny  []string
	}{
		{"empty", "", []string{"/", "/a"}, nil},
		{"all closed to all", "User-agent: *\nDisallow: /\n", []string{"/robots.txt"}, []string{"/", "/a?b"}},
		{"our group wins over *", "User-agent: *\nDisallow: /\n\nUser-agent: LLMOS\nDisallow: /x\n", []string{"/", "/y"}, []string{"/x", "/x/y"}},
		{"other bots only", "User-agent: googlebot\nDisallow: /\n", []string{"/", "/a"}, nil},
		{"product token with version", "User-agent: llmos/1.0\nDisallow: /v\n", nil, []string{"/v"}},
		{"prefix of our name is not us", "User-agent: llm\nDisallow: /\n", []string{"/"}, nil},
		{"grouped agents", "User-agent: a\nUser-agent: llmos\nUser-agent: b\nDisallow: /g\n", nil, []string{"/g"}},
		{"groups merge", "User-agent: llmos\nDisallow: /a\n\nUser-agent: llmos\nDisallow: /b\n", []string{"/c"}, []string{"/a", "/b"}},
		{"rules end a group", "User-agent: llmos\nDisallow: /a\nUser-agent: other\nDisallow: /b\n", []string{"/b"}, []string{"/a"}},
		{"longest match", "User-agent: *\nDisallow: /a\nAllow: /a/b\nDisallow: /a/b/c\n", []string{"/a/b", "/a/bx"}, []string{"/a", "/a/b/c"}},
		{"allow wins a tie", "User-agent: *\nDisallow: /same\nAllow: /same\n", []string{"/same"}, nil},
		{"empty disallow", "User-agent: *\nDisallow:\n", []string{"/", "/x"}, nil},
		{"wildcards", "User-agent: *\nDisallow: /*.php$\nDisallow: /*/secret\n", []string{"/a.php?x", "/a.phpx", "/secret"}, []string{"/a.php", "/x/y.php", "/a/secret", "/a/b/secret/c"}},
		{"query", "User-agent: *\nDisallow: /*?sid=\n", []string{"/page"}, []string{"/page?sid=1"}},
		{"comments, case and spaces", "# hi\r\n  USER-AGENT :  *  # all\r\n\tdisallow:/tmp # no\r\n", []string{"/"}, []string{"/tmp/x"}},
		{"percent encoding", "User-agent: *\nDisallow: /%7Euser\nDisallow: /caf%C3%A9\nDisallow: /a%2fb\n", []string{"/a/b"}, []string{"/~user", "/caf%c3%a9", "/a%2Fb"}},
		{"non-ASCII rule", "User-agent: *\nDisallow: /café\n", nil, []string{"/caf%C3%A9"}},
		{"rules before any agent are ignored", "Disallow: /\nUser-agent: *\nDisallow: /x\n", []string{"/"}, []string{"/x"}},
		{"sitemap and crawl-delay", "Sitemap: https://x/s.xml\nUser-agent: *\nCrawl-delay: 5\nDisallow: /d\n", []string{"/"}, []string{"/d"}},
		{"byte order mark", "\ufeffUser-agent: *\nDisallow: /b\n", nil, []string{"/b"}},
		{"junk", "<html><body>Not found</body></html>", []string{"/"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ParseRobots([]byte(tc.txt), Agent)
			for _, p := range tc.allow {
				if !r.Allowed(p) {
					t.Errorf("%s is refused", p)
				}
			}
			for _, p := range tc.deny {
				if r.Allowed(p) {
					t.Errorf("%s is allowed", p)
				}
			}
		})
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"/", "/anything", true},
		{"/a*", "/a", true},
		{"/*", "/", true},
		{"*", "", true},
		{"/a*b*c$", "/axxbyyc", true},
		{"/a*b*c$", "/axxbyycd", false},
		{"/a$", "/a", true},
		{"/a$", "/ab", false},
		{"/**x", "/yx", true},
		{"/a*a*a*a*b", strings.Repeat("/a", 2000), false},
	} {
		if got := match(tc.pattern, tc.path); got != tc.want {
			t.Errorf("match(%q, %q) = %v", tc.pattern, truncate(tc.path, 30), got)
		}
	}
}

// FuzzRobots checks that no robots.txt makes the parser or the matcher
// panic, and that /robots.txt stays allowed.
func FuzzRobots(f *testing.F) {
	f.Add("User-agent: *\nDisallow: /\n", "/x")
	f.Add("User-agent: llmos\nAllow: /*.html$\nDisallow: /\n", "/a.html")
	f.Add("user-agent:*\ndisallow:/%zz%4", "/%4")
	f.Fuzz(func(t *testing.T, txt, path string) {
		r := ParseRobots([]byte(txt), Agent)
		r.Allowed(path)
		if !r.Allowed("/robots.txt") {
			t.Fatal("/robots.txt refused")
		}
	})
}
