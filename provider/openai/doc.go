// Package openai is the model adapter for OpenAI's Chat Completions API and
// every server that speaks it: vLLM, the llama.cpp server, LM Studio and
// Ollama's /v1 endpoint among them.
//
// A *Model is a kernel.Model: the kernel's agent loop hands it an
// llmos.Request (through the scheduler in package sched), and it turns that
// into one POST to {BaseURL}/chat/completions, then turns the reply back into
// an llmos.Response. With a stream callback the call uses server-sent events:
// text is passed on as it arrives, tool calls are assembled from their pieces
// and returned whole in the Response.
//
// Failures come back as *llmos.Error with the codes every provider uses (see
// package internal/wire): a rejected key is unauthenticated, a 429 is
// rate_limited with the wait the server asked for, 5xx and dropped
// connections are unavailable, a reply that cannot be decoded or a stream that
// stops before its finish_reason is bad_response, and a cancelled context is
// canceled. The adapter never retries by itself; the scheduler does.
//
// The adapter reads no environment variables: the caller passes the key and
// base URL it wants.
//
//	m, err := openai.New(openai.Config{
//		Name:    "ollama",
//		BaseURL: "http://127.0.0.1:11434/v1",
//	})
//	if err != nil {
//		return err
//	}
//	resp, err := m.Generate(ctx, &llmos.Request{
//		Model:    "llama3.2",
//		Messages: []llmos.Message{{Role: llmos.RoleUser, Content: "Say hello."}},
//	}, nil)
package openai
