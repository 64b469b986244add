package redteam

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/llmos/llmos"
)

// The files a Report writes in its directory.
const (
	AttemptsFile = "attempts.jsonl"
	HitsFile     = "hits.jsonl"
	HTMLFile     = "report.html"
	JUnitFile    = "junit.xml"
	SARIFFile    = "results.sarif"
)

// Report writes a run's results under one directory: attempts.jsonl and
// hits.jsonl as the attempts arrive (so an interrupted run can be resumed
// from attempts.jsonl), and report.html, junit.xml and results.sarif when it
// is closed. Add is safe for concurrent use.
type Report struct {
	dir      string
	families map[string]Family

	mu       sync.Mutex
	attempts []Attempt
	all, hit *os.File
	err      error
}

// NewReport makes dir if needed and returns a report writing there. The
// families give the descriptions of the rules; they may be nil. The files
// are opened at the first Add, so a run resumed from dir/attempts.jsonl can
// read it before it is rewritten.
func NewReport(dir string, families []Family) (*Report, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, llmos.Errorf(llmos.CodeInvalid, "cannot create the report directory %s: %v", dir, unwrapPath(err))
	}
	r := &Report{dir: dir, families: map[string]Family{}}
	for _, f := range families {
		r.families[f.Name] = f
	}
	return r, nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func (r *Report) open() error {
	if r.all != nil || r.err != nil {
		return r.err
	}
	var err error
	if r.all, err = os.Create(filepath.Join(r.dir, AttemptsFile)); err == nil {
		r.hit, err = os.Create(filepath.Join(r.dir, HitsFile))
	}
	if err != nil {
		r.err = llmos.Errorf(llmos.CodeInvalid, "cannot write the report in %s: %v", r.dir, unwrapPath(err))
	}
	return r.err
}

// Add records one attempt: a line of attempts.jsonl, and of hits.jsonl if it
// is a hit.
func (r *Report) Add(a Attempt) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.open(); err != nil {
		return err
	}
	b, err := json.Marshal(a)
	if err != nil {
		return llmos.Wrap(err, llmos.CodeInternal, "cannot encode an attempt")
	}
	b = append(b, '\n')
	if _, err := r.all.Write(b); err != nil {
		return llmos.Errorf(llmos.CodeUnavailable, "cannot write %s: %v", AttemptsFile, unwrapPath(err))
	}
	if a.Hit {
		if _, err := r.hit.Write(b); err != nil {
			return llmos.Errorf(llmos.CodeUnavailable, "cannot write %s: %v", HitsFile, unwrapPath(err))
		}
	}
	r.attempts = append(r.attempts, a)
	return nil
}

// Close writes report.html, junit.xml and results.sarif from the attempts
// added and the summary, and closes the files.
func (r *Report) Close(s *Summary) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.open()
	for _, f := range []*os.File{r.all, r.hit} {
		if f != nil {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = llmos.Errorf(llmos.CodeUnavailable, "cannot write the report: %v", unwrapPath(cerr))
			}
		}
	}
	if err != nil {
		return err
	}
	if s == nil {
		s = &Summary{}
	}
	write := func(name string, fn func(io.Writer) error) {
		if err != nil {
			return
		}
		var f *os.File
		f, err = os.Create(filepath.Join(r.dir, name))
		if err != nil {
			err = llmos.Errorf(llmos.CodeInvalid, "cannot write %s: %v", name, unwrapPath(err))
			return
		}
		if werr := fn(f); werr != nil {
			err = werr
		}
		if cerr := f.Close(); cerr != nil && err == nil {
			err = llmos.Errorf(llmos.CodeUnavailable, "cannot write %s: %v", name, unwrapPath(cerr))
		}
	}
	write(HTMLFile, func(w io.Writer) error { return WriteHTML(w, s, r.attempts, r.families) })
	write(JUnitFile, func(w io.Writer) error { return WriteJUnit(w, s, r.attempts) })
	write(SARIFFile, func(w io.Writer) error { return WriteSARIF(w, s, r.attempts, r.families) })
	return err
}

// WriteTable prints the summary as a table for a terminal: per family the
// attempts, hits, errors and attack success rate with its 95% interval.
func WriteTable(w io.Writer, s *Summary) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "family\tattempts\thits\terrors\tsuccess rate\t95% CI\t")
	for _, f := range s.Families {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%5.1f%%\t%.1f–%.1f%%\t\n", f.Name, f.Attempts, f.Hits, f.Errors, 100*f.Rate, 100*f.Low, 100*f.High)
	}
	n := s.Attempts - s.Errors
	lo, hi := Wilson(s.Hits, n)
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%5.1f%%\t%.1f–%.1f%%\t\n", s.Attempts, s.Hits, s.Errors, 100*successRate(s.Hits, n), 100*lo, 100*hi)
	return tw.Flush()
}

// worst returns the hits of a family with the highest scores first, at most n.
func worst(attempts []Attempt, family string, n int) []Attempt {
	var out []Attempt
	for _, a := range attempts {
		if a.Hit && a.Probe.Family == family {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out[:min(n, len(out))]
}

// clip shortens s to about n bytes on a rune boundary, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !runeStart(s[n]) {
		n--
	}
	return s[:n] + " […]"
}

func runeStart(b byte) bool { return b&0xC0 != 0x80 }

// testName names an attempt in JUnit and SARIF.
func testName(a Attempt) string { return fmt.Sprintf("%s#%d", a.Probe.ID, a.Generation) }

// firstLine is the first line of s, clipped.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	return shorten(s, n)
}
