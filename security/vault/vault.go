package vault

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/llmos/llmos"
)

// The sealed format: magic | key id (uint32, big-endian) | nonce | ciphertext+tag.
const (
	magic      = "LV1"
	nonceSize  = 12
	tagSize    = 16
	headerSize = len(magic) + 4 + nonceSize
)

// IsSealed reports whether b starts like a value Seal returned. It does not
// authenticate it: only Open does.
func IsSealed(b []byte) bool { return len(b) >= headerSize+tagSize && string(b[:len(magic)]) == magic }

// Defaults of the argon2id derivation of a passphrase (RFC 9106's second
// recommended option: 64 MiB, 3 passes).
const (
	DefaultArgon2Time    = 3
	DefaultArgon2MemKiB  = 64 * 1024
	DefaultArgon2Threads = 4
)

type options struct {
	time    uint32
	memKiB  uint32
	threads uint8
	refresh time.Duration
}

// Option changes how Open makes a vault.
type Option func(*options)

// WithArgon2 sets the argon2id cost used when a passphrase vault is created or
// rotated to a passphrase (tests lower it). An existing keyring's stored
// parameters always win when it is opened.
func WithArgon2(time, memKiB uint32, threads uint8) Option {
	return func(o *options) { o.time, o.memKiB, o.threads = time, memKiB, threads }
}

// WithRefreshInterval sets how often Seal, Open and Blind look whether another
// process changed the keyring (a shredded namespace, a new data-key version):
// at most once per d (default one second); a negative d never looks (an
// unknown key id still makes Open reload).
func WithRefreshInterval(d time.Duration) Option { return func(o *options) { o.refresh = d } }

// Vault holds the master key and the data keys of the namespaces, and seals
// and opens values with them. It is safe for concurrent use, and several
// processes may open vaults on the same home at once.
type Vault struct {
	home, dir, path, lockPath string
	opts                      options

	nextCheck atomic.Int64 // unix nanoseconds of the next look at the keyring file

	mu     sync.RWMutex
	master []byte
	kind   string // the source kind
	label  string // the source, for messages
	ring   *keyring
	stamp  fs.FileInfo // the keyring file as last read
	keys   map[string]map[uint32]*dataKey
}

// dataKey is an unwrapped data key, ready to use.
type dataKey struct {
	key   []byte
	aead  cipher.AEAD
	blind []byte // the subkey of Blind
}

// Open opens the vault in home ($home/vault/keyring.json), creating it on
// first use with the master key of src. A master key that does not open an
// existing keyring is an *llmos.Error with CodeUnauthenticated.
func Open(home string, src Source, opts ...Option) (*Vault, error) {
	if src.Err != nil {
		return nil, src.Err
	}
	if home == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "the vault needs a home folder: set LLMOS_HOME")
	}
	o := options{time: DefaultArgon2Time, memKiB: DefaultArgon2MemKiB, threads: DefaultArgon2Threads, refresh: time.Second}
	for _, f := range opts {
		f(&o)
	}
	dir := filepath.Join(home, "vault")
	v := &Vault{home: home, dir: dir, path: filepath.Join(dir, "keyring.json"), lockPath: filepath.Join(dir, "keyring.lock"),
		opts: o, keys: map[string]map[uint32]*dataKey{}}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot create the vault folder %s", dir))
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot restrict the vault folder %s", dir))
	}
	err := v.locked(func() error {
		r, fi, err := readKeyring(v.path)
		if err != nil {
			return err
		}
		master, p, err := v.masterFor(r, src)
		if err != nil {
			return err
		}
		if r == nil {
			r, err = v.create(master, src.Kind, p)
			if err != nil {
				clear(master)
				return err
			}
			if fi, err = os.Stat(v.path); err != nil {
				clear(master)
				return llmos.Wrap(err, llmos.CodeUnavailable, "cannot read the keyring")
			}
		}
		v.master, v.kind, v.label = master, src.Kind, src.label()
		v.adopt(r, fi)
		return nil
	})
	if err != nil {
		return nil, err
	}
	v.nextCheck.Store(time.Now().Add(o.refresh).UnixNano())
	return v, nil
}

// masterFor returns the master key of src for the keyring r (nil: none yet),
// checked against r's check value.
func (v *Vault) masterFor(r *keyring, src Source) (master []byte, p *kdf, err error) {
	if r != nil {
		switch {
		case r.Master.Kind == KindPassphrase && src.Kind != KindPassphrase:
			return nil, nil, llmos.Errorf(llmos.CodeUnauthenticated, "the vault in %s is locked with a passphrase: set LLMOS_PASSPHRASE (source: %s)", v.home, src.label())
		case r.Master.Kind != KindPassphrase && src.Kind == KindPassphrase:
			return nil, nil, llmos.Errorf(llmos.CodeUnauthenticated, "the vault in %s is locked with a key, not a passphrase: set LLMOS_KEY or LLMOS_KEY_FILE (source: LLMOS_PASSPHRASE)", v.home)
		}
	}
	switch src.Kind {
	case KindEnv, KindFile:
		if master, err = keyOf(src); err != nil {
			return nil, nil, err
		}
	case KindPassphrase:
		if r != nil {
			p = r.Master.KDF
			if err := p.valid(); err != nil {
				return nil, nil, llmos.Errorf(llmos.CodeInvalid, "the keyring %s is damaged: %v", v.path, err)
			}
		} else if p, err = v.newKDF(); err != nil {
			return nil, nil, err
		}
		master = p.derive(src.Passphrase)
	case KindGenerated:
		master, err = v.generatedMaster(r, src)
		return master, nil, err
	default:
		return nil, nil, llmos.Errorf(llmos.CodeInvalid, "unknown master-key source %q", src.Kind)
	}
	if r != nil && !r.checks(master) {
		clear(master)
		return nil, nil, v.wrongKey(src)
	}
	return master, p, nil
}

func (v *Vault) wrongKey(src Source) error {
	return llmos.Errorf(llmos.CodeUnauthenticated, "the master key does not open the vault in %s (source: %s)", v.home, src.label())
}

// keyOf returns a copy of the key of an env or file source, reading the file
// if the source holds no key.
func keyOf(src Source) ([]byte, error) {
	if src.Key == nil && src.File != "" {
		k, _, err := ReadKeyFile(src.File)
		return k, err
	}
	if len(src.Key) != KeySize {
		return nil, llmos.Errorf(llmos.CodeInvalid, "the master key must be 32 bytes (got %d bytes)", len(src.Key))
	}
	return bytes.Clone(src.Key), nil
}

// generatedMaster reads (or, for a new vault, creates) the generated key
// file. It finishes a rotation cut short: if the key file does not open the
// keyring but the new one written beside it (file.new) does, that one takes
// its place.
func (v *Vault) generatedMaster(r *keyring, src Source) ([]byte, error) {
	file := src.File
	if file == "" {
		file = filepath.Join(v.home, GeneratedKeyFile)
		src.File = file
	}
	if src.Key != nil {
		k, err := keyOf(Source{Kind: KindEnv, Key: src.Key})
		if err == nil && r != nil && !r.checks(k) {
			clear(k)
			return nil, v.wrongKey(src)
		}
		return k, err
	}
	pending := file + ".new"
	if !exists(file) {
		if r == nil {
			k := make([]byte, KeySize)
			rand.Read(k)
			if err := writeKeyFile(file, k); err != nil {
				clear(k)
				return nil, err
			}
			return k, nil
		}
		if k := v.finishRotation(r, pending, file); k != nil {
			return k, nil
		}
		if r.Master.Kind == KindGenerated {
			return nil, llmos.Errorf(llmos.CodeUnauthenticated, "the key file %s is missing: the vault in %s cannot be opened without it", file, v.home)
		}
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "the vault in %s is locked with a key: set LLMOS_KEY or LLMOS_KEY_FILE", v.home)
	}
	k, _, err := ReadKeyFile(file)
	if err != nil {
		return nil, err
	}
	if r == nil || r.checks(k) {
		os.Remove(pending) // a rotation that failed before the keyring changed
		return k, nil
	}
	clear(k)
	if k := v.finishRotation(r, pending, file); k != nil {
		return k, nil
	}
	return nil, v.wrongKey(src)
}

// finishRotation returns the key in pending and moves it to file if it opens
// r, or nil.
func (v *Vault) finishRotation(r *keyring, pending, file string) []byte {
	k, _, err := ReadKeyFile(pending)
	if err != nil {
		return nil
	}
	if !r.checks(k) || os.Rename(pending, file) != nil {
		clear(k)
		return nil
	}
	syncDir(filepath.Dir(file))
	return k
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writeKeyFile writes key as 64 hex characters to path (0600), atomically.
func writeKeyFile(path string, key []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, fmt.Sprintf("cannot write the key file %s", path))
	}
	b := make([]byte, 2*KeySize+1)
	hex.Encode(b, key)
	b[len(b)-1] = '\n'
	defer clear(b)
	return writeFileAtomic(path, b)
}

func (v *Vault) newKDF() (*kdf, error) {
	p := &kdf{Name: "argon2id", Salt: make([]byte, 16), Time: v.opts.time, MemKiB: v.opts.memKiB, Threads: v.opts.threads, KeyLen: KeySize}
	if err := p.valid(); err != nil {
		return nil, llmos.Errorf(llmos.CodeInvalid, "vault: %v", err)
	}
	rand.Read(p.Salt)
	return p, nil
}

func (p *kdf) valid() error {
	switch {
	case p == nil:
		return errors.New("no key derivation for the passphrase")
	case p.Name != "argon2id":
		return fmt.Errorf("unknown key derivation %q", p.Name)
	case len(p.Salt) < 16:
		return errors.New("the passphrase salt is too short")
	case p.Time < 1 || p.Time > 100:
		return fmt.Errorf("argon2id time %d is out of range 1-100", p.Time)
	case p.Threads < 1:
		return errors.New("argon2id needs at least one thread")
	case p.MemKiB < 8*uint32(p.Threads) || p.MemKiB > 4<<20:
		return fmt.Errorf("argon2id memory %d KiB is out of range", p.MemKiB)
	case p.KeyLen != KeySize:
		return fmt.Errorf("argon2id key length %d is not %d", p.KeyLen, KeySize)
	}
	return nil
}

func (p *kdf) derive(passphrase []byte) []byte {
	return argon2.IDKey(passphrase, p.Salt, p.Time, p.MemKiB, p.Threads, p.KeyLen)
}

// create writes a new keyring for master, of the source kind, derived
// with p for a passphrase.
func (v *Vault) create(master []byte, kind string, p *kdf) (*keyring, error) {
	r := &keyring{Version: formatVersion, Master: masterInfo{Kind: kind, KDF: p, Created: time.Now().UTC()}, Namespaces: map[string]*nsEntry{}}
	check, err := seal(master, checkPlain, []byte(checkAD))
	if err != nil {
		return nil, err
	}
	r.Check = check
	return r, r.write(v.path)
}
