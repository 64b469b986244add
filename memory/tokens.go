package memory

import (
	"strings"
	"sync"

	"github.com/tiktoken-go/tokenizer"

	"github.com/llmos/llmos"
)

// counter counts tokens as each model's provider will: with the model's own
// tiktoken encoding for OpenAI models, and for the others with an estimate of
// characters per token that is calibrated, model by model, against the input
// tokens the provider reports for each call (Observe).
type counter struct {
	mu    sync.Mutex
	ratio map[string]float64 // provider tokens per estimated token, per model
}

func newCounter() *counter { return &counter{ratio: map[string]float64{}} }

// charsPerToken is the uncalibrated estimate: about four characters a token
// for English under the BPE vocabularies of current models.
const charsPerToken = 4.0

var (
	codecOnce sync.Once
	o200k     tokenizer.Codec
	cl100k    tokenizer.Codec
)

// codecFor returns the tiktoken encoding of an OpenAI model, or nil.
func codecFor(model string) tokenizer.Codec {
	prov, name, _ := strings.Cut(model, ":")
	if prov != "openai" {
		return nil
	}
	codecOnce.Do(func() {
		o200k, _ = tokenizer.Get(tokenizer.O200kBase)
		cl100k, _ = tokenizer.Get(tokenizer.Cl100kBase)
	})
	if strings.HasPrefix(name, "gpt-4-") || name == "gpt-4" || strings.HasPrefix(name, "gpt-3.5") {
		return cl100k
	}
	return o200k
}

// text counts the tokens of a text for a model.
func (c *counter) text(model, s string) int {
	if s == "" {
		return 0
	}
	if codec := codecFor(model); codec != nil {
		if n, err := codec.Count(s); err == nil {
			return n
		}
	}
	est := float64(len(s)) / charsPerToken
	c.mu.Lock()
	r, ok := c.ratio[model]
	c.mu.Unlock()
	if ok {
		est *= r
	}
	return int(est) + 1
}

// messages counts a list of messages, with a few tokens of framing each.
func (c *counter) messages(model string, msgs []llmos.Message) int {
	n := 0
	for _, m := range msgs {
		n += c.message(model, m)
	}
	return n
}

func (c *counter) message(model string, m llmos.Message) int {
	n := 4 + c.text(model, m.Content)
	for _, tc := range m.ToolCalls {
		n += 4 + c.text(model, tc.Name) + c.text(model, tc.Arguments)
	}
	return n
}

// observe calibrates the estimate of a model from a call the provider
// counted: a moving average of actual/estimated, bounded to a sane range.
// Tool definitions and provider framing make actual a little larger than the
// messages alone, so the calibration also absorbs them.
func (c *counter) observe(model string, estimated, actual int) {
	if codecFor(model) != nil || estimated <= 0 || actual <= 0 {
		return
	}
	r := float64(actual) / float64(estimated)
	r = min(max(r, 0.25), 4)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.ratio[model]; ok {
		r = 0.8*old + 0.2*r*old
	}
	c.ratio[model] = min(max(r, 0.25), 4)
}

// budgets are the context windows of model families, in tokens, matched by
// the longest prefix of provider:model.
var budgets = []struct {
	prefix string
	tokens int
}{
	{"openai:gpt-4.1", 1_000_000},
	{"openai:gpt-5", 400_000},
	{"openai:gpt-4o", 128_000},
	{"openai:o", 200_000},
	{"openai:gpt-4-", 128_000},
	{"openai:gpt-3.5", 16_000},
	{"openai:", 128_000},
	{"anthropic:", 200_000},
	{"gemini:", 1_000_000},
	{"ollama:", 8_192},
	{"vllm:", 32_768},
	{"llamacpp:", 8_192},
	{"offline", 8_192},
}

// budgetFor returns the context window of a model.
func budgetFor(model string) int {
	best, n := "", 32_768
	for _, b := range budgets {
		if strings.HasPrefix(model, b.prefix) && len(b.prefix) > len(best) {
			best, n = b.prefix, b.tokens
		}
	}
	return n
}
