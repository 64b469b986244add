package sandbox

import (
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// CutNote is the note put where output was cut: "[output cut at N bytes]".
const CutNote = "[output cut at %d bytes]"

// capWriter keeps (or passes on) the first max bytes written to it and
// counts the rest. It never fails a write, so that the program is not
// blocked on a full pipe; past flood bytes it calls onFlood once.
type capWriter struct {
	mu      sync.Mutex
	w       io.Writer // pass output on to w, or keep it in buf when nil
	buf     []byte
	max     int
	total   int64
	flood   int64
	onFlood func()
	noted   bool
}

func newCapWriter(w io.Writer, max int, flood int64, onFlood func()) *capWriter {
	return &capWriter{w: w, max: max, flood: flood, onFlood: onFlood}
}

func (c *capWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	room := int64(c.max) - min(c.total, int64(c.max))
	c.total += int64(len(p))
	keep := p[:min(room, int64(len(p)))]
	if c.w != nil {
		if len(keep) > 0 {
			c.w.Write(keep)
		}
		if len(keep) < len(p) && !c.noted {
			c.noted = true
			fmt.Fprintf(c.w, "\n"+CutNote+"\n", c.max)
		}
	} else {
		c.buf = append(c.buf, keep...)
	}
	if c.flood > 0 && c.total > c.flood && c.onFlood != nil {
		c.onFlood()
	}
	return len(p), nil
}

// bytes is what was kept, with the note when it was cut; nil when the
// output was passed on.
func (c *capWriter) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.w != nil {
		return nil
	}
	if c.total > int64(c.max) {
		return append(c.buf, fmt.Sprintf("\n"+CutNote+"\n", c.max)...)
	}
	return c.buf
}

func (c *capWriter) cut() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total > int64(c.max)
}

// stamp is what tells that a file changed.
type stamp struct {
	size int64
	mod  time.Time
}

// The bounds of a look at a scratch folder, which a program may fill with
// any number of files.
const (
	maxWalk  = 10000
	maxFiles = 200
)

// snapshot records the regular files under dir, without following links.
func snapshot(dir string) map[string]stamp {
	m := map[string]stamp{}
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if n++; n > maxWalk {
			return fs.SkipAll
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if rel, err := filepath.Rel(dir, p); err == nil {
			m[rel] = stamp{info.Size(), info.ModTime()}
		}
		return nil
	})
	return m
}

// changed lists the files of after that are new or different from before.
func changed(before, after map[string]stamp) []File {
	var files []File
	for name, st := range after {
		if old, ok := before[name]; !ok || old != st {
			files = append(files, File{Name: name, Size: st.size})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	if len(files) > maxFiles {
		files = files[:maxFiles]
	}
	return files
}

// Snapshot and Changed let a caller that keeps a program running (an
// interpreter session) list the files one of its calls wrote.
type Snapshot struct{ m map[string]stamp }

// TakeSnapshot records the files in dir.
func TakeSnapshot(dir string) Snapshot { return Snapshot{snapshot(dir)} }

// Changed lists the files in dir created or changed since the snapshot.
func (s Snapshot) Changed(dir string) []File { return changed(s.m, snapshot(dir)) }

// size writes a byte count for people: 512 B, 3.4 KB, 12 MB.
func size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
}

// Text writes the result compactly for a model: the exit code, why the
// sandbox stopped the program, stdout, stderr and the files it wrote.
func (r *Result) Text() string {
	var b strings.Builder
	if r.Unsafe {
		b.WriteString("warning: ran without a sandbox\n")
	}
	fmt.Fprintf(&b, "exit code %d (%s)", r.ExitCode, round(r.Duration))
	if r.Stopped != "" {
		fmt.Fprintf(&b, "; stopped: %s", r.Stopped)
	}
	b.WriteByte('\n')
	section := func(name string, out []byte) {
		if len(out) == 0 {
			return
		}
		s := strings.ToValidUTF8(string(out), "\uFFFD")
		b.WriteString(name + ":\n" + s)
		if !strings.HasSuffix(s, "\n") {
			b.WriteByte('\n')
		}
	}
	section("stdout", r.Stdout)
	section("stderr", r.Stderr)
	if len(r.Stdout) == 0 && len(r.Stderr) == 0 {
		b.WriteString("(no output)\n")
	}
	if len(r.Files) > 0 {
		b.WriteString("files written: ")
		const show = 20
		for i, f := range r.Files {
			if i == show {
				fmt.Fprintf(&b, ", and %d more", len(r.Files)-show)
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s (%s)", f.Name, size(f.Size))
		}
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}
