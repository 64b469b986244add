package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchInjection(t *testing.T) {
	var out, errb bytes.Buffer
	a := &app{env: Env{Stdout: &out, Stderr: &errb}, json: true}
	cmd := a.benchInjectionCmd()
	cmd.SetArgs([]string{"--scenario", "email"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, k := range []string{"attack_success_rate", "attack_success_rate_undefended", "attack_success_rate_spotlight",
		"benign_utility", "benign_utility_undefended", "false_block_rate", "scenarios", "vectors", "failures"} {
		if _, ok := res[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, out.String())
		}
	}
	if res["scenarios"].(float64) < 8 || res["attack_success_rate_undefended"].(float64) < 0.8 {
		t.Errorf("JSON result: %v", res)
	}
	if !strings.Contains(errb.String(), "bench injection") {
		t.Errorf("no progress on stderr: %q", errb.String())
	}

	out.Reset()
	a.json = false
	cmd = a.benchInjectionCmd()
	cmd.SetArgs([]string{"--scenario", "web-recipe-plain"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	for _, want := range []string{"1 scenarios", "web ", "all ", "attack_success_rate_undefended", "benign_utility"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	cmd = a.benchInjectionCmd()
	cmd.SetArgs([]string{"--scenario", "no-such-scenario"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "no injection scenario") {
		t.Errorf("an unknown scenario: %v", err)
	}
}
