//go:build unix

package audit

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/llmos/llmos"
)

// lockFile takes an advisory flock on f, exclusive for writers and shared for
// Verify, waiting for it until ctx is done. flock locks belong to the open
// file, so two *Log in one process exclude each other as two processes do,
// and the kernel drops the lock of a process that dies.
func lockFile(ctx context.Context, f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	wait := 50 * time.Microsecond
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot lock the log")
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return llmos.Wrap(ctx.Err(), llmos.CodeCanceled, "audit: cancelled while waiting for the log's lock")
		case <-t.C:
		}
		if wait < 5*time.Millisecond {
			wait *= 2
		}
	}
}

func unlockFile(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
