package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmos/llmos"
)

// The kinds of master-key source.
const (
	KindEnv        = "env"        // LLMOS_KEY
	KindFile       = "file"       // LLMOS_KEY_FILE
	KindPassphrase = "passphrase" // LLMOS_PASSPHRASE, through argon2id
	KindGenerated  = "generated"  // $LLMOS_HOME/master.key, created on first use
)

// KeySize is the size of every key of the vault: AES-256.
const KeySize = 32

// GeneratedKeyFile is the name, under $LLMOS_HOME, of the key file made when
// no key, key file or passphrase is configured.
const GeneratedKeyFile = "master.key"

// Source says where the master key comes from. SourceFromEnv fills it from the
// environment; Open and Rotate read it.
type Source struct {
	// Kind is KindEnv, KindFile, KindPassphrase or KindGenerated.
	Kind string
	// Key is the 32-byte master key (env and file kinds; for the generated
	// kind, a key to write to File, or nil to read File or create it).
	Key []byte
	// File is the key file (file and generated kinds).
	File string
	// Passphrase is the passphrase of the passphrase kind.
	Passphrase []byte
	// Note is a warning for the user (a key file others can read, a variable
	// that was ignored), or "". It never holds key material.
	Note string
	// Err is why the source is unusable (a malformed LLMOS_KEY, an unreadable
	// key file); Open returns it.
	Err error
}

// label names the source in messages, without its secret.
func (s Source) label() string {
	switch s.Kind {
	case KindEnv:
		return "LLMOS_KEY"
	case KindFile:
		if s.File == "" {
			return "LLMOS_KEY_FILE"
		}
		return "LLMOS_KEY_FILE " + s.File
	case KindPassphrase:
		return "LLMOS_PASSPHRASE"
	case KindGenerated:
		return "the generated key file " + s.File
	}
	return s.Kind
}

// SourceFromEnv picks the master-key source: LLMOS_KEY, else LLMOS_KEY_FILE,
// else LLMOS_PASSPHRASE, else the generated key file $home/master.key (made
// by Open on first use). A malformed key is reported in Source.Err (Open
// returns it), never echoed; warnings go to Source.Note.
func SourceFromEnv(getenv func(string) string, home string) Source {
	var ignored []string
	set := func(name string) bool { return strings.TrimSpace(getenv(name)) != "" }
	var src Source
	switch {
	case set("LLMOS_KEY"):
		src.Kind = KindEnv
		src.Key, src.Err = parseKey("LLMOS_KEY", []byte(getenv("LLMOS_KEY")))
		for _, n := range []string{"LLMOS_KEY_FILE", "LLMOS_PASSPHRASE"} {
			if set(n) {
				ignored = append(ignored, n)
			}
		}
	case set("LLMOS_KEY_FILE"):
		src.Kind = KindFile
		src.File = getenv("LLMOS_KEY_FILE")
		src.Key, src.Note, src.Err = ReadKeyFile(src.File)
		if set("LLMOS_PASSPHRASE") {
			ignored = append(ignored, "LLMOS_PASSPHRASE")
		}
	case getenv("LLMOS_PASSPHRASE") != "":
		src.Kind = KindPassphrase
		src.Passphrase = []byte(getenv("LLMOS_PASSPHRASE"))
	default:
		src.Kind = KindGenerated
		src.File = filepath.Join(home, GeneratedKeyFile)
	}
	if len(ignored) > 0 {
		note := fmt.Sprintf("%s ignored: the master key comes from %s", strings.Join(ignored, " and "), src.label())
		if src.Note != "" {
			note = src.Note + "; " + note
		}
		src.Note = note
	}
	return src
}

// ParseKey reads a 32-byte key written as 64 hex characters or as standard
// or URL base64 (padded or not). The error never holds the text.
func ParseKey(text []byte) ([]byte, error) { return parseKey("the key", text) }

func parseKey(name string, text []byte) ([]byte, error) {
	t := bytes.TrimSpace(text)
	got := len(t)
	k := make([]byte, len(t)/2)
	if _, err := hex.Decode(k, t); err == nil {
		if len(k) == KeySize {
			return k, nil
		}
		clear(k)
		return nil, llmos.Errorf(llmos.CodeInvalid, "%s must be 32 bytes as 64 hex characters or base64 (got %d bytes)", name, len(k))
	}
	clear(k)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		k := make([]byte, enc.DecodedLen(len(t)))
		n, err := enc.Decode(k, t)
		if err != nil {
			clear(k)
			continue
		}
		if n == KeySize {
			return k[:n], nil
		}
		clear(k)
		got = n
		break
	}
	return nil, llmos.Errorf(llmos.CodeInvalid, "%s must be 32 bytes as 64 hex characters or base64 (got %d bytes)", name, got)
}

// ReadKeyFile reads a master key from a file holding 64 hex characters,
// base64, or exactly 32 raw bytes. note warns when the file can be read by
// its group or by others.
func ReadKeyFile(path string) (key []byte, note string, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", llmos.Errorf(llmos.CodeInvalid, "the key file %s does not exist", path)
		}
		return nil, "", llmos.Wrap(err, llmos.CodeInvalid, fmt.Sprintf("cannot read the key file %s", path))
	}
	if !fi.Mode().IsRegular() {
		return nil, "", llmos.Errorf(llmos.CodeInvalid, "the key file %s is not a regular file", path)
	}
	if fi.Size() > 4096 {
		return nil, "", llmos.Errorf(llmos.CodeInvalid, "the key file %s must hold 32 bytes as 64 hex characters, base64 or raw bytes (got %d bytes)", path, fi.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", llmos.Wrap(err, llmos.CodeInvalid, fmt.Sprintf("cannot read the key file %s", path))
	}
	defer clear(b)
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		note = fmt.Sprintf("the key file %s can be read by other users (mode %04o): run chmod 600 %s", path, perm, path)
	}
	if len(b) == KeySize {
		return bytes.Clone(b), note, nil
	}
	key, err = parseKey("the key file "+path, b)
	return key, note, err
}
