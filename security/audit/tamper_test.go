package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The attacks below each take a log of 100 records and change it as someone
// who can write the files (but has no key) would; Verify must find each and
// name its line and seq. Lines and seqs count from 1.

// logLines writes a log of 100 records and returns its lines.
func logLines(t *testing.T, opts Options) (path string, lines []string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), FileName)
	opts.Now = clock()
	l := openLog(t, path, opts)
	fill(t, l, 100)
	l.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func join(lines []string) string { return strings.Join(lines, "\n") + "\n" }

func mustParse(t *testing.T, line string) *entry {
	t.Helper()
	e, err := parseLine([]byte(line))
	if err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	return e
}

// rechain recomputes the prev and hash of lines[from:], as an attacker who
// rewrites the chain after an edit does.
func rechain(t *testing.T, lines []string, from int) {
	for i := from; i < len(lines); i++ {
		e := mustParse(t, lines[i])
		prev := zeroHash
		if i > 0 {
			prev = mustParse(t, lines[i-1]).Hash
		}
		h := chainHash(prev, e.Seq, e.payload())
		lines[i] = strings.TrimSuffix(string(encodeLine(e.Seq, prev, h, e.payload(), e.Sealed != nil)), "\n")
	}
}

// rewriteHead makes the head name the last line, keeping the old MAC or not.
func rewriteHead(t *testing.T, path string, lines []string, keepMac bool) {
	old, _, err := readHead(path + HeadSuffix)
	if err != nil {
		t.Fatal(err)
	}
	e := mustParse(t, lines[len(lines)-1])
	h := head{Seq: e.Seq, Hash: e.Hash}
	if keepMac {
		h.Mac = old.Mac
	}
	b, _ := json.Marshal(h)
	os.WriteFile(path+HeadSuffix, b, 0o600)
}

// forged is a record made up by the attacker, chained after prev.
func forged(seq int64, prev string) string {
	rec := []byte(`{"time":"2026-08-03T12:00:00Z","kind":"approval","action":"approved","reason":"forged"}`)
	return strings.TrimSuffix(string(encodeLine(seq, prev, chainHash(prev, seq, rec), rec, false)), "\n")
}

// flipSealed changes one base64 character of a sealed line to another valid one.
func flipSealed(t *testing.T, line string) string {
	i := strings.Index(line, `"sealed":"`) + len(`"sealed":"`) + 40
	c := byte('A')
	if line[i] == 'A' {
		c = 'B'
	}
	return line[:i] + string(c) + line[i+1:]
}

type attack struct {
	name   string
	sealed bool // the log is encrypted, and Verify is given the key
	tamper func(t *testing.T, path string, lines []string) string
	want   []Problem // Kind, Line and Seq of each problem expected, no more
	// pastHead is the PastHead expected.
	pastHead int64
}

var attacks = []attack{
	{name: "edit a byte in rec", tamper: func(t *testing.T, path string, ls []string) string {
		ls[41] = strings.Replace(ls[41], `"reason":"call 42"`, `"reason":"call 24"`, 1)
		return join(ls)
	}, want: []Problem{{Kind: Edited, Line: 42, Seq: 42}}},
	{name: "edit the prev field", tamper: func(t *testing.T, path string, ls []string) string {
		e := mustParse(t, ls[41])
		c := "0"
		if e.Prev[10] == '0' {
			c = "1"
		}
		ls[41] = strings.Replace(ls[41], e.Prev, e.Prev[:10]+c+e.Prev[11:], 1)
		return join(ls)
	}, want: []Problem{{Kind: Edited, Line: 42, Seq: 42}}},
	{name: "edit the hash field", tamper: func(t *testing.T, path string, ls []string) string {
		e := mustParse(t, ls[41])
		ls[41] = strings.Replace(ls[41], e.Hash, strings.Repeat("ab", 32), 1)
		return join(ls)
	}, want: []Problem{{Kind: Edited, Line: 42, Seq: 42}}},
	{name: "edit the seq field", tamper: func(t *testing.T, path string, ls []string) string {
		ls[41] = strings.Replace(ls[41], `"seq":42`, `"seq":24`, 1)
		return join(ls)
	}, want: []Problem{{Kind: Edited, Line: 42, Seq: 24}}},
	{name: "edit a record and recompute its hash", tamper: func(t *testing.T, path string, ls []string) string {
		ls[41] = strings.Replace(ls[41], `"action":"allow"`, `"action":"deny"`, 1)
		rechain(t, ls[:42], 41)
		return join(ls)
	}, want: []Problem{{Kind: Edited, Line: 42, Seq: 42}}},
	{name: "rewrite the chain but not the head", tamper: func(t *testing.T, path string, ls []string) string {
		ls[41] = strings.Replace(ls[41], `"action":"allow"`, `"action":"deny"`, 1)
		rechain(t, ls, 41)
		return join(ls)
	}, want: []Problem{{Kind: Edited, Line: 100, Seq: 100}}},
	{name: "rewrite the chain and the head, no key", tamper: func(t *testing.T, path string, ls []string) string {
		// Undetectable: the hashes are public, so without a key a
		// complete rewrite of the log and its head is a valid log.
		ls[41] = strings.Replace(ls[41], `"action":"allow"`, `"action":"deny"`, 1)
		rechain(t, ls, 41)
		rewriteHead(t, path, ls, false)
		return join(ls)
	}, want: nil},
	{name: "delete a line", tamper: func(t *testing.T, path string, ls []string) string {
		return join(append(ls[:41:41], ls[42:]...))
	}, want: []Problem{{Kind: Deleted, Line: 42, Seq: 42}}},
	{name: "delete three lines", tamper: func(t *testing.T, path string, ls []string) string {
		return join(append(ls[:41:41], ls[44:]...))
	}, want: []Problem{{Kind: Deleted, Line: 42, Seq: 42}}},
	{name: "delete the first line", tamper: func(t *testing.T, path string, ls []string) string {
		return join(ls[1:])
	}, want: []Problem{{Kind: Deleted, Line: 1, Seq: 1}}},
	{name: "swap two lines", tamper: func(t *testing.T, path string, ls []string) string {
		ls[41], ls[42] = ls[42], ls[41]
		return join(ls)
	}, want: []Problem{{Kind: Reordered, Line: 42, Seq: 43}}},
	{name: "move a line later", tamper: func(t *testing.T, path string, ls []string) string {
		moved := ls[9]
		out := append(append(append([]string{}, ls[:9]...), ls[10:50]...), moved)
		return join(append(out, ls[50:]...))
	}, want: []Problem{{Kind: Reordered, Line: 10, Seq: 11}}},
	{name: "truncate at the end of a line", tamper: func(t *testing.T, path string, ls []string) string {
		return join(ls[:90])
	}, want: []Problem{{Kind: Truncated, Line: 91, Seq: 91}}},
	{name: "truncate in the middle of a line", tamper: func(t *testing.T, path string, ls []string) string {
		return join(ls[:90]) + ls[90][:30]
	}, want: []Problem{{Kind: Torn, Line: 91}, {Kind: Truncated, Line: 91, Seq: 91}}},
	{name: "empty the log", tamper: func(t *testing.T, path string, ls []string) string {
		return ""
	}, want: []Problem{{Kind: Truncated, Line: 1, Seq: 1}}},
	{name: "delete the head file", tamper: func(t *testing.T, path string, ls []string) string {
		os.Remove(path + HeadSuffix)
		return join(ls)
	}, want: []Problem{{Kind: Truncated, Line: 101, Seq: 101}}},
	{name: "append a copy of a line", tamper: func(t *testing.T, path string, ls []string) string {
		return join(append(ls, ls[49]))
	}, want: []Problem{{Kind: Inserted, Line: 101, Seq: 50}}},
	{name: "insert a copy of a line", tamper: func(t *testing.T, path string, ls []string) string {
		return join(append(append(append([]string{}, ls[:19]...), ls[49]), ls[19:]...))
	}, want: []Problem{{Kind: Inserted, Line: 20, Seq: 50}}},
	{name: "insert a forged record", tamper: func(t *testing.T, path string, ls []string) string {
		f := forged(51, mustParse(t, ls[49]).Hash)
		return join(append(append(append([]string{}, ls[:50]...), f), ls[50:]...))
	}, want: []Problem{{Kind: Inserted, Line: 51, Seq: 51}}},
	{name: "append a forged record, no key", tamper: func(t *testing.T, path string, ls []string) string {
		// Without a key a well-made record at the end is only a record
		// past the head, as a crash leaves one.
		return join(append(ls, forged(101, mustParse(t, ls[99]).Hash)))
	}, want: nil, pastHead: 1},
	{name: "replace a line by garbage", tamper: func(t *testing.T, path string, ls []string) string {
		ls[41] = "hello"
		return join(ls)
	}, want: []Problem{{Kind: Malformed, Line: 42}, {Kind: Deleted, Line: 43, Seq: 42}}},
	{name: "insert a garbage line", tamper: func(t *testing.T, path string, ls []string) string {
		return join(append(append(append([]string{}, ls[:41]...), `{"seq":1}`), ls[41:]...))
	}, want: []Problem{{Kind: Malformed, Line: 42}}},

	// The same structural attacks on an encrypted log.
	{name: "sealed: delete a line", sealed: true, tamper: func(t *testing.T, path string, ls []string) string {
		return join(append(ls[:41:41], ls[42:]...))
	}, want: []Problem{{Kind: Deleted, Line: 42, Seq: 42}}},
	{name: "sealed: swap two lines", sealed: true, tamper: func(t *testing.T, path string, ls []string) string {
		ls[41], ls[42] = ls[42], ls[41]
		return join(ls)
	}, want: []Problem{{Kind: Reordered, Line: 42, Seq: 43}}},
	{name: "sealed: truncate", sealed: true, tamper: func(t *testing.T, path string, ls []string) string {
		return join(ls[:90])
	}, want: []Problem{{Kind: Truncated, Line: 91, Seq: 91}}},
	{name: "sealed: append a copy of a line", sealed: true, tamper: func(t *testing.T, path string, ls []string) string {
		return join(append(ls, ls[49]))
	}, want: []Problem{{Kind: Inserted, Line: 101, Seq: 50}}},

	// What the key adds.
	{name: "sealed: edit a byte of a sealed record", sealed: true, tamper: func(t *testing.T, path string, ls []string) string {
		ls[41] = flipSealed(t, ls[41])
		return join(ls)
	}, want: []Problem{{Kind: Edited, Line: 42, Seq: 42}, {Kind: Undecryptable, Line: 42, Seq: 42}}},
	{name: "sealed: corrupt the base64", sealed: true, tamper: func(t *testing.T, path string, ls []string) string {
		i := strings.Index(ls[41], `"sealed":"`) + 20
		ls[41] = ls[41][:i] + "!" + ls[41][i+1:]
		return join(ls)
	}, want: []Problem{{Kind: Edited, Line: 42, Seq: 42}, {Kind: Malformed, Line: 42, Seq: 42}}},
	{name: "sealed: rewrite the chain and the head, keeping its MAC", sealed: true, tamper: func(t *testing.T, path string, ls []string) string {
		ls[41] = flipSealed(t, ls[41])
		rechain(t, ls, 41)
		rewriteHead(t, path, ls, true)
		return join(ls)
	}, want: []Problem{{Kind: Undecryptable, Line: 42, Seq: 42}, {Kind: Edited, Line: 0, Seq: 100}}},
	{name: "sealed: move a sealed payload, rewrite the chain and drop the MAC", sealed: true, tamper: func(t *testing.T, path string, ls []string) string {
		ls[41] = strings.Replace(ls[41], *mustParse(t, ls[41]).Sealed, *mustParse(t, ls[9]).Sealed, 1)
		rechain(t, ls, 41)
		rewriteHead(t, path, ls, false)
		return join(ls)
	}, want: []Problem{{Kind: Undecryptable, Line: 42, Seq: 42}, {Kind: Edited, Line: 0, Seq: 100}}},
	{name: "sealed: delete a line and renumber the rest", sealed: true, tamper: func(t *testing.T, path string, ls []string) string {
		ls = append(ls[:41:41], ls[42:]...)
		for i := 41; i < len(ls); i++ {
			ls[i] = strings.Replace(ls[i], fmt.Sprintf(`{"seq":%d,`, i+2), fmt.Sprintf(`{"seq":%d,`, i+1), 1)
		}
		rechain(t, ls, 41)
		rewriteHead(t, path, ls, true)
		return join(ls)
	}, want: []Problem{{Kind: Undecryptable, Line: 42, Seq: 42}, {Kind: Edited, Line: 0, Seq: 99}}},
	{name: "sealed: append a forged plain record", sealed: true, tamper: func(t *testing.T, path string, ls []string) string {
		return join(append(ls, forged(101, mustParse(t, ls[99]).Hash)))
	}, want: []Problem{{Kind: Inserted, Line: 101, Seq: 101}}, pastHead: 1},
}

func TestAttacks(t *testing.T) {
	ctx := context.Background()
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			var opts Options
			if a.sealed {
				opts.Sealer = newTestSealer("a")
			}
			path, lines := logLines(t, opts)
			if err := os.WriteFile(path, []byte(a.tamper(t, path, lines)), 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := Verify(ctx, path, opts)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, p := range rep.Problems {
				got = append(got, fmt.Sprintf("%s line %d seq %d", p.Kind, p.Line, p.Seq))
				if p.Detail == "" || p.Count < 1 {
					t.Errorf("problem without a detail or a count: %+v", p)
				}
			}
			for _, p := range a.want {
				want = append(want, fmt.Sprintf("%s line %d seq %d", p.Kind, p.Line, p.Seq))
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "; ") != strings.Join(want, "; ") || rep.OK != (len(a.want) == 0) || rep.PastHead != a.pastHead {
				t.Errorf("problems:\n got  %q\n want %q\nreport %+v", got, want, rep)
			}
			if testing.Verbose() {
				for _, p := range rep.Problems {
					t.Logf("%s (x%d): %s", p.Kind, p.Count, p.Detail)
				}
			}
		})
	}
}

// TestSentence pins the wording of the most common problem.
func TestSentence(t *testing.T) {
	path, ls := logLines(t, Options{})
	ls[41] = strings.Replace(ls[41], `"pid":`, `"pid":1`, 1)
	os.WriteFile(path, []byte(join(ls)), 0o600)
	rep, _ := Verify(context.Background(), path, Options{})
	if len(rep.Problems) != 1 || rep.Problems[0].Detail != "record 42 (line 42) was edited: its hash does not match its content" {
		t.Fatalf("%+v", rep.Problems)
	}
}

// FuzzVerify feeds Verify arbitrary logs: it must not panic, and must not
// call a log with lines that are not records OK.
func FuzzVerify(f *testing.F) {
	dir := f.TempDir()
	l, err := Open(filepath.Join(dir, FileName), Options{Now: clock()})
	if err != nil {
		f.Fatal(err)
	}
	fill(f, l, 3)
	l.Close()
	good, _ := os.ReadFile(filepath.Join(dir, FileName))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("{}\n\n{\"seq\":1}\n"))
	f.Add([]byte(`{"seq":1,"prev":"` + zeroHash + `","hash":"` + zeroHash + `","sealed":"QUJD"}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), FileName)
		os.WriteFile(path, b, 0o600)
		rep, err := Verify(context.Background(), path, Options{Sealer: newTestSealer("a")})
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK && rep.Records != strings.Count(string(b), "\n") {
			t.Fatalf("OK with %d records in %d lines", rep.Records, strings.Count(string(b), "\n"))
		}
	})
}
