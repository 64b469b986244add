package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/store/sqlite"
	"github.com/llmos/llmos/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) kernel.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// TestReopen checks that state survives closing and reopening the file, as it
// must between two runs of the llmos command.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	p := &kernel.Process{State: kernel.StateDone, Model: "offline", Task: "keep me"}
	if err := db.CreateProcess(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Process(ctx, p.PID)
	if err != nil || got.Task != "keep me" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
}
