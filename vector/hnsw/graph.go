package hnsw

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/llmos/llmos"
)

// Metric is how distance is measured. Search returns hits in ascending
// distance, so the nearest (most similar) first.
type Metric int

const (
	// L2 is the squared Euclidean distance.
	L2 Metric = iota
	// Cosine is 1 - cos(a, b): vectors are L2-normalised on Add and queries
	// on Search, and the distance is 1 - dot. It ranges over [0, 2].
	Cosine
	// Dot is 1 - dot(a, b) on the vectors as given (maximum inner product).
	Dot
)

// String returns "l2", "cosine" or "dot".
func (m Metric) String() string {
	switch m {
	case L2:
		return "l2"
	case Cosine:
		return "cosine"
	case Dot:
		return "dot"
	}
	return "unknown"
}

// Limits of a configuration.
const (
	// MaxDim is the largest dimension a graph takes.
	MaxDim = 1 << 16
	// MaxM is the largest M (layer 0 then keeps 2*MaxM links per node).
	MaxM = 256
	// maxLevel caps the level of a node; with M >= 2 a level above it has a
	// probability below 2^-20.
	maxLevel = 31
)

// Config configures a graph. Zero fields take the defaults noted.
type Config struct {
	Dim int
	// M is the number of links a node keeps on the upper layers; layer 0
	// keeps 2*M. Default 16.
	M int
	// EfConstruction is the breadth of the search that finds the neighbours
	// of a new node. Default 200 (raised to M if lower).
	EfConstruction int
	// EfSearch is the breadth of a search given ef <= 0. Default 64.
	EfSearch int
	Metric   Metric
	// Seed drives the level generator. A node's level depends only on the
	// seed and its id, so the same vectors added in the same order build the
	// same graph.
	Seed uint64
	// Quantize walks the graph with int8 codes of the vectors (one scale per
	// vector), then re-ranks the candidates with the exact float32 distance.
	// The float32 vectors are kept; the graph is built with them.
	Quantize bool
}

// withDefaults fills the zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.M == 0 {
		c.M = 16
	}
	if c.EfConstruction == 0 {
		c.EfConstruction = 200
	}
	if c.EfSearch == 0 {
		c.EfSearch = 64
	}
	switch {
	case c.Dim < 1 || c.Dim > MaxDim:
		return c, llmos.Errorf(llmos.CodeInvalid, "vector dimension %d is out of range (1 to %d)", c.Dim, MaxDim)
	case c.M < 2 || c.M > MaxM:
		return c, llmos.Errorf(llmos.CodeInvalid, "M %d is out of range (2 to %d)", c.M, MaxM)
	case c.EfConstruction < 1 || c.EfConstruction > 1<<16:
		return c, llmos.Errorf(llmos.CodeInvalid, "ef_construction %d is out of range (1 to 65536)", c.EfConstruction)
	case c.EfSearch < 1 || c.EfSearch > 1<<16:
		return c, llmos.Errorf(llmos.CodeInvalid, "ef_search %d is out of range (1 to 65536)", c.EfSearch)
	case c.Metric < L2 || c.Metric > Dot:
		return c, llmos.Errorf(llmos.CodeInvalid, "unknown metric %d", int(c.Metric))
	}
	c.EfConstruction = max(c.EfConstruction, c.M)
	return c, nil
}

// Hit is a search result: a node and its distance to the query.
type Hit struct {
	Node     uint32
	Distance float32
}

// Node states, set with atomic OR.
const (
	stateWritten = 1 // the vector is stored
	stateDeleted = 2 // a tombstone
)

// stripes is the number of locks guarding the neighbour lists of nodes.
const stripes = 1 << 12

// Graph is an HNSW graph of float32 vectors. All methods are safe to call
// concurrently.
type Graph struct {
	cfg     Config
	dim     int
	m0      int     // links per node on layer 0 (2*M)
	stride0 int     // uint32s per node on layer 0: count + m0 slots
	strideU int     // uint32s per node per upper layer: count + M slots
	mult    float64 // level multiplier 1/ln(M)
	shift   uint    // a page holds 1<<shift nodes
	mask    uint32

	pages atomic.Pointer[[]*page] // grows by copy; pages never move
	grow  sync.Mutex              // allocation of ids and pages
	n     atomic.Uint32           // node ids allocated

	// ep is the entry point: (top level + 1) << 32 | node, 0 when empty.
	ep   atomic.Uint64
	epMu sync.Mutex // held by an insertion that raises the top level

	locks   [stripes]sync.Mutex // writers of neighbour lists
	snap    sync.RWMutex        // Add and Delete share it; WriteTo holds it alone
	deleted atomic.Int64
	dists   atomic.Uint64
	pool    sync.Pool // *searcher
}

// page holds the nodes [k<<shift, (k+1)<<shift) in flat slabs. Neighbour
// lists are read without locks, with atomic loads: a writer (holding the
// node's stripe lock) stores the slots, then the count, so a reader sees a
// list of valid node ids, old or new.
type page struct {
	vecs  []float32  // dim per node
	links []uint32   // layer 0: stride0 per node, [count, ids...]
	upper [][]uint32 // layers 1..level: strideU each; nil for level 0
	state []uint32   // stateWritten | stateDeleted, atomic
	codes []int8     // Quantize: dim per node
	qmeta []float32  // Quantize: scale, squared norm per node
}

// New returns an empty graph.
func New(cfg Config) (*Graph, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &Graph{
		cfg:     cfg,
		dim:     cfg.Dim,
		m0:      2 * cfg.M,
		stride0: 1 + 2*cfg.M,
		strideU: 1 + cfg.M,
		mult:    1 / math.Log(float64(cfg.M)),
	}
	// About 1 MiB of vectors per page, between 16 and 4096 nodes.
	per := max(16, min(4096, (1<<20)/(4*cfg.Dim)))
	g.shift = uint(bits.Len(uint(per)) - 1)
	g.mask = 1<<g.shift - 1
	empty := []*page{}
	g.pages.Store(&empty)
	g.pool.New = func() any { return &searcher{g: g} }
	return g, nil
}

// Config returns the configuration with the defaults filled in.
func (g *Graph) Config() Config { return g.cfg }

func (g *Graph) newPage() *page {
	per := 1 << g.shift
	p := &page{
		vecs:  make([]float32, per*g.dim),
		links: make([]uint32, per*g.stride0),
		upper: make([][]uint32, per),
		state: make([]uint32, per),
	}
	if g.cfg.Quantize {
		p.codes = make([]int8, per*g.dim)
		p.qmeta = make([]float32, 2*per)
	}
	return p
}

// alloc returns the next node id and its page, adding a page when needed.
func (g *Graph) alloc() (uint32, *page, error) {
	g.grow.Lock()
	defer g.grow.Unlock()
	id := g.n.Load()
	if id == math.MaxUint32 {
		return 0, nil, llmos.Errorf(llmos.CodeInvalid, "the graph is full (%d nodes)", id)
	}
	pages := *g.pages.Load()
	if int(id>>g.shift) == len(pages) {
		next := make([]*page, len(pages)+1)
		copy(next, pages)
		next[len(pages)] = g.newPage()
		g.pages.Store(&next)
		pages = next
	}
	g.n.Store(id + 1)
	return id, pages[id>>g.shift], nil
}

// levelOf is the level of node id: floor(-ln(u) / ln(M)) for a uniform u
// drawn from the seed and the id.
func (g *Graph) levelOf(id uint32) int {
	z := g.cfg.Seed + (uint64(id)+1)*0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	z ^= z >> 31
	u := 1 - float64(z>>11)*0x1p-53 // (0, 1]
	return min(int(-math.Log(u)*g.mult), maxLevel)
}

// Add stores a copy of vec (normalised for Cosine) as a new node, links it
// into the graph and returns its id. Ids are dense and sequential from 0 in
// the order Add is called. A vector of the wrong dimension or with NaN or
// infinite values is an invalid error.
func (g *Graph) Add(vec []float32) (uint32, error) {
	if len(vec) != g.dim {
		return 0, llmos.Errorf(llmos.CodeInvalid, "vector has dimension %d, the index %d", len(vec), g.dim)
	}
	if !finite(vec) {
		return 0, llmos.Errorf(llmos.CodeInvalid, "vector has a NaN or infinite value")
	}
	g.snap.RLock()
	defer g.snap.RUnlock()
	id, p, err := g.alloc()
	if err != nil {
		return 0, err
	}
	i := int(id & g.mask)
	v := p.vecs[i*g.dim : (i+1)*g.dim : (i+1)*g.dim]
	copy(v, vec)
	if g.cfg.Metric == Cosine {
		normalize(v)
	}
	level := g.levelOf(id)
	if level > 0 {
		p.upper[i] = make([]uint32, level*g.strideU)
	}
	if g.cfg.Quantize {
		g.encode(p, i)
	}
	atomic.OrUint32(&p.state[i], stateWritten)
	g.insert(id, level, v)
	return id, nil
}

// encode computes the int8 code of node i of p from its vector.
func (g *Graph) encode(p *page, i int) {
	v := p.vecs[i*g.dim : (i+1)*g.dim]
	p.qmeta[2*i] = quantize(v, p.codes[i*g.dim:(i+1)*g.dim])
	p.qmeta[2*i+1] = dot(v, v)
}

// insert links node id (of the given level, vector q) into the graph, as in
// Algorithm 1 of the HNSW paper: a greedy descent to the node's top level,
// then on each layer below a search of breadth EfConstruction whose result
// seeds the next layer, M neighbours chosen by the heuristic, and links back.
func (g *Graph) insert(id uint32, level int, q []float32) {
	s := g.searcher()
	defer g.release(s)
	s.q = q
	st := g.ep.Load()
	locked := false
	if st == 0 || level > int(st>>32)-1 {
		g.epMu.Lock()
		locked = true
		st = g.ep.Load()
		if st == 0 {
			g.ep.Store(uint64(level+1)<<32 | uint64(id))
			g.epMu.Unlock()
			return
		}
		if level <= int(st>>32)-1 {
			g.epMu.Unlock()
			locked = false
		}
	}
	ep, top := uint32(st), int(st>>32)-1
	cur := item{s.dist(ep), ep}
	for l := top; l > level; l-- {
		cur = s.greedy(cur, l)
	}
	// Choose the neighbours on every layer first, top down, then link from
	// layer 0 up: a node becomes reachable on a layer only once its links on
	// the layers below are in place, so no search that finds it there can be
	// stranded on it below.
	s.eps = append(s.eps[:0], cur)
	low := min(level, top)
	s.levels = s.levels[:0]
	for l := low; l >= 0; l-- {
		s.searchLayer(s.eps, g.cfg.EfConstruction, l, false, nil, id)
		w := s.sorted()
		s.levels = append(s.levels, s.selectNeighbors(w, g.cfg.M, s.spare(low-l)))
		s.eps = append(s.eps[:0], w...)
	}
	for l := 0; l <= low; l++ {
		maxLinks := g.cfg.M
		if l == 0 {
			maxLinks = g.m0
		}
		sel := s.levels[low-l]
		g.setLinks(s, id, l, sel)
		for _, nb := range sel {
			g.connect(s, nb.id, item{nb.d, id}, l, maxLinks)
		}
	}
	if locked {
		g.ep.Store(uint64(level+1)<<32 | uint64(id))
		g.epMu.Unlock()
	}
}

// list returns the neighbour list of node i of p on layer l: [count, ids...].
func (g *Graph) list(p *page, i, l int) []uint32 {
	if l == 0 {
		return p.links[i*g.stride0 : (i+1)*g.stride0 : (i+1)*g.stride0]
	}
	return p.upper[i][(l-1)*g.strideU : l*g.strideU : l*g.strideU]
}

// setLinks makes nbs the neighbours of id on layer l.
func (g *Graph) setLinks(s *searcher, id uint32, l int, nbs []item) {
	lst := g.list(s.page(id), int(id&g.mask), l)
	mu := &g.locks[id%stripes]
	mu.Lock()
	for j, nb := range nbs {
		atomic.StoreUint32(&lst[1+j], nb.id)
	}
	atomic.StoreUint32(&lst[0], uint32(len(nbs)))
	mu.Unlock()
}

// connect adds the link n → c (c.d is their distance) on layer l. When n has
// maxLinks already, the heuristic chooses among the old links and c.
func (g *Graph) connect(s *searcher, n uint32, c item, l, maxLinks int) {
	p := s.page(n)
	lst := g.list(p, int(n&g.mask), l)
	mu := &g.locks[n%stripes]
	mu.Lock()
	defer mu.Unlock()
	cnt := int(atomic.LoadUint32(&lst[0]))
	for j := 1; j <= cnt; j++ {
		if atomic.LoadUint32(&lst[j]) == c.id {
			return
		}
	}
	if cnt < maxLinks {
		atomic.StoreUint32(&lst[1+cnt], c.id)
		atomic.StoreUint32(&lst[0], uint32(cnt+1))
		return
	}
	nv := s.vec(n)
	cands := s.shrink[:0]
	for j := 1; j <= cnt; j++ {
		o := atomic.LoadUint32(&lst[j])
		cands = append(cands, item{s.distVec(nv, s.vec(o)), o})
	}
	cands = append(cands, c)
	sortItems(cands)
	keep := s.selectNeighbors(cands, maxLinks, s.kept[:0])
	for j, k := range keep {
		atomic.StoreUint32(&lst[1+j], k.id)
	}
	atomic.StoreUint32(&lst[0], uint32(len(keep)))
	s.shrink, s.kept = cands, keep
}

// Delete marks node as deleted: Search and Exact never return it again, but
// searches still pass through it. Unknown nodes are ignored.
func (g *Graph) Delete(node uint32) {
	g.snap.RLock()
	defer g.snap.RUnlock()
	if node >= g.n.Load() {
		return
	}
	p := (*g.pages.Load())[node>>g.shift]
	if atomic.OrUint32(&p.state[node&g.mask], stateDeleted)&stateDeleted == 0 {
		g.deleted.Add(1)
	}
}

// Deleted reports whether node was deleted. Unknown nodes are not.
func (g *Graph) Deleted(node uint32) bool {
	if node >= g.n.Load() {
		return false
	}
	p := (*g.pages.Load())[node>>g.shift]
	return atomic.LoadUint32(&p.state[node&g.mask])&stateDeleted != 0
}

// Len returns the number of nodes not deleted.
func (g *Graph) Len() int { return int(int64(g.n.Load()) - g.deleted.Load()) }

// Nodes returns the number of node ids given out, deleted nodes included
// (and nodes whose Add is still running).
func (g *Graph) Nodes() int { return int(g.n.Load()) }

// Vector returns a copy of the vector stored for node (normalised for
// Cosine), or nil for an unknown node. Deleted nodes keep their vectors.
func (g *Graph) Vector(node uint32) []float32 {
	if node >= g.n.Load() {
		return nil
	}
	p := (*g.pages.Load())[node>>g.shift]
	i := int(node & g.mask)
	if atomic.LoadUint32(&p.state[i])&stateWritten == 0 {
		return nil
	}
	return append([]float32(nil), p.vecs[i*g.dim:(i+1)*g.dim]...)
}

// Distances returns the number of distance evaluations made so far, by
// insertions and searches.
func (g *Graph) Distances() uint64 { return g.dists.Load() }

// Bytes returns the memory the graph holds for its nodes: vectors, codes,
// neighbour lists and node states, pages allocated ahead included.
func (g *Graph) Bytes() int64 {
	g.snap.Lock() // p.upper is written by Add
	defer g.snap.Unlock()
	var b int64
	for _, p := range *g.pages.Load() {
		b += int64(len(p.vecs))*4 + int64(len(p.links))*4 + int64(len(p.state))*4 +
			int64(len(p.upper))*24 + int64(len(p.codes)) + int64(len(p.qmeta))*4
		for i := range p.upper {
			b += int64(cap(p.upper[i])) * 4
		}
	}
	return b
}
