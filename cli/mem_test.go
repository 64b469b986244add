package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMemCommands(t *testing.T) {
	vars := home(t)
	file := filepath.Join(t.TempDir(), "items.jsonl")
	long := strings.Repeat("The barge carried grain down the river. ", 200) + "The captain was called Odile."
	lines := []string{
		`{"id":"book","text":"My favourite book is The Dispossessed","time":"2026-08-03T10:00:00Z","meta":{"kind":"fact"}}`,
		`not json at all`,
		`{"id":"nothing"}`,
		`{"text":"We go to Lisbon in October","ns":"default"}`,
		`{"id":"bad-time","text":"x","time":"yesterday"}`,
		``,
		`{"id":"long","text":` + quote(long) + `}`,
	}
	os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	r := llmos(t, vars, "", "mem", "import", file)
	if r.code != 2 || !strings.Contains(r.stdout, "imported 3 item(s)") {
		t.Fatalf("import: %+v", r)
	}
	for _, want := range []string{"line 2:", "line 3:", `no "text"`, "line 5:", "RFC 3339", "3 line(s)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("import stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	r = llmos(t, vars, "", "mem", "search", "--json", "-k", "2", "which book do I like")
	var found []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &found); err != nil || len(found) == 0 || found[0]["id"] != "book" {
		t.Fatalf("search --json: %v %s", err, r.stdout)
	}
	for _, k := range []string{"id", "text", "score", "time", "meta"} {
		if _, ok := found[0][k]; !ok {
			t.Errorf("result lacks %q: %v", k, found[0])
		}
	}
	r = llmos(t, vars, "", "mem", "search", "--json", "captain Odile")
	json.Unmarshal([]byte(r.stdout), &found)
	if len(found) == 0 || found[0]["id"] != "long" {
		t.Errorf("a chunked item is not found under its id: %s", r.stdout)
	}

	r = llmos(t, vars, `{"query":"Lisbon"}`+"\n"+`{"query":"favourite book","k":1}`+"\n", "mem", "search", "--queries", "-", "--json")
	out := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(out) != 2 || !strings.Contains(out[0], "Lisbon") || !strings.Contains(out[1], `"id":"book"`) {
		t.Errorf("batch search: %s", r.stdout)
	}

	r = llmos(t, vars, "", "mem", "export")
	exported := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(exported) != 3 || !strings.Contains(r.stdout, "Odile") {
		t.Fatalf("export: %d lines\n%s", len(exported), r.stdout)
	}
	var back struct{ Text string }
	for _, l := range exported {
		if strings.Contains(l, `"id":"long"`) {
			json.Unmarshal([]byte(l), &back)
		}
	}
	if back.Text != long {
		t.Errorf("the chunked item was not exported whole (%d of %d bytes)", len(back.Text), len(long))
	}

	if r = llmos(t, vars, "", "mem", "rm", "book"); r.code != 0 {
		t.Errorf("rm: %+v", r)
	}
	if r = llmos(t, vars, "", "mem", "rm", "book"); r.code != 3 {
		t.Errorf("rm of a missing id: %+v", r)
	}
	r = llmos(t, vars, "", "mem", "ls", "--json")
	if strings.Contains(r.stdout, `"book"`) || !strings.Contains(r.stdout, `"long"`) {
		t.Errorf("ls after rm: %s", r.stdout)
	}
	if r = llmos(t, vars, "", "mem", "add", "--id", "x#chunk1", "hi"); r.code != 2 {
		t.Errorf("an id with the chunk separator: %+v", r)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
