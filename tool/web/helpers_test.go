package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// publicIP stands for a public web server in tests. Nothing is ever sent
// to it: testNet routes its connections to a local httptest server.
const publicIP = "93.184.216.34"

// testNet is the only network a test fetcher has. Its dial hook connects
// to the loopback addresses of the test's own servers, and to the fake
// public addresses routed to them; any other address fails the test, and
// nothing reaches the real network. Its resolver answers from a table and
// never asks DNS.
type testNet struct {
	t      *testing.T
	mu     sync.Mutex
	routes map[string]string // dialed address -> httptest listener address
	direct map[string]bool   // loopback addresses the test means to reach
	dials  []string
	hosts  map[string][]netip.Addr
	looks  []string
}

func newTestNet(t *testing.T) *testNet {
	return &testNet{t: t, routes: map[string]string{}, direct: map[string]bool{}, hosts: map[string][]netip.Addr{}}
}

// route makes connections to addr (a fake public IP:port) reach srv.
func (n *testNet) route(addr string, srv *httptest.Server) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.routes[addr] = srv.Listener.Addr().String()
}

// reach lets the hook connect to srv at its own loopback address.
func (n *testNet) reach(srv *httptest.Server) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.direct[srv.Listener.Addr().String()] = true
}

// host makes the resolver answer name with addrs.
func (n *testNet) host(name string, addrs ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range addrs {
		n.hosts[name] = append(n.hosts[name], netip.MustParseAddr(a))
	}
}

func (n *testNet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	n.mu.Lock()
	n.dials = append(n.dials, addr)
	target, routed := n.routes[addr]
	direct := n.direct[addr]
	n.mu.Unlock()
	switch {
	case routed:
		var d net.Dialer
		return d.DialContext(ctx, network, target)
	case direct:
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	n.t.Errorf("the fetcher dialed %s, an address the test did not allow", addr)
	return nil, errors.New("refused by the test network")
}

func (n *testNet) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.looks = append(n.looks, host)
	if a, ok := n.hosts[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// dialed lists the addresses the fetcher tried to connect to.
func (n *testNet) dialed() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.dials)
}

// lookedUp lists the names the fetcher resolved.
func (n *testNet) lookedUp() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.looks)
}

// fetcher returns a Fetcher on this network.
func (n *testNet) fetcher(cfg Config) *Fetcher {
	if cfg.Resolver == nil {
		cfg.Resolver = n
	}
	cfg.Dial = n.dial
	return NewFetcher(cfg)
}

// site is an httptest server with a handler per path and a count of the
// requests it got.
type site struct {
	*httptest.Server
	hits  atomic.Int64
	mu    sync.Mutex
	paths []string
}

func newSite(t *testing.T, h http.Handler) *site {
	s := &site{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.RequestURI())
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) requested() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.paths)
}

// port is the server's port.
func (s *site) port() string {
	_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
	return p
}

// pages serves fixed bodies by path, with a content type guessed from the
// body; "/robots.txt" 404s unless given.
func pages(m map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := m[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(body, "<") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.Write([]byte(body))
	})
}
