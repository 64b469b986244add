package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmos/llmos/security/audit"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "llmos-audit")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, audit.FileName)

	// The monitor appends a record for each decision.
	l, err := audit.Open(path, audit.Options{})
	if err != nil {
		panic(err)
	}
	l.Append(ctx, audit.Record{Kind: "syscall", PID: 3, Tool: "web_fetch", Action: "allow"})
	l.Append(ctx, audit.Record{Kind: "verdict", PID: 3, Tool: "web_fetch", Action: "block", Reason: "prompt injection in the page"})
	last, _ := l.Tail(ctx, 1)
	fmt.Println(last[0].Seq, last[0].Action, last[0].Reason)
	l.Close()

	// Anyone can check the chain, without the key.
	rep, _ := audit.Verify(ctx, path, audit.Options{})
	fmt.Println(rep.OK, rep.Records, rep.Head)

	// Someone deletes the first record.
	b, _ := os.ReadFile(path)
	for i, c := range b {
		if c == '\n' {
			os.WriteFile(path, b[i+1:], 0o600)
			break
		}
	}
	rep, _ = audit.Verify(ctx, path, audit.Options{})
	fmt.Println(rep.OK, rep.Problems[0].Detail)
	// Output:
	// 2 block prompt injection in the page
	// true 2 2
	// false record 1 was deleted: record 2 (line 1) is the first
}
