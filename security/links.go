package security

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/llmos/llmos"
)

// linkPattern finds the URLs of a text: bare, in markdown links and images,
// and in HTML attributes.
var linkPattern = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"'()\[\]{}]+`)

// taintedLinks removes from a text written by a model that read untrusted
// data the links that carry data (a query, or a long path segment) to a host
// it can only have learned from that data: one the user never wrote and the
// policy does not allow. This is exfiltration by a link the user clicks or an
// image their client loads, whatever the encoding of the data; it is what a
// tainted context can do that the policy's syscall rules do not see.
func taintedLinks(text string, history []llmos.Message, allow []string) (string, int) {
	removed := 0
	out := linkPattern.ReplaceAllStringFunc(text, func(raw string) string {
		u, err := url.Parse(strings.TrimRight(raw, ".,;:!?"))
		if err != nil || u.Host == "" || !carriesData(u) {
			return raw
		}
		host := strings.ToLower(u.Hostname())
		if hostAllowed(host, allow) || userWrote(history, host) {
			return raw
		}
		removed++
		return "[link removed by the llmos monitor: it carried data to " + host + ", a host known only from untrusted data]"
	})
	return out, removed
}

func carriesData(u *url.URL) bool {
	if len(u.RawQuery) >= 8 {
		return true
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if len(seg) >= 24 {
			return true
		}
	}
	return false
}

func hostAllowed(host string, allow []string) bool {
	for _, a := range allow {
		a = strings.ToLower(strings.Trim(a, "."))
		if host == a || strings.HasSuffix(host, "."+a) {
			return true
		}
	}
	return false
}

// userWrote reports whether a trusted message (the user's, the system's)
// names the host.
func userWrote(history []llmos.Message, host string) bool {
	for _, m := range history {
		if (m.Role == llmos.RoleUser || m.Role == llmos.RoleSystem) && m.Label.Trusted() &&
			strings.Contains(strings.ToLower(m.Content), host) {
			return true
		}
	}
	return false
}
