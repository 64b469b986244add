package vault

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/llmos/llmos"
)

var (
	errNotSealed = llmos.Errorf(llmos.CodeInvalid, "not a sealed value")
	errAuth      = llmos.Errorf(llmos.CodeUnauthenticated, "a sealed value failed authentication: it was altered, or the key is wrong")
)

func deleted(ns string) error {
	return llmos.Errorf(llmos.CodeNotFound, "the key of namespace %s was deleted", ns)
}

// checkNS refuses names that are empty, too long, not UTF-8 or hold control
// characters (a NUL would make the additional data ambiguous).
func checkNS(ns string) error {
	if ns == "" || len(ns) > 255 || !utf8.ValidString(ns) {
		return llmos.Errorf(llmos.CodeInvalid, "a namespace name must be 1 to 255 bytes of UTF-8")
	}
	for _, r := range ns {
		if unicode.IsControl(r) {
			return llmos.Errorf(llmos.CodeInvalid, "the namespace name %q holds a control character", ns)
		}
	}
	return nil
}

// fullAD is the additional data of a sealed value: the namespace, a NUL, the
// caller's ad. A value cannot be opened in another namespace.
func fullAD(ns string, ad []byte) []byte {
	b := make([]byte, 0, len(ns)+1+len(ad))
	b = append(b, ns...)
	b = append(b, 0)
	return append(b, ad...)
}

// Seal encrypts plaintext with AES-256-GCM under the newest data key of ns,
// binding ns and ad (which is not stored: Open needs the same). The first
// Seal in a namespace creates its data key.
func (v *Vault) Seal(ns string, plaintext, ad []byte) ([]byte, error) {
	if err := checkNS(ns); err != nil {
		return nil, err
	}
	if err := v.maybeRefresh(); err != nil {
		return nil, err
	}
	dk, id, err := v.current(ns)
	if err != nil {
		return nil, err
	}
	out := make([]byte, headerSize, headerSize+len(plaintext)+tagSize)
	copy(out, magic)
	binary.BigEndian.PutUint32(out[len(magic):], id)
	nonce := out[len(magic)+4 : headerSize]
	if _, err := rand.Read(nonce); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInternal, "vault: random nonce")
	}
	return dk.aead.Seal(out, nonce, plaintext, fullAD(ns, ad)), nil
}

// Open decrypts a value Seal returned for ns with the same ad. It picks the
// data-key version by the id in the value, reloading the keyring once if the
// id is new to it (another process may have added the key). Errors: not a
// sealed value (CodeInvalid); the namespace's key was shredded
// (CodeNotFound); altered, moved or under a wrong key (CodeUnauthenticated).
func (v *Vault) Open(ns string, sealed, ad []byte) ([]byte, error) {
	if !IsSealed(sealed) {
		return nil, errNotSealed
	}
	if err := checkNS(ns); err != nil {
		return nil, err
	}
	if err := v.maybeRefresh(); err != nil {
		return nil, err
	}
	id := binary.BigEndian.Uint32(sealed[len(magic):])
	dk, err := v.version(ns, id)
	if err != nil {
		return nil, err
	}
	p, err := dk.aead.Open(nil, sealed[len(magic)+4:headerSize], sealed[headerSize:], fullAD(ns, ad))
	if err != nil {
		return nil, errAuth
	}
	return p, nil
}

// Blind returns a keyed token for term in ns, for searching encrypted data by
// equality: HMAC-SHA256 under a subkey of ns's first data-key version (so
// tokens survive RotateData), 10 bytes as 16 characters of lowercase base32.
// The same ns and term give the same token; without the key, tokens say
// nothing about terms. It creates ns's key on first use, and returns "" only
// if that fails or ns was shredded (BlindToken says why).
func (v *Vault) Blind(ns, term string) string {
	t, _ := v.BlindToken(ns, term)
	return t
}

var blindEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// BlindToken is Blind with its error.
func (v *Vault) BlindToken(ns, term string) (string, error) {
	if err := checkNS(ns); err != nil {
		return "", err
	}
	if err := v.maybeRefresh(); err != nil {
		return "", err
	}
	if _, _, err := v.current(ns); err != nil {
		return "", err
	}
	token := func(dk *dataKey) string { // v.mu is held: Shred clears dk.blind under it
		m := hmac.New(sha256.New, dk.blind)
		m.Write([]byte(term))
		return blindEncoding.EncodeToString(m.Sum(nil)[:10])
	}
	v.mu.RLock()
	if e := v.ring.Namespaces[ns]; e != nil && len(e.Keys) > 0 {
		if dk := v.keys[ns][e.Keys[0].ID]; dk != nil {
			defer v.mu.RUnlock()
			return token(dk), nil
		}
	}
	v.mu.RUnlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	e := v.ring.Namespaces[ns]
	if e == nil || len(e.Keys) == 0 {
		return "", deleted(ns)
	}
	dk, err := v.dataKeyLocked(ns, &e.Keys[0])
	if err != nil {
		return "", err
	}
	return token(dk), nil
}

// NamespaceCipher is a vault bound to one namespace: the shape of the audit
// log's Sealer.
type NamespaceCipher struct {
	v  *Vault
	ns string
}

// For binds the vault to the namespace ns.
func (v *Vault) For(ns string) NamespaceCipher { return NamespaceCipher{v: v, ns: ns} }

// Namespace is the namespace the cipher is bound to.
func (c NamespaceCipher) Namespace() string { return c.ns }

// Seal is Vault.Seal in the bound namespace.
func (c NamespaceCipher) Seal(plaintext, ad []byte) ([]byte, error) {
	return c.v.Seal(c.ns, plaintext, ad)
}

// Open is Vault.Open in the bound namespace.
func (c NamespaceCipher) Open(sealed, ad []byte) ([]byte, error) { return c.v.Open(c.ns, sealed, ad) }

// current returns the newest data key of ns and its id, creating the
// namespace's first key if it has none.
func (v *Vault) current(ns string) (*dataKey, uint32, error) {
	v.mu.RLock()
	if e := v.ring.Namespaces[ns]; e != nil && len(e.Keys) > 0 {
		id := e.Keys[len(e.Keys)-1].ID
		if dk := v.keys[ns][id]; dk != nil {
			v.mu.RUnlock()
			return dk, id, nil
		}
	}
	v.mu.RUnlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	if e := v.ring.Namespaces[ns]; e == nil || len(e.Keys) == 0 {
		err := v.update(func(r *keyring) (bool, error) {
			if e := r.Namespaces[ns]; e != nil && len(e.Keys) > 0 {
				return false, nil // another process made it
			}
			return true, v.addKey(r, ns)
		})
		if err != nil {
			return nil, 0, err
		}
	}
	e := v.ring.Namespaces[ns]
	k := &e.Keys[len(e.Keys)-1]
	dk, err := v.dataKeyLocked(ns, k)
	return dk, k.ID, err
}

// version returns the data key of ns with id.
func (v *Vault) version(ns string, id uint32) (*dataKey, error) {
	v.mu.RLock()
	dk := v.keys[ns][id]
	v.mu.RUnlock()
	if dk != nil {
		return dk, nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for reloaded := false; ; reloaded = true {
		if e := v.ring.Namespaces[ns]; e != nil {
			if k := e.key(id); k != nil {
				return v.dataKeyLocked(ns, k)
			}
			if id != 0 && id < e.NextID {
				return nil, deleted(ns)
			}
		}
		if reloaded {
			return nil, errAuth // an id this vault never gave
		}
		if err := v.reloadLocked(); err != nil {
			return nil, err
		}
	}
}

// dataKeyLocked unwraps k (of ns) and caches it; v.mu is held.
func (v *Vault) dataKeyLocked(ns string, k *wrappedKey) (*dataKey, error) {
	if dk := v.keys[ns][k.ID]; dk != nil {
		return dk, nil
	}
	key, err := unwrap(v.master, ns, k)
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		clear(key)
		return nil, err
	}
	blind, err := hkdf.Key(sha256.New, key, nil, "llmos vault blind v1", KeySize)
	if err != nil {
		clear(key)
		return nil, llmos.Wrap(err, llmos.CodeInternal, "vault: derive the blind key")
	}
	dk := &dataKey{key: key, aead: aead, blind: blind}
	if v.keys[ns] == nil {
		v.keys[ns] = map[uint32]*dataKey{}
	}
	v.keys[ns][k.ID] = dk
	return dk, nil
}

// addKey adds a new data-key version to ns in r, wrapped by the master key.
func (v *Vault) addKey(r *keyring, ns string) error {
	e := r.Namespaces[ns]
	if e == nil {
		e = &nsEntry{NextID: 1}
		r.Namespaces[ns] = e
	}
	if e.NextID == 0 {
		e.NextID = 1
	}
	if e.NextID == ^uint32(0) {
		return llmos.Errorf(llmos.CodeConflict, "namespace %s has used every key id", ns)
	}
	key := make([]byte, KeySize)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return llmos.Wrap(err, llmos.CodeInternal, "vault: random key")
	}
	w, err := seal(v.master, key, wrapAD(ns, e.NextID))
	if err != nil {
		return err
	}
	e.Keys = append(e.Keys, wrappedKey{ID: e.NextID, Wrapped: w, Created: time.Now().UTC()})
	e.NextID++
	e.Shredded = time.Time{}
	return nil
}

// RotateData adds a new data-key version to ns: new values are sealed under
// it, older values still open under theirs.
func (v *Vault) RotateData(ns string) error {
	if err := checkNS(ns); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.update(func(r *keyring) (bool, error) {
		if e := r.Namespaces[ns]; e == nil || len(e.Keys) == 0 {
			return false, llmos.Errorf(llmos.CodeNotFound, "namespace %s has no key in the vault", ns)
		}
		return true, v.addKey(r, ns)
	})
}

// Shred deletes every data key of ns, in the keyring and in memory: the
// values sealed in ns can never be opened again (Open returns CodeNotFound).
// Other processes notice within the refresh interval. Shredding a namespace
// already shredded does nothing; one the vault never knew is CodeNotFound.
// A later Seal in ns starts a new key.
func (v *Vault) Shred(ns string) error {
	if err := checkNS(ns); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.update(func(r *keyring) (bool, error) {
		e := r.Namespaces[ns]
		if e == nil {
			return false, llmos.Errorf(llmos.CodeNotFound, "namespace %s has no key in the vault", ns)
		}
		if len(e.Keys) == 0 {
			return false, nil
		}
		for i := range e.Keys {
			clear(e.Keys[i].Wrapped)
		}
		e.Keys, e.Shredded = nil, time.Now().UTC()
		return true, nil
	})
}

// Rotate puts the vault under the master key of newSrc: every data key is
// re-wrapped and a new check value written, in one atomic replacement of the
// keyring, so the old master key stops opening it and every value sealed
// before still opens. A generated source without a key gets a new one in its
// file ($home/master.key), written beside it first so that a crash leaves a
// key that opens the keyring. Rotating away from the generated key deletes
// the old key file.
func (v *Vault) Rotate(newSrc Source) error {
	if newSrc.Err != nil {
		return newSrc.Err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.locked(func() error {
		r, _, err := v.readChecked()
		if err != nil {
			return err
		}
		master, p, pending, file, err := v.newMaster(newSrc)
		if err != nil {
			return err
		}
		ok := false
		defer func() {
			if !ok {
				clear(master)
				if pending != "" {
					os.Remove(pending)
				}
			}
		}()
		for ns, e := range r.Namespaces {
			for i := range e.Keys {
				k, err := unwrap(v.master, ns, &e.Keys[i])
				if err != nil {
					return err
				}
				w, err := seal(master, k, wrapAD(ns, e.Keys[i].ID))
				clear(k)
				if err != nil {
					return err
				}
				e.Keys[i].Wrapped = w
			}
		}
		stores, _ := r.sealedStores(v.master)
		if r.Check, err = newCheck(master, stores); err != nil {
			return err
		}
		r.Master = masterInfo{Kind: newSrc.Kind, KDF: p, Created: r.Master.Created, Rotated: time.Now().UTC()}
		if err := r.write(v.path); err != nil {
			return err
		}
		ok = true
		oldKind := v.kind
		clear(v.master)
		v.master, v.kind, v.label = master, newSrc.Kind, newSrc.label()
		fi, err := os.Stat(v.path)
		if err != nil {
			return llmos.Wrap(err, llmos.CodeUnavailable, "cannot read the keyring")
		}
		v.adopt(r, fi)
		if pending != "" {
			if err := os.Rename(pending, file); err != nil {
				// Open finds the pending key and finishes the rotation.
				return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("the vault was rotated but its new key is still in %s", pending))
			}
			syncDir(filepath.Dir(file))
		}
		old := filepath.Join(v.home, GeneratedKeyFile)
		if oldKind == KindGenerated && newSrc.Kind != KindGenerated && !samePath(old, newSrc.File) {
			os.Remove(old) // the old key opens nothing any more
			syncDir(v.home)
		}
		return nil
	})
}

// newMaster makes the master key of a rotation. For a new generated key, it
// is written to pending (file.new) before the keyring changes.
func (v *Vault) newMaster(src Source) (master []byte, p *kdf, pending, file string, err error) {
	switch src.Kind {
	case KindEnv, KindFile:
		master, err = keyOf(src)
		return master, nil, "", "", err
	case KindPassphrase:
		if len(src.Passphrase) == 0 {
			return nil, nil, "", "", llmos.Errorf(llmos.CodeInvalid, "the new passphrase is empty")
		}
		if p, err = v.newKDF(); err != nil {
			return nil, nil, "", "", err
		}
		return p.derive(src.Passphrase), p, "", "", nil
	case KindGenerated:
		file = src.File
		if file == "" {
			file = filepath.Join(v.home, GeneratedKeyFile)
		}
		if src.Key != nil {
			master, err = keyOf(Source{Kind: KindEnv, Key: src.Key})
		} else {
			master = make([]byte, KeySize)
			_, err = rand.Read(master)
		}
		if err == nil {
			pending = file + ".new"
			err = writeKeyFile(pending, master)
		}
		if err != nil {
			clear(master)
			return nil, nil, "", "", err
		}
		return master, nil, pending, file, nil
	}
	return nil, nil, "", "", llmos.Errorf(llmos.CodeInvalid, "unknown master-key source %q", src.Kind)
}

func samePath(a, b string) bool {
	if b == "" {
		return false
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// NamespaceInfo describes a namespace's keys, never the keys themselves.
type NamespaceInfo struct {
	Name string `json:"name"`
	// Versions are the live data-key versions, oldest first.
	Versions []KeyVersion `json:"versions"`
	// Created is when the first live version was made (zero if shredded).
	Created time.Time `json:"created,omitzero"`
	// Shredded is when the namespace's keys were deleted, if they were.
	Shredded time.Time `json:"shredded,omitzero"`
}

// KeyVersion is one data-key version.
type KeyVersion struct {
	ID      uint32    `json:"id"`
	Created time.Time `json:"created"`
}

// Namespaces lists the namespaces of the keyring as last read, by name.
func (v *Vault) Namespaces() []NamespaceInfo {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]NamespaceInfo, 0, len(v.ring.Namespaces))
	for ns, e := range v.ring.Namespaces {
		info := NamespaceInfo{Name: ns, Versions: []KeyVersion{}, Shredded: e.Shredded}
		for _, k := range e.Keys {
			info.Versions = append(info.Versions, KeyVersion{ID: k.ID, Created: k.Created})
		}
		if len(e.Keys) > 0 {
			info.Created = e.Keys[0].Created
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// SourceKind is the kind of the source the master key came from: env, file,
// passphrase or generated.
func (v *Vault) SourceKind() string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.kind
}

// KeyringPath is the keyring file: $home/vault/keyring.json.
func (v *Vault) KeyringPath() string { return v.path }

// locked runs fn holding the advisory lock on the keyring, shared by every
// process that opens this home.
func (v *Vault) locked(fn func() error) error {
	f, err := os.OpenFile(v.lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot open the keyring lock %s", v.lockPath))
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot lock the keyring %s", v.lockPath))
	}
	defer unlockFile(f)
	return fn()
}

// update is a read-modify-write of the keyring: under the file lock, it
// reads the file afresh, lets fn change it, and writes it if fn says it
// changed. v.mu is held.
func (v *Vault) update(fn func(r *keyring) (changed bool, err error)) error {
	return v.locked(func() error {
		r, fi, err := v.readChecked()
		if err != nil {
			return err
		}
		changed, err := fn(r)
		if err != nil {
			return err
		}
		if changed {
			if err := r.write(v.path); err != nil {
				return err
			}
			if fi, err = os.Stat(v.path); err != nil {
				return llmos.Wrap(err, llmos.CodeUnavailable, "cannot read the keyring")
			}
		}
		v.adopt(r, fi)
		return nil
	})
}

// readChecked reads the keyring and checks that this vault's master key
// still opens it (another process may have rotated it).
func (v *Vault) readChecked() (*keyring, fs.FileInfo, error) {
	r, fi, err := readKeyring(v.path)
	if err != nil {
		return nil, nil, err
	}
	if r == nil {
		return nil, nil, llmos.Errorf(llmos.CodeNotFound, "the keyring %s is missing: the keys of the vault in %s are gone", v.path, v.home)
	}
	if !r.checks(v.master) {
		return nil, nil, llmos.Errorf(llmos.CodeUnauthenticated, "the master key no longer opens the vault in %s: it was rotated (source: %s); restart with the new key", v.home, v.label)
	}
	return r, fi, nil
}

// reloadLocked reads the keyring again; v.mu is held.
func (v *Vault) reloadLocked() error {
	r, fi, err := v.readChecked()
	if err != nil {
		return err
	}
	v.adopt(r, fi)
	return nil
}

// adopt makes r the vault's keyring and forgets (and clears) the cached keys
// it no longer holds; v.mu is held.
func (v *Vault) adopt(r *keyring, fi fs.FileInfo) {
	for ns, m := range v.keys {
		e := r.Namespaces[ns]
		for id, dk := range m {
			if e == nil || e.key(id) == nil {
				clear(dk.key)
				clear(dk.blind)
				delete(m, id)
			}
		}
		if len(m) == 0 {
			delete(v.keys, ns)
		}
	}
	v.ring, v.stamp = r, fi
}

// maybeRefresh reloads the keyring if another process changed it, looking
// at most once per refresh interval.
func (v *Vault) maybeRefresh() error {
	if v.opts.refresh < 0 {
		return nil
	}
	now := time.Now().UnixNano()
	next := v.nextCheck.Load()
	if now < next || !v.nextCheck.CompareAndSwap(next, now+int64(v.opts.refresh)) {
		return nil
	}
	fi, err := os.Stat(v.path)
	if err != nil {
		return nil // the next read of the keyring says what is wrong
	}
	v.mu.RLock()
	same := sameVersion(v.stamp, fi)
	v.mu.RUnlock()
	if same {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if fi, err := os.Stat(v.path); err == nil && sameVersion(v.stamp, fi) {
		return nil // another goroutine reloaded it
	}
	return v.reloadLocked()
}

// sameVersion reports whether two looks at the keyring saw the same file:
// every write replaces it by a rename.
func sameVersion(a, b fs.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// MarkSealed records, in the keyring's authenticated check value, that the
// store named store (such as "state.db") is sealed. A store that is known to
// be sealed must refuse to adopt plaintext data put in its place by someone
// who can write the home but has no key; see Sealed.
func (v *Vault) MarkSealed(store string) error {
	if store == "" || strings.ContainsAny(store, "\n") {
		return llmos.Errorf(llmos.CodeInvalid, "vault: %q is not a store name", store)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.update(func(r *keyring) (bool, error) {
		stores, _ := r.sealedStores(v.master)
		if slices.Contains(stores, store) {
			return false, nil
		}
		check, err := newCheck(v.master, append(stores, store))
		if err != nil {
			return false, err
		}
		r.Check = check
		return true, nil
	})
}

// Sealed reports whether the keyring records store as sealed.
func (v *Vault) Sealed(store string) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	stores, _ := v.ring.sealedStores(v.master)
	return slices.Contains(stores, store)
}
