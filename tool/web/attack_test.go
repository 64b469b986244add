package web

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/llmos/llmos"
)

// These tests attack the fetcher the way a prompt-injected agent would:
// with URLs meant to reach this machine, the private network or the cloud
// metadata service. Every fetcher here runs on a testNet, so a refusal that
// came too late (after dialing) fails the test, and nothing leaves the
// machine even if the fetcher were broken.

// refused checks that err is a denial that mentions want.
func refused(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("fetched; want a refusal mentioning %q", want)
	}
	if llmos.ErrorCode(err) != llmos.CodeDenied {
		t.Fatalf("error %q has code %q, want denied", err, llmos.ErrorCode(err))
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not mention %q", err, want)
	}
}

func TestAttackLiveLoopbackServer(t *testing.T) {
	secret := newSite(t, pages(map[string]string{"/": "the admin panel", "/robots.txt": ""}))
	n := newTestNet(t)
	f := n.fetcher(Config{}) // the default: public addresses only
	_, err := f.Fetch(context.Background(), "http://127.0.0.1:"+secret.port()+"/")
	refused(t, err, "127.0.0.1 is a loopback address")
	if secret.hits.Load() != 0 || len(n.dialed()) != 0 {
		t.Errorf("the server got %d requests and the fetcher dialed %v", secret.hits.Load(), n.dialed())
	}
}

func TestAttackIPv6Loopback(t *testing.T) {
	port := "8080"
	if l, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("the [::1] server was reached: %s", r.URL)
		})}}
		srv.Start()
		defer srv.Close()
		_, port, _ = net.SplitHostPort(l.Addr().String())
	}
	n := newTestNet(t)
	_, err := n.fetcher(Config{}).Fetch(context.Background(), "http://[::1]:"+port+"/")
	refused(t, err, "::1 is a loopback address")
	if len(n.dialed()) != 0 {
		t.Errorf("dialed %v", n.dialed())
	}
}

func TestAttackLiteralAddresses(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"},
		{"http://169.254.169.254/latest/meta-data/iam/security-credentials/", "link-local"},
		{"http://[fd00:ec2::254]/latest/meta-data/", "private (unique local)"},
		{"http://10.0.0.1/", "10.0.0.1 is a private address"},
		{"http://172.16.5.4:8080/", "private"},
		{"http://192.168.1.1/admin", "private"},
		{"http://100.64.0.1/", "carrier-grade NAT"},
		{"http://0.0.0.0:8080/", "unspecified"},
		{"http://[::]/", "unspecified"},
		{"http://224.0.0.1/", "multicast"},
		{"http://255.255.255.255/", "reserved"},
		{"http://[fe80::1]/", "link-local"},
		{"http://[fe80::1%25eth0]/", "zone"},
		{"http://127.0.0.1./", "loopback"},
		{"http://127.8.9.10/", "loopback"},
		// IPv4-mapped IPv6 and friends.
		{"http://[::ffff:127.0.0.1]/", "127.0.0.1 is a loopback address"},
		{"http://[::ffff:7f00:1]/", "127.0.0.1 is a loopback address"},
		{"http://[::ffff:169.254.169.254]/", "link-local"},
		{"http://[::ffff:10.0.0.1]/", "private"},
		{"http://[::127.0.0.1]/", "IPv4-compatible"},
		{"http://[64:ff9b::7f00:1]/", "loopback address behind NAT64"},
		{"http://[2002:7f00:1::]/", "loopback address behind 6to4"},
		{"http://[2002:a9fe:a9fe::1]/", "link-local"},
		// Legacy numeric forms of 127.0.0.1 and 169.254.169.254.
		{"http://2130706433/", "127.0.0.1"},
		{"http://0x7f.1/", "127.0.0.1"},
		{"http://0x7f000001/", "127.0.0.1"},
		{"http://0177.0.0.1/", "127.0.0.1"},
		{"http://0177.0.0.01/", "127.0.0.1"},
		{"http://127.1/", "127.0.0.1"},
		{"http://127.0.1/", "127.0.0.1"},
		{"http://0/", "0.0.0.0"},
		{"http://2852039166/", "169.254.169.254"},
		{"http://0xA9.0xFE.0xA9.0xFE/", "169.254.169.254"},
		// Forms that IDNA maps to ASCII, as the HTTP transport does.
		{"http://127\u30020\u30020\u30021/", "127.0.0.1 is a loopback address"},
		{"http://\uff11\uff12\uff17.0.0.1/", "127.0.0.1 is a loopback address"},
		{"http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/", "names this machine"},
		// Names of this machine.
		{"http://localhost/", "names this machine"},
		{"http://LocalHost:9999/", "names this machine"},
		{"http://localhost./", "names this machine"},
		{"http://api.localhost/", "names this machine"},
		// Schemes and user info.
		{"file:///etc/passwd", "only http and https"},
		{"gopher://127.0.0.1:6379/_INFO", "only http and https"},
		{"ftp://example.com/", "only http and https"},
		{"dict://127.0.0.1:11211/stat", "only http and https"},
		{"javascript:alert(1)", "only http and https"},
		{"http://user:pass@example.com/", "user name or password"},
		{"http://example.com@127.0.0.1/", "user name or password"},
		{"https://token@example.com/", "user name or password"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			n := newTestNet(t)
			n.host("example.com", publicIP)
			_, err := n.fetcher(Config{}).Fetch(context.Background(), tc.url)
			refused(t, err, tc.want)
			if d := n.dialed(); len(d) != 0 {
				t.Errorf("dialed %v", d)
			}
			if l := n.lookedUp(); len(l) != 0 {
				t.Errorf("resolved %v", l)
			}
		})
	}
}

func TestAttackMalformed(t *testing.T) {
	for _, u := range []string{
		"http://%31%32%37.0.0.1/", // Go's URL parser refuses escapes in a host
		"http://[::1/",
		"http://exa mple.com/",
		"http:///path",
		"http:example.com",
		"//example.com/",
		"example.com",
		"http://example.com:99999/",
		"http://example.com:-1/",
		"http://[::1]:0x50/",
		"",
		"http://" + strings.Repeat("a", MaxURLLength) + ".com/",
	} {
		n := newTestNet(t)
		n.host("example.com", publicIP)
		_, err := n.fetcher(Config{}).Fetch(context.Background(), u)
		if c := llmos.ErrorCode(err); c != llmos.CodeInvalid && c != llmos.CodeDenied {
			t.Errorf("%q: %v (%s)", truncate(u, 40), err, c)
		}
		if d := n.dialed(); len(d) != 0 {
			t.Errorf("%q: dialed %v", truncate(u, 40), d)
		}
	}
}

func TestAttackNamesThatResolveInside(t *testing.T) {
	for _, tc := range []struct {
		name  string
		addrs []string
		want  string
	}{
		{"evil.test", []string{"127.0.0.1"}, "evil.test resolves to 127.0.0.1, a loopback address"},
		{"metadata.evil.test", []string{"169.254.169.254"}, "link-local"},
		{"v6.evil.test", []string{"::1"}, "::1, a loopback address"},
		{"mapped.evil.test", []string{"::ffff:10.1.2.3"}, "10.1.2.3, a private address"},
		// One bad address among good ones refuses the host.
		{"mixed.evil.test", []string{publicIP, "127.0.0.1"}, "127.0.0.1, a loopback address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNet(t)
			n.host(tc.name, tc.addrs...)
			_, err := n.fetcher(Config{}).Fetch(context.Background(), "http://"+tc.name+"/")
			refused(t, err, tc.want)
			if d := n.dialed(); len(d) != 0 {
				t.Errorf("dialed %v", d)
			}
		})
	}
}

// rebindingResolver answers any name with first the first time and with
// then after that, as a DNS rebinding attacker's server does.
type rebindingResolver struct {
	first, then string
	mu          sync.Mutex
	n           int
}

func (r *rebindingResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if r.n == 1 {
		return []netip.Addr{netip.MustParseAddr(r.first)}, nil
	}
	return []netip.Addr{netip.MustParseAddr(r.then)}, nil
}

func (r *rebindingResolver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func TestAttackDNSRebinding(t *testing.T) {
	// The "public" server closes every connection, so each request dials,
	// and so resolves, again.
	pub := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("public page"))
	}))
	n := newTestNet(t)
	n.route(publicIP+":80", pub.Server)
	res := &rebindingResolver{first: publicIP, then: "127.0.0.1"}
	f := n.fetcher(Config{Resolver: res})
	// The robots.txt request resolves rebind.test to the public address;
	// the page request resolves it again, gets 127.0.0.1, and is refused.
	_, err := f.Fetch(context.Background(), "http://rebind.test/page")
	refused(t, err, "rebind.test resolves to 127.0.0.1")
	if res.count() < 2 {
		t.Errorf("resolved %d times; the test meant two resolutions", res.count())
	}
	for _, d := range n.dialed() {
		if d != publicIP+":80" {
			t.Errorf("dialed %s", d)
		}
	}
	if got := pub.requested(); len(got) != 1 || got[0] != "/robots.txt" {
		t.Errorf("the public server saw %v", got)
	}
}

func TestAttackRedirectInside(t *testing.T) {
	// The inner server must never be reached: any request fails the test.
	inner := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the inner server was reached: %s", r.URL)
	}))
	p := inner.port()
	for _, tc := range []struct{ target, want string }{
		{"http://127.0.0.1:" + p + "/secret", "127.0.0.1 is a loopback address"},
		{"http://localhost:" + p + "/secret", "names this machine"},
		{"http://[::ffff:127.0.0.1]:" + p + "/secret", "loopback"},
		{"http://2130706433:" + p + "/secret", "127.0.0.1"},
		{"http://evil.test:" + p + "/secret", "evil.test resolves to 127.0.0.1"},
		{"http://169.254.169.254/latest/meta-data/", "link-local"},
		{"file:///etc/passwd", "only http and https"},
		{"http://u:p@good.test/", "user name or password"},
	} {
		t.Run(tc.target, func(t *testing.T) {
			// good.test is allowlisted by name and lives on 127.0.0.1:
			// the allowlist covers its own addresses, not where it
			// redirects to.
			good := newSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/robots.txt" {
					http.NotFound(w, r)
					return
				}
				http.Redirect(w, r, tc.target, http.StatusFound)
			}))
			n := newTestNet(t)
			n.reach(good.Server)
			n.host("good.test", "127.0.0.1")
			n.host("evil.test", "127.0.0.1")
			f := n.fetcher(Config{Allow: []string{"good.test"}})
			_, err := f.Fetch(context.Background(), "http://good.test:"+good.port()+"/go")
			refused(t, err, tc.want)
			for _, d := range n.dialed() {
				if d != "127.0.0.1:"+good.port() {
					t.Errorf("dialed %s", d)
				}
			}
		})
	}
	if inner.hits.Load() != 0 {
		t.Errorf("the inner server got %d requests", inner.hits.Load())
	}
}

func TestAttackBuiltinDialer(t *testing.T) {
	// Without the test hook the fetcher uses its own net.Dialer; the
	// refusal must still come before it, and with an allowlist it must
	// connect to the checked address (both on 127.0.0.1 only).
	srv := newSite(t, pages(map[string]string{"/": "hello from loopback"}))
	n := newTestNet(t)
	n.host("local.test", "127.0.0.1")
	deny := NewFetcher(Config{Resolver: n})
	_, err := deny.Fetch(context.Background(), "http://local.test:"+srv.port()+"/")
	refused(t, err, "local.test resolves to 127.0.0.1")
	if srv.hits.Load() != 0 {
		t.Fatalf("the server was reached")
	}
	allow := NewFetcher(Config{Resolver: n, Allow: []string{"127.0.0.1/32"}})
	page, err := allow.Fetch(context.Background(), "http://local.test:"+srv.port()+"/")
	if err != nil || page.Markdown != "hello from loopback" {
		t.Fatalf("allowlisted fetch: %+v, %v", page, err)
	}
}

func TestControlChecksTheSocketAddress(t *testing.T) {
	pol, _ := newPolicy(Config{})
	d := &dialer{pol: pol}
	checked := []netip.Addr{netip.MustParseAddr(publicIP)}
	ctl := d.control(checked, false)
	if err := ctl("tcp4", publicIP+":80", nil); err != nil {
		t.Errorf("the checked address: %v", err)
	}
	for _, addr := range []string{"127.0.0.1:80", "[::1]:80", "10.0.0.1:80", "1.1.1.1:80", "[::ffff:127.0.0.1]:80", "garbage"} {
		if err := ctl("tcp", addr, nil); llmos.ErrorCode(err) != llmos.CodeDenied {
			t.Errorf("control let %s through: %v", addr, err)
		}
	}
	// Even an address that was somehow "checked" is refused if forbidden.
	ctl = d.control([]netip.Addr{netip.MustParseAddr("127.0.0.1")}, false)
	if err := ctl("tcp4", "127.0.0.1:80", nil); llmos.ErrorCode(err) != llmos.CodeDenied {
		t.Errorf("control let loopback through: %v", err)
	}
}

func TestAllowPrivate(t *testing.T) {
	srv := newSite(t, pages(map[string]string{"/": "intranet"}))
	n := newTestNet(t)
	n.reach(srv.Server)
	n.host("localhost", "127.0.0.1")
	page, err := n.fetcher(Config{AllowPrivate: true}).Fetch(context.Background(), "http://localhost:"+srv.port()+"/")
	if err != nil || page.Markdown != "intranet" {
		t.Fatalf("AllowPrivate, localhost: %+v, %v", page, err)
	}
	page, err = n.fetcher(Config{AllowPrivate: true}).Fetch(context.Background(), srv.URL+"/")
	if err != nil || page.Markdown != "intranet" {
		t.Fatalf("AllowPrivate: %+v, %v", page, err)
	}
}
