// Package replyjson finds the JSON inside a model's reply, which is untrusted
// text: a reply may wrap its JSON in a code fence or in prose, or carry none.
// The guard's judge, the scanner's judge and the monitor's quarantined reader
// all read their verdicts and answers through it.
package replyjson

import (
	"encoding/json"
	"strings"
)

// MatchBrace returns the index of the brace closing the object that opens at
// s[i], honouring JSON strings, or -1.
func MatchBrace(s string, i int) int {
	depth, inStr, esc := 0, false, false
	for j := i; j < len(s); j++ {
		c := s[j]
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// Unfence returns the inside of the first code fence in s (``` or ```json),
// or s trimmed when it has none.
func Unfence(s string) string {
	s = strings.TrimSpace(s)
	i := strings.Index(s, "```")
	if i < 0 {
		return s
	}
	rest := s[i+3:]
	if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
		rest = rest[nl+1:]
	}
	if j := strings.Index(rest, "```"); j >= 0 {
		return strings.TrimSpace(rest[:j])
	}
	return s
}

// Value returns the JSON value of a reply: the whole reply or the inside of
// its code fence when that is JSON, else the first object or array in it.
func Value(reply string) (any, bool) {
	s := Unfence(reply)
	var v any
	if json.Unmarshal([]byte(s), &v) == nil {
		return v, true
	}
	if i := strings.IndexAny(s, "{["); i >= 0 {
		if json.NewDecoder(strings.NewReader(s[i:])).Decode(&v) == nil {
			return v, true
		}
	}
	return nil, false
}
