package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/llmos/llmos"
)

// MaxURLLength is the longest URL web_fetch accepts.
const MaxURLLength = 8192

// forbidden lists the address ranges web_fetch refuses, with the reason
// shown to the model. IPv4-mapped IPv6 addresses are unmapped first, and
// the NAT64 and 6to4 forms are judged by the IPv4 address they embed.
var forbidden = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "an unspecified address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address (where cloud metadata services live)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "a reserved address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/128"), "an unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "a discard address"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("fc00::/7"), "a private (unique local) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// Forbidden returns why web_fetch refuses to connect to ip by default (such
// as "a loopback address"), or "" for a public address. Config.AllowPrivate
// and Config.Allow make exceptions.
func Forbidden(ip netip.Addr) string {
	if !ip.IsValid() {
		return "not a valid address"
	}
	if ip.Zone() != "" {
		return "a scoped (zoned) address"
	}
	ip = ip.Unmap()
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			if r := Forbidden(netip.AddrFrom4([4]byte(b[12:16]))); r != "" {
				return r + " behind NAT64"
			}
			return ""
		case sixTo4.Contains(ip):
			if r := Forbidden(netip.AddrFrom4([4]byte(b[2:6]))); r != "" {
				return r + " behind 6to4"
			}
			return ""
		}
	}
	for _, f := range forbidden {
		if f.prefix.Contains(ip) {
			return f.reason
		}
	}
	return ""
}

// policy decides which hosts and addresses may be fetched.
type policy struct {
	allowAll bool
	prefixes []netip.Prefix
	names    []string // lower case; "*.example.com" covers subdomains
}

func newPolicy(cfg Config) (policy, error) {
	p := policy{allowAll: cfg.AllowPrivate}
	for _, a := range cfg.Allow {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if pre, err := netip.ParsePrefix(a); err == nil {
			p.prefixes = append(p.prefixes, pre.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(strings.Trim(a, "[]")); err == nil {
			ip = ip.Unmap()
			p.prefixes = append(p.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		name := canonicalHost(a)
		if name == "" || strings.ContainsAny(name, "/:@ ") {
			return p, llmos.Errorf(llmos.CodeInvalid, "web fetch allowlist entry %q is neither a CIDR, an IP address nor a host name", a)
		}
		p.names = append(p.names, name)
	}
	return p, nil
}

// nameAllowed reports whether the allowlist names host, whose addresses are
// then all allowed.
func (p policy) nameAllowed(host string) bool {
	host = canonicalHost(host)
	for _, n := range p.names {
		if n == host || strings.HasPrefix(n, "*.") && strings.HasSuffix(host, n[1:]) {
			return true
		}
	}
	return false
}

// addrReason returns why ip may not be connected to, or "".
func (p policy) addrReason(ip netip.Addr) string {
	if p.allowAll {
		return ""
	}
	ip = ip.Unmap()
	for _, pre := range p.prefixes {
		if pre.Contains(ip) {
			return ""
		}
	}
	return Forbidden(ip)
}

// asciiHost is the host the HTTP transport will dial: an international name
// mapped to ASCII with the IDNA lookup profile, as net/http does (which
// also turns "１２７。０。０。１" into 127.0.0.1), then canonicalHost.
func asciiHost(host string) (string, error) {
	for i := 0; i < len(host); i++ {
		if host[i] >= utf8.RuneSelf {
			a, err := idna.Lookup.ToASCII(host)
			if err != nil {
				return "", llmos.Errorf(llmos.CodeInvalid, "the host %q is not a valid domain name", truncate(host, 100))
			}
			host = a
			break
		}
	}
	return canonicalHost(host), nil
}

// canonicalHost lowers a host name and drops one trailing dot.
func canonicalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// denied is the error for a refused URL or address.
func denied(format string, args ...any) *llmos.Error {
	return llmos.Errorf(llmos.CodeDenied, "web_fetch refused: "+format, args...)
}

// checkURL parses raw and refuses what may never be fetched: schemes other
// than http and https, user names and passwords, missing or malformed hosts
// and ports, IP addresses written in the legacy numeric forms (2130706433,
// 0x7f.1, 0177.0.0.1), localhost names, and IP literals that the policy
// forbids. Host names are judged again after DNS resolution, at dial time.
func (p policy) checkURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > MaxURLLength {
		return nil, llmos.Errorf(llmos.CodeInvalid, "the URL is too long (%d bytes; the limit is %d)", len(raw), MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, llmos.Errorf(llmos.CodeInvalid, "not a valid URL: %q", truncate(raw, 200))
	}
	switch u.Scheme {
	case "http", "https":
	case "":
		return nil, llmos.Errorf(llmos.CodeInvalid, "the URL %q has no scheme: write it in full, such as https://%s", truncate(raw, 200), truncate(raw, 200))
	default:
		return nil, denied("only http and https URLs can be fetched, not %s:", truncate(u.Scheme, 20))
	}
	if u.User != nil {
		return nil, denied("URLs with a user name or password are not fetched")
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "the URL %q has no host", truncate(raw, 200))
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, llmos.Errorf(llmos.CodeInvalid, "the URL %q has a bad port", truncate(raw, 200))
		}
	}
	if err := p.checkHost(u.Hostname()); err != nil {
		return nil, err
	}
	return u, nil
}

// checkHost judges a host before any resolution: an IP literal by its
// address, a name by its form.
func (p policy) checkHost(host string) error {
	h, err := asciiHost(host)
	if err != nil {
		return err
	}
	if h == "" {
		return llmos.Errorf(llmos.CodeInvalid, "the URL has no host")
	}
	if p.nameAllowed(h) {
		return nil
	}
	if strings.Contains(h, "%") {
		return denied("the host %q has a zone or an escape, which web_fetch does not follow", truncate(host, 100))
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		if r := p.addrReason(ip); r != "" {
			return denied("%s is %s; web_fetch reads only public web pages", ip.Unmap(), r)
		}
		return nil
	}
	if ip, ok := legacyIPv4(h); ok {
		return denied("the host %q is a non-standard way to write the address %s; write it as a.b.c.d", truncate(host, 100), ip)
	}
	if !p.allowAll && (h == "localhost" || strings.HasSuffix(h, ".localhost")) {
		return denied("%s names this machine; web_fetch reads only public web pages", truncate(host, 100))
	}
	for _, r := range h {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`/\?#@[]<>"'`, r) {
			return llmos.Errorf(llmos.CodeInvalid, "the host %q has characters that a host name cannot have", truncate(host, 100))
		}
	}
	return nil
}

// legacyIPv4 parses the numeric host forms of inet_aton that are not
// dotted decimal but that some resolvers and browsers still accept: one to
// four parts, each decimal, octal (leading 0) or hexadecimal (0x), the last
// part filling the remaining bytes. It reports whether h is such a form.
func legacyIPv4(h string) (netip.Addr, bool) {
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, s := range parts {
		base := 10
		switch {
		case s == "":
			return netip.Addr{}, false
		case len(s) > 1 && (s[:2] == "0x" || s[:2] == "0X"):
			base, s = 16, s[2:]
			if s == "" {
				s = "0"
			}
		case len(s) > 1 && s[0] == '0':
			base, s = 8, s[1:]
		}
		v, err := strconv.ParseUint(s, base, 64)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i, v := range vals[:last] {
		if v > 255 {
			return netip.Addr{}, false
		}
		n |= v << (8 * (3 - i))
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// Resolver looks up the addresses of a host name. *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// dialer connects only to addresses the policy allows. It resolves a host
// name once, refuses the host if any of its addresses is forbidden, and
// then connects to those checked addresses only, never to the name; so a
// second DNS answer cannot swap in another address. With the built-in
// dialer, the socket's own remote address is checked again just before
// connect.
type dialer struct {
	pol      policy
	resolver Resolver
	dial     func(ctx context.Context, network, address string) (net.Conn, error)
	net      net.Dialer
}

// DialContext is the transport's dial function; address is host:port of the
// URL being fetched.
func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, llmos.Errorf(llmos.CodeInvalid, "bad address %q", address)
	}
	if err := d.pol.checkHost(host); err != nil {
		return nil, err
	}
	host, _ = asciiHost(host) // checkHost has parsed it
	nameOK := d.pol.nameAllowed(host)
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		ips, err = d.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var dnsErr *net.DNSError
			if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
				return nil, llmos.Wrap(err, llmos.CodeNotFound, fmt.Sprintf("the host %s does not exist", truncate(host, 100)))
			}
			return nil, llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot resolve the host %s", truncate(host, 100)))
		}
		if len(ips) == 0 {
			return nil, llmos.Errorf(llmos.CodeNotFound, "the host %s has no addresses", truncate(host, 100))
		}
	}
	checked := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		ip = ip.Unmap()
		if !nameOK {
			if r := d.pol.addrReason(ip); r != "" {
				return nil, denied("%s resolves to %s, %s; web_fetch reads only public web pages", truncate(host, 100), ip, r)
			}
		}
		checked = append(checked, ip)
	}
	var first error
	for _, ip := range checked {
		target := net.JoinHostPort(ip.String(), port)
		var conn net.Conn
		if d.dial != nil {
			conn, err = d.dial(ctx, network, target)
		} else {
			nd := d.net
			nd.Control = d.control(checked, nameOK)
			conn, err = nd.DialContext(ctx, network, target)
		}
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// control checks the address the socket is about to connect to: it must be
// one of the checked addresses and, unless the host name is allowlisted,
// allowed by the policy. It runs after the socket is made and before
// connect(2), so nothing is sent to a refused address.
func (d *dialer) control(checked []netip.Addr, nameOK bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return denied("cannot check the address %q", address)
		}
		ip := ap.Addr().Unmap()
		found := false
		for _, c := range checked {
			if c == ip {
				found = true
				break
			}
		}
		if !found {
			return denied("%s was not the checked address", ip)
		}
		if !nameOK {
			if r := d.pol.addrReason(ip); r != "" {
				return denied("%s is %s", ip, r)
			}
		}
		return nil
	}
}

// truncate cuts s to n bytes for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
