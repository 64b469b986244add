package weaviate

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
)

// DefaultClass is the collection of an llmos install when Config.Class is empty.
const DefaultClass = "LlmosMemory"

// batchSize is how many objects one batch request carries.
const batchSize = 200

// maxResults is Weaviate's default QUERY_MAXIMUM_RESULTS: no query may ask
// for more objects than this.
const maxResults = 10000

// requestTimeout bounds one HTTP request to Weaviate; callers bound whole
// operations with their context.
const requestTimeout = 2 * time.Minute

// Config says where the collection is.
type Config struct {
	// URL is the REST endpoint of Weaviate, e.g. http://127.0.0.1:8080.
	URL string
	// APIKey, when set, is sent as a bearer token on every request.
	APIKey string
	// Class is the collection; DefaultClass if empty. One llmos install uses
	// one collection; its first letter is capitalised, as Weaviate does.
	Class string
}

// String describes the config with its key hidden, so that printing or
// logging a Config never shows the key.
func (c Config) String() string {
	key := ""
	if c.APIKey != "" {
		key = "[redacted]"
	}
	u := c.URL
	if p, err := url.Parse(c.URL); err == nil && p.User != nil {
		p.User = nil
		u = p.String()
	}
	return fmt.Sprintf("{URL:%s APIKey:%s Class:%s}", u, key, c.Class)
}

// LogValue is String, for slog.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Index is a vector.Index on a Weaviate collection. It is safe for
// concurrent use; several Index values (on several nodes) may share one
// collection.
type Index struct {
	client *weaviate.Client
	http   *http.Client
	class  string
	url    string // the URL without credentials, for messages
	apiKey string // only to redact it from messages

	mu     sync.Mutex
	dim    int // the dimension of the stored vectors, 0 while unknown
	closed bool
}

var _ vector.Index = (*Index)(nil)

// Open connects to Weaviate, creates the collection if it is missing
// (vectorizer none, cosine distance, the properties of an llmos item) and
// learns the dimension of the stored vectors. An unreachable server is an
// unavailable error naming the URL; a rejected key, unauthenticated.
func Open(ctx context.Context, cfg Config) (*Index, error) {
	base, host, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	class, err := normalizeClass(cfg.Class)
	if err != nil {
		return nil, err
	}
	x := &Index{class: class, url: base.String(), apiKey: cfg.APIKey}
	conn := sharedConn(base, host, cfg.APIKey)
	x.http = conn.http
	if err := x.ready(ctx); err != nil {
		return nil, err
	}
	// The server answered just now, so the version probe the client makes
	// when it is created (without a context) returns at once.
	x.client = conn.weaviate()
	if err := x.ensureClass(ctx); err != nil {
		return nil, err
	}
	if err := x.learnDim(ctx); err != nil {
		return nil, err
	}
	return x, nil
}

// conns holds one client per server and key, for the life of the process.
// The client's connection has a finalizer that blocks forever (it sends on a
// channel nobody reads), which would stall every finalizer of the program
// once a client were collected; so clients are never let go.
var conns = struct {
	sync.Mutex
	m map[[2]string]*conn
}{m: map[[2]string]*conn{}}

type conn struct {
	http   *http.Client
	base   *url.URL
	host   string
	apiKey string
	once   sync.Once
	client *weaviate.Client
}

// sharedConn returns the connection to a server with a key, making it once.
func sharedConn(base *url.URL, host, apiKey string) *conn {
	k := [2]string{base.String(), apiKey}
	conns.Lock()
	defer conns.Unlock()
	c, ok := conns.m[k]
	if !ok {
		c = &conn{
			http: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: requestTimeout},
			base: base, host: host, apiKey: apiKey,
		}
		conns.m[k] = c
	}
	return c
}

// weaviate returns the client, making it on the first call. NewClient asks
// the server its version, bounded by requestTimeout; a failure leaves the
// version unknown, which only the client's object endpoints (unused here)
// care about.
func (c *conn) weaviate() *weaviate.Client {
	c.once.Do(func() {
		headers := map[string]string{}
		if c.apiKey != "" {
			headers["Authorization"] = "Bearer " + c.apiKey
		}
		var err error
		c.client, err = weaviate.NewClient(weaviate.Config{
			Scheme: c.base.Scheme, Host: c.host, ConnectionClient: c.http, Headers: headers, Timeout: requestTimeout,
		})
		if err != nil { // NewClient fails only for a config with both AuthConfig and ConnectionClient
			panic(err)
		}
	})
	return c.client
}

// parseURL checks the URL and returns it without credentials, with the
// host (and path prefix) the client wants.
func parseURL(raw string) (*url.URL, string, error) {
	if raw == "" {
		return nil, "", llmos.Errorf(llmos.CodeInvalid, "weaviate: no URL (e.g. http://127.0.0.1:8080)")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", llmos.Errorf(llmos.CodeInvalid, "weaviate: the URL must look like http://host:port")
	}
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v1")
	u.RawPath = ""
	return u, u.Host + u.Path, nil
}

// ready asks Weaviate's readiness endpoint.
func (x *Index) ready(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, x.url+"/v1/.well-known/ready", nil)
	if err != nil {
		return llmos.Wrap(err, llmos.CodeInvalid, "weaviate: bad URL "+x.url)
	}
	resp, err := x.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "weaviate: connecting: cancelled")
		}
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("weaviate at %s is unreachable: is it running, and is the URL right?", x.url))
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return llmos.Errorf(llmos.CodeUnavailable, "weaviate at %s is not ready (status %d)", x.url, resp.StatusCode)
	}
	return nil
}

// learnDim reads the vector of one stored object, if any.
func (x *Index) learnDim(ctx context.Context) error {
	hits, err := x.get(ctx, "learning the dimension", x.client.GraphQL().Get().WithLimit(1), "_additional{vector}")
	if err != nil {
		return err
	}
	if len(hits) > 0 {
		x.mu.Lock()
		x.dim = len(hits[0].Additional.Vector)
		x.mu.Unlock()
	}
	return nil
}

// relearnDim reads the dimension again after Weaviate refused a vector:
// another node may have fixed it since Open.
func (x *Index) relearnDim(ctx context.Context, err error) {
	if llmos.ErrorCode(err) == llmos.CodeInvalid {
		x.learnDim(ctx)
	}
}

// use checks that the index is open and returns its dimension.
func (x *Index) use() (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return 0, llmos.Errorf(llmos.CodeConflict, "weaviate: the index is closed")
	}
	return x.dim, nil
}

// Upsert stores the items, replacing those with the same IDs, in batches. The
// first vector stored fixes the dimension; an item of another dimension, an
// empty id or a missing vector is an invalid error and nothing is sent. When
// ids repeat, the last item wins.
func (x *Index) Upsert(ctx context.Context, items []vector.Item) error {
	dim, err := x.use()
	if err != nil || len(items) == 0 {
		return err
	}
	if dim == 0 {
		dim = len(items[0].Vector)
	}
	for i := range items {
		if err := checkItem(&items[i], dim); err != nil {
			return err
		}
	}
	if err := x.upsert(ctx, items); err != nil {
		x.relearnDim(ctx, err)
		return err
	}
	x.mu.Lock()
	if x.dim == 0 {
		x.dim = dim
	}
	x.mu.Unlock()
	return nil
}

// upsert sends valid items in batches.
func (x *Index) upsert(ctx context.Context, items []vector.Item) error {

	last := make(map[string]int, len(items))
	for i := range items {
		last[items[i].ID] = i
	}
	objs := make([]*models.Object, 0, min(len(items), batchSize))
	ids := make([]string, 0, cap(objs))
	flush := func() error {
		if len(objs) == 0 {
			return nil
		}
		resp, err := x.client.Batch().ObjectsBatcher().WithObjects(objs...).Do(ctx)
		if err != nil {
			return x.wrap(ctx, err, "storing items")
		}
		for i, r := range resp {
			if r.Result != nil && r.Result.Errors != nil && len(r.Result.Errors.Error) > 0 && r.Result.Errors.Error[0] != nil {
				id := ""
				if i < len(ids) {
					id = ids[i]
				}
				return itemError(r.Result.Errors.Error[0].Message, id, x.apiKey)
			}
		}
		objs, ids = objs[:0], ids[:0]
		return nil
	}
	for i := range items {
		if last[items[i].ID] != i {
			continue
		}
		obj, err := toObject(x.class, &items[i])
		if err != nil {
			return err
		}
		objs = append(objs, obj)
		ids = append(ids, items[i].ID)
		if len(objs) == batchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// Delete removes the items with these ids; absent ids are ignored.
func (x *Index) Delete(ctx context.Context, ids []string) error {
	if _, err := x.use(); err != nil {
		return err
	}
	for len(ids) > 0 {
		n := min(len(ids), batchSize)
		uuids := make([]string, n)
		for i, id := range ids[:n] {
			uuids[i] = objectID(id)
		}
		ids = ids[n:]
		resp, err := x.client.Batch().ObjectsBatchDeleter().WithClassName(x.class).WithWhere(withIDs(uuids)).Do(ctx)
		if err != nil {
			return x.wrap(ctx, err, "deleting items")
		}
		if resp.Results != nil && resp.Results.Failed > 0 {
			msg := ""
			for _, o := range resp.Results.Objects {
				if o != nil && o.Errors != nil && len(o.Errors.Error) > 0 && o.Errors.Error[0] != nil {
					msg = ": " + shorten(redact(o.Errors.Error[0].Message, x.apiKey))
					break
				}
			}
			return llmos.Errorf(llmos.CodeUnavailable, "weaviate at %s: %d items could not be deleted%s", x.url, resp.Results.Failed, msg)
		}
	}
	return nil
}

// Get returns the item with its vector, or a not_found error.
func (x *Index) Get(ctx context.Context, id string) (vector.Item, error) {
	if _, err := x.use(); err != nil {
		return vector.Item{}, err
	}
	q := x.client.GraphQL().Get().WithWhere(withIDs([]string{objectID(id)})).WithLimit(1)
	hits, err := x.get(ctx, "reading an item", q, itemFields+" _additional{vector}")
	if err != nil {
		return vector.Item{}, err
	}
	if len(hits) == 0 || hits[0].ID != id {
		return vector.Item{}, llmos.Errorf(llmos.CodeNotFound, "weaviate: no item %s", quote(id))
	}
	return hits[0].item()
}

// Len counts the items of the collection.
func (x *Index) Len(ctx context.Context) (int, error) {
	if _, err := x.use(); err != nil {
		return 0, err
	}
	resp, err := x.client.GraphQL().Aggregate().WithClassName(x.class).
		WithFields(graphql.Field{Name: "meta", Fields: []graphql.Field{{Name: "count"}}}).Do(ctx)
	if err != nil {
		return 0, x.wrap(ctx, err, "counting items")
	}
	if len(resp.Errors) > 0 {
		return 0, x.gqlError(resp.Errors, "counting items")
	}
	var out []struct {
		Meta struct {
			Count int `json:"count"`
		} `json:"meta"`
	}
	if err := x.decode(resp, "Aggregate", &out); err != nil {
		return 0, err
	}
	if len(out) == 0 {
		return 0, nil
	}
	return out[0].Meta.Count, nil
}

// Close marks the index closed; later calls fail with code conflict. The
// connection to the server stays, shared with other indexes on it (see
// conns); Weaviate holds the data, so a new Open on the same collection
// finds everything stored.
func (x *Index) Close() error {
	x.mu.Lock()
	x.closed = true
	x.mu.Unlock()
	return nil
}
