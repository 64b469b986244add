package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
)

func TestObjectID(t *testing.T) {
	a, b := objectID("item-1"), objectID("item-2")
	if a != objectID("item-1") {
		t.Error("objectID is not deterministic")
	}
	if a == b || objectID("") == objectID(" ") {
		t.Error("two ids map to one object")
	}
	u, err := uuid.Parse(a)
	if err != nil || u.Version() != 5 {
		t.Errorf("objectID = %s (%v), want a UUIDv5", a, err)
	}
}

func TestKeyKeepsByteOrder(t *testing.T) {
	ids := []string{"", " ", "a", "a ", " a", "A", "a=b", "ab", "b", "é", "\x00", "\xff", "日本", "item-10", "item-9"}
	byID := slices.Clone(ids)
	slices.Sort(byID)
	byKey := slices.Clone(ids)
	slices.SortFunc(byKey, func(a, b string) int { return strings.Compare(key(a), key(b)) })
	if !slices.Equal(byID, byKey) {
		t.Errorf("sorted by key %q, by id %q", byKey, byID)
	}
	for _, s := range ids {
		k := key(s)
		if k == "" || strings.TrimSpace(k) != k || strings.ToLower(k) != k || strings.Contains(k, "=") {
			t.Errorf("key(%q) = %q: a tokenizer would change it", s, k)
		}
	}
	if metaKey("a=", "b") == metaKey("a", "=b") {
		t.Error("metaKey is ambiguous")
	}
}

func TestWhere(t *testing.T) {
	day := time.Date(2026, 8, 1, 0, 0, 0, 0, time.FixedZone("X", 7200))
	for _, c := range []struct {
		name string
		f    vector.Filter
		want string
	}{
		{"none", vector.Filter{}, ""},
		{"namespace", vector.Filter{Namespace: "bob"}, `where:{operator: Equal path: ["nsKey"] valueText: "x626f62"}`},
		{"after", vector.Filter{After: day}, `where:{operator: GreaterThanEqual path: ["time"] valueDate: "2026-07-31T22:00:00Z"}`},
		{"before", vector.Filter{Before: day}, `where:{operator: Or operands:[{operator: LessThan path: ["time"] valueDate: "2026-07-31T22:00:00Z"},{operator: IsNull path: ["time"] valueBoolean: true}]}`},
		{"sources", vector.Filter{Sources: []llmos.Source{llmos.SourceWeb, llmos.SourceFile}}, `where:{operator: ContainsAny path: ["sourceKeys"] valueText: ["x776562","x66696c65"]}`},
		{"meta", vector.Filter{Meta: map[string]string{"kind": "page", "a": ""}}, `where:{operator: ContainsAll path: ["metaKeys"] valueText: ["x61=x","x6b696e64=x70616765"]}`},
		{"both", vector.Filter{Namespace: "a", Meta: map[string]string{"k": "v"}}, `where:{operator: And operands:[{operator: Equal path: ["nsKey"] valueText: "x61"},{operator: ContainsAll path: ["metaKeys"] valueText: ["x6b=x76"]}]}`},
	} {
		w := where(c.f)
		got := ""
		if w != nil {
			got = w.String()
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	got := where(vector.Filter{Namespace: "a"}, afterID("id-3")).String()
	want := `where:{operator: And operands:[{operator: Equal path: ["nsKey"] valueText: "x61"},{operator: GreaterThan path: ["idKey"] valueText: "x69642d33"}]}`
	if got != want {
		t.Errorf("with cursor:\n got %s\nwant %s", got, want)
	}
	if afterID("") != nil {
		t.Error("an empty cursor filters")
	}
}

func TestObjectRoundTrip(t *testing.T) {
	in := vector.Item{
		ID: " id=1 ", Namespace: "Alice", Text: `say "hi"`, Vector: []float32{0.25, -1, 3e-8},
		Time:  time.Date(2026, 8, 1, 12, 30, 0, 123456789, time.FixedZone("X", -3600)),
		Label: llmos.LabelOf(llmos.SourceWeb), Meta: map[string]string{"kind": "page", "a=b": "c"},
	}
	obj, err := toObject("LlmosMemory", &in)
	if err != nil {
		t.Fatal(err)
	}
	if string(obj.ID) != objectID(in.ID) || obj.Class != "LlmosMemory" {
		t.Errorf("object %s of %s", obj.ID, obj.Class)
	}
	props := obj.Properties.(map[string]any)
	if props[propIDKey] != key(in.ID) || props[propNSKey] != key("Alice") {
		t.Errorf("keys %v", props)
	}
	// Weaviate answers with the properties and the vector under _additional.
	props["_additional"] = map[string]any{"vector": obj.Vector}
	b, _ := json.Marshal(props)
	var h hit
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	out, err := h.item()
	if err != nil {
		t.Fatal(err)
	}
	if out.ID != in.ID || out.Namespace != in.Namespace || out.Text != in.Text || !out.Time.Equal(in.Time) ||
		!slices.Equal(out.Vector, in.Vector) || !slices.Equal(out.Label.Sources, in.Label.Sources) ||
		len(out.Meta) != 2 || out.Meta["a=b"] != "c" {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}

	bare, _ := toObject("C", &vector.Item{ID: "x", Vector: []float32{1}})
	for _, p := range []string{propNamespace, propTime, propSources, propMeta, propMetaKeys} {
		if _, ok := bare.Properties.(map[string]any)[p]; ok {
			t.Errorf("an empty %s is stored", p)
		}
	}
}

func TestCheckItem(t *testing.T) {
	nan := float32(0)
	nan = nan / nan
	for _, c := range []struct {
		it   vector.Item
		dim  int
		want string
	}{
		{vector.Item{ID: "a", Vector: []float32{1, 2}}, 2, ""},
		{vector.Item{ID: "a", Vector: []float32{1, 2}}, 0, ""},
		{vector.Item{ID: "", Vector: []float32{1}}, 0, "empty id"},
		{vector.Item{ID: "a"}, 0, "no vector"},
		{vector.Item{ID: "a", Vector: []float32{1, 2, 3}}, 2, "dimension 3, the index has dimension 2"},
		{vector.Item{ID: "a", Vector: []float32{nan}}, 0, "NaN"},
	} {
		err := checkItem(&c.it, c.dim)
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.it, err)
			}
			continue
		}
		if llmos.ErrorCode(err) != llmos.CodeInvalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want invalid with %q", c.it, err, c.want)
		}
	}
}

func TestCleanQuery(t *testing.T) {
	for in, want := range map[string]string{
		"favourite book":      "favourite book",
		" \t tabs\nand  \x00": "tabs and",
		"bad \xff utf8":       "bad   utf8",
		`quote " \ ok é 日本`:   `quote " \ ok é 日本`,
		"\u200b":              "",
	} {
		got := cleanQuery(in)
		if got != want {
			t.Errorf("cleanQuery(%q) = %q, want %q", in, got, want)
		}
		// What the client's %q makes of it must be a GraphQL string: no \x, \U or \a-style escapes.
		q := fmt.Sprintf("%q", got)
		for _, bad := range []string{`\x`, `\U`, `\a`, `\v`, `\f`, `\b`} {
			if strings.Contains(q, bad) {
				t.Errorf("%q quotes as %s", in, q)
			}
		}
	}
}

func TestMapError(t *testing.T) {
	ctx := context.Background()
	status := func(code int, body string) error {
		return &fault.WeaviateClientError{IsUnexpectedStatusCode: true, StatusCode: code, Msg: body}
	}
	derived := func(err error) error {
		return &fault.WeaviateClientError{StatusCode: -1, Msg: "check the DerivedFromError field", DerivedFromError: err}
	}
	for _, c := range []struct {
		err  error
		code llmos.Code
		msg  string
	}{
		{status(401, `{"error":[{"message":"anonymous access not enabled"}]}`), llmos.CodeUnauthenticated, "rejected the credentials"},
		{status(403, `{"error":[{"message":"forbidden: secret-key"}]}`), llmos.CodeUnauthenticated, "not allowed"},
		{status(422, `{"error":[{"message":"vector lengths don't match: secret-key"}]}`), llmos.CodeInvalid, "vector lengths don't match: [redacted]"},
		{status(400, "bad"), llmos.CodeInvalid, "refused: bad"},
		{status(404, ""), llmos.CodeNotFound, "not found"},
		{status(429, ""), llmos.CodeRateLimited, "busy"},
		{status(503, `{"error":[{"message":"shard not ready"}]}`), llmos.CodeUnavailable, "status 503): shard not ready"},
		{status(302, ""), llmos.CodeBadResponse, "status 302"},
		{derived(derived(status(500, "boom"))), llmos.CodeUnavailable, "status 500"},
		{derived(&net.OpError{Op: "dial", Err: errors.New("connection refused")}), llmos.CodeUnavailable, "is unreachable"},
		{derived(&json.SyntaxError{}), llmos.CodeBadResponse, "malformed"},
		{llmos.Errorf(llmos.CodeInvalid, "kept"), llmos.CodeInvalid, "kept"},
	} {
		err := mapError(ctx, c.err, "http://w:8080", "secret-key", "storing items")
		if llmos.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: %q (%s), want %s with %q", c.err, err, llmos.ErrorCode(err), c.code, c.msg)
		}
		if strings.Contains(err.Error(), "secret-key") {
			t.Errorf("the key leaked: %q", err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := mapError(cancelled, derived(context.Canceled), "u", "", "x"); llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Errorf("cancelled: %v", err)
	}
	if itemError("new node has a vector with length 3. Existing nodes have vectors with length 2", "a", "").(*llmos.Error).Code != llmos.CodeInvalid {
		t.Error("a dimension error of a batch item is not invalid")
	}
}

func TestConfig(t *testing.T) {
	ctx := context.Background()
	for _, cfg := range []Config{{}, {URL: "localhost:8080"}, {URL: "ftp://h"}, {URL: "http://h", Class: "bad-name"}, {URL: "http://h", Class: "1x"}} {
		if _, err := Open(ctx, cfg); llmos.ErrorCode(err) != llmos.CodeInvalid {
			t.Errorf("Open(%+v): %v, want invalid", cfg, err)
		}
	}
	u, host, err := parseURL("https://user:pw@example.com:8443/prefix/v1/?x=1")
	if err != nil || u.String() != "https://example.com:8443/prefix" || host != "example.com:8443/prefix" {
		t.Errorf("parseURL = %v %q %v", u, host, err)
	}
	if c, err := normalizeClass("memory_2"); c != "Memory_2" || err != nil {
		t.Errorf("normalizeClass = %q, %v", c, err)
	}
	cfg := Config{URL: "http://u:pw@h:1", APIKey: "secret-key", Class: "C"}
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("open", "cfg", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), buf.String()} {
		if strings.Contains(s, "secret-key") || strings.Contains(s, "pw") || !strings.Contains(s, "h:1") {
			t.Errorf("printed config %q", s)
		}
	}
	if c, _ := normalizeClass(""); c != DefaultClass {
		t.Errorf("default class %q", c)
	}
}

func TestOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = Open(context.Background(), Config{URL: "http://" + addr, APIKey: "secret-key"})
	if llmos.ErrorCode(err) != llmos.CodeUnavailable || !strings.Contains(err.Error(), "http://"+addr) || strings.Contains(err.Error(), "secret-key") {
		t.Errorf("Open of a closed port: %v, want unavailable naming the URL", err)
	}
}

// fake is just enough of Weaviate for Open.
type fake struct {
	mu      sync.Mutex
	auth    []string
	classes map[string][]byte
	reject  int // status for every authenticated call, if set
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/v1/.well-known/ready" {
		return
	}
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	if f.reject != 0 {
		http.Error(w, `{"error":[{"message":"no"}]}`, f.reject)
		return
	}
	switch {
	case r.URL.Path == "/v1/meta":
		io.WriteString(w, `{"version":"1.35.2"}`)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/schema/"):
		c, ok := f.classes[strings.TrimPrefix(r.URL.Path, "/v1/schema/")]
		if !ok {
			http.Error(w, "", http.StatusNotFound)
			return
		}
		w.Write(c)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/schema":
		b, _ := io.ReadAll(r.Body)
		var c models.Class
		json.Unmarshal(b, &c)
		f.classes[c.Class] = b
		w.Write(b)
	case r.URL.Path == "/v1/graphql":
		io.WriteString(w, `{"data":{"Get":{"LlmosMemory":[{"_additional":{"vector":[1,2,3]}}]}}}`)
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
	}
}

func TestOpenCreatesTheCollection(t *testing.T) {
	f := &fake{classes: map[string][]byte{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	idx, err := Open(context.Background(), Config{URL: srv.URL, APIKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	var c models.Class
	if err := json.Unmarshal(f.classes[DefaultClass], &c); err != nil {
		t.Fatalf("no collection was created: %v", err)
	}
	if c.Vectorizer != "none" || c.VectorIndexConfig.(map[string]any)["distance"] != "cosine" || !c.InvertedIndexConfig.IndexNullState {
		t.Errorf("collection %+v", c)
	}
	if err := checkClass(&c); err != nil {
		t.Errorf("the created collection fails its own check: %v", err)
	}
	for _, a := range f.auth {
		if a != "Bearer k1" {
			t.Errorf("Authorization %q", a)
		}
	}
	if idx.dim != 3 {
		t.Errorf("dimension %d, want 3 from the stored vector", idx.dim)
	}
	if err := idx.Upsert(context.Background(), []vector.Item{{ID: "a", Vector: []float32{1}}}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("Upsert of the wrong dimension: %v", err)
	}
	idx.Close()
	if _, err := idx.Len(context.Background()); llmos.ErrorCode(err) != llmos.CodeConflict {
		t.Errorf("Len after Close: %v", err)
	}
}

func TestOpenRejected(t *testing.T) {
	for status, code := range map[int]llmos.Code{401: llmos.CodeUnauthenticated, 403: llmos.CodeUnauthenticated, 500: llmos.CodeUnavailable} {
		srv := httptest.NewServer(&fake{classes: map[string][]byte{}, reject: status})
		_, err := Open(context.Background(), Config{URL: srv.URL, APIKey: "secret-key"})
		srv.Close()
		if llmos.ErrorCode(err) != code || strings.Contains(err.Error(), "secret-key") {
			t.Errorf("status %d: %v, want %s", status, err, code)
		}
	}
}

// The client's connection has a finalizer that blocks forever; Open keeps
// clients alive so that it never runs and the program's finalizers do.
func TestFinalizersKeepRunning(t *testing.T) {
	srv := httptest.NewServer(&fake{classes: map[string][]byte{}})
	defer srv.Close()
	for range 3 {
		idx, err := Open(context.Background(), Config{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		idx.Close()
	}
	runtime.GC()
	runtime.GC()
	done := make(chan bool, 1)
	x := new([64]byte)
	runtime.SetFinalizer(x, func(*[64]byte) { done <- true })
	x = nil
	runtime.GC()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Error("finalizers are stalled")
	}
}
