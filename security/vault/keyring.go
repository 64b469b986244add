package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/llmos/llmos"
)

// formatVersion is the version of keyring.json this code writes and reads.
const formatVersion = 1

// keyring is keyring.json: everything about the keys except the keys
// themselves in the clear. Data keys are wrapped (AES-256-GCM) by the master
// key; the master key is never stored (except by the generated kind, in its
// own file).
type keyring struct {
	Version int `json:"version"`
	// Master says what the master key is, and for a passphrase how it is derived.
	Master masterInfo `json:"master"`
	// Check is a known plaintext sealed under the master key: opening it
	// proves the master key is the right one. After the known text it lists
	// the stores known to be sealed (see Vault.MarkSealed), so that nobody
	// without the key can strike one from the list.
	Check []byte `json:"check"`
	// Namespaces holds each namespace's data keys, oldest first.
	Namespaces map[string]*nsEntry `json:"namespaces"`
}

type masterInfo struct {
	Kind    string    `json:"kind"`
	KDF     *kdf      `json:"kdf,omitempty"`
	Created time.Time `json:"created"`
	Rotated time.Time `json:"rotated,omitzero"`
}

// kdf is how a passphrase becomes the master key: argon2id.
type kdf struct {
	Name    string `json:"name"`
	Salt    []byte `json:"salt"`
	Time    uint32 `json:"time"`
	MemKiB  uint32 `json:"memory_kib"`
	Threads uint8  `json:"threads"`
	KeyLen  uint32 `json:"key_len"`
}

// nsEntry is one namespace. NextID only grows, so the id of a shredded key is
// never given again and a value sealed under it is known to be deleted.
type nsEntry struct {
	NextID   uint32       `json:"next_id"`
	Keys     []wrappedKey `json:"keys"`
	Shredded time.Time    `json:"shredded,omitzero"`
}

type wrappedKey struct {
	ID      uint32    `json:"id"`
	Wrapped []byte    `json:"wrapped"` // nonce | AES-256-GCM(master, data key)
	Created time.Time `json:"created"`
}

func (e *nsEntry) key(id uint32) *wrappedKey {
	for i := range e.Keys {
		if e.Keys[i].ID == id {
			return &e.Keys[i]
		}
	}
	return nil
}

// checkPlain is the known plaintext of the check value.
var checkPlain = []byte("llmos vault check v1")

const checkAD = "llmos-vault-check-v1"

// wrapAD binds a wrapped data key to its namespace and id, so a wrapped key
// moved to another namespace or version in the keyring does not unwrap.
func wrapAD(ns string, id uint32) []byte {
	ad := append([]byte("llmos-vault-wrap-v1\x00"), ns...)
	ad = append(ad, 0)
	return binary.BigEndian.AppendUint32(ad, id)
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, llmos.Errorf(llmos.CodeInternal, "vault: key of %d bytes", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInternal, "vault: cipher")
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInternal, "vault: cipher")
	}
	return g, nil
}

// seal returns nonce | AES-256-GCM(key, plain, ad).
func seal(key, plain, ad []byte) ([]byte, error) {
	g, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, nonceSize, nonceSize+len(plain)+g.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInternal, "vault: random nonce")
	}
	return g.Seal(out, out, plain, ad), nil
}

// unseal opens what seal returned; ok is false if it does not authenticate.
func unseal(key, sealed, ad []byte) (plain []byte, ok bool) {
	g, err := newAEAD(key)
	if err != nil || len(sealed) < nonceSize+g.Overhead() {
		return nil, false
	}
	p, err := g.Open(nil, sealed[:nonceSize], sealed[nonceSize:], ad)
	return p, err == nil
}

// checks reports whether master opens the keyring's check value.
func (r *keyring) checks(master []byte) bool {
	_, ok := r.sealedStores(master)
	return ok
}

// sealedStores opens the check value and returns the stores it lists.
func (r *keyring) sealedStores(master []byte) ([]string, bool) {
	p, ok := unseal(master, r.Check, []byte(checkAD))
	if !ok || !strings.HasPrefix(string(p), string(checkPlain)) {
		return nil, false
	}
	rest := string(p[len(checkPlain):])
	if rest == "" {
		return nil, true
	}
	if !strings.HasPrefix(rest, "\n") {
		return nil, false
	}
	return strings.Split(rest[1:], "\n"), true
}

// newCheck seals the check value listing stores.
func newCheck(master []byte, stores []string) ([]byte, error) {
	plain := string(checkPlain)
	for _, s := range stores {
		plain += "\n" + s
	}
	return seal(master, []byte(plain), []byte(checkAD))
}

// unwrap returns the data key of ns with id k, or an error if the master
// key does not open it.
func unwrap(master []byte, ns string, k *wrappedKey) ([]byte, error) {
	key, ok := unseal(master, k.Wrapped, wrapAD(ns, k.ID))
	if !ok || len(key) != KeySize {
		clear(key)
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "the data key %d of namespace %s does not open with the master key: the keyring was altered", k.ID, ns)
	}
	return key, nil
}

// readKeyring reads path and returns it with the file's information, or
// (nil, nil, nil) if it does not exist.
func readKeyring(path string) (*keyring, fs.FileInfo, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot read the keyring %s", path))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot read the keyring %s", path))
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		return nil, nil, llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot read the keyring %s", path))
	}
	var r keyring
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, nil, llmos.Errorf(llmos.CodeInvalid, "the keyring %s is damaged: %v", path, err)
	}
	if r.Version != formatVersion {
		return nil, nil, llmos.Errorf(llmos.CodeInvalid, "the keyring %s has format version %d; this llmos reads version %d", path, r.Version, formatVersion)
	}
	if len(r.Check) == 0 {
		return nil, nil, llmos.Errorf(llmos.CodeInvalid, "the keyring %s is damaged: it has no check value", path)
	}
	if r.Namespaces == nil {
		r.Namespaces = map[string]*nsEntry{}
	}
	for ns, e := range r.Namespaces {
		if e == nil {
			return nil, nil, llmos.Errorf(llmos.CodeInvalid, "the keyring %s is damaged: namespace %q has no entry", path, ns)
		}
		for _, k := range e.Keys {
			if k.ID == 0 || k.ID >= e.NextID {
				return nil, nil, llmos.Errorf(llmos.CodeInvalid, "the keyring %s is damaged: namespace %q has a key id out of range", path, ns)
			}
		}
	}
	return &r, fi, nil
}

// writeFileAtomic replaces path with b: a temporary file in the same folder,
// fsynced, renamed over path, then the folder fsynced, so a crash leaves
// either the old file or the new one, whole.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot write %s", path))
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot write %s", path))
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(b); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot write %s", path))
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot write %s", path))
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil // some systems cannot open a folder; the rename is done
	}
	defer d.Close()
	d.Sync() // not supported everywhere; the rename stands
	return nil
}

func (r *keyring) write(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return llmos.Wrap(err, llmos.CodeInternal, "vault: encode the keyring")
	}
	return writeFileAtomic(path, append(b, '\n'))
}
