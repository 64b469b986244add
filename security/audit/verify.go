package audit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"

	"github.com/llmos/llmos"
)

// The kinds of Problem that Verify reports.
const (
	Edited        = "edited"        // a record's content, seq, prev or hash changed, or the head file was rewritten
	Deleted       = "deleted"       // records are missing from the middle or the start of the log
	Reordered     = "reordered"     // records are out of order
	Truncated     = "truncated"     // records are missing from the end (the head file names a later record)
	Torn          = "torn"          // the last line was cut short by a crash during a write
	Inserted      = "inserted"      // a record that was never appended: a copy, a forgery
	Undecryptable = "undecryptable" // a sealed record does not open with the key
	Malformed     = "malformed"     // a line that is not an audit record at all
)

// Report is what Verify found.
type Report struct {
	// Records is the number of records in the log (lines that hold one).
	Records int `json:"records"`
	// Head is the seq of the last record of the chain.
	Head int64 `json:"head"`
	// OK is true when there are no problems.
	OK bool `json:"ok"`
	// PastHead counts the records after the one the head file names. One is
	// normal after a crash between an append and the update of the head; it
	// is also what a record appended by someone who can write the file but
	// has no key looks like, when the log is not encrypted.
	PastHead int64 `json:"past_head,omitempty"`
	// Problems holds the first problem of each kind, in file order.
	Problems []Problem `json:"problems"`
}

// Problem is one kind of damage, located where it first appears.
type Problem struct {
	// Line is the line of the log (from 1) where it is; 0 for the head file.
	Line int `json:"line"`
	// Seq is the record concerned: for deleted or truncated, the first
	// missing one.
	Seq  int64  `json:"seq"`
	Kind string `json:"kind"`
	// Detail says what and where, in a sentence for people.
	Detail string `json:"detail"`
	// Count is how many times this kind of problem was seen.
	Count int `json:"count"`
}

// vent is what Verify keeps of a record: its place, its links, and the hash
// its content has (actual) beside the one it claims (hash).
type vent struct {
	line     int
	seq      int64
	prev     [sha256.Size]byte
	hash     [sha256.Size]byte
	actual   [sha256.Size]byte
	inserted bool
}

type verifier struct {
	opts     Options
	ents     []vent
	problems map[string]*Problem
	sealed   bool // a sealed record was seen
	lines    int  // lines read
}

// Verify checks the audit log at path and its head file without changing
// them. It walks the hash chain and reports where records were edited,
// deleted, reordered, inserted, cut from the end, torn by a crash or are not
// records at all. The chain needs no key; given a Sealer, Verify also opens
// every record and checks the MAC of the head file, which catches an
// attacker who rewrote the chain and the head with recomputed hashes.
// Without a key, such a complete rewrite cannot be detected: the hashes are
// public. Verify returns llmos.CodeNotFound when there is neither a log nor
// a head file.
func Verify(ctx context.Context, path string, opts Options) (Report, error) {
	headPath := path + HeadSuffix
	f, err := os.Open(path)
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		return Report{}, llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot open the audit log")
	}
	var (
		size    int64
		h       head
		hasHead bool
		headErr error
	)
	if missing {
		h, hasHead, headErr = readHead(headPath)
		if !hasHead {
			return Report{}, llmos.Errorf(llmos.CodeNotFound, "audit: there is no audit log at %s", path)
		}
	} else {
		defer f.Close()
		// A consistent snapshot: the size of the log and its head, taken
		// between two appends. The log only grows, so what lies before size
		// can be read after the lock is let go.
		if err := lockFile(ctx, f, false); err != nil {
			return Report{}, err
		}
		st, err := f.Stat()
		if err == nil {
			size = st.Size()
			h, hasHead, headErr = readHead(headPath)
		}
		unlockFile(f)
		if err != nil {
			return Report{}, llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot read the audit log")
		}
	}
	if headErr != nil && llmos.ErrorCode(headErr) != llmos.CodeInvalid {
		return Report{}, headErr
	}
	v := &verifier{opts: opts, problems: map[string]*Problem{}}
	if !missing {
		if err := v.scan(ctx, io.NewSectionReader(f, 0, size)); err != nil {
			return Report{}, err
		}
	}
	v.dedupe()
	tip, tipLine, at := v.walk()
	rep := Report{Records: len(v.ents), Head: tip}
	v.checkHead(&rep, h, hasHead, headErr, tip, tipLine, at)
	rep.Problems = make([]Problem, 0, len(v.problems))
	for _, p := range v.problems {
		rep.Problems = append(rep.Problems, *p)
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0 // the head file's problems come last
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Kind < b.Kind
	})
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

// add records a problem of kind; the report keeps the one that comes first
// in the file.
func (v *verifier) add(kind string, line int, seq int64, format string, args ...any) {
	p := v.problems[kind]
	if p == nil {
		p = &Problem{Kind: kind, Line: -1}
		v.problems[kind] = p
	}
	p.Count++
	if p.Line < 0 || (line != 0 && (p.Line == 0 || line < p.Line)) {
		p.Line, p.Seq, p.Detail = line, seq, fmt.Sprintf(format, args...)
	}
}

// scan reads every line, checks each on its own (its shape, its hash, its
// encryption) and keeps what the chain checks need.
func (v *verifier) scan(ctx context.Context, r io.Reader) error {
	lr := newLineReader(r)
	for {
		if v.lines%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return llmos.Wrap(err, llmos.CodeCanceled, "audit: cancelled")
			}
		}
		b, complete, long, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot read the audit log")
		}
		v.lines++
		n := v.lines
		if !complete {
			v.add(Torn, n, 0, "line %d, the last, was cut short (a crash during a write); the next llmos to open the log removes it", n)
			continue
		}
		if long {
			v.add(Malformed, n, 0, "line %d is not an audit record: it is longer than %d bytes", n, maxLine)
			continue
		}
		e, err := parseLine(b)
		if err != nil {
			v.add(Malformed, n, 0, "line %d is not an audit record: %s", n, llmos.ErrorMessage(err))
			continue
		}
		ve := vent{line: n, seq: e.Seq, actual: chainSum(e.Prev, e.Seq, e.payload())}
		hex.Decode(ve.prev[:], []byte(e.Prev))
		hex.Decode(ve.hash[:], []byte(e.Hash))
		if ve.hash != ve.actual {
			v.add(Edited, n, e.Seq, "record %d (line %d) was edited: its hash does not match its content", e.Seq, n)
		}
		v.checkContent(e, n)
		v.ents = append(v.ents, ve)
	}
}

// checkContent checks that a record decodes: its JSON, its base64, and with
// a Sealer its encryption.
func (v *verifier) checkContent(e *entry, n int) {
	raw := []byte(e.Rec)
	if e.Sealed != nil {
		v.sealed = true
		sealed, err := base64.StdEncoding.DecodeString(*e.Sealed)
		if err != nil {
			v.add(Malformed, n, e.Seq, "record %d (line %d) is not valid base64", e.Seq, n)
			return
		}
		if v.opts.Sealer == nil {
			return
		}
		if raw, err = v.opts.Sealer.Open(sealed, seqAD(e.Seq)); err != nil {
			v.add(Undecryptable, n, e.Seq, "record %d (line %d) does not decrypt: it was altered, moved, or sealed with another key", e.Seq, n)
			return
		}
	} else if v.sealed && v.opts.Sealer != nil {
		v.add(Inserted, n, e.Seq, "record %d (line %d) was inserted: it is not encrypted, though the records before it are", e.Seq, n)
	}
	var b body
	if err := json.Unmarshal(raw, &b); err != nil || b.Kind == "" {
		v.add(Malformed, n, e.Seq, "record %d (line %d) does not hold a valid record", e.Seq, n)
	}
}

// dedupe marks, among records that share a seq, all but the genuine one as
// inserted. The genuine one is the one a later record links to and that
// follows its predecessor in the file; failing both, the one linked to, then
// the one in place, then the first. A record whose hash does not match and
// that links to the line before it is left alone: its seq was edited (scan
// reported it).
func (v *verifier) dedupe() {
	bySeq := map[int64][]int{}
	refd := map[[sha256.Size]byte]bool{}
	for i, e := range v.ents {
		bySeq[e.seq] = append(bySeq[e.seq], i)
		refd[e.prev] = true
	}
	var zero [sha256.Size]byte
	linksBack := func(i int) bool {
		e := v.ents[i]
		if i == 0 {
			return e.prev == zero
		}
		p := v.ents[i-1]
		return p.hash == e.prev || p.actual == e.prev
	}
	score := func(i int) int {
		e, s := v.ents[i], 0
		if refd[e.hash] {
			s += 2
		}
		if linksBack(i) && (i == 0 && e.seq == 1 || i > 0 && v.ents[i-1].seq == e.seq-1) {
			s++
		}
		return s
	}
	for seq, idx := range bySeq {
		if len(idx) < 2 {
			continue
		}
		genuine, best := idx[0], score(idx[0])
		for _, i := range idx[1:] {
			if s := score(i); s > best {
				genuine, best = i, s
			}
		}
		for _, i := range idx {
			e := v.ents[i]
			if i == genuine || (e.hash != e.actual && linksBack(i)) {
				continue
			}
			v.ents[i].inserted = true
			v.add(Inserted, e.line, seq, "record %d (line %d) was inserted: record %d is already at line %d", seq, e.line, seq, v.ents[genuine].line)
		}
	}
}

// walk follows the chain in file order and reports where it breaks. It
// returns the seq and line of the last record of the chain, and where each
// seq of the chain was found.
func (v *verifier) walk() (tip int64, tipLine int, at map[int64]int) {
	at = map[int64]int{}
	firstLine := map[int64]int{} // where each (not inserted) seq first appears
	for i, e := range v.ents {
		if _, ok := firstLine[e.seq]; !ok && !e.inserted {
			firstLine[e.seq] = i
		}
	}
	var last, alt [sha256.Size]byte // the stored and the actual hash of the last record
	exp, lastIdx := int64(1), -1
	accept := func(i int, seq int64) {
		last, alt, exp, lastIdx = v.ents[i].hash, v.ents[i].actual, seq+1, i
		at[seq] = i
	}
	for i, e := range v.ents {
		if e.inserted {
			continue
		}
		linked := e.prev == last || e.prev == alt
		hashOK := e.hash == e.actual
		switch {
		case linked && e.seq != exp:
			// It follows the last record but has another seq: renumbered.
			if hashOK {
				v.add(Edited, e.line, e.seq, "record %d (line %d) was renumbered (it follows record %d) and its hash rewritten", e.seq, e.line, exp-1)
			}
			accept(i, exp)
		case e.seq == exp:
			if !linked && hashOK {
				v.brokenLink(i, lastIdx)
			}
			accept(i, e.seq)
		case e.seq > exp:
			if j, ok := v.later(exp, e.seq, i, firstLine); ok {
				v.add(Reordered, e.line, e.seq, "record %d (line %d) is out of order: record %d comes later, at line %d", e.seq, e.line, v.ents[j].seq, v.ents[j].line)
			} else {
				what := fmt.Sprintf("record %d was deleted", exp)
				if e.seq-exp > 1 {
					what = fmt.Sprintf("records %d to %d were deleted", exp, e.seq-1)
				}
				where := fmt.Sprintf("follows record %d", exp-1)
				if exp == 1 {
					where = "is the first"
				}
				v.add(Deleted, e.line, exp, "%s: record %d (line %d) %s", what, e.seq, e.line, where)
			}
			accept(i, e.seq)
		default: // e.seq < exp: it belongs earlier
			v.add(Reordered, e.line, e.seq, "record %d (line %d) is out of order: it comes after record %d (line %d)", e.seq, e.line, exp-1, v.ents[lastIdx].line)
		}
	}
	if lastIdx >= 0 {
		tipLine = v.ents[lastIdx].line
	}
	return exp - 1, tipLine, at
}

// brokenLink reports record i, intact, that does not link to the record
// before it (lastIdx): that one was rewritten with a new hash.
func (v *verifier) brokenLink(i, lastIdx int) {
	e := v.ents[i]
	if lastIdx < 0 {
		v.add(Edited, e.line, e.seq, "record %d (line %d) was rewritten: it does not link to the start of the chain", e.seq, e.line)
		return
	}
	p := v.ents[lastIdx]
	if p.hash == p.actual {
		v.add(Edited, p.line, p.seq, "record %d (line %d) was edited and its hash rewritten: record %d (line %d) still links to its old hash", p.seq, p.line, e.seq, e.line)
		return
	}
	v.add(Edited, e.line, e.seq, "record %d (line %d) does not link to record %d (line %d)", e.seq, e.line, p.seq, p.line)
}

// later finds one of the seqs from..to-1 after entry i in the file.
func (v *verifier) later(from, to int64, i int, firstLine map[int64]int) (int, bool) {
	for s := from; s < to && s < from+1024; s++ {
		if j, ok := firstLine[s]; ok && j > i {
			return j, true
		}
	}
	return 0, false
}

// checkHead compares the end of the chain with the head file.
func (v *verifier) checkHead(rep *Report, h head, hasHead bool, headErr error, tip int64, tipLine int, at map[int64]int) {
	endLine := tipLine + 1
	switch {
	case headErr != nil:
		v.add(Malformed, 0, 0, "%s", llmos.ErrorMessage(headErr))
		return
	case !hasHead:
		if len(v.ents) > 0 {
			v.add(Truncated, endLine, tip+1, "the head file is missing, so records cut from the end of the log would go unseen")
		}
		return
	case h.Seq > tip && tip == 0:
		v.add(Truncated, endLine, 1, "the log holds no record but its head says %d: %d record(s) are missing", h.Seq, h.Seq)
	case h.Seq > tip:
		v.add(Truncated, endLine, tip+1, "the log ends at record %d (line %d) but its head says %d: %d record(s) were cut from the end", tip, tipLine, h.Seq, h.Seq-tip)
	case h.Seq > 0:
		if i, ok := at[h.Seq]; ok && hex.EncodeToString(v.ents[i].hash[:]) != h.Hash {
			e := v.ents[i]
			v.add(Edited, e.line, e.seq, "record %d (line %d) is not the record the head file names: the chain was rewritten up to here, with its hashes recomputed", e.seq, e.line)
		}
		rep.PastHead = tip - h.Seq
	default:
		rep.PastHead = tip
	}
	if v.opts.Sealer == nil {
		return
	}
	switch {
	case h.Mac == "" && v.sealed:
		v.add(Edited, 0, h.Seq, "the head file has no MAC although the log is encrypted: it was rewritten")
	case h.Mac != "" && !checkMac(h, v.opts.Sealer):
		v.add(Edited, 0, h.Seq, "the head file was altered or written with another key: its MAC does not check")
	}
}
