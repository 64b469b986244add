package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmos/llmos/internal/leaktest"
)

// copyFixture copies the index in testdata/name to a new directory.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{logName, snapName} {
		b, err := os.ReadFile(filepath.Join("testdata", name, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testdata/plain-v1 is an index written before encryption existed (items 0
// to 19, items 5 to 7 replaced, item 3 deleted, closed with a snapshot):
// it opens unchanged, from its snapshot, and is encrypted when opened with
// a cipher.
func TestPlainV1Index(t *testing.T) {
	dir := copyFixture(t, "plain-v1")
	logger, buf := logs()
	x := open(t, dir, Options{Logger: logger})
	if n, _ := x.Len(context.Background()); n != 19 {
		t.Errorf("Len = %d, want 19", n)
	}
	checkItems(t, x, 0, 3)
	checkItems(t, x, 4, 20)
	if strings.Contains(buf.String(), "level=WARN") || strings.Contains(buf.String(), "rebuil") {
		t.Errorf("the snapshot was not loaded as it is: %s", buf)
	}
	x.Close()

	x = open(t, dir, Options{Cipher: leaktest.NewCipher(testSecret)})
	checkItems(t, x, 0, 3)
	checkItems(t, x, 4, 20)
	x.Close()
	leaktest.AssertAbsent(t, dir, " note ")
}
