package llmos

import (
	"slices"
	"strings"
)

// Source names where a value came from.
type Source string

// The sources of data in a process. Everything but the user and the system is
// untrusted by default.
const (
	SourceUser   Source = "user"
	SourceSystem Source = "system"
	SourceTool   Source = "tool"
	SourceWeb    Source = "web"
	SourceFile   Source = "file"
	SourceMemory Source = "memory"
	SourceApp    Source = "app"
	SourceAgent  Source = "agent"
)

// Label records the sources a value was derived from. The zero Label is
// trusted: it marks data written by the user or the system.
type Label struct {
	Sources []Source `json:"sources,omitempty"`
	// Readers are the principals (users, namespaces) who may read the value;
	// empty means its owner alone, the namespace of the process holding it.
	Readers []string `json:"readers,omitempty"`
}

// LabelOf returns a label with the given sources.
func LabelOf(sources ...Source) Label { return Label{Sources: sources} }

// Trusted reports whether every source of the value is the user or the system.
func (l Label) Trusted() bool {
	for _, s := range l.Sources {
		if s != SourceUser && s != SourceSystem {
			return false
		}
	}
	return true
}

// IsZero reports whether the label has no sources.
func (l Label) IsZero() bool { return len(l.Sources) == 0 }

// Join returns the label of a value derived from values labelled l and m: it
// came from the sources of both, and only those who may read both may read it.
func (l Label) Join(m Label) Label {
	out := Label{Sources: append([]Source(nil), l.Sources...)}
	for _, s := range m.Sources {
		if !slices.Contains(out.Sources, s) {
			out.Sources = append(out.Sources, s)
		}
	}
	switch {
	case len(l.Readers) == 0:
		out.Readers = append([]string(nil), m.Readers...)
	case len(m.Readers) == 0:
		out.Readers = append([]string(nil), l.Readers...)
	default:
		out.Readers = []string{}
		for _, r := range l.Readers {
			if slices.Contains(m.Readers, r) {
				out.Readers = append(out.Readers, r)
			}
		}
	}
	return out
}

// Untrusted returns the sources of the label other than the user and the system.
func (l Label) Untrusted() []Source {
	var out []Source
	for _, s := range l.Sources {
		if s != SourceUser && s != SourceSystem {
			out = append(out, s)
		}
	}
	return out
}

// String lists the sources, "trusted" for none.
func (l Label) String() string {
	if len(l.Sources) == 0 {
		return "trusted"
	}
	parts := make([]string, len(l.Sources))
	for i, s := range l.Sources {
		parts[i] = string(s)
	}
	return strings.Join(parts, "+")
}
