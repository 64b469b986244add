// Command llmos is the llmos operating system for AI agents; see package cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/llmos/llmos/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OS())
	stop()
	os.Exit(code)
}
