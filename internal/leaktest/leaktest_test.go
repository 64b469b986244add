package leaktest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/llmos/llmos"
)

const canary = "CANARY-7f3e9a1c-zebra-quartz"

func TestSealFormat(t *testing.T) {
	c := NewCipher("s")
	p := []byte("a value")
	sealed, err := c.Seal("alice", p, []byte("row 1"))
	if err != nil {
		t.Fatal(err)
	}
	if string(sealed[:3]) != "LV1" || binary.BigEndian.Uint32(sealed[3:7]) != 1 || len(sealed) != 3+4+12+len(p)+16 {
		t.Errorf("sealed = %x", sealed)
	}
	if bytes.Contains(sealed, p) {
		t.Error("the plaintext is in the sealed value")
	}
	got, err := c.Open("alice", sealed, []byte("row 1"))
	if err != nil || !bytes.Equal(got, p) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Another Cipher of the same secret (another process) opens it.
	if got, err := NewCipher("s").Open("alice", sealed, []byte("row 1")); err != nil || !bytes.Equal(got, p) {
		t.Errorf("Open with the same secret = %q, %v", got, err)
	}
	// Through For, the same values.
	a := c.For("alice")
	if got, err := a.Open(sealed, []byte("row 1")); err != nil || !bytes.Equal(got, p) {
		t.Errorf("For.Open = %q, %v", got, err)
	}
	s2, _ := a.Seal(p, nil)
	if got, err := c.Open("alice", s2, nil); err != nil || !bytes.Equal(got, p) {
		t.Errorf("Open of For.Seal = %q, %v", got, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	c := NewCipher("s")
	sealed, _ := c.Seal("alice", []byte("a value"), []byte("row 1"))
	flip := func(i int) []byte { b := bytes.Clone(sealed); b[i] ^= 1; return b }
	kid := func(id uint32) []byte { b := bytes.Clone(sealed); binary.BigEndian.PutUint32(b[3:], id); return b }
	for _, tc := range []struct {
		name   string
		c      *Cipher
		ns     string
		sealed []byte
		ad     string
	}{
		{"wrong key", NewCipher("another"), "alice", sealed, "row 1"},
		{"other namespace", c, "bob", sealed, "row 1"},
		{"other ad", c, "alice", sealed, "row 2"},
		{"altered ciphertext", c, "alice", flip(len(sealed) - 20), "row 1"},
		{"altered nonce", c, "alice", flip(10), "row 1"},
		{"altered magic", c, "alice", flip(0), "row 1"},
		{"key id 0", c, "alice", kid(0), "row 1"},
		{"unknown key id", c, "alice", kid(7), "row 1"},
		{"short", c, "alice", sealed[:34], "row 1"},
		{"plaintext", c, "alice", []byte("a value that was never sealed, long enough"), "row 1"},
	} {
		p, err := tc.c.Open(tc.ns, tc.sealed, []byte(tc.ad))
		if llmos.ErrorCode(err) != llmos.CodeUnauthenticated || p != nil {
			t.Errorf("%s: %q, %v (code %s), want unauthenticated", tc.name, p, err, llmos.ErrorCode(err))
		}
	}
}

// Shred deletes the keys as the vault does: old values are not_found, new
// ones take a new key id, other namespaces are untouched.
func TestShred(t *testing.T) {
	c := NewCipher("s")
	old, _ := c.Seal("alice", []byte("old"), nil)
	bob, _ := c.Seal("bob", []byte("bob's"), nil)
	tok := c.Blind("alice", "zebra")
	c.Shred("alice")
	if _, err := c.Open("alice", old, nil); llmos.ErrorCode(err) != llmos.CodeNotFound || llmos.ErrorMessage(err) != "the key of namespace alice was deleted" {
		t.Errorf("Open after Shred: %v", err)
	}
	if p, err := c.Open("bob", bob, nil); err != nil || string(p) != "bob's" {
		t.Errorf("bob after alice's Shred: %q, %v", p, err)
	}
	fresh, err := c.Seal("alice", []byte("new"), nil)
	if err != nil || binary.BigEndian.Uint32(fresh[3:]) != 2 {
		t.Fatalf("Seal after Shred: %x, %v", fresh, err)
	}
	if p, err := c.Open("alice", fresh, nil); err != nil || string(p) != "new" {
		t.Errorf("Open of a new value: %q, %v", p, err)
	}
	if t2 := c.Blind("alice", "zebra"); t2 == tok || len(t2) != 16 {
		t.Errorf("Blind after Shred: %q, before %q", t2, tok)
	}
	// A Cipher that never sealed in ns deletes key id 1, which another
	// process may have used.
	other := NewCipher("s")
	other.Shred("bob")
	if _, err := other.Open("bob", bob, nil); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("a value of another process after Shred: %v", err)
	}
	if s, _ := other.Seal("bob", []byte("x"), nil); binary.BigEndian.Uint32(s[3:]) != 2 {
		t.Errorf("key id after Shred of an unused namespace: %x", s[3:7])
	}
}

// Revoke refuses everything of the namespace, and nothing else.
func TestRevoke(t *testing.T) {
	c := NewCipher("s")
	old, _ := c.Seal("alice", []byte("old"), nil)
	c.Revoke("alice")
	if _, err := c.Open("alice", old, nil); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("Open: %v", err)
	}
	if _, err := c.Open("alice", []byte("not sealed"), nil); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("Open of garbage: %v", err)
	}
	if _, err := c.Seal("alice", []byte("new"), nil); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("Seal: %v", err)
	}
	if tok, err := c.BlindToken("alice", "zebra"); llmos.ErrorCode(err) != llmos.CodeNotFound || tok != "" {
		t.Errorf("BlindToken: %q, %v", tok, err)
	}
	if tok := c.Blind("alice", "zebra"); tok != "" {
		t.Errorf("Blind: %q", tok)
	}
	if _, err := c.Seal("bob", []byte("x"), nil); err != nil || c.Blind("bob", "zebra") == "" {
		t.Errorf("bob: %v", err)
	}
}

func TestBlind(t *testing.T) {
	c := NewCipher("s")
	a := c.Blind("alice", "zebra")
	if len(a) != 16 || strings.Trim(a, "abcdefghijklmnopqrstuvwxyz234567") != "" {
		t.Errorf("token %q", a)
	}
	if c.Blind("alice", "zebra") != a || NewCipher("s").Blind("alice", "zebra") != a {
		t.Error("the token is not deterministic")
	}
	if c.Blind("bob", "zebra") == a || c.Blind("alice", "zebras") == a || NewCipher("t").Blind("alice", "zebra") == a {
		t.Error("tokens of another namespace, term or secret are equal")
	}
	if strings.Contains(a, "zebra") {
		t.Error("the token shows the term")
	}
}

func TestConcurrent(t *testing.T) {
	c := NewCipher("s")
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			ns := fmt.Sprint("ns", w%3)
			for i := range 50 {
				p := fmt.Appendf(nil, "%d/%d", w, i)
				s, err := c.Seal(ns, p, p)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := c.Open(ns, s, p); err != nil && llmos.ErrorCode(err) != llmos.CodeNotFound || err == nil && !bytes.Equal(got, p) {
					t.Errorf("Open: %q, %v", got, err)
				}
				c.Blind(ns, string(p))
				if i == 25 && w == 0 {
					c.Shred(ns)
				}
			}
		})
	}
	wg.Wait()
}

// The search finds a secret in every form it looks for, wherever it lies:
// between other bytes, at each base64 alignment, padded or not, and in a
// file of a subfolder or a WAL.
func TestFindBites(t *testing.T) {
	for _, secret := range []string{canary, "zebra", " note ", "version ", "héllo wörld ✓"} {
		dir := t.TempDir()
		var cases [][]byte
		enc16 := func(order binary.AppendByteOrder) []byte {
			var b []byte
			for _, r := range utf16.Encode([]rune(secret)) {
				b = order.AppendUint16(b, r)
			}
			return b
		}
		cases = append(cases, []byte("..."+secret+"..."), enc16(binary.LittleEndian), enc16(binary.BigEndian),
			[]byte(hex.EncodeToString([]byte(secret))), []byte(strings.ToUpper(hex.EncodeToString([]byte(secret)))))
		for k := range 3 {
			for _, before := range []byte{0, '?', 0xff} {
				for _, after := range []string{"", "~~", "x", "\xff\xff\xff"} {
					for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
						b := append(append(bytes.Repeat([]byte{before}, k), secret...), after...)
						cases = append(cases, []byte(enc.EncodeToString(b)))
					}
				}
			}
		}
		for i, c := range cases {
			name := fmt.Sprintf("f%03d", i)
			if i%5 == 0 {
				name = filepath.Join("sub", name+".db-wal")
				os.MkdirAll(filepath.Join(dir, "sub"), 0o700)
			}
			if err := os.WriteFile(filepath.Join(dir, name), append(append([]byte("junk"), c...), "junk"...), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		found, err := Find(dir, Encodings(secret))
		if err != nil {
			t.Fatal(err)
		}
		hit := map[string]bool{}
		for _, f := range found {
			hit[strings.Split(f, " holds ")[0]] = true
		}
		files, _ := Files(dir)
		if len(files) != len(cases) {
			t.Errorf("%q: Files = %d, want %d", secret, len(files), len(cases))
		}
		for _, f := range files {
			if !hit[f] {
				t.Errorf("%q: not found in %s", secret, f)
			}
		}
	}
}

// The forms are found only where the secret is: not in a file of another
// secret, nor of ciphertext.
func TestFindNoFalseHit(t *testing.T) {
	dir := t.TempDir()
	c := NewCipher("s")
	var b []byte
	for i := range 2000 {
		s, _ := c.Seal("alice", []byte(canary), fmt.Append(nil, i))
		b = append(b, s...)
		b = append(b, base64.StdEncoding.EncodeToString(s)...)
	}
	b = append(b, "CANARY-0b5d2e77-otter-basalt"...)
	os.WriteFile(filepath.Join(dir, "state.db"), b, 0o600)
	if found, err := Find(dir, Encodings(canary)); err != nil || len(found) > 0 {
		t.Errorf("Find = %v, %v", found, err)
	}
}

func TestFindNames(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "state.db-wal"), []byte("x"+canary), 0o600)
	os.WriteFile(filepath.Join(dir, "state.db"), []byte("nothing"), 0o600)
	os.Symlink(filepath.Join(dir, "state.db-wal"), filepath.Join(dir, "link"))
	found, err := Find(dir, Encodings(canary))
	if err != nil || len(found) != 1 || found[0] != `state.db-wal holds "`+canary+`" as utf8` {
		t.Errorf("Find = %q, %v", found, err)
	}
	if files, err := Files(dir); err != nil || strings.Join(files, " ") != "state.db state.db-wal" {
		t.Errorf("Files = %q, %v", files, err)
	}
	if _, err := Find(dir, map[string][]byte{"nothing": nil}); err == nil {
		t.Error("an empty needle is no error")
	}
	if _, err := Find(filepath.Join(dir, "missing"), Encodings(canary)); err == nil {
		t.Error("a missing folder is no error")
	}
}

// recorder is a testing.TB that keeps what AssertAbsent reports.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func assertAbsent(dir string, secrets ...string) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		AssertAbsent(r, dir, secrets...)
	}()
	<-done
	return r
}

func TestAssertAbsent(t *testing.T) {
	dir := t.TempDir()
	if r := assertAbsent(dir, canary); len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "no file") {
		t.Errorf("an empty folder: %+v", r)
	}
	os.WriteFile(filepath.Join(dir, "clean"), []byte("nothing here"), 0o600)
	if r := assertAbsent(dir, canary, "zebra"); len(r.fatals)+len(r.errors) > 0 {
		t.Errorf("a clean folder: %+v", r)
	}
	os.WriteFile(filepath.Join(dir, "state.db-shm"), []byte(base64.URLEncoding.EncodeToString([]byte("?"+canary))), 0o600)
	r := assertAbsent(dir, "otter", canary)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], `state.db-shm holds "`+canary+`" as base64url@1`) || strings.Contains(r.errors[0], "otter") || len(r.fatals) > 0 {
		t.Errorf("a leak: %+v", r)
	}
}
