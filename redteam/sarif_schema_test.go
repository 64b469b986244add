package redteam

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The SARIF report validates against the OASIS SARIF 2.1.0 JSON Schema
// (testdata/sarif-schema-2.1.0.json, the errata01 schema as gosec's tests
// carry it; draft-04). A result with a bad location or level fails it, so
// the check bites.
func TestSARIFValidatesAgainstSchema(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	// The golden report that TestReportGolden checks WriteSARIF against.
	report, err := os.ReadFile(filepath.Join("testdata", "report", "results.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(report))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(v); err != nil {
		t.Fatalf("results.sarif does not validate: %v", err)
	}
	bad := bytes.Replace(report, []byte(`"level": "error"`), []byte(`"level": "fatal"`), 1)
	v, _ = jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if schema.Validate(v) == nil {
		t.Error("a SARIF log with an unknown level validated: the check does not bite")
	}
}
