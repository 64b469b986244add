package llmos

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
