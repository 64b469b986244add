// Package storetest is the conformance suite of kernel.Store: every backend
// (store/sqlite, store/postgres) runs Run against a fresh, empty store.
package storetest

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
)

// Run checks the store that open returns; each call must return an empty store.
func Run(t *testing.T, open func(t *testing.T) kernel.Store) {
	ctx := context.Background()
	newProc := func(t *testing.T, s kernel.Store, task string) *kernel.Process {
		t.Helper()
		now := time.Now().UTC().Truncate(time.Microsecond)
		p := &kernel.Process{State: kernel.StateRunnable, Model: "offline", Task: task, Caps: []string{"*"},
			Budget: kernel.Budget{MaxSteps: 5}, Created: now, Updated: now}
		msgs := []llmos.Message{{Role: llmos.RoleSystem, Content: "sys"}, {Role: llmos.RoleUser, Content: task}}
		if err := s.CreateProcess(ctx, p, msgs); err != nil {
			t.Fatalf("CreateProcess: %v", err)
		}
		return p
	}

	t.Run("create_and_read", func(t *testing.T) {
		s := open(t)
		p := newProc(t, s, "first")
		q := newProc(t, s, "second")
		if p.PID <= 0 || q.PID <= p.PID {
			t.Fatalf("pids %d, %d: want positive and increasing", p.PID, q.PID)
		}
		got, err := s.Process(ctx, p.PID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Task != "first" || got.State != kernel.StateRunnable || got.Budget.MaxSteps != 5 || !got.Created.Equal(p.Created) {
			t.Errorf("read back %+v, want %+v", got, p)
		}
		all, err := s.Processes(ctx)
		if err != nil || len(all) != 2 || all[0].PID != p.PID || all[1].PID != q.PID {
			t.Errorf("Processes = %v, %v; want both, oldest first", all, err)
		}
		msgs, err := s.Messages(ctx, p.PID)
		if err != nil || len(msgs) != 2 || msgs[1].Content != "first" {
			t.Errorf("Messages = %+v, %v", msgs, err)
		}
	})

	t.Run("not_found", func(t *testing.T) {
		s := open(t)
		if _, err := s.Process(ctx, 999); llmos.ErrorCode(err) != llmos.CodeNotFound {
			t.Errorf("Process(999) error %v, want not_found", err)
		}
		if err := s.SaveProcess(ctx, &kernel.Process{PID: 999, State: kernel.StateDone}); llmos.ErrorCode(err) != llmos.CodeNotFound {
			t.Errorf("SaveProcess(999) error %v, want not_found", err)
		}
		if err := s.RequestKill(ctx, 999); llmos.ErrorCode(err) != llmos.CodeNotFound {
			t.Errorf("RequestKill(999) error %v, want not_found", err)
		}
	})

	t.Run("commit_step", func(t *testing.T) {
		s := open(t)
		p := newProc(t, s, "task")
		p.Steps, p.State = 1, kernel.StateRunning
		p.Usage = llmos.Usage{InputTokens: 10, OutputTokens: 3}
		step := []llmos.Message{
			{Role: llmos.RoleAssistant, ToolCalls: []llmos.ToolCall{{ID: "c1", Name: "calc", Arguments: `{"expression":"1+1"}`}}},
			{Role: llmos.RoleTool, ToolCallID: "c1", Name: "calc", Content: "2", Label: llmos.LabelOf(llmos.SourceTool)},
		}
		if err := s.CommitStep(ctx, p, step); err != nil {
			t.Fatal(err)
		}
		msgs, _ := s.Messages(ctx, p.PID)
		if len(msgs) != 4 || !reflect.DeepEqual(msgs[2:], step) {
			t.Errorf("messages after step: %+v", msgs)
		}
		got, _ := s.Process(ctx, p.PID)
		if got.Steps != 1 || got.Usage != p.Usage || got.State != kernel.StateRunning {
			t.Errorf("process after step: %+v", got)
		}
	})

	t.Run("events", func(t *testing.T) {
		s := open(t)
		p := newProc(t, s, "task")
		q := newProc(t, s, "other")
		for i := range 3 {
			e := &kernel.Event{PID: p.PID, Time: time.Now().UTC(), Kind: "syscall", Step: i, Tool: "calc"}
			if err := s.AppendEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
			if e.Seq != int64(i+1) {
				t.Errorf("event %d got seq %d", i, e.Seq)
			}
		}
		if err := s.AppendEvent(ctx, &kernel.Event{PID: q.PID, Kind: "spawn"}); err != nil {
			t.Fatal(err)
		}
		evs, err := s.Events(ctx, p.PID, 1)
		if err != nil || len(evs) != 2 || evs[0].Seq != 2 || evs[1].Tool != "calc" {
			t.Errorf("Events(after 1) = %+v, %v", evs, err)
		}
	})

	t.Run("kill_and_heartbeat", func(t *testing.T) {
		s := open(t)
		p := newProc(t, s, "task")
		kill, err := s.Heartbeat(ctx, p.PID)
		if err != nil || kill {
			t.Fatalf("Heartbeat = %v, %v; want no kill", kill, err)
		}
		got, _ := s.Process(ctx, p.PID)
		if time.Since(got.Heartbeat) > time.Minute {
			t.Errorf("heartbeat %v not refreshed", got.Heartbeat)
		}
		if err := s.RequestKill(ctx, p.PID); err != nil {
			t.Fatal(err)
		}
		// Saving the process must not clear the request.
		if err := s.SaveProcess(ctx, got); err != nil {
			t.Fatal(err)
		}
		if kill, _ := s.Heartbeat(ctx, p.PID); !kill {
			t.Error("kill request lost")
		}
	})

	t.Run("concurrent_steps", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				p := newProc(t, s, "p")
				for j := range 10 {
					p.Steps = j + 1
					if err := s.CommitStep(ctx, p, []llmos.Message{{Role: llmos.RoleAssistant, Content: "x"}}); err != nil {
						t.Errorf("proc %d step %d: %v", i, j, err)
						return
					}
					s.AppendEvent(ctx, &kernel.Event{PID: p.PID, Kind: "model_call"})
				}
				msgs, _ := s.Messages(ctx, p.PID)
				if len(msgs) != 12 {
					t.Errorf("proc %d has %d messages, want 12", i, len(msgs))
				}
			})
		}
		wg.Wait()
	})
}
