package local

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/hnsw"
)

// The files of an index directory.
const (
	logName  = "vector.log"
	snapName = "vector.snap"
	lockName = "LOCK"
)

// Options configures an index. Zero fields take the defaults noted.
type Options struct {
	// M, EfConstruction and Quantize configure a new HNSW graph (see
	// hnsw.Config; defaults 16 and 200). A graph loaded from a snapshot keeps
	// the configuration it was built with.
	M, EfConstruction int
	Quantize          bool
	// EfSearch is the breadth of a vector search; at least K is used.
	// Default 64.
	EfSearch int
	// SnapshotEvery is the number of logged records after which a snapshot
	// is written in the background. Default 10,000; negative: only on Close.
	SnapshotEvery int
	// CompactMin is the garbage, in bytes, that the log must hold (replaced
	// and deleted items) before it is compacted; it is compacted when it is
	// also more than twice the size of the live data. Default 64 MiB;
	// negative: never.
	CompactMin int64
	// Sealed says the index is known to be encrypted already (with Cipher):
	// a plaintext index found in its place was put there by someone without
	// the key, and is refused rather than encrypted (adopted as genuine).
	Sealed bool
	// Repair opens a log that has a damaged record in its middle by skipping
	// the damage (see the package documentation). Without it, Open fails with
	// an error that wraps ErrCorrupt.
	Repair bool
	// Logger receives warnings (a snapshot rebuilt, a torn tail cut).
	// Default slog.Default().
	Logger *slog.Logger
	// Cipher, when set, encrypts everything the index writes (see the
	// package documentation, "Encryption"): each item's record is sealed
	// under the item's namespace ("" counts as "default"), the snapshot
	// under "_index". A plaintext index is encrypted when it is first opened
	// with a Cipher; an encrypted one does not open without one (code
	// invalid). Nil: the index is plaintext.
	Cipher Cipher
}

func (o Options) withDefaults() Options {
	if o.EfSearch <= 0 {
		o.EfSearch = 64
	}
	if o.SnapshotEvery == 0 {
		o.SnapshotEvery = 10_000
	}
	if o.CompactMin == 0 {
		o.CompactMin = 64 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// ErrCorrupt is wrapped by the error of Open when the log has a damaged
// record followed by valid ones, and by errors reading a damaged record.
var ErrCorrupt = errors.New("vector/local: the log is damaged")

// noNode is the node of an item without a vector.
const noNode = math.MaxUint32

// doc is an item as the index holds it. A doc does not change once applied,
// but for off, which compaction moves; an upsert of its id makes a new doc.
type doc struct {
	item   vector.Item // without its vector, which the graph and the log hold
	node   uint32      // its graph node, or noNode
	num    uint32      // its number in the text index
	length uint32      // its terms
	kid    uint32      // the key id that sealed its record (encrypted index)
	off    int64       // its upsert record in the log
	size   int64
	newOff int64 // compaction's scratch
}

// Index is the embedded vector index. It is safe for concurrent use.
type Index struct {
	dir  string
	opts Options
	log  *slog.Logger
	lock *os.File

	mu        sync.RWMutex
	closed    bool
	wal       *wal
	dim       int
	dimLogged bool
	graph     *hnsw.Graph
	items     map[string]*doc
	nodes     []*doc // by graph node; nil for deleted and orphan nodes
	vecs      int    // items with a vector
	text      textIndex
	ids       idList
	liveBytes int64          // the log bytes of live records
	shredded  map[string]int // at Open: items skipped because their key is gone, by key namespace

	snapMu  sync.Mutex // serialises snapshots, compaction and Close
	snapGen uint64     // the log generation and offset the snapshot on disk covers
	snapOff int64
	pending atomic.Int64 // records logged since the last snapshot
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

var _ vector.Index = (*Index)(nil)

// Open opens the index in dir, creating dir and an empty index if needed. It
// recovers from a crash: a torn last record is cut, a damaged snapshot is
// rebuilt from the log. Only one Index may have dir open at a time, in this
// process or another: a second Open fails with code conflict. With
// opts.Cipher, a plaintext index is encrypted, items whose namespace key was
// deleted are skipped as deleted, and a record or snapshot the Cipher does
// not open for another reason fails Open with the Cipher's code
// (unauthenticated for a wrong key); an encrypted index without a Cipher
// fails with code invalid. See "Encryption" in the package documentation.
func Open(ctx context.Context, dir string, opts Options) (*Index, error) {
	if err := ctx.Err(); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeCanceled, "vector: open cancelled")
	}
	opts = opts.withDefaults()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot create the index directory")
	}
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		return nil, err
	}
	x := &Index{
		dir: dir, opts: opts, log: opts.Logger, lock: lock,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	x.reset()
	if err := x.recover(ctx); err != nil {
		if x.wal != nil {
			x.wal.close()
		}
		unlockDir(lock)
		return nil, err
	}
	go x.background()
	return x, nil
}

// reset empties the in-memory state.
func (x *Index) reset() {
	x.dim, x.dimLogged, x.graph = 0, false, nil
	x.items = map[string]*doc{}
	x.nodes = nil
	x.vecs = 0
	x.text = newTextIndex()
	x.ids = idList{}
	x.liveBytes = 0
	x.shredded = map[string]int{}
}

func (x *Index) path(name string) string { return filepath.Join(x.dir, name) }

// newGraph makes an empty graph for vectors of dimension dim.
func (x *Index) newGraph(dim int) (*hnsw.Graph, error) {
	var seed [8]byte
	rand.Read(seed[:])
	return hnsw.New(hnsw.Config{
		Dim: dim, M: x.opts.M, EfConstruction: x.opts.EfConstruction, EfSearch: x.opts.EfSearch,
		Metric: hnsw.Cosine, Quantize: x.opts.Quantize, Seed: binary.LittleEndian.Uint64(seed[:]),
	})
}

// newGen returns a random log generation.
func newGen() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// Len returns the number of items.
func (x *Index) Len(ctx context.Context) (int, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return 0, errClosed()
	}
	return len(x.items), nil
}

func errClosed() error {
	return llmos.Errorf(llmos.CodeConflict, "vector: the index is closed")
}

// Close writes a snapshot if the log has grown since the last one, and
// closes the index. Acknowledged writes were durable before; Close only makes
// the next Open faster.
func (x *Index) Close() error {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return nil
	}
	x.closed = true
	x.mu.Unlock()
	close(x.stop)
	<-x.done

	x.snapMu.Lock()
	defer x.snapMu.Unlock()
	var err error
	if x.wal.failed() == nil {
		if err = x.maintain(); err != nil {
			x.log.Warn("vector: no snapshot written on close; the next open replays the log", "dir", x.dir, "err", err)
			err = nil
		}
	}
	if cerr := x.wal.close(); cerr != nil {
		err = llmos.Wrap(cerr, llmos.CodeUnavailable, "vector: closing the log failed")
	}
	unlockDir(x.lock)
	return err
}

// abandon closes the files without a snapshot, as a crash would leave them
// (for tests).
func (x *Index) abandon() {
	x.mu.Lock()
	x.closed = true
	x.mu.Unlock()
	close(x.stop)
	<-x.done
	x.snapMu.Lock()
	defer x.snapMu.Unlock()
	x.wal.close()
	unlockDir(x.lock)
}

// noteWrites counts logged records and wakes the background snapshotter when
// enough have gathered.
func (x *Index) noteWrites(n int) {
	if x.opts.SnapshotEvery > 0 && x.pending.Add(int64(n)) >= int64(x.opts.SnapshotEvery) {
		select {
		case x.kick <- struct{}{}:
		default:
		}
	}
}

// background writes snapshots and compacts the log while the index is open.
func (x *Index) background() {
	defer close(x.done)
	for {
		select {
		case <-x.stop:
			return
		case <-x.kick:
		}
		x.snapMu.Lock()
		if err := x.maintain(); err != nil {
			x.log.Warn("vector: background snapshot failed; the log still holds everything", "dir", x.dir, "err", err)
		}
		x.snapMu.Unlock()
	}
}

// maintain compacts the log if it holds enough garbage, then writes a
// snapshot if the log has grown since the last one. The caller holds snapMu.
func (x *Index) maintain() error {
	x.mu.RLock()
	size, live := x.wal.size, x.liveBytes
	x.mu.RUnlock()
	if x.opts.CompactMin >= 0 && size-live >= x.opts.CompactMin && size > 2*live {
		start := time.Now()
		before, after, err := x.compact()
		if err != nil {
			return err
		}
		x.log.Info("vector: log compacted", "dir", x.dir, "before", before, "after", after, "took", time.Since(start))
	}
	return x.snapshot()
}
