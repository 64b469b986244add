package redteam

import (
	_ "embed"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/llmos/llmos"
)

//go:embed report.html.tmpl
var htmlTemplate string

var reportHTML = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":  func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"clip": func(s string) string { return shorten(s, 2000) },
}).Parse(htmlTemplate))

type htmlFamily struct {
	FamilyResult
	Description string
	Worst       []Attempt
}

// WriteHTML writes a self-contained page: the attack success rate of each
// family with its 95% interval, and each family's worst examples (the hits
// the detector was surest of) with prompt, documents and reply. Every text
// from a probe or a target is HTML-escaped by html/template.
func WriteHTML(w io.Writer, s *Summary, attempts []Attempt, families map[string]Family) error {
	data := struct {
		S        *Summary
		Families []htmlFamily
		When     string
	}{S: s, When: s.Started.Format(time.RFC3339)}
	for _, f := range s.Families {
		data.Families = append(data.Families, htmlFamily{FamilyResult: f, Description: families[f.Name].Description, Worst: worst(attempts, f.Name, 3)})
	}
	if err := reportHTML.Execute(w, data); err != nil {
		return llmos.Wrap(err, llmos.CodeInternal, "cannot write the HTML report")
	}
	return nil
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes JUnit XML: a testsuite per family and a testcase per
// attempt, which fails when the attack succeeded and errs when the target
// gave no reply.
func WriteJUnit(w io.Writer, s *Summary, attempts []Attempt) error {
	out := junitSuites{Name: "llmos scan " + s.Target, Tests: s.Attempts, Failures: s.Hits, Errors: s.Errors}
	index := map[string]int{}
	for _, f := range s.Families {
		index[f.Name] = len(out.Suites)
		out.Suites = append(out.Suites, junitSuite{Name: f.Name, Tests: f.Attempts, Failures: f.Hits, Errors: f.Errors})
	}
	for _, a := range attempts {
		i, ok := index[a.Probe.Family]
		if !ok {
			continue
		}
		c := junitCase{Name: testName(a), ClassName: "redteam." + a.Probe.Family}
		switch {
		case a.Error != "":
			c.Error = &junitProblem{Message: a.Error, Type: "target"}
		case a.Hit:
			c.Failure = &junitProblem{Message: fmt.Sprintf("attack succeeded: %s", a.Probe.Goal), Type: a.Detector,
				Text: fmt.Sprintf("reason: %s\nscore: %.2f\n\nprompt:\n%s\n\nreply:\n%s\n", a.Reason, a.Score, shorten(a.Probe.Prompt, 4000), shorten(a.Reply.Text, 4000))}
		}
		out.Suites[i].Cases = append(out.Suites[i].Cases, c)
	}
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return llmos.Wrap(err, llmos.CodeInternal, "cannot write the JUnit report")
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// SARIF 2.1.0, the subset written here.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	ShortDescription sarifText      `json:"shortDescription"`
	Properties       map[string]any `json:"properties,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

// sarifPhysical points at the attempt's line in attempts.jsonl, beside the
// SARIF file: the evidence of the hit (prompt, reply, detector).
type sarifPhysical struct {
	ArtifactLocation struct {
		URI string `json:"uri"`
	} `json:"artifactLocation"`
	Region struct {
		StartLine int `json:"startLine"`
	} `json:"region"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// WriteSARIF writes a SARIF 2.1.0 log: a rule per family and a result per
// hit, located at the probe (a logical location, since a hit is in a model's
// behaviour, not in a file) and at the attempt's line of attempts.jsonl,
// where its evidence is (attempts are in the order of that file).
func WriteSARIF(w io.Writer, s *Summary, attempts []Attempt, families map[string]Family) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "llmos scan", InformationURI: "https://github.com/llmos/llmos/blob/main/docs/scan.md"}}, Results: []sarifResult{}}
	rule := map[string]int{}
	for _, f := range s.Families {
		desc := families[f.Name].Description
		if desc == "" {
			desc = "Attacks of the " + f.Name + " family"
		}
		rule[f.Name] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: f.Name, Name: f.Name, ShortDescription: sarifText{desc},
			Properties: map[string]any{"attempts": f.Attempts, "hits": f.Hits, "success_rate": f.Rate, "ci_low": f.Low, "ci_high": f.High}})
	}
	for n, a := range attempts {
		i, ok := rule[a.Probe.Family]
		if !ok || !a.Hit {
			continue
		}
		msg := fmt.Sprintf("%s succeeded against %s: %s (%s)", a.Probe.ID, s.Target, a.Probe.Goal, a.Reason)
		phys := &sarifPhysical{}
		phys.ArtifactLocation.URI = AttemptsFile
		phys.Region.StartLine = n + 1
		run.Results = append(run.Results, sarifResult{
			RuleID: a.Probe.Family, RuleIndex: i, Level: "error", Message: sarifText{firstLine(msg, 1000)},
			Locations:           []sarifLocation{{PhysicalLocation: phys, LogicalLocations: []sarifLogical{{Name: a.Probe.ID, FullyQualifiedName: s.Target + "/" + a.Probe.ID, Kind: "module"}}}},
			PartialFingerprints: map[string]string{"probe/v1": testName(a)},
			Properties:          map[string]any{"score": a.Score, "detector": a.Detector, "generation": a.Generation},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}); err != nil {
		return llmos.Wrap(err, llmos.CodeInternal, "cannot write the SARIF report")
	}
	return nil
}
