// Package config is llmos's one typed configuration: defaults, then an
// optional JSON file ($LLMOS_HOME/config.json, or the file LLMOS_CONFIG names),
// then LLMOS_* variables, then command-line flags (applied by the cli
// package). It is validated once, at start, with errors that name the setting.
// Provider keys are not part of it: they stay in their providers' usual
// variables (OPENAI_API_KEY, ...) and are read only by package provider.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/sandbox"
	"github.com/llmos/llmos/sched"
	"github.com/llmos/llmos/tool/mcp"
	"github.com/llmos/llmos/tool/shell"
)

// Config is every setting of llmos.
type Config struct {
	// Home holds the state database and the config file.
	Home string `json:"-"`
	// Model is the default model, provider:model or "offline".
	Model string `json:"model"`
	// MaxSteps, MaxTokens and MaxTime are the default budgets of a process.
	MaxSteps  int      `json:"max_steps"`
	MaxTokens int      `json:"max_tokens"`
	MaxTime   Duration `json:"max_time"`
	// ToolTimeout bounds one syscall.
	ToolTimeout Duration `json:"tool_timeout"`
	// Limits are the scheduler's per-provider quotas; Default covers the rest.
	Limits  map[string]sched.Limits `json:"limits"`
	Default sched.Limits            `json:"default_limits"`
	// LogLevel is debug, info, warn or error; logs go to $LLMOS_HOME/llmos.log.
	LogLevel string `json:"log_level"`
	// Embedder turns memories into vectors: offline (the default), or
	// openai:MODEL, gemini:MODEL, ollama:MODEL.
	Embedder string `json:"embedder"`
	// Vector is the archival index: local (embedded, under $LLMOS_HOME/vector)
	// or weaviate (at WeaviateURL).
	Vector      string `json:"vector"`
	WeaviateURL string `json:"weaviate_url,omitempty"`
	// Namespace is the user whose memories processes use.
	Namespace string `json:"namespace"`
	// ContextTokens, if set, overrides every model's context window.
	ContextTokens int `json:"context_tokens,omitempty"`
	// Web bounds web_fetch; search backends are chosen by their variables
	// (LLMOS_SEARCH, SEARXNG_URL, BRAVE_API_KEY, BING_API_KEY).
	Web Web `json:"web,omitzero"`
	// MCPServers are the MCP servers whose tools join the syscall table as
	// mcp.<server>.<tool>.
	MCPServers map[string]mcp.Server `json:"mcp_servers,omitempty"`
	// Sandbox isolates the python and shell tools: mode auto, bwrap or none
	// (LLMOS_SANDBOX), and the limits of each run.
	Sandbox sandbox.Config `json:"sandbox,omitzero"`
	// ShellPolicy lists the commands the shell tool allows and denies;
	// shell.DefaultPolicy when absent.
	ShellPolicy *shell.Policy `json:"shell_policy,omitempty"`
	// Policy is the security policy file (LLMOS_POLICY); empty:
	// $LLMOS_HOME/policy.yaml if it exists, else the built-in policy.
	Policy string `json:"policy,omitempty"`
}

// Web is the configuration of web_fetch. Private, loopback and link-local
// addresses are refused unless AllowPrivate is set or Allow names them.
type Web struct {
	AllowPrivate bool     `json:"allow_private,omitempty"`
	Allow        []string `json:"allow,omitempty"`
	MaxBytes     int64    `json:"max_bytes,omitempty"`
	Timeout      Duration `json:"timeout,omitempty"`
	MaxRedirects int      `json:"max_redirects,omitempty"`
	UserAgent    string   `json:"user_agent,omitempty"`
}

// Duration is a time.Duration written as "90s" or "5m" in the file.
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "90s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a duration such as \"90s\"")
		}
		*d = Duration(n * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as \"90s\", got %q", s)
	}
	*d = Duration(v)
	return nil
}

// Defaults returns the built-in configuration.
func Defaults() Config {
	return Config{
		Model:       "offline",
		MaxSteps:    20,
		MaxTime:     Duration(10 * time.Minute),
		ToolTimeout: Duration(2 * time.Minute),
		Default:     sched.Limits{MaxConcurrent: 8},
		Limits:      map[string]sched.Limits{"offline": {MaxConcurrent: 64}},
		LogLevel:    "info",
		Embedder:    "offline",
		Vector:      "local",
		Namespace:   "default",
	}
}

// DataDir is the user's data folder for llmos when LLMOS_HOME is not set:
// $XDG_DATA_HOME/llmos or ~/.local/share/llmos, ~/Library/Application
// Support/llmos on macOS, %LocalAppData%\llmos on Windows.
func DataDir(getenv func(string) string) (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "llmos"), nil
		}
	case "darwin":
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Application Support", "llmos"), nil
		}
	default:
		if d := getenv("XDG_DATA_HOME"); d != "" {
			return filepath.Join(d, "llmos"), nil
		}
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, ".local", "share", "llmos"), nil
		}
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", llmos.Errorf(llmos.CodeInvalid, "cannot find a data folder: set LLMOS_HOME")
	}
	return filepath.Join(h, ".local", "share", "llmos"), nil
}

// Load reads the configuration: defaults, the file, then LLMOS_* variables.
func Load(getenv func(string) string) (Config, error) {
	c := Defaults()
	c.Home = getenv("LLMOS_HOME")
	if c.Home == "" {
		d, err := DataDir(getenv)
		if err != nil {
			return c, err
		}
		c.Home = d
	}
	file := getenv("LLMOS_CONFIG")
	explicit := file != ""
	if !explicit {
		file = filepath.Join(c.Home, "config.json")
	}
	if b, err := os.ReadFile(file); err == nil {
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return c, llmos.Errorf(llmos.CodeInvalid, "config file %s: %v", file, err)
		}
	} else if explicit || !errors.Is(err, fs.ErrNotExist) {
		return c, llmos.Errorf(llmos.CodeInvalid, "cannot read config file %s: %v", file, err)
	}
	if v := getenv("LLMOS_MODEL"); v != "" {
		c.Model = v
	}
	for _, e := range []struct {
		name string
		dst  *int
	}{{"LLMOS_MAX_STEPS", &c.MaxSteps}, {"LLMOS_MAX_TOKENS", &c.MaxTokens}} {
		if v := getenv(e.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return c, llmos.Errorf(llmos.CodeInvalid, "%s=%q is not a whole number", e.name, v)
			}
			*e.dst = n
		}
	}
	if v := getenv("LLMOS_MAX_TIME"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, llmos.Errorf(llmos.CodeInvalid, "LLMOS_MAX_TIME=%q is not a duration such as 10m", v)
		}
		c.MaxTime = Duration(d)
	}
	for _, e := range []struct {
		name string
		dst  *string
	}{{"LLMOS_SANDBOX", &c.Sandbox.Mode}, {"LLMOS_LOG_LEVEL", &c.LogLevel}, {"LLMOS_EMBEDDER", &c.Embedder}, {"LLMOS_VECTOR", &c.Vector},
		{"LLMOS_WEAVIATE_URL", &c.WeaviateURL}, {"LLMOS_NAMESPACE", &c.Namespace}, {"LLMOS_POLICY", &c.Policy}} {
		if v := getenv(e.name); v != "" {
			*e.dst = v
		}
	}
	if v := getenv("LLMOS_WEB_ALLOW_PRIVATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, llmos.Errorf(llmos.CodeInvalid, "LLMOS_WEB_ALLOW_PRIVATE=%q: use true or false", v)
		}
		c.Web.AllowPrivate = b
	}
	if v := getenv("LLMOS_WEB_ALLOW"); v != "" {
		c.Web.Allow = strings.Split(v, ",")
	}
	if v := getenv("LLMOS_CONTEXT_TOKENS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, llmos.Errorf(llmos.CodeInvalid, "LLMOS_CONTEXT_TOKENS=%q is not a whole number", v)
		}
		c.ContextTokens = n
	}
	return c, nil
}

// Validate checks every setting and names the first that is wrong.
func (c Config) Validate() error {
	switch {
	case c.Home == "":
		return llmos.Errorf(llmos.CodeInvalid, "no home folder: set LLMOS_HOME")
	case strings.TrimSpace(c.Model) == "":
		return llmos.Errorf(llmos.CodeInvalid, "no model: set LLMOS_MODEL to provider:model or offline")
	case c.MaxSteps < 0:
		return llmos.Errorf(llmos.CodeInvalid, "max steps %d is negative", c.MaxSteps)
	case c.MaxTokens < 0:
		return llmos.Errorf(llmos.CodeInvalid, "max tokens %d is negative", c.MaxTokens)
	case c.MaxTime < 0:
		return llmos.Errorf(llmos.CodeInvalid, "max time %v is negative", time.Duration(c.MaxTime))
	}
	switch c.Vector {
	case "local":
	case "weaviate":
		if c.WeaviateURL == "" {
			return llmos.Errorf(llmos.CodeInvalid, "vector backend weaviate needs its address: set LLMOS_WEAVIATE_URL")
		}
	default:
		return llmos.Errorf(llmos.CodeInvalid, "vector backend %q: use local or weaviate", c.Vector)
	}
	if strings.TrimSpace(c.Namespace) == "" {
		return llmos.Errorf(llmos.CodeInvalid, "the namespace is empty")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return llmos.Errorf(llmos.CodeInvalid, "log level %q: use debug, info, warn or error", c.LogLevel)
	}
	switch c.Sandbox.Mode {
	case "", "auto", "bwrap", "none":
	default:
		return llmos.Errorf(llmos.CodeInvalid, "sandbox mode %q: use auto, bwrap or none", c.Sandbox.Mode)
	}
	if err := c.Sandbox.Limits.Validate(); err != nil {
		return llmos.Errorf(llmos.CodeInvalid, "sandbox limits: %s", llmos.ErrorMessage(err))
	}
	for name, s := range c.MCPServers {
		if err := s.Validate(); err != nil {
			return llmos.Errorf(llmos.CodeInvalid, "MCP server %s: %s", name, llmos.ErrorMessage(err))
		}
	}
	for name, l := range c.Limits {
		if l.MaxConcurrent < 0 || l.TokensPerMinute < 0 {
			return llmos.Errorf(llmos.CodeInvalid, "limits for %s are negative", name)
		}
	}
	return nil
}

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
