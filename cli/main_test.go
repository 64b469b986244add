package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
)

// mainIn runs the llmos command in-process through Main, as the binary
// would, with stdin and the variables in vars, writing its output to stdout;
// it returns the exit code and what went to stderr.
func mainIn(ctx context.Context, vars map[string]string, stdin string, stdout io.Writer, args ...string) (code int, stderr string) {
	var errb bytes.Buffer
	code = Main(ctx, args, Env{Stdin: strings.NewReader(stdin), Stdout: stdout, Stderr: &errb,
		Getenv: func(k string) string { return vars[k] }})
	return code, errb.String()
}

// mainRun is mainIn with stdout captured.
func mainRun(vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	var out bytes.Buffer
	code, stderr = mainIn(context.Background(), vars, stdin, &out, args...)
	return code, out.String(), stderr
}
