package cli

import (
	"fmt"
	"io"
	"sync"

	"github.com/llmos/llmos/kernel"
)

// status is a live status line on a terminal, showing what a running process
// is doing; when the output is not a terminal it prints nothing, since the
// whole trace is in `llmos logs`.
type status struct {
	mu  sync.Mutex
	w   io.Writer
	tty bool
	on  bool
}

func newStatus(w io.Writer) *status { return &status{w: w, tty: isTerminal(w)} }

func (s *status) set(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tty {
		return
	}
	fmt.Fprintf(s.w, "\r\033[K%s", clip(text, 100))
	s.on = true
}

func (s *status) event(e kernel.Event) {
	switch e.Kind {
	case "model_call":
		s.set(fmt.Sprintf("● pid %d step %d: %s answered in %.0f ms", e.PID, e.Step, e.Model, e.LatencyMS))
	case "syscall":
		s.set(fmt.Sprintf("● pid %d step %d: %s(%s)", e.PID, e.Step, e.Tool, string(e.Args)))
	case "state":
		s.set(fmt.Sprintf("● pid %d: %s", e.PID, e.State))
	}
}

// done clears the line.
func (s *status) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.on {
		fmt.Fprint(s.w, "\r\033[K")
		s.on = false
	}
}
