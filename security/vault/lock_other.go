//go:build !unix

package vault

import "os"

// lockFile does nothing where flock does not exist: processes sharing a
// keyring there are not serialised (the in-process mutex still is).
func lockFile(f *os.File) error { return nil }

func unlockFile(f *os.File) error { return nil }
