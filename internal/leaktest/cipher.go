package leaktest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"

	"github.com/llmos/llmos"
)

// The layout of a sealed value: magic, key id, nonce, then ciphertext and tag.
const (
	magic      = "LV1"
	headerSize = len(magic) + 4 + 12
	tagSize    = 16
)

// Cipher is AES-256-GCM with a key per namespace and key id derived from a
// secret, in the vault's format. It is safe for concurrent use.
//
// Each namespace starts with key id 1. Shred deletes the ids used so far (at
// least 1, so that a value another process sealed is deleted too); the next
// Seal takes the following id, as the vault makes a new key. Revoke deletes
// the namespace's keys for good.
type Cipher struct {
	secret string

	mu      sync.Mutex
	cur     map[string]uint32 // the key id Seal uses, per namespace
	gone    map[string]uint32 // key ids up to this one are deleted
	revoked map[string]bool   // no key, old or new
	aeads   map[string]cipher.AEAD
}

// NewCipher returns a Cipher whose keys derive from secret.
func NewCipher(secret string) *Cipher {
	return &Cipher{secret: secret, cur: map[string]uint32{}, gone: map[string]uint32{},
		revoked: map[string]bool{}, aeads: map[string]cipher.AEAD{}}
}

// deleted is the vault's error for a namespace whose key is gone.
func deleted(ns string) error {
	return llmos.Errorf(llmos.CodeNotFound, "the key of namespace %s was deleted", ns)
}

// key derives the key of purpose ("data" or "blind") of ns's key id kid. The
// keys of id 1 are those the tests of store/sqlite were first written with,
// so the blind tokens they check are the same.
func (c *Cipher) key(purpose, ns string, kid uint32) []byte {
	name := c.secret + "/" + purpose + "/" + ns
	if kid > 1 {
		name += "\x00" + strconv.FormatUint(uint64(kid), 10)
	}
	k := sha256.Sum256([]byte(name))
	return k[:]
}

// aead returns the AEAD of ns's key id kid; c.mu is held.
func (c *Cipher) aead(ns string, kid uint32) cipher.AEAD {
	name := fmt.Sprintf("%s\x00%d", ns, kid)
	if a := c.aeads[name]; a != nil {
		return a
	}
	block, err := aes.NewCipher(c.key("data", ns, kid))
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	c.aeads[name] = a
	return a
}

// current returns the key id ns seals under now; c.mu is held.
func (c *Cipher) current(ns string) uint32 {
	kid := max(c.cur[ns], c.gone[ns]+1)
	c.cur[ns] = kid
	return kid
}

// fullAD binds the namespace to the caller's associated data, as the vault
// does.
func fullAD(ns string, ad []byte) []byte {
	return append(append([]byte(ns), 0), ad...)
}

// Seal encrypts plaintext under ns's current key, binding ns and ad (which
// Open must be given again). It fails with llmos.CodeNotFound once ns is
// revoked.
func (c *Cipher) Seal(ns string, plaintext, ad []byte) ([]byte, error) {
	c.mu.Lock()
	if c.revoked[ns] {
		c.mu.Unlock()
		return nil, deleted(ns)
	}
	kid := c.current(ns)
	a := c.aead(ns, kid)
	c.mu.Unlock()
	out := make([]byte, headerSize, headerSize+len(plaintext)+tagSize)
	copy(out, magic)
	binary.BigEndian.PutUint32(out[len(magic):], kid)
	nonce := out[len(magic)+4 : headerSize]
	rand.Read(nonce)
	return a.Seal(out, nonce, plaintext, fullAD(ns, ad)), nil
}

// Open decrypts what Seal returned for ns with the same ad. Errors: ns is
// revoked, or the value's key id was shredded (llmos.CodeNotFound, "the key
// of namespace ns was deleted"); the value is not in the format, has key id
// 0, is altered, moved to another namespace or ad, or sealed from another
// secret (llmos.CodeUnauthenticated).
func (c *Cipher) Open(ns string, sealed, ad []byte) ([]byte, error) {
	c.mu.Lock()
	revoked := c.revoked[ns]
	c.mu.Unlock()
	if revoked {
		return nil, deleted(ns)
	}
	if len(sealed) < headerSize+tagSize || string(sealed[:len(magic)]) != magic {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "a sealed value of namespace %s is malformed", ns)
	}
	kid := binary.BigEndian.Uint32(sealed[len(magic):])
	if kid == 0 {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "a sealed value of namespace %s has an unknown key", ns)
	}
	c.mu.Lock()
	gone := kid <= c.gone[ns]
	a := c.aead(ns, kid)
	c.mu.Unlock()
	if gone {
		return nil, deleted(ns)
	}
	p, err := a.Open(nil, sealed[len(magic)+4:headerSize], sealed[headerSize:], fullAD(ns, ad))
	if err != nil {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "a sealed value of namespace %s does not open: a wrong key, or it was altered", ns)
	}
	return p, nil
}

var blindEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Blind returns the search token of term in ns, as the vault does:
// HMAC-SHA256 under a key of ns, truncated to 10 bytes, as 16 characters of
// lowercase unpadded base32. The same ns and term give the same token until
// ns is shredded; it returns "" once ns is revoked.
func (c *Cipher) Blind(ns, term string) string {
	t, _ := c.BlindToken(ns, term)
	return t
}

// BlindToken is Blind with its error: llmos.CodeNotFound once ns is revoked
// (the vault's optional method).
func (c *Cipher) BlindToken(ns, term string) (string, error) {
	c.mu.Lock()
	if c.revoked[ns] {
		c.mu.Unlock()
		return "", deleted(ns)
	}
	c.current(ns)
	first := c.gone[ns] + 1 // the first key made since the last Shred
	c.mu.Unlock()
	m := hmac.New(sha256.New, c.key("blind", ns, first))
	m.Write([]byte(term))
	return blindEncoding.EncodeToString(m.Sum(nil)[:10]), nil
}

// Shred deletes every key of ns, as vault.Shred does: values sealed before
// fail Open with llmos.CodeNotFound; the next Seal takes a new key id, and
// Blind gives new tokens.
func (c *Cipher) Shred(ns string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gone[ns] = max(c.cur[ns], c.gone[ns], 1)
}

// Revoke deletes every key of ns and gives it no new one: from then on Seal,
// Open and BlindToken of ns fail with llmos.CodeNotFound and Blind returns
// "". Unlike Shred, it lets a test see what a store does when the cipher
// refuses a namespace.
func (c *Cipher) Revoke(ns string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revoked[ns] = true
}

// NamespaceCipher is a Cipher bound to one namespace: the shape of the audit
// log's Sealer, as vault.NamespaceCipher is.
type NamespaceCipher struct {
	c  *Cipher
	ns string
}

// For binds c to the namespace ns.
func (c *Cipher) For(ns string) NamespaceCipher { return NamespaceCipher{c: c, ns: ns} }

// Seal is Cipher.Seal in the bound namespace.
func (n NamespaceCipher) Seal(plaintext, ad []byte) ([]byte, error) {
	return n.c.Seal(n.ns, plaintext, ad)
}

// Open is Cipher.Open in the bound namespace.
func (n NamespaceCipher) Open(sealed, ad []byte) ([]byte, error) { return n.c.Open(n.ns, sealed, ad) }
