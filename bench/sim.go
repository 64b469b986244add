package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SimEndpoint are the parameters of the simulated model provider, an
// OpenAI Chat Completions server on 127.0.0.1. Its model works like this:
//
//   - A request is admitted when one of Slots generation slots is free and
//     its token bucket holds the request's tokens (prompt + completion). The
//     bucket holds up to TokensPerMinute tokens and refills continuously, as
//     the scheduler's does. Otherwise it answers 429 in OpenAI's error format
//     with Retry-After (seconds, fractional) and retry-after-ms: BusyRetryAfter
//     when all slots are taken, the time until the bucket holds enough tokens
//     when the budget is spent.
//   - An admitted request holds its slot for BaseLatency + PerToken × its
//     completion tokens, stretched by the load below; then the slot is freed
//     and the reply, with usage, is sent.
//   - The API front end shares the host with the engine: every request it
//     handles, admitted or refused, costs RequestCost of the host's time. With
//     f the share of time the front end takes (RequestCost × requests per
//     second, averaged over the last 250ms, at most 0.9), generation runs
//     1/(1-f) times slower. So a storm of refused requests slows everyone.
//
// The defaults make a run of 1,000 processes × 3 steps last about 5 s when
// scheduled. Slots (64) bind; the token budget (6M a minute) is honest but
// cannot bind in a run this short, since the bucket starts full with a
// minute's worth. BusyRetryAfter (250ms) is about 2.5 times a call's mean
// length (95ms nominal), as a 1-2 s Retry-After is for real calls of a few
// seconds. RequestCost (200µs) means that serving at full capacity (about 670
// requests a second) takes the front end 13% of the host: the scheduled run
// pays it too. The baseline's goodput depends on RequestCost most of all,
// because a storm of 429s that slows the server keeps more clients waiting,
// which feeds the storm. On the quiet 2-core machine this was written on,
// the scheduled/baseline goodput ratio was 1.2 with no cost, 1.4 at 100µs,
// 1.8 to 2.1 at 200µs, 2.9 at 250µs and 4.4 at 300µs, where the storm
// feeds itself; the other figures hardly moved.
//
// The endpoint behaves the same whoever calls it: the scheduled run and the
// unscheduled baseline meet the same server, reset between runs.
//
// A zero field takes its default, shown in brackets.
type SimEndpoint struct {
	Slots           int           // concurrent generations [64]
	TokensPerMinute int           // token budget [6,000,000]
	BaseLatency     time.Duration // time to first token [20ms]
	PerToken        time.Duration // per completion token [0.75ms]
	RequestCost     time.Duration // host time per request handled [200µs]; negative for none
	BusyRetryAfter  time.Duration // Retry-After when all slots are taken [250ms]
}

// EndpointParams are SimEndpoint's values as the result reports them.
type EndpointParams struct {
	Slots            int     `json:"slots"`
	TokensPerMinute  int     `json:"tokens_per_minute"`
	BaseLatencyMs    float64 `json:"base_latency_ms"`
	PerTokenMs       float64 `json:"per_token_ms"`
	RequestCostMs    float64 `json:"request_cost_ms"`
	BusyRetryAfterMs float64 `json:"busy_retry_after_ms"`
}

func (e SimEndpoint) params() EndpointParams {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return EndpointParams{e.Slots, e.TokensPerMinute, ms(e.BaseLatency), ms(e.PerToken), ms(e.RequestCost), ms(e.BusyRetryAfter)}
}

func (e SimEndpoint) withDefaults() SimEndpoint {
	if e.Slots <= 0 {
		e.Slots = 64
	}
	if e.TokensPerMinute <= 0 {
		e.TokensPerMinute = 6_000_000
	}
	if e.BaseLatency <= 0 {
		e.BaseLatency = 20 * time.Millisecond
	}
	if e.PerToken <= 0 {
		e.PerToken = 750 * time.Microsecond
	}
	if e.RequestCost == 0 {
		e.RequestCost = 200 * time.Microsecond
	}
	e.RequestCost = max(e.RequestCost, 0)
	if e.BusyRetryAfter <= 0 {
		e.BusyRetryAfter = 250 * time.Millisecond
	}
	return e
}

// EndpointFigures are what the simulated endpoint measured during one run.
type EndpointFigures struct {
	Requests            int64 `json:"requests"`
	Served              int64 `json:"served"`
	RejectedConcurrency int64 `json:"rejected_concurrency"`
	RejectedTPM         int64 `json:"rejected_tpm"`
	TokensServed        int64 `json:"tokens_served"`
	PeakActive          int   `json:"peak_active"`
	// WindowSeconds runs from the first request's arrival to the last
	// reply's end.
	WindowSeconds float64 `json:"window_seconds"`
	// BusySeconds is the sum over served requests of the time they held a
	// slot (refused requests hold none).
	BusySeconds float64 `json:"busy_seconds"`
	// SlotUtilization is BusySeconds / (Slots × WindowSeconds).
	SlotUtilization float64 `json:"slot_utilization"`
	// TokenUtilization is TokensServed over the most the token bucket could
	// admit in the window: TokensPerMinute (a full bucket at the start) plus
	// TokensPerMinute/60 for each second.
	TokenUtilization float64 `json:"token_utilization"`
	// MeanSlowdown is the mean stretch of generation time by front-end load
	// over served requests (1 is none).
	MeanSlowdown float64 `json:"mean_slowdown"`
}

// simServer is the simulated endpoint.
type simServer struct {
	p   SimEndpoint
	srv *httptest.Server
	seq atomic.Int64

	mu         sync.Mutex
	active     int
	tokens     float64
	refilledAt time.Time
	loadRate   float64 // requests per second, exponentially averaged
	loadAt     time.Time
	fig        EndpointFigures
	first      time.Time
	last       time.Time
	busy       time.Duration
	slowdowns  float64
}

// loadWindow is the time constant of the front-end load average.
const loadWindow = 250 * time.Millisecond

func newSimServer(p SimEndpoint) *simServer {
	s := &simServer{p: p}
	s.reset()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.srv = httptest.NewServer(mux)
	return s
}

func (s *simServer) Close() { s.srv.Close() }

// URL is the API root, ending in /v1.
func (s *simServer) URL() string { return s.srv.URL + "/v1" }

// reset starts a new measurement: counters cleared, the bucket full.
func (s *simServer) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.tokens = float64(s.p.TokensPerMinute)
	s.refilledAt = now
	s.fig = EndpointFigures{}
	s.first, s.last = time.Time{}, time.Time{}
	s.busy, s.slowdowns = 0, 0
	s.loadRate, s.loadAt = 0, now
}

// figures returns what was measured since the last reset.
func (s *simServer) figures() EndpointFigures {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fig
	if !s.first.IsZero() && s.last.After(s.first) {
		w := s.last.Sub(s.first)
		f.WindowSeconds = w.Seconds()
		f.BusySeconds = s.busy.Seconds()
		f.SlotUtilization = s.busy.Seconds() / (float64(s.p.Slots) * w.Seconds())
		capacity := float64(s.p.TokensPerMinute) * (1 + w.Minutes())
		f.TokenUtilization = float64(f.TokensServed) / capacity
	}
	if f.Served > 0 {
		f.MeanSlowdown = s.slowdowns / float64(f.Served)
	}
	return f
}

// chatRequest is the part of a Chat Completions request the simulator reads.
type chatRequest struct {
	Model     string `json:"model"`
	MaxTokens int    `json:"max_tokens"`
	MaxCompl  int    `json:"max_completion_tokens"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

// simDirective is the user message that tells the simulated model how big
// the prompt is and how long to answer: the client does not send thousands
// of tokens of filler, it declares them.
const simDirective = "simulate prompt_tokens=%d completion_tokens=%d"

// sizes reads the prompt and completion tokens of a request: from the
// directive when present, otherwise about four bytes a token and half the
// token limit.
func (r *chatRequest) sizes() (prompt, completion int) {
	limit := max(r.MaxTokens, r.MaxCompl)
	for _, m := range r.Messages {
		var text string
		if json.Unmarshal(m.Content, &text) != nil {
			text = string(m.Content)
		}
		if i := strings.Index(text, "simulate "); i >= 0 {
			var p, c int
			if n, _ := fmt.Sscanf(text[i:], simDirective, &p, &c); n == 2 {
				prompt, completion = p, c
				continue
			}
		}
		prompt += len(text)/4 + 4
	}
	if completion <= 0 {
		completion = max(limit/2, 1)
	}
	if limit > 0 {
		completion = min(completion, limit)
	}
	return max(prompt, 1), completion
}

func (s *simServer) chat(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", "could not parse the request body", 0)
		return
	}
	prompt, completion := req.sizes()
	need := prompt + completion

	now := time.Now()
	s.mu.Lock()
	s.fig.Requests++
	if s.first.IsZero() {
		s.first = now
	}
	slowdown := s.noteRequest(now)
	var retry time.Duration
	switch {
	case s.active >= s.p.Slots:
		s.fig.RejectedConcurrency++
		retry = s.p.BusyRetryAfter
	default:
		s.refill(now)
		if want := float64(min(need, s.p.TokensPerMinute)); s.tokens < want {
			s.fig.RejectedTPM++
			rate := float64(s.p.TokensPerMinute) / float64(time.Minute)
			retry = time.Duration(math.Ceil((want - s.tokens) / rate))
		}
	}
	if retry > 0 {
		s.mu.Unlock()
		msg := fmt.Sprintf("Rate limit reached for sim-model: please try again in %s.", retry.Round(time.Millisecond))
		writeError(w, http.StatusTooManyRequests, "requests", "rate_limit_exceeded", msg, retry)
		return
	}
	s.active++
	s.fig.PeakActive = max(s.fig.PeakActive, s.active)
	s.tokens -= float64(need)
	s.mu.Unlock()

	start := time.Now()
	ok := s.generate(r.Context(), s.p.BaseLatency+time.Duration(completion)*s.p.PerToken, slowdown)
	end := time.Now()
	s.mu.Lock()
	s.active--
	if ok {
		s.fig.Served++
		s.fig.TokensServed += int64(need)
		s.busy += end.Sub(start)
		s.slowdowns += float64(end.Sub(start)) / float64(s.p.BaseLatency+time.Duration(completion)*s.p.PerToken)
		s.last = end
	} else {
		// The client went away: its tokens are given back.
		s.tokens += float64(need)
	}
	s.mu.Unlock()
	if !ok {
		return
	}
	writeCompletion(w, s.seq.Add(1), req.Model, prompt, completion)
}

// noteRequest counts a request in the front-end load and returns the current
// slowdown of generation. It is called with mu held.
func (s *simServer) noteRequest(now time.Time) float64 {
	s.decay(now)
	s.loadRate += 1 / loadWindow.Seconds()
	return s.slowdown()
}

func (s *simServer) decay(now time.Time) {
	if now.After(s.loadAt) {
		s.loadRate *= math.Exp(-float64(now.Sub(s.loadAt)) / float64(loadWindow))
		s.loadAt = now
	}
}

// slowdown is 1/(1-f) for the front end's share f of the host. Called with mu held.
func (s *simServer) slowdown() float64 {
	f := min(s.loadRate*s.p.RequestCost.Seconds(), 0.9)
	return 1 / (1 - f)
}

// generate holds a slot for work of the given nominal length. The work
// progresses at the speed the front-end load allows, re-read every chunk; a
// wake-up that comes late counts as progress at that speed, so the timer's
// lateness on a busy machine is not added to every chunk. It reports false if
// the client went away first.
func (s *simServer) generate(ctx context.Context, work time.Duration, slowdown float64) bool {
	const chunk = 20 * time.Millisecond
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	remaining := float64(work)
	last := time.Now()
	for remaining > 0 {
		t.Reset(time.Duration(min(float64(chunk), remaining) * slowdown))
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
		now := time.Now()
		remaining -= float64(now.Sub(last)) / slowdown
		last = now
		s.mu.Lock()
		s.decay(now)
		slowdown = s.slowdown()
		s.mu.Unlock()
	}
	return true
}

func (s *simServer) refill(now time.Time) {
	if now.After(s.refilledAt) {
		rate := float64(s.p.TokensPerMinute) / float64(time.Minute)
		s.tokens = min(float64(s.p.TokensPerMinute), s.tokens+float64(now.Sub(s.refilledAt))*rate)
		s.refilledAt = now
	}
}

// writeError answers in OpenAI's error format; a 429 carries Retry-After in
// seconds (fractional) and retry-after-ms.
func writeError(w http.ResponseWriter, status int, typ, code, msg string, retry time.Duration) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if retry > 0 {
		h.Set("Retry-After", strconv.FormatFloat(retry.Seconds(), 'f', -1, 64))
		h.Set("Retry-After-Ms", strconv.FormatInt(int64(math.Ceil(float64(retry)/float64(time.Millisecond))), 10))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": nil, "code": code,
	}})
}

// writeCompletion sends a non-streaming chat completion with usage.
func writeCompletion(w http.ResponseWriter, n int64, model string, prompt, completion int) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id":      fmt.Sprintf("chatcmpl-sim-%d", n),
		"object":  "chat.completion",
		"created": time.Now().Unix(),
		"model":   model,
		"choices": []any{map[string]any{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": fmt.Sprintf("Simulated reply of %d tokens.", completion), "refusal": nil},
			"logprobs":      nil,
			"finish_reason": "stop",
		}},
		"usage": map[string]any{
			"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
		},
	})
}
