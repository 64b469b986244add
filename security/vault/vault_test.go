package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/llmos/llmos"
)

// fast is the argon2id cost of the tests.
var fast = WithArgon2(1, 64, 1)

func keySrc(b byte) Source { return Source{Kind: KindEnv, Key: testKey(b)} }

func mustOpen(t testing.TB, home string, src Source, opts ...Option) *Vault {
	t.Helper()
	v, err := Open(home, src, append([]Option{fast}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return v
}

func mustSeal(t testing.TB, v *Vault, ns, plain, ad string) []byte {
	t.Helper()
	b, err := v.Seal(ns, []byte(plain), []byte(ad))
	if err != nil {
		t.Fatalf("Seal(%s): %v", ns, err)
	}
	return b
}

func wantOpen(t testing.TB, v *Vault, ns string, sealed []byte, ad, want string) {
	t.Helper()
	p, err := v.Open(ns, sealed, []byte(ad))
	if err != nil || string(p) != want {
		t.Fatalf("Open(%s) = %q, %v; want %q", ns, p, err, want)
	}
}

func wantCode(t testing.TB, what string, err error, code llmos.Code, msg string) {
	t.Helper()
	if llmos.ErrorCode(err) != code || !strings.Contains(llmos.ErrorMessage(err), msg) {
		t.Fatalf("%s: got %v (%s), want %s %q", what, err, llmos.ErrorCode(err), code, msg)
	}
}

func TestSealOpen(t *testing.T) {
	v := mustOpen(t, t.TempDir(), keySrc(1))
	for _, plain := range []string{"", "a", strings.Repeat("memory ", 1000)} {
		s := mustSeal(t, v, "alice", plain, "row:1")
		if !IsSealed(s) || string(s[:3]) != "LV1" || len(s) != 3+4+12+len(plain)+16 {
			t.Fatalf("sealed format: %x", s[:min(len(s), 24)])
		}
		if plain != "" && bytes.Contains(s, []byte(plain)) {
			t.Fatal("the plaintext is in the sealed value")
		}
		wantOpen(t, v, "alice", s, "row:1", plain)
	}
	a, b := mustSeal(t, v, "alice", "same", ""), mustSeal(t, v, "alice", "same", "")
	if bytes.Equal(a, b) {
		t.Error("two seals of one plaintext are equal: the nonce is not random")
	}
	c := v.For("bob")
	s, err := c.Seal([]byte("hi"), []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.Open(s, []byte("x")); err != nil || string(p) != "hi" || c.Namespace() != "bob" {
		t.Fatalf("For: %q %v", p, err)
	}
	wantOpen(t, v, "bob", s, "x", "hi")
	for _, bad := range []string{"", "a\x00b", "tab\there", strings.Repeat("n", 256), "\xff"} {
		_, err := v.Seal(bad, nil, nil)
		wantCode(t, fmt.Sprintf("namespace %q", bad), err, llmos.CodeInvalid, "namespace")
	}
	if IsSealed([]byte(`{"text":"x"}`)) || IsSealed([]byte("LV1")) {
		t.Error("IsSealed accepts plaintext")
	}
}

func TestWrongKey(t *testing.T) {
	home := t.TempDir()
	v := mustOpen(t, home, keySrc(1))
	s := mustSeal(t, v, "alice", "secret", "")
	for _, src := range []Source{keySrc(2), {Kind: KindFile, Key: testKey(3), File: "/k"}} {
		w, err := Open(home, src)
		if w != nil {
			t.Fatal("a wrong key opened the vault")
		}
		wantCode(t, "wrong key", err, llmos.CodeUnauthenticated, "the master key does not open the vault in "+home+" (source: LLMOS_KEY")
	}
	_, err := Open(home, Source{Kind: KindPassphrase, Passphrase: []byte("guess")}, fast)
	wantCode(t, "passphrase on a key vault", err, llmos.CodeUnauthenticated, "not a passphrase")
	_, err = Open(home, Source{Kind: KindGenerated, File: filepath.Join(home, "master.key")})
	wantCode(t, "no key on a key vault", err, llmos.CodeUnauthenticated, "set LLMOS_KEY")
	if _, err := os.Stat(filepath.Join(home, "master.key")); err == nil {
		t.Error("a key file was generated for a vault that has a key")
	}
	// The same key from a file opens it.
	w := mustOpen(t, home, Source{Kind: KindFile, Key: testKey(1), File: "/k"})
	wantOpen(t, w, "alice", s, "", "secret")
}

func TestWrongPassphrase(t *testing.T) {
	home := t.TempDir()
	pass := func(p string) Source { return Source{Kind: KindPassphrase, Passphrase: []byte(p)} }
	v := mustOpen(t, home, pass("correct horse battery staple"))
	s := mustSeal(t, v, "alice", "secret", "")
	_, err := Open(home, pass("correct horse battery stapler"), fast)
	wantCode(t, "wrong passphrase", err, llmos.CodeUnauthenticated, "the master key does not open the vault in "+home+" (source: LLMOS_PASSPHRASE)")
	_, err = Open(home, keySrc(1))
	wantCode(t, "key on a passphrase vault", err, llmos.CodeUnauthenticated, "locked with a passphrase")
	// The stored parameters, not the options, derive the key on reopening.
	w, err := Open(home, pass("correct horse battery staple"), WithArgon2(2, 128, 2))
	if err != nil {
		t.Fatal(err)
	}
	wantOpen(t, w, "alice", s, "", "secret")
	b, _ := os.ReadFile(w.KeyringPath())
	if !strings.Contains(string(b), `"argon2id"`) || !strings.Contains(string(b), `"memory_kib": 64`) || bytes.Contains(b, []byte("horse")) {
		t.Errorf("keyring: %s", b)
	}
}

func TestTampered(t *testing.T) {
	v := mustOpen(t, t.TempDir(), keySrc(1))
	s := mustSeal(t, v, "alice", "transfer 10 EUR to Bob", "row:7")
	v.RotateData("alice")
	mustSeal(t, v, "alice", "v2", "")
	flip := func(i int) []byte {
		b := bytes.Clone(s)
		b[i] ^= 0x01
		return b
	}
	cases := []struct {
		name   string
		sealed []byte
		ad     string
		code   llmos.Code
	}{
		{"magic", flip(0), "row:7", llmos.CodeInvalid},
		{"key id to version 2", func() []byte { b := bytes.Clone(s); b[6] = 2; return b }(), "row:7", llmos.CodeUnauthenticated},
		{"key id never given", func() []byte { b := bytes.Clone(s); b[3] = 9; return b }(), "row:7", llmos.CodeUnauthenticated},
		{"nonce", flip(8), "row:7", llmos.CodeUnauthenticated},
		{"ciphertext", flip(20), "row:7", llmos.CodeUnauthenticated},
		{"tag", flip(len(s) - 1), "row:7", llmos.CodeUnauthenticated},
		{"additional data", s, "row:8", llmos.CodeUnauthenticated},
		{"truncated", s[:len(s)-1], "row:7", llmos.CodeUnauthenticated},
		{"too short", s[:20], "row:7", llmos.CodeInvalid},
		{"plaintext", []byte(`{"text":"transfer 10 EUR to Bob"}`), "row:7", llmos.CodeInvalid},
	}
	for _, c := range cases {
		p, err := v.Open("alice", c.sealed, []byte(c.ad))
		if p != nil {
			t.Errorf("%s: opened to %q", c.name, p)
		}
		if llmos.ErrorCode(err) != c.code {
			t.Errorf("%s: %v (%s), want %s", c.name, err, llmos.ErrorCode(err), c.code)
		}
	}
	_, err := v.Open("alice", flip(20), []byte("row:7"))
	wantCode(t, "altered", err, llmos.CodeUnauthenticated, "a sealed value failed authentication: it was altered, or the key is wrong")
	_, err = v.Open("alice", s[:20], nil)
	wantCode(t, "short", err, llmos.CodeInvalid, "not a sealed value")
}

func TestMovedBetweenNamespaces(t *testing.T) {
	v := mustOpen(t, t.TempDir(), keySrc(1))
	s := mustSeal(t, v, "alice", "alice's diary", "row:1")
	mustSeal(t, v, "bob", "bob", "")
	for _, ns := range []string{"bob", "carol", "_system"} {
		p, err := v.Open(ns, s, []byte("row:1"))
		if p != nil || llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
			t.Errorf("opened in %s: %q %v", ns, p, err)
		}
	}
	wantOpen(t, v, "alice", s, "row:1", "alice's diary")
}

func TestShred(t *testing.T) {
	home := t.TempDir()
	v := mustOpen(t, home, keySrc(1))
	other := mustOpen(t, home, keySrc(1), WithRefreshInterval(0))
	a := mustSeal(t, v, "alice", "alice's secret", "")
	v.RotateData("alice")
	a2 := mustSeal(t, v, "alice", "alice's second secret", "")
	b := mustSeal(t, v, "bob", "bob's note", "")
	wantOpen(t, other, "alice", a, "", "alice's secret") // other caches alice's key
	if tok := v.Blind("alice", "x"); tok == "" {
		t.Fatal("no blind token")
	}
	if err := v.Shred("alice"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []*Vault{v, other, mustOpen(t, home, keySrc(1))} {
		for _, s := range [][]byte{a, a2} {
			p, err := h.Open("alice", s, nil)
			if p != nil {
				t.Fatal("a shredded value opened")
			}
			wantCode(t, "shredded", err, llmos.CodeNotFound, "the key of namespace alice was deleted")
		}
		wantOpen(t, h, "bob", b, "", "bob's note")
	}
	if len(v.keys["alice"]) != 0 || len(other.keys["alice"]) != 0 {
		t.Error("a shredded key stays in memory")
	}
	if err := v.Shred("alice"); err != nil {
		t.Errorf("shredding twice: %v", err)
	}
	wantCode(t, "unknown namespace", v.Shred("nobody"), llmos.CodeNotFound, "nobody")
	info := v.Namespaces()
	if len(info) != 2 || info[0].Name != "alice" || len(info[0].Versions) != 0 || info[0].Shredded.IsZero() {
		t.Errorf("Namespaces after Shred: %+v", info)
	}
	// A new key for alice gets a new id; the old values stay deleted.
	n := mustSeal(t, v, "alice", "new alice", "")
	if n[6] != 3 {
		t.Errorf("the new key reuses an id: %d", n[6])
	}
	wantOpen(t, other, "alice", n, "", "new alice")
	_, err := other.Open("alice", a, nil)
	wantCode(t, "old value after re-creation", err, llmos.CodeNotFound, "deleted")
}

func TestRotate(t *testing.T) {
	home := t.TempDir()
	v := mustOpen(t, home, keySrc(1))
	stale := mustOpen(t, home, keySrc(1), WithRefreshInterval(-1))
	values := map[string][]byte{}
	for _, ns := range []string{"alice", "bob", "_system", "_index", "_audit"} {
		values[ns] = mustSeal(t, v, ns, "value of "+ns, ns)
	}
	v.RotateData("alice")
	values["alice2"] = mustSeal(t, v, "alice", "value of alice2", "alice2")
	if err := v.Rotate(keySrc(2)); err != nil {
		t.Fatal(err)
	}
	_, err := Open(home, keySrc(1))
	wantCode(t, "old key after Rotate", err, llmos.CodeUnauthenticated, "does not open")
	check := func(h *Vault) {
		for ns, s := range values {
			want := "value of " + ns
			wantOpen(t, h, strings.TrimSuffix(ns, "2"), s, ns, want)
		}
	}
	w := mustOpen(t, home, keySrc(2))
	check(w)
	check(v) // the handle that rotated goes on
	// A handle still on the old key cannot add keys under it.
	_, err = stale.Seal("carol", []byte("x"), nil)
	wantCode(t, "stale master", err, llmos.CodeUnauthenticated, "no longer opens")

	// To a passphrase and back to a key file.
	if err := v.Rotate(Source{Kind: KindPassphrase, Passphrase: []byte("pass phrase")}); err != nil {
		t.Fatal(err)
	}
	_, err = Open(home, keySrc(2))
	wantCode(t, "key after Rotate to a passphrase", err, llmos.CodeUnauthenticated, "locked with a passphrase")
	check(mustOpen(t, home, Source{Kind: KindPassphrase, Passphrase: []byte("pass phrase")}))
	kf := filepath.Join(t.TempDir(), "key")
	os.WriteFile(kf, []byte(hex.EncodeToString(testKey(4))), 0o600)
	if err := v.Rotate(Source{Kind: KindFile, File: kf}); err != nil {
		t.Fatal(err)
	}
	if v.SourceKind() != KindFile {
		t.Errorf("SourceKind = %s", v.SourceKind())
	}
	check(mustOpen(t, home, SourceFromEnv(envOf(map[string]string{"LLMOS_KEY_FILE": kf}), home)))
	if err := v.Rotate(Source{Kind: KindEnv, Key: testKey(5)[:16]}); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("short new key: %v", err)
	}
	check(mustOpen(t, home, Source{Kind: KindFile, File: kf}))
}

func TestRotateData(t *testing.T) {
	home := t.TempDir()
	v := mustOpen(t, home, keySrc(1))
	old := mustSeal(t, v, "alice", "old", "")
	tok := v.Blind("alice", "lisbon")
	if err := v.RotateData("alice"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "RotateData of an unknown namespace", v.RotateData("nobody"), llmos.CodeNotFound, "nobody")
	n := mustSeal(t, v, "alice", "new", "")
	if old[6] != 1 || n[6] != 2 {
		t.Errorf("key ids %d, %d", old[6], n[6])
	}
	w := mustOpen(t, home, keySrc(1))
	wantOpen(t, w, "alice", old, "", "old")
	wantOpen(t, w, "alice", n, "", "new")
	if got := w.Blind("alice", "lisbon"); got != tok {
		t.Errorf("blind token changed across RotateData: %s %s", tok, got)
	}
	info := w.Namespaces()
	if len(info) != 1 || len(info[0].Versions) != 2 || info[0].Versions[1].ID != 2 || info[0].Created.IsZero() {
		t.Errorf("Namespaces: %+v", info)
	}
}

func TestUnknownIDReloads(t *testing.T) {
	home := t.TempDir()
	a := mustOpen(t, home, keySrc(1), WithRefreshInterval(-1))
	b := mustOpen(t, home, keySrc(1))
	mustSeal(t, a, "alice", "x", "")
	b.RotateData("alice")
	s := mustSeal(t, b, "alice", "from b", "")
	s2 := mustSeal(t, b, "bob", "bob from b", "")
	wantOpen(t, a, "alice", s, "", "from b")
	wantOpen(t, a, "bob", s2, "", "bob from b")
}

func TestBlind(t *testing.T) {
	home := t.TempDir()
	v := mustOpen(t, home, keySrc(1))
	tok := v.Blind("alice", "lisbon")
	if !regexp.MustCompile(`^[a-z2-7]{16}$`).MatchString(tok) {
		t.Fatalf("token %q", tok)
	}
	if v.Blind("alice", "lisbon") != tok || mustOpen(t, home, keySrc(1)).Blind("alice", "lisbon") != tok {
		t.Error("Blind is not deterministic")
	}
	if v.Blind("alice", "Lisbon") == tok || v.Blind("bob", "lisbon") == tok {
		t.Error("Blind tokens collide across terms or namespaces")
	}
	if mustOpen(t, t.TempDir(), keySrc(1)).Blind("alice", "lisbon") == tok {
		t.Error("two vaults give the same token")
	}
	v.Shred("alice")
	if _, err := mustOpen(t, home, keySrc(1)).BlindToken("_x", "lisbon"); err != nil {
		t.Error(err)
	}
	if got := v.Blind("alice", "lisbon"); got == tok || got == "" {
		t.Errorf("after Shred and re-creation: %q", got)
	}
}

func TestConcurrentNewNamespaces(t *testing.T) {
	home := t.TempDir()
	handles := []*Vault{mustOpen(t, home, keySrc(1)), mustOpen(t, home, keySrc(1))}
	type sealed struct {
		ns, plain string
		b         []byte
	}
	var mu sync.Mutex
	var all []sealed
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := handles[g%2]
			for i := 0; i < 12; i++ {
				ns := fmt.Sprintf("user%d", (i+g)%12)
				plain := fmt.Sprintf("g%d i%d", g, i)
				b, err := h.Seal(ns, []byte(plain), nil)
				if err != nil {
					t.Error(err)
					return
				}
				if i%5 == 0 {
					h.Blind(ns, plain)
				}
				mu.Lock()
				all = append(all, sealed{ns, plain, b})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	fresh := mustOpen(t, home, keySrc(1))
	for _, s := range all {
		wantOpen(t, fresh, s.ns, s.b, "", s.plain)
	}
	for _, n := range fresh.Namespaces() {
		if len(n.Versions) != 1 {
			t.Errorf("%s has %d key versions: two were made", n.Name, len(n.Versions))
		}
	}
	if len(fresh.Namespaces()) != 12 {
		t.Errorf("%d namespaces", len(fresh.Namespaces()))
	}
}

func TestConcurrentUse(t *testing.T) {
	v := mustOpen(t, t.TempDir(), keySrc(1), WithRefreshInterval(0))
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				ns := fmt.Sprintf("ns%d", i%3)
				s, err := v.Seal(ns, []byte("x"), nil)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := v.Open(ns, s, nil); err != nil {
					t.Error(err)
					return
				}
				v.Blind(ns, "t")
				v.Namespaces()
				if g == 0 && i%10 == 0 {
					if err := v.RotateData(ns); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestKeyringHoldsNoKeys looks for every data key and the master key, raw,
// hex and base64, in every file of the vault folder.
func TestKeyringHoldsNoKeys(t *testing.T) {
	home := t.TempDir()
	v := mustOpen(t, home, keySrc(7))
	var opened [][]byte
	for _, ns := range []string{"alice", "bob", "_system"} {
		s := mustSeal(t, v, ns, "x", "")
		v.RotateData(ns)
		opened = append(opened, s, mustSeal(t, v, ns, "y", ""))
	}
	if err := v.Rotate(keySrc(8)); err != nil {
		t.Fatal(err)
	}
	var secrets [][]byte
	for _, m := range v.keys {
		for _, dk := range m {
			secrets = append(secrets, bytes.Clone(dk.key), bytes.Clone(dk.blind))
		}
	}
	secrets = append(secrets, testKey(7), testKey(8))
	if len(secrets) < 2*6 {
		t.Fatalf("only %d keys cached", len(secrets))
	}
	files, _ := filepath.Glob(filepath.Join(home, "vault", "*"))
	if len(files) < 2 {
		t.Fatalf("files: %v", files)
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, k := range secrets {
			for _, enc := range [][]byte{k, []byte(hex.EncodeToString(k)), []byte(strings.ToUpper(hex.EncodeToString(k))),
				[]byte(base64.StdEncoding.EncodeToString(k)), []byte(base64.URLEncoding.EncodeToString(k)),
				[]byte(base64.RawStdEncoding.EncodeToString(k)[:40])} {
				if bytes.Contains(b, enc) {
					t.Fatalf("%s holds a key in the clear", f)
				}
			}
		}
	}
	_ = opened
}

func TestFileModes(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "vault"), 0o755)
	v := mustOpen(t, home, SourceFromEnv(envOf(nil), home))
	mustSeal(t, v, "alice", "x", "")
	want := map[string]os.FileMode{
		filepath.Join(home, "vault"):                 0o700 | os.ModeDir,
		filepath.Join(home, "vault", "keyring.json"): 0o600,
		filepath.Join(home, "vault", "keyring.lock"): 0o600,
		filepath.Join(home, "master.key"):            0o600,
	}
	for p, m := range want {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode() != m {
			t.Errorf("%s: %v %v, want %v", p, fi.Mode(), err, m)
		}
	}
	if err := v.Rotate(Source{Kind: KindGenerated}); err != nil {
		t.Fatal(err)
	}
	for p, m := range want {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != m {
			t.Errorf("after Rotate, %s: %v %v, want %v", p, fi.Mode(), err, m)
		}
	}
}

func TestGeneratedKey(t *testing.T) {
	home := t.TempDir()
	file := filepath.Join(home, "master.key")
	src := SourceFromEnv(envOf(nil), home)
	v := mustOpen(t, home, src)
	b, _ := os.ReadFile(file)
	if !regexp.MustCompile(`^[0-9a-f]{64}\n$`).Match(b) {
		t.Fatalf("master.key: %q", b)
	}
	s := mustSeal(t, v, "alice", "secret", "")
	wantOpen(t, mustOpen(t, home, src), "alice", s, "", "secret")
	if v.SourceKind() != KindGenerated {
		t.Errorf("kind %s", v.SourceKind())
	}

	// Rotate to a new generated key: the file changes, values stay readable.
	if err := v.Rotate(Source{Kind: KindGenerated}); err != nil {
		t.Fatal(err)
	}
	b2, _ := os.ReadFile(file)
	if bytes.Equal(b, b2) {
		t.Fatal("master.key did not change")
	}
	if _, err := os.Stat(file + ".new"); err == nil {
		t.Error("master.key.new is left over")
	}
	wantOpen(t, mustOpen(t, home, src), "alice", s, "", "secret")
	_, err := Open(home, Source{Kind: KindEnv, Key: mustParse(t, b)})
	wantCode(t, "old generated key", err, llmos.CodeUnauthenticated, "does not open")

	// A rotation cut short after the keyring changed: the old key is still in
	// master.key and the new one in master.key.new. Open finishes it.
	os.WriteFile(file+".new", b2, 0o600)
	os.WriteFile(file, b, 0o600)
	w := mustOpen(t, home, src)
	wantOpen(t, w, "alice", s, "", "secret")
	if now, _ := os.ReadFile(file); !bytes.Equal(now, b2) {
		t.Error("Open did not finish the rotation")
	}
	// A rotation cut short before the keyring changed: the stray new key goes.
	os.WriteFile(file+".new", b, 0o600)
	mustOpen(t, home, src)
	if _, err := os.Stat(file + ".new"); err == nil {
		t.Error("a stray master.key.new stays")
	}

	// A missing key file is a clear error, not a new key.
	os.Rename(file, file+".bak")
	_, err = Open(home, src)
	wantCode(t, "missing master.key", err, llmos.CodeUnauthenticated, "is missing")
	os.Rename(file+".bak", file)

	// Rotating to LLMOS_KEY deletes the generated key file.
	w = mustOpen(t, home, src)
	if err := w.Rotate(keySrc(9)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("master.key outlives the rotation away from it")
	}
	_, err = Open(home, src)
	wantCode(t, "generated source after rotation to a key", err, llmos.CodeUnauthenticated, "set LLMOS_KEY")
	wantOpen(t, mustOpen(t, home, keySrc(9)), "alice", s, "", "secret")
}

func mustParse(t *testing.T, b []byte) []byte {
	k, err := ParseKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDamagedKeyring(t *testing.T) {
	home := t.TempDir()
	mustOpen(t, home, keySrc(1))
	path := filepath.Join(home, "vault", "keyring.json")
	os.WriteFile(path, []byte("{not json"), 0o600)
	_, err := Open(home, keySrc(1))
	wantCode(t, "damaged keyring", err, llmos.CodeInvalid, "damaged")
	os.WriteFile(path, []byte(`{"version":9,"check":"AAAA"}`), 0o600)
	_, err = Open(home, keySrc(1))
	wantCode(t, "future keyring", err, llmos.CodeInvalid, "version 9")
}

// TestWrappedKeyBoundToNamespace swaps two wrapped keys in the keyring: the
// moved keys must not unwrap.
func TestWrappedKeyBoundToNamespace(t *testing.T) {
	home := t.TempDir()
	v := mustOpen(t, home, keySrc(1))
	a := mustSeal(t, v, "alice", "alice", "")
	mustSeal(t, v, "mallory", "m", "")
	r, _, err := readKeyring(v.path)
	if err != nil {
		t.Fatal(err)
	}
	r.Namespaces["alice"].Keys[0].Wrapped = r.Namespaces["mallory"].Keys[0].Wrapped
	r.write(v.path)
	_, err = mustOpen(t, home, keySrc(1)).Open("alice", a, nil)
	wantCode(t, "swapped wrapped key", err, llmos.CodeUnauthenticated, "altered")
}

func BenchmarkSeal1KiB(b *testing.B) {
	v := mustOpen(b, b.TempDir(), keySrc(1))
	p := bytes.Repeat([]byte("m"), 1024)
	b.SetBytes(1024)
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Seal("alice", p, []byte("row")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen1KiB(b *testing.B) {
	v := mustOpen(b, b.TempDir(), keySrc(1))
	s := mustSeal(b, v, "alice", strings.Repeat("m", 1024), "row")
	b.SetBytes(1024)
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Open("alice", s, []byte("row")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineAESGCM1KiB is the baseline of the two above: stdlib
// AES-256-GCM alone, with a fixed nonce and no header.
func BenchmarkBaselineAESGCM1KiB(b *testing.B) {
	g, _ := newAEAD(testKey(1))
	p := bytes.Repeat([]byte("m"), 1024)
	nonce := make([]byte, nonceSize)
	out := make([]byte, 0, 1024+tagSize)
	b.SetBytes(1024)
	for b.Loop() {
		out = g.Seal(out[:0], nonce, p, []byte("row"))
	}
}

// The stores marked sealed are listed inside the authenticated check value:
// a fresh handle sees them, a rotation keeps them, and striking one from the
// keyring without the key leaves a keyring that no key opens.
func TestMarkSealed(t *testing.T) {
	home := t.TempDir()
	v := mustOpen(t, home, keySrc(1))
	if v.Sealed("state.db") {
		t.Fatal("a new vault lists a sealed store")
	}
	if err := v.MarkSealed("state.db"); err != nil {
		t.Fatal(err)
	}
	if err := v.MarkSealed("vector"); err != nil {
		t.Fatal(err)
	}
	if w := mustOpen(t, home, keySrc(1)); !w.Sealed("state.db") || !w.Sealed("vector") || w.Sealed("audit") {
		t.Error("a fresh handle does not see the sealed stores")
	}
	if err := v.Rotate(keySrc(2)); err != nil {
		t.Fatal(err)
	}
	if w := mustOpen(t, home, keySrc(2)); !w.Sealed("state.db") || !w.Sealed("vector") {
		t.Error("a rotation lost the sealed stores")
	}
	// An attacker without the key puts back a check value without the list:
	// the one of a new vault of their own key opens nothing here.
	other := t.TempDir()
	mustOpen(t, other, keySrc(9))
	theirs, _ := os.ReadFile(filepath.Join(other, "vault", "keyring.json"))
	ours, _ := os.ReadFile(filepath.Join(home, "vault", "keyring.json"))
	var a, b map[string]json.RawMessage
	json.Unmarshal(theirs, &a)
	json.Unmarshal(ours, &b)
	b["check"] = a["check"]
	forged, _ := json.Marshal(b)
	os.WriteFile(filepath.Join(home, "vault", "keyring.json"), forged, 0o600)
	if _, err := Open(home, keySrc(2)); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
		t.Errorf("a forged check value: %v", err)
	}
	if err := v.MarkSealed("bad\nname"); err == nil {
		t.Error("a store name with a newline was accepted")
	}
}
