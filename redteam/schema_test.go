package redteam

import (
	"bytes"
	"os"
	"os/exec"
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

// The JUnit report validates against the JUnit XSD that Jenkins reads
// (testdata/jenkins-junit.xsd, from dtkit's junit-4.xsd, MIT), with xmllint
// (Debian's libxml2-utils, which .ci/run installs). A report with a testcase
// that has no name fails it, so the check bites.
func TestJUnitValidatesAgainstXSD(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed (apt-get install libxml2-utils)")
	}
	xsd := filepath.Join("testdata", "jenkins-junit.xsd")
	good := filepath.Join("testdata", "report", "junit.xml")
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, good).CombinedOutput(); err != nil {
		t.Fatalf("junit.xml does not validate: %v\n%s", err, out)
	}
	report, _ := os.ReadFile(good)
	bad := filepath.Join(t.TempDir(), "bad.xml")
	os.WriteFile(bad, bytes.Replace(report, []byte("<testcase name="), []byte("<testcase nom="), 1), 0o600)
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, bad).CombinedOutput(); err == nil {
		t.Errorf("a testcase without a name validated: the check does not bite\n%s", out)
	}
}
