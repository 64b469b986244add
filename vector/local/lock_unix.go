//go:build unix

package local

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/llmos/llmos"
)

// lockDir takes an exclusive flock on path, so that two processes (or two
// Opens in one process) never append to the same log. The kernel drops the
// lock when the process dies, so a crash leaves nothing to clean up.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot create the lock file of the index")
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, llmos.Errorf(llmos.CodeConflict, "vector: the index in %s is open elsewhere", filepath.Dir(path))
		}
		return nil, llmos.Wrap(err, llmos.CodeUnavailable, "vector: cannot lock the index")
	}
	return f, nil
}

func unlockDir(f *os.File) {
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	f.Close()
}
