package hnsw

import (
	"math"
	"sync/atomic"
	"unsafe"
)

// item is a node and its distance to whatever is being searched for.
type item struct {
	d  float32
	id uint32
}

// searcher is the scratch state of one search or insertion, pooled per graph:
// the visited set (epoch-stamped, so clearing it is one increment), the two
// heaps, buffers, and a count of distance evaluations added to the graph's
// total when it is released.
type searcher struct {
	g     *Graph
	pages []*page // a snapshot of g.pages; refreshed when a newer node shows up

	visit []uint16
	epoch uint16

	cand   []item // min-heap: the frontier
	top    []item // max-heap: the best ef accepted so far
	out    []item
	batch  []uint32
	eps    []item
	levels [][]item // the neighbours chosen for a new node, top layer first
	sels   [][]item // buffers for levels
	shrink []item
	kept   []item

	q     []float32 // the query (a normalised copy for Cosine)
	qbuf  []float32
	qc    []int8 // its code, for Quantize
	qs    float32
	qn    float32
	quant bool
	n     uint64
}

func (g *Graph) searcher() *searcher {
	s := g.pool.Get().(*searcher)
	s.pages = *g.pages.Load()
	s.quant = false
	return s
}

func (g *Graph) release(s *searcher) {
	g.dists.Add(s.n)
	s.n = 0
	s.q = nil
	s.pages = nil
	g.pool.Put(s)
}

// page returns the page of node id.
func (s *searcher) page(id uint32) *page {
	k := int(id >> s.g.shift)
	if k >= len(s.pages) {
		s.pages = *s.g.pages.Load()
	}
	return s.pages[k]
}

// vec returns the vector of node id (a view).
func (s *searcher) vec(id uint32) []float32 {
	p := s.page(id)
	d := s.g.dim
	i := int(id&s.g.mask) * d
	return p.vecs[i : i+d : i+d]
}

// dist is the distance from the query to node id: exact, or from the int8
// codes when the searcher is quantized.
func (s *searcher) dist(id uint32) float32 {
	s.n++
	p := s.page(id)
	d := s.g.dim
	i := int(id & s.g.mask)
	if s.quant {
		ip := float32(dotInt8(s.qc, p.codes[i*d:i*d+d:i*d+d])) * s.qs * p.qmeta[2*i]
		if s.g.cfg.Metric == L2 {
			return s.qn + p.qmeta[2*i+1] - 2*ip
		}
		return 1 - ip
	}
	return distance(s.g.cfg.Metric, s.q, p.vecs[i*d:i*d+d:i*d+d])
}

// distVec is the exact distance between two vectors, counted.
func (s *searcher) distVec(a, b []float32) float32 {
	s.n++
	return distance(s.g.cfg.Metric, a, b)
}

// reset starts a new visited set covering the nodes allocated so far.
func (s *searcher) reset() {
	if n := int(s.g.n.Load()); n > len(s.visit) {
		s.visit = make([]uint16, n+n/4+1024)
		s.epoch = 0
	}
	s.epoch++
	if s.epoch == 0 {
		clear(s.visit)
		s.epoch = 1
	}
}

// visited marks id and reports whether it was marked already.
func (s *searcher) visited(id uint32) bool {
	if int(id) >= len(s.visit) { // a node added since reset
		v := make([]uint16, int(id)+int(id)/4+1024)
		copy(v, s.visit)
		s.visit = v
	}
	if s.visit[id] == s.epoch {
		return true
	}
	s.visit[id] = s.epoch
	return false
}

// links returns the neighbour list of id on layer l: [count, ids...].
func (s *searcher) links(id uint32, l int) []uint32 {
	return s.g.list(s.page(id), int(id&s.g.mask), l)
}

// live reports whether id is neither deleted nor refused by allow.
func (s *searcher) live(id uint32, allow func(uint32) bool) bool {
	p := s.page(id)
	if atomic.LoadUint32(&p.state[id&s.g.mask])&stateDeleted != 0 {
		return false
	}
	return allow == nil || allow(id)
}

// greedy walks layer l from cur to a local minimum of the distance to the
// query (a search of breadth 1).
func (s *searcher) greedy(cur item, l int) item {
	for changed := true; changed; {
		changed = false
		lst := s.links(cur.id, l)
		cnt := int(atomic.LoadUint32(&lst[0]))
		for j := 1; j <= cnt && j < len(lst); j++ {
			id := atomic.LoadUint32(&lst[j])
			if d := s.dist(id); d < cur.d {
				cur = item{d, id}
				changed = true
			}
		}
	}
	return cur
}

// searchLayer is Algorithm 2 of the HNSW paper on layer l from the entry
// points eps; it leaves the best ef accepted nodes in s.top. With filter,
// only live nodes allowed by allow are accepted, the others only lead on,
// and the search goes on until it holds ef accepted nodes or runs out of
// graph. Node skip (the node being inserted) is never accepted.
func (s *searcher) searchLayer(eps []item, ef, l int, filter bool, allow func(uint32) bool, skip uint32) {
	s.reset()
	s.cand, s.top = s.cand[:0], s.top[:0]
	for _, e := range eps {
		if s.visited(e.id) {
			continue
		}
		s.cand = pushMin(s.cand, e)
		if e.id != skip && (!filter || s.live(e.id, allow)) {
			s.top = pushBounded(s.top, e, ef)
		}
	}
	bound := float32(math.Inf(1))
	if len(s.top) > 0 {
		bound = s.top[0].d
	}
	for len(s.cand) > 0 {
		c := s.cand[0]
		if c.d > bound && (len(s.top) >= ef || !filter) {
			break
		}
		s.cand = popMin(s.cand)
		lst := s.links(c.id, l)
		cnt := int(atomic.LoadUint32(&lst[0]))
		batch := s.batch[:0]
		for j := 1; j <= cnt && j < len(lst); j++ {
			id := atomic.LoadUint32(&lst[j])
			if !s.visited(id) {
				batch = append(batch, id)
			}
		}
		s.batch = batch
		// The next candidate is likely the next expanded: load its links.
		if len(s.cand) > 0 {
			s.prefetchLinks(s.cand[0].id, l)
		}
		// Load the vectors a few ahead of the distance computed.
		for j := range min(ahead, len(batch)) {
			s.prefetchNode(batch[j])
		}
		for j, id := range batch {
			if j+ahead < len(batch) {
				s.prefetchNode(batch[j+ahead])
			}
			d := s.dist(id)
			if len(s.top) < ef || d < bound {
				s.cand = pushMin(s.cand, item{d, id})
				if id != skip && (!filter || s.live(id, allow)) {
					s.top = pushBounded(s.top, item{d, id}, ef)
				}
				if len(s.top) > 0 {
					bound = s.top[0].d
				}
			}
		}
	}
}

// sorted empties s.top into s.out in ascending distance and returns it.
func (s *searcher) sorted() []item {
	n := len(s.top)
	s.out = append(s.out[:0], s.top...)
	for i := n - 1; i >= 0; i-- {
		s.out[i] = s.top[0]
		s.top = popMax(s.top)
	}
	return s.out
}

// selectNeighbors is the heuristic of Algorithm 4 of the HNSW paper (as in
// hnswlib): from cands, in ascending distance to a base node, it keeps a
// candidate only if it is nearer the base than every candidate kept before
// it, up to m. Links then spread in all directions instead of bunching in the
// nearest cluster, which keeps clusters connected.
func (s *searcher) selectNeighbors(cands []item, m int, out []item) []item {
	if len(cands) <= m {
		return append(out, cands...)
	}
	for _, c := range cands {
		cv := s.vec(c.id)
		good := true
		for _, r := range out {
			if s.distVec(cv, s.vec(r.id)) < c.d {
				good = false
				break
			}
		}
		if good {
			out = append(out, c)
			if len(out) >= m {
				break
			}
		}
	}
	return out
}

// prepare sets the query of s: q itself, or a normalised copy for Cosine,
// and its int8 code when the graph is quantized.
func (s *searcher) prepare(q []float32, quant bool) {
	g := s.g
	s.q = q
	if g.cfg.Metric == Cosine {
		s.qbuf = append(s.qbuf[:0], q...)
		normalize(s.qbuf)
		s.q = s.qbuf
	}
	s.quant = quant
	if quant {
		if cap(s.qc) < g.dim {
			s.qc = make([]int8, g.dim)
		}
		s.qc = s.qc[:g.dim]
		s.qs = quantize(s.q, s.qc)
		s.qn = dot(s.q, s.q)
	}
}

// Search returns up to k live nodes nearest to q, nearest first, exploring
// with breadth max(ef, k) (EfSearch when ef <= 0). allow, when not nil, is
// asked about candidate nodes (from the searching goroutine) and only nodes
// it allows are returned; refused and deleted nodes still lead the search
// on, which goes on until it holds max(ef, k) nodes or has seen every node
// reachable, so k hits come back whenever k allowed nodes are reachable. A
// filter that allows few nodes makes the search visit much of the graph:
// Exact is then cheaper. A query of the wrong dimension, or with NaN or
// infinite values, finds nothing.
func (g *Graph) Search(q []float32, k, ef int, allow func(node uint32) bool) []Hit {
	if k <= 0 || len(q) != g.dim || !finite(q) {
		return nil
	}
	if ef <= 0 {
		ef = g.cfg.EfSearch
	}
	ef = max(ef, k)
	st := g.ep.Load()
	if st == 0 {
		return nil
	}
	s := g.searcher()
	defer g.release(s)
	s.prepare(q, g.cfg.Quantize)
	ep, top := uint32(st), int(st>>32)-1
	cur := item{s.dist(ep), ep}
	for l := top; l > 0; l-- {
		cur = s.greedy(cur, l)
	}
	s.eps = append(s.eps[:0], cur)
	s.searchLayer(s.eps, ef, 0, allow != nil || g.deleted.Load() > 0, allow, math.MaxUint32)
	res := s.sorted()
	if s.quant {
		// Re-rank the candidates with the exact distance.
		for i := range res {
			res[i].d = s.distVec(s.q, s.vec(res[i].id))
		}
	}
	sortItems(res) // in order already but for ties: break them on the id
	res = res[:min(k, len(res))]
	hits := make([]Hit, len(res))
	for i, r := range res {
		hits[i] = Hit{Node: r.id, Distance: r.d}
	}
	return hits
}

// Exact returns the k live nodes nearest to q (allowed by allow when it is
// not nil), nearest first, by comparing q with every node: the ground truth
// for Search, with the same distance.
func (g *Graph) Exact(q []float32, k int, allow func(node uint32) bool) []Hit {
	if k <= 0 || len(q) != g.dim || !finite(q) {
		return nil
	}
	s := g.searcher()
	defer g.release(s)
	s.prepare(q, false)
	n := g.n.Load()
	s.top = s.top[:0]
	for id := uint32(0); id < n; id++ {
		p := s.page(id)
		i := int(id & g.mask)
		if atomic.LoadUint32(&p.state[i]) != stateWritten || (allow != nil && !allow(id)) {
			continue
		}
		s.top = pushBounded(s.top, item{s.distVec(s.q, p.vecs[i*g.dim:(i+1)*g.dim]), id}, k)
	}
	res := s.sorted()
	sortItems(res)
	hits := make([]Hit, len(res))
	for i, r := range res {
		hits[i] = Hit{Node: r.id, Distance: r.d}
	}
	return hits
}

// spare returns the empty buffer number i for the neighbours of one layer.
func (s *searcher) spare(i int) []item {
	for len(s.sels) <= i {
		s.sels = append(s.sels, make([]item, 0, 2*s.g.cfg.M+1))
	}
	return s.sels[i][:0]
}

// prefetchNode starts loading what the distance to id reads.
func (s *searcher) prefetchNode(id uint32) {
	p := s.page(id)
	d := s.g.dim
	i := int(id & s.g.mask)
	if s.quant {
		prefetch(unsafe.Pointer(&p.codes[i*d]), uintptr(d))
		return
	}
	prefetch(unsafe.Pointer(&p.vecs[i*d]), uintptr(4*d))
}

// ahead is how many vectors ahead of the distance being computed the search
// prefetches: far enough for the loads to land, near enough not to evict.
const ahead = 4

// prefetchLinks starts loading the neighbour list of id on layer l.
func (s *searcher) prefetchLinks(id uint32, l int) {
	lst := s.links(id, l)
	prefetch(unsafe.Pointer(&lst[0]), uintptr(4*len(lst)))
}
