package audit

import (
	"errors"
	"os"
	"syscall"
)

// syncData flushes f's data (and its size) to disk, not its times.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
