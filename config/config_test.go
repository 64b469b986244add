package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmos/llmos"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadLayers(t *testing.T) {
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, "config.json"), []byte(`{"model":"openai:gpt-4o-mini","max_steps":7,"max_time":"90s",
		"limits":{"openai":{"max_concurrent":4,"tokens_per_minute":1000}}}`), 0o600)
	c, err := Load(env(map[string]string{"LLMOS_HOME": home, "LLMOS_MAX_STEPS": "9"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Model != "openai:gpt-4o-mini" || c.MaxSteps != 9 || c.MaxTime.D() != 90*time.Second || c.Limits["openai"].TokensPerMinute != 1000 {
		t.Errorf("loaded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	c, _ = Load(env(map[string]string{"LLMOS_HOME": home, "LLMOS_MODEL": "anthropic:x"}))
	if c.Model != "anthropic:x" {
		t.Errorf("LLMOS_MODEL did not override the file: %q", c.Model)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"HOME": "/home/ada"}))
	if err != nil || c.Model != "offline" || c.Home != "/home/ada/.local/share/llmos" {
		t.Errorf("defaults: %+v, %v", c, err)
	}
}

func TestBadConfig(t *testing.T) {
	home := t.TempDir()
	for _, c := range []struct {
		file string
		vars map[string]string
		want string
	}{
		{`{"model": 3}`, nil, "config.json"},
		{`{"modle": "x"}`, nil, `unknown field "modle"`},
		{`{"max_time": "soon"}`, nil, "duration"},
		{`{`, nil, "config.json"},
		{"", map[string]string{"LLMOS_MAX_TIME": "forever"}, "LLMOS_MAX_TIME"},
		{"", map[string]string{"LLMOS_CONFIG": "/nonexistent/llmos.json"}, "cannot read config file"},
		{`{"max_steps": -1}`, nil, "negative"},
		{`{"log_level": "loud"}`, nil, "log level"},
	} {
		os.Remove(filepath.Join(home, "config.json"))
		if c.file != "" {
			os.WriteFile(filepath.Join(home, "config.json"), []byte(c.file), 0o600)
		}
		vars := map[string]string{"LLMOS_HOME": home}
		for k, v := range c.vars {
			vars[k] = v
		}
		cfg, err := Load(env(vars))
		if err == nil {
			err = cfg.Validate()
		}
		if llmos.ErrorCode(err) != llmos.CodeInvalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q %v: error %v, want invalid saying %q", c.file, c.vars, err, c.want)
		}
	}
}
