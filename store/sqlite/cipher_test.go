package sqlite

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/llmos/llmos"
)

// testCipher is the Cipher of the tests: AES-256-GCM with a fixed key per
// namespace derived from seed, in the vault's "LV1" format (magic, 4-byte
// key id, 12-byte nonce, ciphertext and tag); Blind is HMAC-SHA256 of the
// term, truncated to 10 bytes, in lowercase unpadded base32.
type testCipher struct {
	seed string
	mu   sync.Mutex
	gone map[string]bool // shredded namespaces
}

func newTestCipher(seed string) *testCipher { return &testCipher{seed: seed, gone: map[string]bool{}} }

func (c *testCipher) key(purpose, ns string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone[ns] {
		return nil, llmos.Errorf(llmos.CodeNotFound, "the key of namespace %s was deleted", ns)
	}
	k := sha256.Sum256([]byte(c.seed + "/" + purpose + "/" + ns))
	return k[:], nil
}

// shred deletes the key of ns.
func (c *testCipher) shred(ns string) {
	c.mu.Lock()
	c.gone[ns] = true
	c.mu.Unlock()
}

func (c *testCipher) aead(ns string) (cipher.AEAD, error) {
	k, err := c.key("data", ns)
	if err != nil {
		return nil, err
	}
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func (c *testCipher) Seal(ns string, plaintext, ad []byte) ([]byte, error) {
	g, err := c.aead(ns)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 3+4+12, 3+4+12+len(plaintext)+g.Overhead())
	copy(out, "LV1")
	binary.BigEndian.PutUint32(out[3:], 1)
	rand.Read(out[7:19])
	return g.Seal(out, out[7:19], plaintext, ad), nil
}

func (c *testCipher) Open(ns string, sealed, ad []byte) ([]byte, error) {
	g, err := c.aead(ns)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 19+g.Overhead() || string(sealed[:3]) != "LV1" {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "a sealed value of namespace %s is malformed", ns)
	}
	if binary.BigEndian.Uint32(sealed[3:]) != 1 {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "a sealed value of namespace %s has an unknown key", ns)
	}
	p, err := g.Open(nil, sealed[7:19], sealed[19:], ad)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnauthenticated, "a sealed value of namespace "+ns+" failed authentication (wrong key or altered)")
	}
	return p, nil
}

var blindEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Blind returns "" for a shredded namespace, as the vault does.
func (c *testCipher) Blind(ns, term string) string {
	t, _ := c.BlindToken(ns, term)
	return t
}

// BlindToken is Blind with its error (the vault's optional method).
func (c *testCipher) BlindToken(ns, term string) (string, error) {
	k, err := c.key("blind", ns)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(term))
	return blindEncoding.EncodeToString(m.Sum(nil)[:10]), nil
}

// blindOnly hides BlindToken: a Cipher with the three methods only.
type blindOnly struct{ c *testCipher }

func (b blindOnly) Seal(ns string, p, ad []byte) ([]byte, error) { return b.c.Seal(ns, p, ad) }
func (b blindOnly) Open(ns string, s, ad []byte) ([]byte, error) { return b.c.Open(ns, s, ad) }
func (b blindOnly) Blind(ns, term string) string                 { return b.c.Blind(ns, term) }

// encodings returns the forms in which s could be found in a file: UTF-8,
// UTF-16LE/BE, hex (both cases), and standard and URL base64 at each of the
// three byte alignments (the part of the encoding that depends on s only).
func encodings(s string) map[string][]byte {
	out := map[string][]byte{"utf8": []byte(s)}
	u := utf16.Encode([]rune(s))
	le, be := make([]byte, 2*len(u)), make([]byte, 2*len(u))
	for i, r := range u {
		binary.LittleEndian.PutUint16(le[2*i:], r)
		binary.BigEndian.PutUint16(be[2*i:], r)
	}
	out["utf16le"], out["utf16be"] = le, be
	out["hex"] = []byte(hex.EncodeToString([]byte(s)))
	out["HEX"] = []byte(strings.ToUpper(hex.EncodeToString([]byte(s))))
	for p := range 3 {
		b := append(bytes.Repeat([]byte("x"), p), s...)
		from, to := 4*((p+2)/3), 4*(len(b)/3)
		for name, enc := range map[string]*base64.Encoding{"base64": base64.StdEncoding, "base64url": base64.URLEncoding} {
			e := enc.EncodeToString(b)
			out[name+"@"+string(rune('0'+p))] = []byte(e[from:to])
		}
	}
	return out
}

// findInFiles returns "file: needle/encoding" for each file under dir that
// holds one of the needles in one of its encodings.
func findInFiles(t *testing.T, dir string, needles ...string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			for enc, e := range encodings(n) {
				if bytes.Contains(b, e) {
					found = append(found, filepath.Base(path)+": "+n+"/"+enc)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, _ := e.Info()
		names = append(names, e.Name()+"("+strconv.FormatInt(info.Size(), 10)+")")
	}
	return names
}

func TestEncodingsBite(t *testing.T) {
	// The search must find the canary in every form it looks for.
	dir := t.TempDir()
	for name, e := range encodings(canary) {
		os.WriteFile(filepath.Join(dir, name), append([]byte("junk"), append(e, "junk"...)...), 0o600)
	}
	for p := range 3 {
		b := append(bytes.Repeat([]byte("y"), p), canary...)
		os.WriteFile(filepath.Join(dir, "b64-"+string(rune('0'+p))), []byte(base64.StdEncoding.EncodeToString(b)), 0o600)
	}
	got := findInFiles(t, dir, canary)
	if len(got) < len(encodings(canary))+3 {
		t.Errorf("found %d: %v", len(got), got)
	}
}
