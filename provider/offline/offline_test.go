package offline

import (
	"context"
	"strings"
	"testing"

	"github.com/llmos/llmos"
)

func TestArithmetic(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"what is 12345 * 6789", "12345 * 6789", true},
		{"What's 2 + 2?", "2 + 2", true},
		{"calculate (1+2)^10", "(1+2)^10", true},
		{"how much is 7 divided by 8", "7 / 8", true},
		{"what is the square root of 2", "sqrt(2)", true},
		{"square root of 16 plus 1", "sqrt(16) + 1", true},
		{"20 percent of 50", "20 % of 50", true},
		{"3 times 4 plus 1", "3 * 4 + 1", true},
		{"12345*6789", "12345*6789", true},
		{"what is sqrt(2) * pi", "sqrt(2) * pi", true},
		{"hello there", "", false},
		{"what is the capital of France?", "", false},
		{"rm -rf / 2", "", false},
		{"", "", false},
		{"what is", "", false},
	} {
		got, ok := Arithmetic(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("Arithmetic(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

var calc = []llmos.ToolDef{{Name: "calc"}}

func TestConversation(t *testing.T) {
	m := New()
	ctx := context.Background()
	msgs := []llmos.Message{{Role: llmos.RoleSystem, Content: "sys"}, {Role: llmos.RoleUser, Content: "what is 12345 * 6789"}}
	resp, err := m.Generate(ctx, &llmos.Request{Messages: msgs, Tools: calc}, nil)
	if err != nil || len(resp.Message.ToolCalls) != 1 || resp.Message.ToolCalls[0].Arguments != `{"expression":"12345 * 6789"}` {
		t.Fatalf("first turn: %+v, %v", resp, err)
	}
	msgs = append(msgs, resp.Message, llmos.Message{Role: llmos.RoleTool, ToolCallID: "call_calc", Content: "83810205"})
	resp, err = m.Generate(ctx, &llmos.Request{Messages: msgs, Tools: calc}, nil)
	if err != nil || resp.Message.Content != "83810205" {
		t.Fatalf("second turn: %+v, %v", resp, err)
	}
	// A question it has no rule for gets the help, which names itself.
	resp, _ = m.Generate(ctx, &llmos.Request{Messages: []llmos.Message{{Role: llmos.RoleUser, Content: "write a poem"}}, Tools: calc}, nil)
	if !strings.Contains(resp.Message.Content, Label) || !strings.Contains(resp.Message.Content, "LLMOS_MODEL") {
		t.Errorf("help %q", resp.Message.Content)
	}
	// Without the calculator it cannot compute, and says how to get help.
	resp, _ = m.Generate(ctx, &llmos.Request{Messages: msgs[:2]}, nil)
	if len(resp.Message.ToolCalls) != 0 {
		t.Errorf("called a tool it was not given: %+v", resp.Message)
	}
}

func FuzzArithmetic(f *testing.F) {
	for _, s := range []string{"what is 12345 * 6789", "2 plus 2", "what's the square root of 2?", "hello", "((((", "1e9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		expr, ok := Arithmetic(s)
		if ok && (expr == "" || !digit.MatchString(expr)) {
			t.Errorf("Arithmetic(%q) accepted %q", s, expr)
		}
		if strings.ContainsAny(expr, "\"\\\n") {
			t.Errorf("Arithmetic(%q) let through %q", s, expr)
		}
	})
}

func TestMemoryPhrases(t *testing.T) {
	tools := []llmos.ToolDef{{Name: "calc"}, {Name: "archival_memory_insert"}, {Name: "archival_memory_search"}, {Name: "shell"}}
	for _, c := range []struct{ in, tool, args string }{
		{"remember that my favourite book is Dune", "archival_memory_insert", `{"content":"my favourite book is Dune"}`},
		{"Please remember: the wifi password is on the fridge", "archival_memory_insert", `{"content":"the wifi password is on the fridge"}`},
		{"what did I say about books?", "archival_memory_search", `{"query":"books"}`},
		{"What did I tell you about the trip to Lisbon", "archival_memory_search", `{"query":"the trip to Lisbon"}`},
		{"do you remember my cat", "archival_memory_search", `{"query":"my cat"}`},
		{"what is 2+2", "calc", `{"expression":"2+2"}`},
		{"$ ls -la | wc -l", "shell", `{"command":"ls -la | wc -l"}`},
	} {
		resp, err := New().Generate(context.Background(), &llmos.Request{Messages: []llmos.Message{{Role: llmos.RoleUser, Content: c.in}}, Tools: tools}, nil)
		if err != nil || len(resp.Message.ToolCalls) != 1 || resp.Message.ToolCalls[0].Name != c.tool || resp.Message.ToolCalls[0].Arguments != c.args {
			t.Errorf("%q: %+v, %v; want %s %s", c.in, resp.Message.ToolCalls, err, c.tool, c.args)
		}
	}
}
