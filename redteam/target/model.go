package target

import (
	"context"
	"fmt"
	"strings"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/provider"
	"github.com/llmos/llmos/provider/openai"
	"github.com/llmos/llmos/redteam"
)

// Generator is a model: provider.Model and kernel.Model are both one.
type Generator interface {
	Generate(ctx context.Context, req *llmos.Request, stream func(llmos.Delta)) (*llmos.Response, error)
}

// Model is a target that is one model behind a provider's API.
type Model struct {
	name  string
	model string
	m     Generator
	// MaxTokens bounds each reply; 512 when zero.
	MaxTokens int
}

// NewModel returns a target that sends each request to m as model (the
// provider's own name for it). name names the target, and the scheduler
// lane its calls wait in: the provider's name, so its limits apply.
func NewModel(name string, m Generator, model string) *Model {
	return &Model{name: name, model: model, m: m}
}

// OpenAICompat returns a target for any server that speaks OpenAI's Chat
// Completions API at baseURL ("http://127.0.0.1:8000/v1"). The key may be
// empty for local servers.
func OpenAICompat(baseURL, model, apiKey string) (*Model, error) {
	if baseURL == "" || model == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "the openai-compat target needs --base-url and --model")
	}
	m, err := openai.New(openai.Config{Name: "openai-compat", BaseURL: baseURL, APIKey: apiKey})
	if err != nil {
		return nil, err
	}
	return NewModel("openai-compat", m, model), nil
}

// Provider returns a target for the model of one of llmos's providers
// ("openai", "anthropic", "gemini", "ollama", ...), opened as
// provider.Open(kind+":"+model) with keys and addresses from getenv.
func Provider(kind, model string, getenv func(string) string) (*Model, error) {
	if model == "" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "the %s target needs --model", kind)
	}
	m, err := provider.Open(kind+":"+model, getenv)
	if err != nil {
		return nil, err
	}
	return NewModel(kind, m, model), nil
}

// Name implements redteam.Target.
func (t *Model) Name() string { return t.name }

// Send implements redteam.Target: one Generate call with the system prompt
// and the user's message (documents appended as quoted material).
func (t *Model) Send(ctx context.Context, req redteam.Request) (redteam.Reply, error) {
	var msgs []llmos.Message
	if req.System != "" {
		msgs = append(msgs, llmos.Message{Role: llmos.RoleSystem, Content: req.System})
	}
	msgs = append(msgs, llmos.Message{Role: llmos.RoleUser, Content: WithDocuments(req.Prompt, req.Documents)})
	maxTokens := t.MaxTokens
	if maxTokens <= 0 {
		maxTokens = 512
	}
	resp, err := t.m.Generate(ctx, &llmos.Request{Model: t.model, Messages: msgs, Tools: req.Tools, MaxTokens: maxTokens}, nil)
	if err != nil {
		return redteam.Reply{}, err
	}
	return redteam.Reply{Text: resp.Message.Content, ToolCalls: resp.Message.ToolCalls}, nil
}

// WithDocuments appends documents to a prompt as quoted material, each
// between lines of triple quotes, as a user pasting them would.
func WithDocuments(prompt string, docs []string) string {
	if len(docs) == 0 {
		return prompt
	}
	var b strings.Builder
	b.WriteString(prompt)
	for i, d := range docs {
		fmt.Fprintf(&b, "\n\nDocument %d:\n\"\"\"\n%s\n\"\"\"", i+1, d)
	}
	return b.String()
}

// WithSystem is the whole request as one text, for targets that take no
// system prompt: the system text first (so the canary is still planted),
// then the prompt and its documents.
func WithSystem(req redteam.Request) string {
	p := WithDocuments(req.Prompt, req.Documents)
	if req.System == "" {
		return p
	}
	return req.System + "\n\n" + p
}
