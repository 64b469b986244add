// Package provider opens models by name. A model is named provider:model,
// such as openai:gpt-4o-mini, anthropic:claude-sonnet-4-5, gemini:gemini-2.5-flash
// or ollama:llama3.2; "offline" is the rules kernel used when no model is set.
// Each provider's adapter lives in its own package (provider/openai,
// provider/anthropic, provider/gemini, provider/offline); keys and addresses
// come from the providers' usual environment variables.
package provider

import (
	"context"
	"sort"
	"strings"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/provider/anthropic"
	"github.com/llmos/llmos/provider/gemini"
	"github.com/llmos/llmos/provider/offline"
	"github.com/llmos/llmos/provider/openai"
)

// Model is what a provider returns; it is the kernel's Model.
type Model interface {
	Generate(ctx context.Context, req *llmos.Request, stream func(llmos.Delta)) (*llmos.Response, error)
}

// Info describes one provider for `llmos models`.
type Info struct {
	Name     string `json:"name"`
	API      string `json:"api"`
	KeyVar   string `json:"key_var,omitempty"`
	KeySet   bool   `json:"key_set"`
	NeedsKey bool   `json:"needs_key"`
	BaseURL  string `json:"base_url,omitempty"`
	URLVar   string `json:"url_var,omitempty"`
	Example  string `json:"example"`
	// Ready is true when a model of this provider can be opened as configured.
	Ready bool `json:"ready"`
}

type kind struct {
	api      string
	keyVar   string
	urlVar   string
	url      func(getenv func(string) string) string
	needsKey func(getenv func(string) string) bool
	example  string
	open     func(name, url, key string) (Model, error)
}

func always(func(string) string) bool { return true }
func never(func(string) string) bool  { return false }

func openAICompat(name string) func(string, string, string) (Model, error) {
	return func(_ string, url, key string) (Model, error) {
		return openai.New(openai.Config{Name: name, BaseURL: url, APIKey: key})
	}
}

func localURL(v, def string) func(func(string) string) string {
	return func(getenv func(string) string) string {
		if u := getenv(v); u != "" {
			return strings.TrimRight(u, "/") + "/v1"
		}
		return def
	}
}

func envURL(v string) func(func(string) string) string {
	return func(getenv func(string) string) string { return getenv(v) }
}

var kinds = map[string]kind{
	"openai": {
		api: "OpenAI Chat Completions", keyVar: "OPENAI_API_KEY", urlVar: "OPENAI_BASE_URL", url: envURL("OPENAI_BASE_URL"),
		// An OpenAI-compatible server at OPENAI_BASE_URL may need no key.
		needsKey: func(getenv func(string) string) bool { return getenv("OPENAI_BASE_URL") == "" },
		example:  "openai:gpt-4o-mini", open: openAICompat("openai"),
	},
	"anthropic": {
		api: "Anthropic Messages", keyVar: "ANTHROPIC_API_KEY", urlVar: "ANTHROPIC_BASE_URL", url: envURL("ANTHROPIC_BASE_URL"),
		needsKey: always, example: "anthropic:claude-sonnet-4-5",
		open: func(_, url, key string) (Model, error) {
			return anthropic.New(anthropic.Config{BaseURL: url, APIKey: key})
		},
	},
	"gemini": {
		api: "Gemini generateContent", keyVar: "GEMINI_API_KEY", urlVar: "GEMINI_BASE_URL", url: envURL("GEMINI_BASE_URL"),
		needsKey: always, example: "gemini:gemini-2.5-flash",
		open: func(_, url, key string) (Model, error) {
			return gemini.New(gemini.Config{BaseURL: url, APIKey: key})
		},
	},
	"ollama": {
		api: "OpenAI-compatible (Ollama)", urlVar: "OLLAMA_HOST", url: localURL("OLLAMA_HOST", "http://127.0.0.1:11434/v1"),
		needsKey: never, example: "ollama:llama3.2", open: openAICompat("ollama"),
	},
	"vllm": {
		api: "OpenAI-compatible (vLLM)", keyVar: "VLLM_API_KEY", urlVar: "VLLM_HOST", url: localURL("VLLM_HOST", "http://127.0.0.1:8000/v1"),
		needsKey: never, example: "vllm:Qwen/Qwen2.5-7B-Instruct", open: openAICompat("vllm"),
	},
	"llamacpp": {
		api: "OpenAI-compatible (llama.cpp server)", urlVar: "LLAMACPP_HOST", url: localURL("LLAMACPP_HOST", "http://127.0.0.1:8080/v1"),
		needsKey: never, example: "llamacpp:default", open: openAICompat("llama.cpp"),
	},
}

// Offline is the name of the rules kernel.
const Offline = "offline"

// Open returns the model with the name, reading keys and addresses through
// getenv. An unknown provider, a missing model name or a missing key is an
// error that says what to set.
func Open(name string, getenv func(string) string) (Model, error) {
	if name == Offline {
		return offline.New(), nil
	}
	prov, model, ok := strings.Cut(name, ":")
	k, known := kinds[prov]
	if !known {
		return nil, llmos.Errorf(llmos.CodeInvalid, "unknown model provider %q in %q: use one of %s, as provider:model (e.g. openai:gpt-4o-mini), or offline",
			prov, name, strings.Join(Names(), ", "))
	}
	if !ok || strings.TrimSpace(model) == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "model %q names no model: write %s:MODEL, e.g. %s", name, prov, k.example)
	}
	key := ""
	if k.keyVar != "" {
		key = getenv(k.keyVar)
		if prov == "gemini" && key == "" {
			key = getenv("GOOGLE_API_KEY")
		}
	}
	if key == "" && k.needsKey(getenv) {
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "no API key for %s: set %s", prov, k.keyVar)
	}
	m, err := k.open(model, k.url(getenv), key)
	if err != nil {
		return nil, err
	}
	return safeNames{m}, nil
}

// Names lists the known providers.
func Names() []string {
	names := []string{Offline}
	for n := range kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Providers describes every provider as configured by getenv, without
// revealing any key.
func Providers(getenv func(string) string) []Info {
	var out []Info
	for _, n := range Names() {
		if n == Offline {
			out = append(out, Info{Name: n, API: offline.Label, Example: Offline, Ready: true})
			continue
		}
		k := kinds[n]
		in := Info{Name: n, API: k.api, KeyVar: k.keyVar, URLVar: k.urlVar, BaseURL: k.url(getenv), Example: k.example, NeedsKey: k.needsKey(getenv)}
		in.KeySet = k.keyVar != "" && getenv(k.keyVar) != ""
		if n == "gemini" && getenv("GOOGLE_API_KEY") != "" {
			in.KeySet = true
		}
		in.Ready = in.KeySet || !in.NeedsKey
		out = append(out, in)
	}
	return out
}
