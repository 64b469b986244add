//go:build unix

package vault

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, waiting for it; other
// llmos processes sharing the keyring take the same lock before they change it.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
