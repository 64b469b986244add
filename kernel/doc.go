// Package kernel runs agents as processes. It owns the process table, the
// agent loop and the syscall table: the one road every effect of an agent
// takes (DESIGN.md §1).
//
// A process has a PID, a parent, a model, the capabilities it holds, budgets
// of steps, tokens and time, and its own conversation. Run drives its loop:
// assemble the context, ask the model through the scheduler, dispatch the tool
// calls the model returns through the syscall table (several at once, since a
// model asks for several in one turn only when they are independent), append
// the results, and repeat until the model answers or a budget runs out. Each
// step is committed to the Store whole, so a process interrupted by Ctrl-C, a
// crash or `llmos kill` in another terminal stops at a step boundary and
// `llmos resume` continues from its last completed step. Every model call and
// syscall is written to the process's trace (`llmos logs`).
//
// The syscall table validates a call's arguments against the tool's JSON
// Schema and checks its capabilities before the tool runs; a bad call (not
// JSON, wrong shape, unknown tool, denied, a tool that fails or panics)
// becomes an error result the model can read and correct, never a crash.
//
// The kernel owns the interfaces it consumes: Model (implemented by the
// adapters in provider/...), Store (store/...) and Scheduler (sched).
//
//	k, _ := kernel.New(kernel.Config{Store: db, Sched: sched.New(sched.Config{}), Syscalls: calls, Open: open})
//	p, _ := k.Spawn(ctx, kernel.Spec{Task: "what is 12345 * 6789", Model: "openai:gpt-4o-mini"})
//	p, err := k.Run(ctx, p.PID, kernel.RunOptions{})
//	fmt.Println(p.Result) // 83810205
package kernel
