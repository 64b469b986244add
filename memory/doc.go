// Package memory is the memory hierarchy of llmos (DESIGN.md §3), MemGPT-style:
//
//   - core memory: named blocks (persona, human) with size limits, always in
//     the context window, edited by the model with core_memory_append and
//     core_memory_replace;
//   - recall memory: every message ever exchanged, durable in the state
//     database and searchable by words and dates (conversation_search);
//   - archival memory: a vector index (package vector) searched by meaning and
//     words at once, with archival_memory_insert and archival_memory_search;
//   - the context window (RAM): Window builds each model call's messages
//     within the model's token budget (tiktoken for OpenAI models, a
//     calibrated estimate for others): system prompt, core memory, a running
//     summary, memories paged in for the latest turn, recent messages. At 75%
//     of the budget the model is warned; at 90% the oldest messages are
//     evicted to recall memory and summarised (by a model when one is given,
//     extractively otherwise).
//
// Paging happens both ways: the model pages explicitly through the tools,
// and the kernel pages automatically, since every user and assistant message
// is also stored in archival memory (Remember) and, before each step, the
// memories the latest user message needs are retrieved. A retrieved memory
// already in the window counts as a hit, one brought in as a page fault;
// the counters are kept on the process and in its trace.
package memory
