package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/provider"
	"github.com/llmos/llmos/security/guard"
)

// maxGuardLine is the longest input line guard check reads.
const maxGuardLine = 16 << 20

func (a *app) guardCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "guard",
		Short: "Check texts with the monitor's input and output evaluators",
	}
	var stage, kind, canary, judge string
	var hosts []string
	check := &cobra.Command{
		Use:   "check [--stage input|output] [--kind K] [--canary S] [--allow-host H]... [--judge provider:model] [--json]",
		Short: "Check each line of standard input and print one JSON verdict per line",
		Long: "Reads standard input line by line. A line is a text, or a JSON object {\"text\": ..., \"stage\"?: ..., \"kind\"?: ...,\n" +
			"\"canary\"?: ..., \"tool\"?: ...} whose fields override the flags for that line. Prints one compact JSON verdict\n" +
			"per line, in order: {\"line\", \"flagged\", \"score\", \"action\", \"scanners\": [{\"scanner\", \"score\", \"reason\", \"action\"}], \"text\"?}\n" +
			"(\"text\" is the redacted text when the action is redact). Kinds: prompt, tool_result, tool_args, reply, code.\n" +
			"With --judge, a model (e.g. ollama:llama-guard3) judges each text too. A line that cannot be checked prints\n" +
			"{\"line\", \"error\"} and makes the exit code 2.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := guardStage(stage)
			if err != nil {
				return err
			}
			k, err := guardKind(kind)
			if err != nil {
				return err
			}
			cfg := guard.Config{AllowHosts: hosts}
			if judge != "" {
				if judge == provider.Offline {
					return llmos.Errorf(llmos.CodeInvalid, "--judge offline: the offline kernel cannot judge; name a model such as ollama:llama-guard3")
				}
				m, err := provider.Open(judge, a.env.Getenv)
				if err != nil {
					return err
				}
				cfg.Judge, cfg.JudgeModel = m, kernel.ModelOf(judge)
			}
			g, err := guard.New(cfg)
			if err != nil {
				return err
			}
			return a.guardCheck(cmd.Context(), g, guard.Input{Stage: st, Kind: k, Canary: canary})
		},
	}
	f := check.Flags()
	f.StringVar(&stage, "stage", "input", "input (text going into a model) or output (text a model wrote)")
	f.StringVar(&kind, "kind", "", "what the text is: prompt, tool_result, tool_args, reply, code (default: prompt for input, reply for output)")
	f.StringVar(&canary, "canary", "", "the canary planted in the system prompt, reported if it leaks (output stage)")
	f.StringArrayVar(&hosts, "allow-host", nil, "a host that links may point to (and its subdomains); repeatable")
	f.StringVar(&judge, "judge", "", "a model that judges each text too, as provider:model")
	cmd.AddCommand(check)
	return cmd
}

func guardStage(s string) (guard.Stage, error) {
	switch guard.Stage(s) {
	case guard.StageInput, guard.StageOutput:
		return guard.Stage(s), nil
	}
	return "", llmos.Errorf(llmos.CodeInvalid, "--stage %q: use input or output", s)
}

func guardKind(s string) (guard.Kind, error) {
	if s == "" || slices.Contains(guard.Kinds(), guard.Kind(s)) {
		return guard.Kind(s), nil
	}
	return "", llmos.Errorf(llmos.CodeInvalid, "--kind %q: use prompt, tool_result, tool_args, reply or code", s)
}

// guardLine is one line of output.
type guardLine struct {
	Line int `json:"line"`
	guard.Verdict
}

// guardCheck checks each line of standard input with g; def holds the
// defaults of the flags.
func (a *app) guardCheck(ctx context.Context, g *guard.Guard, def guard.Input) error {
	sc := bufio.NewScanner(a.env.Stdin)
	sc.Buffer(make([]byte, 64<<10), maxGuardLine+1)
	w := bufio.NewWriter(a.env.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	bad, n := 0, 0
	for sc.Scan() {
		n++
		if err := ctx.Err(); err != nil {
			return llmos.Wrap(err, llmos.CodeCanceled, "cancelled")
		}
		in, err := guardInput(bytes.TrimSuffix(sc.Bytes(), []byte("\r")), def)
		var out any
		if err != nil {
			bad++
			out = map[string]any{"line": n, "error": err.Error()}
		} else {
			out = guardLine{Line: n, Verdict: g.Check(ctx, in)}
		}
		if err := enc.Encode(out); err != nil {
			return llmos.Errorf(llmos.CodeInternal, "writing a verdict: %v", err)
		}
		if err := w.Flush(); err != nil {
			return llmos.Errorf(llmos.CodeInternal, "writing a verdict: %v", err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return llmos.Errorf(llmos.CodeInvalid, "line %d is longer than %d MiB", n+1, maxGuardLine>>20)
		}
		return llmos.Errorf(llmos.CodeInvalid, "reading standard input: %v", err)
	}
	if bad > 0 {
		return llmos.Errorf(llmos.CodeInvalid, "%d of %d line(s) could not be checked (see their \"error\")", bad, n)
	}
	return nil
}

// guardInput reads one line: plain text, or a JSON object with a "text"
// whose other fields override the defaults.
func guardInput(line []byte, def guard.Input) (guard.Input, error) {
	in := def
	in.Text = string(line)
	if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("{")) {
		return in, nil
	}
	var obj struct {
		Text   *string `json:"text"`
		Stage  *string `json:"stage"`
		Kind   *string `json:"kind"`
		Canary *string `json:"canary"`
		Tool   *string `json:"tool"`
	}
	if json.Unmarshal(line, &obj) != nil || obj.Text == nil {
		return in, nil // a text that happens to start with "{"
	}
	in.Text = *obj.Text
	if obj.Stage != nil {
		st, err := guardStage(*obj.Stage)
		if err != nil {
			return in, fmt.Errorf("stage %q: use input or output", *obj.Stage)
		}
		in.Stage = st
	}
	if obj.Kind != nil {
		k, err := guardKind(*obj.Kind)
		if err != nil {
			return in, fmt.Errorf("kind %q: use prompt, tool_result, tool_args, reply or code", *obj.Kind)
		}
		in.Kind = k
	}
	if obj.Canary != nil {
		in.Canary = *obj.Canary
	}
	if obj.Tool != nil {
		in.Tool = strings.TrimSpace(*obj.Tool)
	}
	return in, nil
}
