//go:build unix

package audit

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/llmos/llmos"
)

// TestAppendWaitsForTheLock: a writer holding the lock (another process
// mid-append) makes Append wait, and a cancelled context ends the wait.
func TestAppendWaitsForTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	l := openLog(t, path, Options{})
	other, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := lockFile(context.Background(), other, true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := l.Append(ctx, Record{Kind: "syscall"}); llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Fatalf("Append while another holds the lock: %v", err)
	}
	// Verify waits too (for a shared lock) and gives up with the context.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := Verify(ctx2, path, Options{}); llmos.ErrorCode(err) != llmos.CodeCanceled {
		t.Fatalf("Verify while a writer holds the lock: %v", err)
	}
	done := make(chan error)
	go func() {
		_, err := l.Append(context.Background(), Record{Kind: "syscall"})
		done <- err
	}()
	time.Sleep(30 * time.Millisecond)
	unlockFile(other)
	if err := <-done; err != nil {
		t.Fatalf("Append after the lock was let go: %v", err)
	}
}
