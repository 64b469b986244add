package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmos/llmos"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestSourceFromEnv(t *testing.T) {
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = byte(i * 7)
	}
	home := t.TempDir()
	for _, tc := range []struct {
		name, value string
	}{
		{"hex", hex.EncodeToString(key)},
		{"HEX with spaces", "  " + strings.ToUpper(hex.EncodeToString(key)) + "\n"},
		{"base64", base64.StdEncoding.EncodeToString(key)},
		{"base64url", base64.URLEncoding.EncodeToString(key)},
		{"base64 raw", base64.RawStdEncoding.EncodeToString(key)},
		{"base64url raw", base64.RawURLEncoding.EncodeToString(key)},
	} {
		src := SourceFromEnv(envOf(map[string]string{"LLMOS_KEY": tc.value}), home)
		if src.Err != nil || src.Kind != KindEnv || !bytes.Equal(src.Key, key) {
			t.Errorf("%s: %+v", tc.name, src)
		}
	}
	for _, bad := range []string{"abc", hex.EncodeToString(key[:31]), base64.StdEncoding.EncodeToString(append(key, 1)), "not a key at all, not at all!", strings.Repeat("z", 64)} {
		src := SourceFromEnv(envOf(map[string]string{"LLMOS_KEY": bad}), home)
		if llmos.ErrorCode(src.Err) != llmos.CodeInvalid {
			t.Fatalf("%q: %v", bad, src.Err)
		}
		msg := src.Err.Error()
		if !strings.Contains(msg, "LLMOS_KEY must be 32 bytes as 64 hex characters or base64 (got ") || strings.Contains(msg, bad) {
			t.Errorf("%q: message %q", bad, msg)
		}
		if _, err := Open(home, src); err != src.Err {
			t.Errorf("Open does not return the source's error: %v", err)
		}
	}
	if src := SourceFromEnv(envOf(map[string]string{"LLMOS_KEY": hex.EncodeToString(key[:31])}), home); !strings.Contains(src.Err.Error(), "got 31 bytes") {
		t.Errorf("31 bytes: %v", src.Err)
	}

	dir := t.TempDir()
	files := map[string][]byte{
		"hex":    []byte(hex.EncodeToString(key) + "\n"),
		"base64": []byte(base64.StdEncoding.EncodeToString(key)),
		"raw":    key,
	}
	for name, content := range files {
		f := filepath.Join(dir, name)
		os.WriteFile(f, content, 0o600)
		src := SourceFromEnv(envOf(map[string]string{"LLMOS_KEY_FILE": f}), home)
		if src.Err != nil || src.Kind != KindFile || src.File != f || !bytes.Equal(src.Key, key) || src.Note != "" {
			t.Errorf("key file %s: %+v", name, src)
		}
	}
	open := filepath.Join(dir, "open")
	os.WriteFile(open, files["hex"], 0o644)
	os.Chmod(open, 0o644)
	if src := SourceFromEnv(envOf(map[string]string{"LLMOS_KEY_FILE": open}), home); src.Err != nil || !strings.Contains(src.Note, "chmod 600") {
		t.Errorf("a world-readable key file gives no warning: %+v", src)
	}
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("0123"), 0o600)
	if src := SourceFromEnv(envOf(map[string]string{"LLMOS_KEY_FILE": short}), home); llmos.ErrorCode(src.Err) != llmos.CodeInvalid || strings.Contains(src.Err.Error(), "0123") {
		t.Errorf("short key file: %v", src.Err)
	}
	if src := SourceFromEnv(envOf(map[string]string{"LLMOS_KEY_FILE": filepath.Join(dir, "missing")}), home); llmos.ErrorCode(src.Err) != llmos.CodeInvalid {
		t.Errorf("missing key file: %v", src.Err)
	}

	src := SourceFromEnv(envOf(map[string]string{"LLMOS_PASSPHRASE": "correct horse"}), home)
	if src.Kind != KindPassphrase || string(src.Passphrase) != "correct horse" || src.Err != nil {
		t.Errorf("passphrase: %+v", src)
	}
	src = SourceFromEnv(envOf(nil), home)
	if src.Kind != KindGenerated || src.File != filepath.Join(home, "master.key") || src.Err != nil {
		t.Errorf("none: %+v", src)
	}
	src = SourceFromEnv(envOf(map[string]string{"LLMOS_KEY": hex.EncodeToString(key), "LLMOS_PASSPHRASE": "x", "LLMOS_KEY_FILE": open}), home)
	if src.Kind != KindEnv || !strings.Contains(src.Note, "LLMOS_KEY_FILE and LLMOS_PASSPHRASE ignored") {
		t.Errorf("precedence: %+v", src)
	}
	if strings.Contains(src.Note, hex.EncodeToString(key)) {
		t.Error("the note holds the key")
	}
}
