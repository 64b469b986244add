package cli_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

const testKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// encodings are the forms in which a secret could sit in a file.
func encodings(secret string) map[string][]byte {
	out := map[string][]byte{"plain": []byte(secret), "hex": []byte(hex.EncodeToString([]byte(secret)))}
	le, be := new(bytes.Buffer), new(bytes.Buffer)
	for _, u := range utf16.Encode([]rune(secret)) {
		le.Write([]byte{byte(u), byte(u >> 8)})
		be.Write([]byte{byte(u >> 8), byte(u)})
	}
	out["utf-16le"], out["utf-16be"] = le.Bytes(), be.Bytes()
	for pad := 0; pad < 3; pad++ {
		// The middle of the base64 of the secret behind pad bytes does not
		// depend on the bytes around it.
		for name, enc := range map[string]*base64.Encoding{"base64": base64.StdEncoding, "base64url": base64.URLEncoding} {
			s := enc.EncodeToString(append(bytes.Repeat([]byte{0}, pad), secret...))
			start := (pad*4 + 2) / 3
			out[name+string(rune('0'+pad))] = []byte(s[start+1 : len(s)-4])
		}
	}
	return out
}

// assertNowhere fails if any file under dir holds secret in any encoding.
func assertNowhere(t *testing.T, dir, secret string) {
	t.Helper()
	forms := encodings(secret)
	files := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files++
		for name, f := range forms {
			if bytes.Contains(data, f) {
				t.Errorf("%s holds the canary (%s)", path, name)
			}
		}
		return nil
	})
	if files < 4 {
		t.Fatalf("only %d files under %s: the test looked at nothing", files, dir)
	}
}

// Through the binary: a canary said to the agent, remembered, recalled and
// stored as memory is in no file under $LLMOS_HOME, in any encoding; it is
// still there for the user with the key, and a wrong key is a clear error.
func TestCanaryEncryptedAtRest(t *testing.T) {
	vars := home(t)
	vars["LLMOS_KEY"] = testKey
	canary := "zebra-quartz-canary-7f3e9a1c"
	r := llmos(t, vars, "", "run", "remember that my locker code is "+canary)
	if r.code != 0 {
		t.Fatalf("remember: %+v", r)
	}
	if r = llmos(t, vars, "", "mem", "add", "the canary of the vault test is "+canary); r.code != 0 {
		t.Fatalf("mem add: %+v", r)
	}
	r = llmos(t, vars, "", "run", "what did I say about my locker code")
	if r.code != 0 || !strings.Contains(r.stdout, canary) {
		t.Fatalf("recall through the monitor: %+v", r)
	}
	if r = llmos(t, vars, "", "mem", "search", "locker code"); r.code != 0 || !strings.Contains(r.stdout, canary) {
		t.Fatalf("mem search: %+v", r)
	}
	if r = llmos(t, vars, "", "logs", "1"); r.code != 0 || !strings.Contains(r.stdout, canary) {
		t.Fatalf("logs: %+v", r)
	}
	assertNowhere(t, vars["LLMOS_HOME"], canary)

	wrong := map[string]string{"LLMOS_HOME": vars["LLMOS_HOME"], "LLMOS_KEY": strings.Repeat("ab", 32)}
	r = llmos(t, wrong, "", "ps")
	if r.code == 0 || strings.Contains(r.stdout+r.stderr, canary) || !strings.Contains(r.stderr, "master key") {
		t.Errorf("a wrong key: %+v", r)
	}
}

// The audit log holds every syscall of a run, and verify finds an edit.
func TestAuditOfARun(t *testing.T) {
	vars := home(t)
	vars["LLMOS_KEY"] = testKey
	if r := llmos(t, vars, "", "run", "what is 12345 * 6789"); r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	r := llmos(t, vars, "", "audit", "tail", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"tool":"calc"`) || !strings.Contains(r.stdout, `"action":"allow"`) {
		t.Fatalf("audit tail: %+v", r)
	}
	if r = llmos(t, vars, "", "audit", "verify"); r.code != 0 {
		t.Fatalf("verify: %+v", r)
	}
	log := filepath.Join(vars["LLMOS_HOME"], "audit.log")
	data, _ := os.ReadFile(log)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	var rec map[string]any
	json.Unmarshal(lines[0], &rec)
	rec["seq"] = 7
	lines[0], _ = json.Marshal(rec)
	os.WriteFile(log, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600)
	if r = llmos(t, vars, "", "audit", "verify"); r.code == 0 || !strings.Contains(r.stdout+r.stderr, "line 1") {
		t.Errorf("verify after an edit: %+v", r)
	}
}

// A policy with an error stops the start and names the line.
func TestBadPolicyStopsTheStart(t *testing.T) {
	vars := home(t)
	vars["LLMOS_KEY"] = testKey
	file := filepath.Join(vars["LLMOS_HOME"], "policy.yaml")
	os.WriteFile(file, []byte("version: 1\nmode: dual\ntools:\n  shell: {effects: maybe}\n"), 0o600)
	r := llmos(t, vars, "", "run", "what is 1+1")
	if r.code != 2 || !strings.Contains(r.stderr, "policy.yaml:4: effects") {
		t.Errorf("run with a bad policy: %+v", r)
	}
	if r = llmos(t, vars, "", "policy", "check"); r.code != 2 || !strings.Contains(r.stderr, "policy.yaml:4") {
		t.Errorf("policy check: %+v", r)
	}
	os.WriteFile(file, []byte("version: 1\nguard:\n  input:\n    injections: block\n"), 0o600)
	if r = llmos(t, vars, "", "policy", "check"); r.code != 2 || !strings.Contains(r.stderr, "policy.yaml:4: the guard has no scanner \"injections\"") {
		t.Errorf("policy check, unknown scanner: %+v", r)
	}
	r = llmos(t, vars, "", "policy", "show")
	if r.code != 0 || !strings.Contains(r.stdout, "mode: dual") {
		t.Errorf("policy show: %+v", r)
	}
}
