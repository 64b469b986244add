// Package hnsw is llmos's own approximate nearest-neighbour graph: the
// Hierarchical Navigable Small World graph of Malkov and Yashunin (2016),
// written for speed in plain Go. It is the engine under the embedded vector
// index (the durable, hybrid vector.Index that archival memory keeps under
// $LLMOS_HOME): the index maps its items to the dense node ids of a Graph,
// asks Search for the nearest nodes, and persists the graph with WriteTo and
// Read.
//
//	g, err := hnsw.New(hnsw.Config{Dim: 384, Metric: hnsw.Cosine})
//	if err != nil {
//		return err
//	}
//	id, err := g.Add(embedding) // ids are 0, 1, 2... in the order of Add
//	...
//	hits := g.Search(query, 10, 0, nil) // the 10 nearest live nodes, nearest first
//
// # The algorithm
//
// Every node gets a level, drawn from a geometric distribution (level
// floor(-ln u / ln M) for uniform u, so a fraction 1/M of the nodes reach
// layer 1, 1/M² layer 2...). Layer l links the nodes of level >= l, each to
// at most M others (2M on layer 0, which holds every node). A search descends
// from the entry point (a node of the top level) greedily through the upper
// layers, which are sparse and take long strides, then explores layer 0 with
// a best-first search that keeps the ef nearest nodes found so far and stops
// when the nearest unexplored candidate is farther than all of them (ef is
// the breadth: larger is slower and finds more of the true neighbours).
//
// An insertion searches the same way with breadth EfConstruction on every
// layer up to its level, and picks its M links with the heuristic of the
// paper's Algorithm 4, as hnswlib does: it keeps a candidate only if the
// candidate is nearer to the new node than to every link kept so far. Links
// then reach out in different directions rather than bunching inside one
// cluster, which is what keeps clustered data (embeddings) searchable. Each
// neighbour links back; one that has too many links already keeps the
// heuristic's choice among its old links and the new node. A node's links
// are written from layer 0 up, so a search never reaches a node on a layer
// whose lower layers it has not joined yet.
//
// On the benchmark data of shared/VECTOR-BENCH.md (100,000 clustered 128-d
// vectors, M=16, EfConstruction=200) a graph built on one thread has the same
// recall as hnswlib's at every ef, with slightly fewer distance evaluations;
// `llmos bench vector` measures it.
//
// # Deletion and filters
//
// Delete leaves a tombstone: the node keeps its links and searches pass
// through it, but no search returns it. Search takes an allow function for
// filters (a namespace, a time range): refused nodes also lead the search on
// without being counted, and the search goes on until it holds ef allowed
// nodes or has run out of graph, so k hits come back whenever k allowed nodes
// are reachable. A filter that allows very few nodes makes that a walk over
// much of the graph; Exact, a brute-force scan, is then the cheaper choice.
//
// # Layout
//
// Nodes live in pages of 16 to 4096 nodes (about 1 MiB of vectors each):
// one flat []float32 of vectors, one flat []uint32 of layer-0 neighbour
// lists (a count, then 2M slots, per node), a state word per node (written,
// deleted) and, for the few nodes above layer 0, a []uint32 of their upper
// lists. Pages never move once made; the table of pages is copied when it
// grows. With Quantize, each node also has an int8 code of its vector (one
// scale per vector, so no training is needed): searches walk the graph with
// those and re-rank the candidates with the float32 vectors.
//
// A search takes a pooled scratch state: a visited set of epoch stamps (one
// uint16 per node; starting a search increments the epoch instead of
// clearing it), the two heaps and buffers, so it allocates only its result.
//
// # Speed
//
// The Go compiler does not vectorise loops, so on amd64 CPUs with AVX2 and
// FMA the distance kernels are a few dozen lines of assembly
// (distance_amd64.s): on 128-d vectors L2 takes about 15 ns there against 60
// for the best plain Go, which runs elsewhere and with the purego build tag
// (independent accumulators over bounds-check-free slices). Graph walks jump
// around memory, and on a virtual machine a cache miss can cost more than
// the distance itself: on amd64 the search prefetches the vectors a few
// neighbours ahead of the one it measures, and the links of the next
// candidate. With Quantize, the walk reads a quarter of the bytes.
//
// # Concurrency
//
// Add, Delete, Search, Exact and WriteTo may run at once. Insertions run in
// parallel: each neighbour list has a striped lock for its writers, and only
// an insertion that raises the top level takes the graph-wide lock of the
// entry point. Readers take no lock: a writer stores a list's slots, then its
// count, with atomic stores, so a reader sees a list of valid nodes, old or
// new. A node is reachable only after its vector is written.
//
// # Snapshots
//
// WriteTo writes the configuration, vectors, levels, neighbour lists and
// tombstones, with a CRC-32C at the end; Read checks the checksum and every
// count and link (a snapshot that fails is an invalid error, "index snapshot
// is corrupt: ..."), allocates only as data arrives, and reads no further
// than the snapshot's end. Int8 codes are recomputed, not stored.
package hnsw
