package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/llmos/llmos"
)

// Limits bound what one sandboxed program may use. A zero field takes the
// sandbox's default (Config.Limits), and then the package's (DefaultLimits).
type Limits struct {
	// CPU is the processor time of each process (RLIMIT_CPU), rounded up to
	// whole seconds; a process past it is killed by SIGXCPU.
	CPU time.Duration
	// Wall is how long the program may run, by the clock; the whole tree is
	// killed at once when it is past.
	Wall time.Duration
	// MemoryBytes is the address space of each process (RLIMIT_AS): an
	// allocation past it fails (Python raises MemoryError).
	MemoryBytes int64
	// Procs is the number of processes and threads the sandbox user may have
	// at once (RLIMIT_NPROC): a fork bomb stops there.
	Procs int
	// OutputBytes is kept of stdout and of stderr each; the rest is cut with
	// a note, and a program that floods far past it is stopped.
	OutputBytes int
	// FileBytes is the largest file a process may write (RLIMIT_FSIZE).
	FileBytes int64
}

// DefaultLimits are the limits when neither the caller nor the
// configuration sets them.
var DefaultLimits = Limits{
	CPU:         30 * time.Second,
	Wall:        60 * time.Second,
	MemoryBytes: 1 << 30,
	Procs:       128,
	OutputBytes: 32 << 10,
	FileBytes:   64 << 20,
}

// Or returns l with each zero field taken from d.
func (l Limits) Or(d Limits) Limits {
	if l.CPU <= 0 {
		l.CPU = d.CPU
	}
	if l.Wall <= 0 {
		l.Wall = d.Wall
	}
	if l.MemoryBytes <= 0 {
		l.MemoryBytes = d.MemoryBytes
	}
	if l.Procs <= 0 {
		l.Procs = d.Procs
	}
	if l.OutputBytes <= 0 {
		l.OutputBytes = d.OutputBytes
	}
	if l.FileBytes <= 0 {
		l.FileBytes = d.FileBytes
	}
	return l
}

// Validate reports the first negative limit.
func (l Limits) Validate() error {
	switch {
	case l.CPU < 0:
		return llmos.Errorf(llmos.CodeInvalid, "sandbox cpu limit %v is negative", l.CPU)
	case l.Wall < 0:
		return llmos.Errorf(llmos.CodeInvalid, "sandbox wall time limit %v is negative", l.Wall)
	case l.MemoryBytes < 0:
		return llmos.Errorf(llmos.CodeInvalid, "sandbox memory limit %d is negative", l.MemoryBytes)
	case l.Procs < 0:
		return llmos.Errorf(llmos.CodeInvalid, "sandbox process limit %d is negative", l.Procs)
	case l.OutputBytes < 0:
		return llmos.Errorf(llmos.CodeInvalid, "sandbox output limit %d is negative", l.OutputBytes)
	case l.FileBytes < 0:
		return llmos.Errorf(llmos.CodeInvalid, "sandbox file size limit %d is negative", l.FileBytes)
	}
	return nil
}

// cpuSeconds is CPU rounded up to whole seconds, at least one.
func (l Limits) cpuSeconds() int64 {
	s := int64((l.CPU + time.Second - 1) / time.Second)
	return max(s, 1)
}

// limitsJSON is how Limits are written in a configuration file: durations
// as text ("30s"), sizes as numbers of bytes.
type limitsJSON struct {
	CPU         string `json:"cpu,omitempty"`
	Wall        string `json:"wall,omitempty"`
	MemoryBytes int64  `json:"memory_bytes,omitempty"`
	Procs       int    `json:"procs,omitempty"`
	OutputBytes int    `json:"output_bytes,omitempty"`
	FileBytes   int64  `json:"file_bytes,omitempty"`
}

// MarshalJSON writes the limits with durations as text, such as "30s".
func (l Limits) MarshalJSON() ([]byte, error) {
	j := limitsJSON{MemoryBytes: l.MemoryBytes, Procs: l.Procs, OutputBytes: l.OutputBytes, FileBytes: l.FileBytes}
	if l.CPU != 0 {
		j.CPU = l.CPU.String()
	}
	if l.Wall != 0 {
		j.Wall = l.Wall.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads durations as text ("30s") or numbers of seconds.
func (l *Limits) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	var j limitsJSON
	dur := func(key string, dst *time.Duration) error {
		v, ok := raw[key]
		if !ok {
			return nil
		}
		delete(raw, key)
		var s string
		if json.Unmarshal(v, &s) == nil {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("sandbox %s: want a duration such as \"30s\", got %q", key, s)
			}
			*dst = d
			return nil
		}
		n, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return fmt.Errorf("sandbox %s: want a duration such as \"30s\"", key)
		}
		*dst = time.Duration(n * float64(time.Second))
		return nil
	}
	var out Limits
	if err := dur("cpu", &out.CPU); err != nil {
		return err
	}
	if err := dur("wall", &out.Wall); err != nil {
		return err
	}
	rest, _ := json.Marshal(raw)
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("sandbox limits: %v", err)
	}
	out.MemoryBytes, out.Procs, out.OutputBytes, out.FileBytes = j.MemoryBytes, j.Procs, j.OutputBytes, j.FileBytes
	*l = out
	return nil
}
