package web

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/llmos/llmos"
)

func TestForbidden(t *testing.T) {
	public := []string{
		"8.8.8.8", "1.1.1.1", publicIP, "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
		"169.253.255.255", "223.255.255.255", "2606:4700:4700::1111", "2a00:1450:4001::200e",
		"::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
	}
	for _, a := range public {
		if r := Forbidden(netip.MustParseAddr(a)); r != "" {
			t.Errorf("%s is refused as %s", a, r)
		}
	}
	inside := map[string]string{
		"127.0.0.1": "loopback", "127.255.255.254": "loopback", "10.255.0.1": "private", "172.31.0.1": "private",
		"192.168.0.1": "private", "169.254.169.254": "link-local", "100.64.0.1": "carrier-grade NAT",
		"100.127.255.255": "carrier-grade NAT", "0.0.0.0": "unspecified", "0.1.2.3": "unspecified",
		"224.0.0.251": "multicast", "239.255.255.250": "multicast", "240.0.0.1": "reserved",
		"255.255.255.255": "reserved", "192.0.2.1": "documentation", "198.18.0.1": "benchmarking",
		"::": "unspecified", "::1": "loopback", "fc00::1": "unique local", "fd12:3456::1": "unique local",
		"fe80::1": "link-local", "febf::1": "link-local", "fec0::1": "site-local", "ff02::1": "multicast",
		"::ffff:127.0.0.1": "loopback", "::ffff:169.254.169.254": "link-local", "::ffff:0.0.0.0": "unspecified",
		"::7f00:1": "IPv4-compatible", "64:ff9b::a00:1": "private address behind NAT64",
		"64:ff9b:1::1": "local NAT64", "2002:c0a8:101::1": "private address behind 6to4",
		"2001:db8::1": "documentation", "2001:0:4136:e378:8000:63bf:3fff:fdd2": "Teredo", "100::1": "discard",
		"fe80::1%eth0": "zoned",
	}
	for a, want := range inside {
		if r := Forbidden(netip.MustParseAddr(a)); !strings.Contains(r, want) {
			t.Errorf("Forbidden(%s) = %q, want %q", a, r, want)
		}
	}
	if Forbidden(netip.Addr{}) == "" {
		t.Error("the zero address is allowed")
	}
}

func TestLegacyIPv4(t *testing.T) {
	for in, want := range map[string]string{
		"2130706433": "127.0.0.1", "0x7f.1": "127.0.0.1", "0x7F000001": "127.0.0.1", "0177.0.0.1": "127.0.0.1",
		"127.1": "127.0.0.1", "127.0.1": "127.0.0.1", "10.1": "10.0.0.1", "0": "0.0.0.0", "0x": "0.0.0.0",
		"017700000001": "127.0.0.1", "1.2.3.4": "1.2.3.4", "4294967295": "255.255.255.255",
	} {
		got, ok := legacyIPv4(in)
		if !ok || got.String() != want {
			t.Errorf("legacyIPv4(%q) = %v, %v; want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"4294967296", "256.1.1.1", "1.2.3.4.5", "example.com", "1.2.3.", "08.1.1.1", "0x1g", "1..2", "", "1e100.net", "-1"} {
		if got, ok := legacyIPv4(in); ok {
			t.Errorf("legacyIPv4(%q) = %v", in, got)
		}
	}
}

func TestPolicy(t *testing.T) {
	p, err := newPolicy(Config{Allow: []string{"10.1.0.0/16", "127.0.0.1", "[::1]", "Wiki.Corp.Example.", "*.lab.example", " "}})
	if err != nil {
		t.Fatal(err)
	}
	for a, ok := range map[string]bool{
		"10.1.2.3": true, "10.2.0.1": false, "127.0.0.1": true, "127.0.0.2": false, "::1": true,
		"::ffff:127.0.0.1": true, "169.254.169.254": false, publicIP: true,
	} {
		if got := p.addrReason(netip.MustParseAddr(a)) == ""; got != ok {
			t.Errorf("address %s allowed = %v, want %v", a, got, ok)
		}
	}
	for h, ok := range map[string]bool{
		"wiki.corp.example": true, "WIKI.corp.example.": true, "corp.example": false, "x.wiki.corp.example": false,
		"a.lab.example": true, "a.b.lab.example": true, "lab.example": false, "evil-lab.example": false,
	} {
		if got := p.nameAllowed(h); got != ok {
			t.Errorf("name %s allowed = %v, want %v", h, got, ok)
		}
	}
	for _, bad := range []string{"http://x/", "user@host", "10.0.0.0/33", "a b"} {
		if _, err := newPolicy(Config{Allow: []string{bad}}); llmos.ErrorCode(err) != llmos.CodeInvalid {
			t.Errorf("allow entry %q: %v", bad, err)
		}
	}
	f := NewFetcher(Config{Allow: []string{"http://x/"}})
	if _, err := f.Fetch(t.Context(), "http://example.com/"); err == nil || !strings.Contains(err.Error(), "http://x/") {
		t.Errorf("a bad allowlist is not reported: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	p, _ := newPolicy(Config{})
	for _, ok := range []string{
		"http://example.com", "https://example.com/a/b?c=d#e", "HTTPS://Example.COM:8443/", "http://1.1.1.1/",
		"http://[2606:4700:4700::1111]/", "http://xn--bcher-kva.example/", "http://bücher.example/", "  http://example.com/  ",
		"http://under_score.example/", "http://example.com./",
	} {
		if _, err := p.checkURL(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}

// FuzzCheckURL checks that whatever URL checkURL accepts is http or https,
// has a host and no user info, and, when its host is an address, a public
// one; and that nothing makes it panic. Seeds are in testdata/fuzz.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"http://example.com/", "http://127.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://2130706433/",
		"http://0x7f.1/", "http://user@example.com/", "file:///etc/passwd", "http://[fe80::1%25eth0]/",
		"http://localhost./", "http://169.254.169.254/latest/meta-data/",
	} {
		f.Add(s)
	}
	p, _ := newPolicy(Config{})
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := p.checkURL(raw)
		if err != nil {
			if c := llmos.ErrorCode(err); c != llmos.CodeInvalid && c != llmos.CodeDenied {
				t.Fatalf("%q: error code %q", raw, c)
			}
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("%q: accepted scheme %q", raw, u.Scheme)
		}
		if u.User != nil || u.Hostname() == "" {
			t.Fatalf("%q: accepted user %v host %q", raw, u.User, u.Hostname())
		}
		// What the transport will dial must pass again.
		host, err := asciiHost(u.Hostname())
		if err != nil {
			t.Fatalf("%q: accepted a host that is not a domain name: %v", raw, err)
		}
		if ip, err := netip.ParseAddr(host); err == nil && Forbidden(ip) != "" {
			t.Fatalf("%q: accepted the address %s", raw, ip)
		}
		if _, ok := legacyIPv4(host); ok {
			if _, err := netip.ParseAddr(host); err != nil {
				t.Fatalf("%q: accepted the numeric host %q", raw, host)
			}
		}
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			t.Fatalf("%q: accepted %q", raw, host)
		}
		if err := p.checkHost(u.Hostname()); err != nil {
			t.Fatalf("%q: the URL passed but its host fails: %v", raw, err)
		}
		// The re-serialised URL, which is what redirects and the client
		// see, must pass too.
		if _, err := url.Parse(u.String()); err != nil {
			t.Fatalf("%q: accepted URL does not round-trip: %v", raw, err)
		}
	})
}
