//go:build !unix

package audit

import (
	"context"
	"os"
)

// lockFile does nothing on systems without flock: there, two processes that
// append to the same log at once may interleave their chains (Verify shows
// it); the *Log of one process still serialises its own appends.
func lockFile(ctx context.Context, f *os.File, exclusive bool) error { return ctx.Err() }

func unlockFile(f *os.File) {}
