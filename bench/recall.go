package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/embed"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/memory"
	"github.com/llmos/llmos/provider/scripted"
	"github.com/llmos/llmos/sched"
	"github.com/llmos/llmos/store/sqlite"
	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/local"
)

// RecallOptions sets the size of the recall benchmark.
type RecallOptions struct {
	Messages int // filler messages; 10,000 if zero
	Facts    int // planted facts; 240 if zero
	Days     int // simulated span; 90 if zero
	// EndToEnd is how many facts to ask through the kernel; 25 if zero.
	EndToEnd int
	Embedder string // "offline" if empty
	Seed     uint64
	Progress func(done, total int)
}

// RecallResult is how well archival memory finds, months later, facts that
// were said once among thousands of messages, when asked in other words.
type RecallResult struct {
	Messages int     `json:"messages"`
	Facts    int     `json:"facts"`
	Days     int     `json:"days"`
	Embedder string  `json:"embedder"`
	Recall5  float64 `json:"recall_at_5"` // hybrid search, as the kernel pages
	// Baselines of the same run: each ranking alone.
	Recall5Words   float64 `json:"recall_at_5_bm25_only"`
	Recall5Vectors float64 `json:"recall_at_5_dense_only"`
	// EndToEnd is the share of facts asked through the kernel (scripted
	// model) whose text reached the context window of the model call.
	EndToEnd      float64 `json:"end_to_end_in_window"`
	EndToEndAsked int     `json:"end_to_end_asked"`
	InsertPerSec  float64 `json:"insert_per_s"`
	SearchMSPerQ  float64 `json:"search_ms_per_query"`
	ExampleQ      string  `json:"example_question"`
	ExampleFact   string  `json:"example_fact"`
}

// A fact is a sentence said once and a question about it in other words.
type fact struct{ said, asked string }

// factTemplates plant facts; %[1]s is a unique value, %[2]s a subject.
// The questions share some words with what was said, or synonyms, but are
// phrased differently, as people ask.
var factTemplates = []struct{ said, asked string }{
	{"By the way, my favourite %[2]s is %[1]s.", "Which %[2]s is my favorite?"},
	{"I parked the car on level %[1]s of the %[2]s garage.", "Where is my vehicle parked in the %[2]s garage?"},
	{"My %[2]s is called %[1]s.", "What is my %[2]s called again?"},
	{"The %[2]s appointment is on %[1]s.", "When did I book the %[2]s appointment for?"},
	{"I lent my %[2]s to %[1]s last week.", "Who did I lend my %[2]s to?"},
	{"The wifi password at the %[2]s is %[1]s.", "What is the password for the wireless network at the %[2]s?"},
	{"I bought a %[1]s %[2]s yesterday.", "Which %[2]s did I buy?"},
	{"Our %[2]s meeting moved to room %[1]s.", "Which room is the %[2]s meeting in now?"},
	{"My doctor said to take %[1]s for the %[2]s.", "What did the physician tell me to take for the %[2]s?"},
	{"The %[2]s film we watched was %[1]s.", "Which %[2]s movie did we watch?"},
}

var (
	subjects = []string{"book", "sister", "dentist", "bike", "office", "laptop", "project", "cat", "garden", "band",
		"coffee", "neighbour", "camera", "kitchen", "piano", "tennis", "budget", "allergy", "museum", "jacket"}
	values = []string{"Zanzibar", "Quillon", "Marrowby", "Tessaly", "Orinoco", "Vantablue", "Kestrel", "Pemberly", "Ulric",
		"Saffron", "Brisbane", "Halcyon", "Juniper", "Lumen", "Mistral", "Nimbus", "Obsidian", "Peregrine", "Quasar", "Rosalind"}
	// Filler is everyday conversation: templates with slots for a subject
	// (the same subjects the facts are about, so words alone do not give a
	// fact away), a person, a place, a time and a number.
	filler = []string{
		"Can you help me draft an email to %[2]s about the %[1]s?",
		"The weather was nice %[4]s, we walked near the %[3]s and talked about the %[1]s.",
		"I need to finish the report on the %[1]s before %[4]s.",
		"What do you think about the new %[1]s policy %[2]s proposed?",
		"Remind me to call %[2]s about the %[1]s %[4]s.",
		"We had a long discussion about the %[1]s at lunch in the %[3]s.",
		"Sure, here is a summary of the %[1]s notes you asked for, %[5]d points in all.",
		"That sounds good; let's revisit the %[1]s %[4]s.",
		"I read an article about the %[1]s at the %[3]s.",
		"The %[1]s was %[5]d euros more expensive than expected.",
		"%[2]s says the %[1]s needs another look before %[4]s.",
		"Could you list three ideas for the %[1]s before %[2]s arrives?",
		"I'm tired; the %[1]s took %[5]d minutes longer than planned.",
		"Translate 'see you at the %[3]s %[4]s' into French for %[2]s, please.",
		"How many steps did I walk %[4]s? I think about %[5]d00.",
		"Add the %[1]s to my to-do list for %[4]s.",
		"%[2]s sent photos from the %[3]s.",
		"Let's compare two options for the %[1]s with %[2]s: cheap or quick.",
		"Why does the %[1]s keep making that noise near the %[3]s?",
		"Thanks, that explanation of the %[1]s helped %[2]s a lot.",
		"Book a table for %[5]d at the %[3]s %[4]s.",
		"I forgot my umbrella at the %[3]s again %[4]s.",
		"Summarise the thread with %[2]s about the %[1]s.",
		"The train to the %[3]s was %[5]d minutes late.",
	}
	people = []string{"Maria", "Tom", "Aisha", "Kenji", "Lena", "Omar", "Priya", "Jonas", "Chloe", "Diego", "Nora", "Felix"}
	places = []string{"park", "station", "library", "harbour", "market", "old town", "river", "cafe", "stadium", "bakery", "gallery", "beach"}
	whens  = []string{"today", "tomorrow", "on Monday", "this weekend", "next week", "tonight", "on Thursday", "in the morning"}
)

func fillerText(r *rand.Rand) string {
	t := filler[r.IntN(len(filler))]
	return fmt.Sprintf(t, subjects[r.IntN(len(subjects))], people[r.IntN(len(people))], places[r.IntN(len(places))],
		whens[r.IntN(len(whens))], 2+r.IntN(60))
}

func makeFacts(r *rand.Rand, n int) []fact {
	facts := make([]fact, n)
	for i := range facts {
		t := factTemplates[i%len(factTemplates)]
		subj := subjects[r.IntN(len(subjects))]
		val := fmt.Sprintf("%s-%d", values[r.IntN(len(values))], 100+i)
		facts[i] = fact{said: fmt.Sprintf(t.said, val, subj), asked: fmt.Sprintf(t.asked, val, subj)}
	}
	return facts
}

// Recall runs the recall benchmark in a temporary folder.
func Recall(ctx context.Context, opts RecallOptions) (*RecallResult, error) {
	if opts.Messages == 0 {
		opts.Messages = 10_000
	}
	if opts.Facts == 0 {
		opts.Facts = 240
	}
	if opts.Days == 0 {
		opts.Days = 90
	}
	if opts.EndToEnd == 0 {
		opts.EndToEnd = 25
	}
	if opts.Embedder == "" {
		opts.Embedder = "offline"
	}
	dir, err := os.MkdirTemp("", "llmos-recall-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	idx, err := local.Open(ctx, filepath.Join(dir, "vector"), local.Options{})
	if err != nil {
		return nil, err
	}
	defer idx.Close()
	emb, err := embed.Open(opts.Embedder, os.Getenv)
	if err != nil {
		return nil, err
	}
	mem, err := memory.New(ctx, memory.Config{Store: db, Index: idx, Embedder: emb})
	if err != nil {
		return nil, err
	}

	r := rand.New(rand.NewPCG(opts.Seed, 90))
	facts := makeFacts(r, opts.Facts)
	start := time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC)
	span := time.Duration(opts.Days) * 24 * time.Hour
	total := opts.Messages + opts.Facts
	// Facts are planted at random places in the history.
	at := map[int]int{}
	for i := range facts {
		for {
			p := r.IntN(total)
			if _, taken := at[p]; !taken {
				at[p] = i
				break
			}
		}
	}
	items := make([]memory.Item, 0, 512)
	t0 := time.Now()
	for i := range total {
		when := start.Add(time.Duration(float64(span) * float64(i) / float64(total)))
		it := memory.Item{Namespace: "bench", Time: when, Meta: map[string]string{"kind": "message", "role": "user"}}
		if f, ok := at[i]; ok {
			it.ID, it.Text = fmt.Sprintf("fact-%04d", f), facts[f].said
		} else {
			it.ID = fmt.Sprintf("msg-%06d", i)
			it.Text = fillerText(r)
			if r.IntN(3) == 0 {
				it.Text += " " + fillerText(r)
			}
		}
		items = append(items, it)
		if len(items) == cap(items) || i == total-1 {
			if err := mem.Insert(ctx, items); err != nil {
				return nil, err
			}
			items = items[:0]
			if opts.Progress != nil {
				opts.Progress(i+1, total+opts.Facts)
			}
		}
	}
	res := &RecallResult{Messages: opts.Messages, Facts: opts.Facts, Days: opts.Days, Embedder: memory.EmbedderID(emb),
		ExampleQ: facts[0].asked, ExampleFact: facts[0].said}
	res.InsertPerSec = float64(total) / time.Since(t0).Seconds()

	// Hybrid, as the kernel pages; and each ranking alone, as baselines.
	var hybrid, words, dense int
	t1 := time.Now()
	for i, f := range facts {
		id := fmt.Sprintf("fact-%04d", i)
		found, err := mem.Search(ctx, "bench", f.asked, 5, vector.Filter{})
		if err != nil {
			return nil, err
		}
		for _, x := range found {
			if x.ID == id {
				hybrid++
				break
			}
		}
		if opts.Progress != nil {
			opts.Progress(total+i+1, total+opts.Facts)
		}
	}
	res.SearchMSPerQ = float64(time.Since(t1).Milliseconds()) / float64(len(facts))
	for i, f := range facts {
		id := fmt.Sprintf("fact-%04d", i)
		vecs, err := emb.Embed(ctx, []string{f.asked})
		if err != nil {
			return nil, err
		}
		for q, hit := range []*int{&words, &dense} {
			query := vector.Query{Text: f.asked, K: 5, Filter: vector.Filter{Namespace: "bench"}}
			if q == 1 {
				query = vector.Query{Vector: vecs[0], K: 5, Filter: vector.Filter{Namespace: "bench"}}
			}
			found, err := idx.Search(ctx, query)
			if err != nil {
				return nil, err
			}
			for _, x := range found {
				if x.ID == id {
					*hit++
					break
				}
			}
		}
	}
	n := float64(len(facts))
	res.Recall5, res.Recall5Words, res.Recall5Vectors = float64(hybrid)/n, float64(words)/n, float64(dense)/n

	// End to end: a process asks; the planted fact must reach the window.
	model := scripted.New(scripted.Say("noted"))
	model.Repeat = true
	calls := kernel.NewSyscalls()
	for _, t := range mem.Tools() {
		if err := calls.Register(t); err != nil {
			return nil, err
		}
	}
	k, err := kernel.New(kernel.Config{Store: db, Sched: sched.New(sched.Config{}), Syscalls: calls, Memory: mem,
		Open: func(string) (kernel.Model, error) { return model, nil }})
	if err != nil {
		return nil, err
	}
	asked := min(opts.EndToEnd, len(facts))
	inWindow := 0
	for i := range asked {
		f := facts[i*len(facts)/asked]
		p, err := k.Spawn(ctx, kernel.Spec{Task: f.asked, Model: "scripted:bench", Namespace: "bench", Budget: kernel.Budget{MaxSteps: 2}})
		if err != nil {
			return nil, err
		}
		if _, err := k.Run(ctx, p.PID, kernel.RunOptions{}); err != nil {
			return nil, err
		}
		reqs := model.Requests()
		if windowHas(reqs[len(reqs)-1].Messages, f.said) {
			inWindow++
		}
	}
	res.EndToEndAsked = asked
	res.EndToEnd = float64(inWindow) / float64(asked)
	return res, nil
}

func windowHas(msgs []llmos.Message, text string) bool {
	for _, m := range msgs {
		if m.Role != llmos.RoleUser && strings.Contains(m.Content, text) {
			return true
		}
	}
	return false
}
