package web

import (
	"bytes"
	"strings"
	"sync"
	"time"
)

// Agent is the product token web_fetch looks for in robots.txt; when no
// group names it, the rules for "*" apply.
const Agent = "llmos"

// MaxRobotsBytes is how much of a robots.txt is read; RFC 9309 asks crawlers
// to parse at least 500 KiB.
const MaxRobotsBytes = 500 << 10

// maxPattern is the longest rule path kept; longer ones are ignored, which
// bounds the cost of matching.
const maxPattern = 2048

// Robots is the part of a robots.txt that applies to one user agent.
type Robots struct {
	rules []rule
	// disallowAll is set for a file that could not be read because of a
	// server error: RFC 9309 then says to assume complete disallow.
	disallowAll bool
}

type rule struct {
	allow   bool
	pattern string // normalised, with * and $ kept
}

// ParseRobots reads a robots.txt as RFC 9309 says and keeps the rules of the
// groups for agent (matched case-insensitively), or of the "*" groups if no
// group names agent. Unknown lines and malformed ones are skipped.
func ParseRobots(body []byte, agent string) *Robots {
	agent = strings.ToLower(agent)
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	var mine, star []rule
	var sawMine bool
	var groupMine, groupStar bool // the current group applies to agent / to *
	inRules := false              // a rule line was seen since the last user-agent line
	for len(body) > 0 {
		var line []byte
		if i := bytes.IndexAny(body, "\r\n"); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			line, body = body, nil
		}
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		key, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		k := strings.ToLower(strings.TrimSpace(string(key)))
		v := strings.TrimSpace(string(value))
		switch k {
		case "user-agent", "useragent", "user agent":
			if inRules {
				groupMine, groupStar, inRules = false, false, false
			}
			token := strings.ToLower(v)
			if i := strings.IndexAny(token, " \t/"); i >= 0 {
				token = token[:i]
			}
			switch token {
			case agent:
				groupMine, sawMine = true, true
			case "*":
				groupStar = true
			}
		case "allow", "disallow":
			inRules = true
			if v == "" || len(v) > maxPattern {
				continue // an empty disallow allows everything: no rule
			}
			r := rule{allow: k == "allow", pattern: normalizePath(v)}
			if groupMine {
				mine = append(mine, r)
			}
			if groupStar {
				star = append(star, r)
			}
		case "crawl-delay":
			inRules = true // a group member that is no rule
		}
	}
	if sawMine {
		return &Robots{rules: mine}
	}
	return &Robots{rules: star}
}

// Allowed reports whether the path (with its query, as in "/a?b=c") may be
// fetched: the longest matching rule decides, an allow rule winning a tie,
// and a path no rule matches is allowed. /robots.txt is always allowed.
func (r *Robots) Allowed(path string) bool {
	if r == nil {
		return true
	}
	if path == "" {
		path = "/"
	}
	p := normalizePath(path)
	if p == "/robots.txt" {
		return true
	}
	if r.disallowAll {
		return false
	}
	best, allow := -1, true
	for _, ru := range r.rules {
		if !match(ru.pattern, p) {
			continue
		}
		n := len(ru.pattern)
		if n > best || n == best && ru.allow {
			best, allow = n, ru.allow
		}
	}
	return allow
}

// match reports whether pattern, with * for any run of bytes and a final $
// for the end of the path, matches a prefix of path (or all of it, with $).
// It is the usual greedy wildcard match: linear in practice, and at worst
// len(pattern)*len(path).
func match(pattern, path string) bool {
	anchored := strings.HasSuffix(pattern, "$")
	if anchored {
		pattern = pattern[:len(pattern)-1]
	}
	if !strings.Contains(pattern, "*") {
		if anchored {
			return path == pattern
		}
		return strings.HasPrefix(path, pattern)
	}
	if !anchored {
		pattern += "*" // a rule matches a prefix
	}
	p, s := 0, 0
	star, mark := -1, 0
	for s < len(path) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, s
			p++
		case p < len(pattern) && pattern[p] == path[s]:
			p++
			s++
		case star >= 0:
			p = star + 1
			mark++
			s = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// normalizePath brings a URL path or a rule to one form, so that they
// compare as RFC 9309 says: bytes outside printable ASCII percent-encoded,
// escapes of unreserved characters decoded, other escapes in upper case.
func normalizePath(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if isUnreserved(v) {
				b.WriteByte(v)
			} else {
				b.WriteByte('%')
				b.WriteByte(hex[v>>4])
				b.WriteByte(hex[v&15])
			}
			i += 2
		case c <= ' ' || c >= 0x7f:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// robotsCache keeps the robots.txt of recently fetched sites, by scheme and
// host, for robotsTTL (a site that failed, for robotsErrTTL).
type robotsCache struct {
	mu      sync.Mutex
	entries map[string]robotsEntry
}

type robotsEntry struct {
	robots  *Robots
	expires time.Time
}

const (
	robotsTTL     = time.Hour
	robotsErrTTL  = time.Minute
	robotsEntries = 512
)

func (c *robotsCache) get(key string, now time.Time) (*Robots, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.After(e.expires) {
		return nil, false
	}
	return e.robots, true
}

func (c *robotsCache) put(key string, r *Robots, ttl time.Duration, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]robotsEntry{}
	}
	if len(c.entries) >= robotsEntries {
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < robotsEntries {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = robotsEntry{robots: r, expires: now.Add(ttl)}
}
