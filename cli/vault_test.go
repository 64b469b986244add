package cli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/security/vault"
)

const vaultTestKey = "4c4c4d4f532074657374206b6579206f6620746865207661756c742074657374"

func init() { vaultOptions = []vault.Option{vault.WithArgon2(1, 64, 1)} }

// vaultRun runs llmos vault ARGS in-process with the variables in vars.
func vaultRun(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return mainRun(vars, "", append([]string{"vault"}, args...)...)
}

// vaultHome returns variables with a fresh home and the test key, and a
// vault opened on it with alice's and bob's values sealed.
func vaultHome(t *testing.T) (map[string]string, map[string][]byte) {
	t.Helper()
	vars := map[string]string{"LLMOS_HOME": t.TempDir(), "LLMOS_KEY": vaultTestKey}
	v := openTestVault(t, vars)
	sealed := map[string][]byte{}
	for _, ns := range []string{"alice", "bob", "_system"} {
		s, err := v.Seal(ns, []byte("value of "+ns), nil)
		if err != nil {
			t.Fatal(err)
		}
		sealed[ns] = s
	}
	return vars, sealed
}

func openTestVault(t *testing.T, vars map[string]string) *vault.Vault {
	t.Helper()
	a := &app{env: Env{Stderr: &bytes.Buffer{}, Getenv: func(k string) string { return vars[k] }}}
	v, err := vault.Open(vars["LLMOS_HOME"], vault.SourceFromEnv(a.env.Getenv, vars["LLMOS_HOME"]), vaultOptions...)
	if err != nil {
		t.Fatalf("open the vault: %v", err)
	}
	return v
}

// checkValues opens every value with the vault the variables name.
func checkValues(t *testing.T, vars map[string]string, sealed map[string][]byte) {
	t.Helper()
	v := openTestVault(t, vars)
	for ns, s := range sealed {
		if p, err := v.Open(ns, s, nil); err != nil || string(p) != "value of "+ns {
			t.Errorf("%s: %q %v", ns, p, err)
		}
	}
}

func TestVaultStatus(t *testing.T) {
	vars, _ := vaultHome(t)
	code, out, errs := vaultRun(t, vars, "status", "--json")
	if code != 0 {
		t.Fatalf("status: %d %s", code, errs)
	}
	var st struct {
		Source     string
		Keyring    string
		Namespaces []struct {
			Name     string
			Versions []struct{ ID int }
			Created  string
		}
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if st.Source != "env" || st.Keyring != filepath.Join(vars["LLMOS_HOME"], "vault", "keyring.json") || len(st.Namespaces) != 3 ||
		st.Namespaces[0].Name != "_system" || st.Namespaces[1].Name != "alice" || len(st.Namespaces[1].Versions) != 1 || st.Namespaces[1].Created == "" {
		t.Errorf("status --json: %s", out)
	}
	code, out, _ = vaultRun(t, vars, "status")
	for _, want := range []string{"LLMOS_KEY (env)", "keyring.json", "NAMESPACE", "alice", "active"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("status lacks %q: %s", want, out)
		}
	}
	if strings.Contains(out, vaultTestKey) {
		t.Error("status prints the key")
	}

	bad := map[string]string{"LLMOS_HOME": vars["LLMOS_HOME"], "LLMOS_KEY": strings.Repeat("ab", 32)}
	code, _, errs = vaultRun(t, bad, "status")
	if code != 6 || !strings.Contains(errs, "the master key does not open the vault") || !strings.Contains(errs, "(source: LLMOS_KEY)") {
		t.Errorf("wrong key: %d %s", code, errs)
	}
	bad["LLMOS_KEY"] = "0123456789abcdef"
	code, _, errs = vaultRun(t, bad, "status")
	if code != 2 || !strings.Contains(errs, "LLMOS_KEY must be 32 bytes") || strings.Contains(errs, "0123456789abcdef") {
		t.Errorf("malformed key: %d %s", code, errs)
	}
}

func TestVaultStatusGenerated(t *testing.T) {
	vars := map[string]string{"LLMOS_HOME": t.TempDir()}
	code, out, errs := vaultRun(t, vars, "status")
	if code != 0 || !strings.Contains(out, "(generated)") || !strings.Contains(out, "no namespace has a key yet") || !strings.Contains(out, "--new-key-file") {
		t.Errorf("status on a new home: %d %s %s", code, out, errs)
	}
	if fi, err := os.Stat(filepath.Join(vars["LLMOS_HOME"], "master.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("master.key: %v", err)
	}
}

func TestVaultRotateNewKey(t *testing.T) {
	vars, sealed := vaultHome(t)
	code, out, errs := vaultRun(t, vars, "rotate")
	key := strings.TrimSpace(out)
	if code != 0 || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(key) || !strings.Contains(errs, "ONCE") || !strings.Contains(errs, "LLMOS_KEY") {
		t.Fatalf("rotate: %d %q %s", code, out, errs)
	}
	if code, _, errs := vaultRun(t, vars, "status"); code != 6 {
		t.Errorf("the old key still works: %d %s", code, errs)
	}
	vars["LLMOS_KEY"] = key
	checkValues(t, vars, sealed)

	code, out, errs = vaultRun(t, vars, "rotate", "--json", "--data-keys")
	var res struct {
		NewKey   string   `json:"new_key"`
		DataKeys []string `json:"data_keys_rotated"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.NewKey) != 64 || len(res.DataKeys) != 3 {
		t.Fatalf("rotate --json --data-keys: %d %s %s", code, out, errs)
	}
	vars["LLMOS_KEY"] = res.NewKey
	checkValues(t, vars, sealed)
	for _, n := range openTestVault(t, vars).Namespaces() {
		if len(n.Versions) != 2 {
			t.Errorf("%s: %d key versions", n.Name, len(n.Versions))
		}
	}
}

func TestVaultRotateKeyFile(t *testing.T) {
	vars, sealed := vaultHome(t)
	file := filepath.Join(t.TempDir(), "llmos.key")
	newKey := strings.Repeat("5a", 32)
	os.WriteFile(file, []byte(newKey+"\n"), 0o600)
	code, out, errs := vaultRun(t, vars, "rotate", "--new-key-file", file)
	if code != 0 || !strings.Contains(out, "LLMOS_KEY_FILE="+file) || strings.Contains(out+errs, newKey) {
		t.Fatalf("rotate --new-key-file: %d %s %s", code, out, errs)
	}
	delete(vars, "LLMOS_KEY")
	vars["LLMOS_KEY_FILE"] = file
	checkValues(t, vars, sealed)
	if code, _, errs := vaultRun(t, vars, "rotate", "--new-key-file", file, "--new-passphrase"); code != 2 || !strings.Contains(errs, "choose one") {
		t.Errorf("both flags: %d %s", code, errs)
	}
	if code, _, errs := vaultRun(t, vars, "rotate", "--new-key-file", filepath.Join(t.TempDir(), "none")); code != 2 || !strings.Contains(errs, "does not exist") {
		t.Errorf("missing file: %d %s", code, errs)
	}
}

func TestVaultRotatePassphrase(t *testing.T) {
	vars, sealed := vaultHome(t)
	if code, _, errs := vaultRun(t, vars, "rotate", "--new-passphrase"); code != 2 || !strings.Contains(errs, "LLMOS_NEW_PASSPHRASE") {
		t.Errorf("no passphrase and no terminal: %d %s", code, errs)
	}
	vars["LLMOS_NEW_PASSPHRASE"] = "short"
	if code, _, errs := vaultRun(t, vars, "rotate", "--new-passphrase"); code != 2 || !strings.Contains(errs, "too short") {
		t.Errorf("short passphrase: %d %s", code, errs)
	}
	vars["LLMOS_NEW_PASSPHRASE"] = "otter quilt marble sunrise"
	code, out, errs := vaultRun(t, vars, "rotate", "--new-passphrase")
	if code != 0 || !strings.Contains(out, "LLMOS_PASSPHRASE") || strings.Contains(out+errs, "otter") {
		t.Fatalf("rotate --new-passphrase: %d %s %s", code, out, errs)
	}
	vars = map[string]string{"LLMOS_HOME": vars["LLMOS_HOME"], "LLMOS_PASSPHRASE": "otter quilt marble sunrise"}
	checkValues(t, vars, sealed)
	vars["LLMOS_PASSPHRASE"] = "otter quilt marble sunset"
	if code, _, errs := vaultRun(t, vars, "status"); code != 6 || !strings.Contains(errs, "LLMOS_PASSPHRASE") {
		t.Errorf("wrong passphrase: %d %s", code, errs)
	}
}

func TestVaultRotateGenerated(t *testing.T) {
	vars := map[string]string{"LLMOS_HOME": t.TempDir()}
	v := openTestVault(t, vars)
	s, _ := v.Seal("alice", []byte("value of alice"), nil)
	file := filepath.Join(vars["LLMOS_HOME"], "master.key")
	before, _ := os.ReadFile(file)
	code, out, errs := vaultRun(t, vars, "rotate")
	after, _ := os.ReadFile(file)
	if code != 0 || !strings.Contains(out, "written to "+file) || bytes.Equal(before, after) || strings.Contains(out+errs, strings.TrimSpace(string(after))) {
		t.Fatalf("rotate of a generated key: %d %s %s", code, out, errs)
	}
	checkValues(t, vars, map[string][]byte{"alice": s})
	k, _ := hex.DecodeString(strings.TrimSpace(string(before)))
	if _, err := vault.Open(vars["LLMOS_HOME"], vault.Source{Kind: vault.KindEnv, Key: k}); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
		t.Errorf("the old generated key still opens the vault: %v", err)
	}
}

func TestVaultShred(t *testing.T) {
	vars, sealed := vaultHome(t)
	code, _, errs := vaultRun(t, vars, "shred", "alice")
	if code != 2 || !strings.Contains(errs, "irreversible") || !strings.Contains(errs, "--yes") {
		t.Fatalf("shred without --yes: %d %s", code, errs)
	}
	checkValues(t, vars, sealed)
	if code, _, errs := vaultRun(t, vars, "shred", "_system", "--yes"); code != 2 || !strings.Contains(errs, "system namespace") {
		t.Errorf("shred _system: %d %s", code, errs)
	}
	if code, _, errs := vaultRun(t, vars, "shred", "nobody", "--yes"); code != 3 {
		t.Errorf("shred of an unknown namespace: %d %s", code, errs)
	}
	code, out, errs := vaultRun(t, vars, "shred", "alice", "--yes", "--json")
	if code != 0 || !strings.Contains(out, `"shredded": true`) {
		t.Fatalf("shred --yes: %d %s %s", code, out, errs)
	}
	v := openTestVault(t, vars)
	if _, err := v.Open("alice", sealed["alice"], nil); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("alice's value after shred: %v", err)
	}
	delete(sealed, "alice")
	checkValues(t, vars, sealed)
	code, out, _ = vaultRun(t, vars, "status")
	if code != 0 || !strings.Contains(out, "shredded") {
		t.Errorf("status after shred: %s", out)
	}
}
