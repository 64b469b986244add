package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchVector(t *testing.T) {
	var out, errb bytes.Buffer
	a := &app{env: Env{Stdout: &out, Stderr: &errb}}
	cmd := a.benchVectorCmd()
	cmd.SetArgs([]string{"--n", "300", "--dim", "8", "--m", "4", "--efc", "20", "--ef", "10,20", "--threads", "2"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	for _, want := range []string{"recall_at_10", "qps_vs_exact", "hnswlib", "compare with care", "  10   "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errb.String(), "bench vector") {
		t.Errorf("no progress on stderr: %q", errb.String())
	}

	out.Reset()
	a.json = true
	cmd = a.benchVectorCmd()
	cmd.SetArgs([]string{"--n", "200", "--dim", "4", "--ef", "16", "--metric", "cosine", "--quantize"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res["n"] != float64(200) || res["metric"] != "cosine" || res["quantize"] != true || res["recall_at_10"].(float64) < 0.5 {
		t.Errorf("JSON result: %v", res)
	}

	cmd = a.benchVectorCmd()
	cmd.SetArgs([]string{"--metric", "hamming", "--n", "100"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "metric") {
		t.Errorf("a bad metric: %v", err)
	}
}
