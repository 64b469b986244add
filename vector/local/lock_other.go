//go:build !unix

package local

import (
	"os"

	"github.com/llmos/llmos"
)

// lockDir creates the lock file; on systems without flock it does not keep
// a second process out.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot create the lock file of the index")
	}
	return f, nil
}

func unlockDir(f *os.File) { f.Close() }
