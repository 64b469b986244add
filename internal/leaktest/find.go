package leaktest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// minBase64 is the shortest base64 form Encodings gives: a shorter one would
// turn up in files that never held the secret.
const minBase64 = 4

// Encodings returns the forms in which each of secrets could sit in a file,
// named `"secret" as encoding`: UTF-8 (utf8), UTF-16 in both byte orders
// (utf16le, utf16be), hex in both cases (hex, HEX), and standard and URL
// base64 after 0, 1 or 2 other bytes (base64@0..2, base64url@0..2). A base64
// form is the part of the encoding that depends on the secret only, so it is
// found whatever bytes stand around the secret, with or without padding; a
// secret under 4 bytes has fewer of them.
func Encodings(secrets ...string) map[string][]byte {
	out := map[string][]byte{}
	for _, secret := range secrets {
		name := func(enc string) string { return strconv.Quote(secret) + " as " + enc }
		b := []byte(secret)
		out[name("utf8")] = b
		u := utf16.Encode([]rune(secret))
		le, be := make([]byte, 2*len(u)), make([]byte, 2*len(u))
		for i, r := range u {
			binary.LittleEndian.PutUint16(le[2*i:], r)
			binary.BigEndian.PutUint16(be[2*i:], r)
		}
		out[name("utf16le")], out[name("utf16be")] = le, be
		out[name("hex")] = []byte(hex.EncodeToString(b))
		out[name("HEX")] = []byte(strings.ToUpper(hex.EncodeToString(b)))
		for p := range 3 {
			// Character j holds bits 6j to 6j+6 of the bytes: it depends on
			// the secret only if they all fall within it.
			from, to := (4*p+2)/3, 4*(p+len(b))/3
			if to-from < minBase64 {
				continue
			}
			for enc, e := range map[string]*base64.Encoding{"base64": base64.StdEncoding, "base64url": base64.URLEncoding} {
				s := e.EncodeToString(append(make([]byte, p), b...))
				out[name(fmt.Sprintf("%s@%d", enc, p))] = []byte(s[from:to])
			}
		}
	}
	return out
}

// Find looks for each needle (name -> bytes) in every regular file under dir,
// SQLite's -wal and -shm files and any other included, and returns "file
// holds name" for each hit, the file relative to dir, in order of file then
// name. A file removed during the search is passed over. An empty needle is
// an error: it would be found everywhere.
func Find(dir string, needles map[string][]byte) ([]string, error) {
	found, _, err := find(dir, needles)
	return found, err
}

// Files returns the regular files under dir that Find searches, relative to
// dir, in lexical order.
func Files(dir string) ([]string, error) {
	_, files, err := find(dir, nil)
	return files, err
}

// AssertAbsent fails t if a file under dir holds one of secrets in one of
// its Encodings, naming each file and encoding, and stops t if dir holds no
// file at all (the search would prove nothing) or cannot be searched.
func AssertAbsent(t testing.TB, dir string, secrets ...string) {
	t.Helper()
	if len(secrets) == 0 {
		t.Fatalf("leaktest.AssertAbsent: no secret to look for")
	}
	found, files, err := find(dir, Encodings(secrets...))
	if err != nil {
		t.Fatalf("leaktest: searching %s: %v", dir, err)
	}
	if len(files) == 0 {
		t.Fatalf("leaktest: there is no file under %s: the search for a secret looked at nothing", dir)
	}
	if len(found) > 0 {
		t.Errorf("a secret is in the files under %s (%s):\n\t%s", dir, strings.Join(files, ", "), strings.Join(found, "\n\t"))
	}
}

// find is Find that also returns the files it searched.
func find(dir string, needles map[string][]byte) (found, files []string, err error) {
	names := slices.Sorted(maps.Keys(needles))
	for _, name := range names {
		if len(needles[name]) == 0 {
			return nil, nil, fmt.Errorf("the needle %s is empty", name)
		}
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path != dir && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		files = append(files, rel)
		for _, name := range names {
			if bytes.Contains(b, needles[name]) {
				found = append(found, rel+" holds "+name)
			}
		}
		return nil
	})
	return found, files, err
}
