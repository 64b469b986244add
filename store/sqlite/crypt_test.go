package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/internal/leaktest"
	"github.com/llmos/llmos/kernel"
	"github.com/llmos/llmos/memory"
	"github.com/llmos/llmos/store/storetest"
)

const canary = "CANARY-7f3e9a1c-zebra-quartz"

// canaryWords are the words a plaintext full-text index would keep of it.
var canaryWords = []string{"zebra", "quartz", "7f3e9a1c"}

func openCipher(t testing.TB, path string, c Cipher) *DB {
	t.Helper()
	db, err := OpenWith(context.Background(), path, Options{Cipher: c})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// fill writes the canary everywhere a user or a model can put text: task,
// result, summary and error of a process, user/assistant/tool messages, tool
// call arguments, events, a core block and a meta value. It returns the pid.
func fill(t *testing.T, db *DB) int64 {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	p := &kernel.Process{State: kernel.StateRunnable, Model: "offline", Namespace: "alice",
		Task: "remember " + canary, Caps: []string{"*"}, Created: now, Updated: now}
	msgs := []llmos.Message{
		{Role: llmos.RoleSystem, Content: "you are helpful"},
		{Role: llmos.RoleUser, Content: "my secret word is " + canary + ", the zebra runs"},
	}
	if err := db.CreateProcess(ctx, p, msgs); err != nil {
		t.Fatal(err)
	}
	p.Steps, p.State = 1, kernel.StateDone
	p.Result, p.Error = "the word is "+canary, "none "+canary
	p.Memory.Summary = "the user said " + canary
	step := []llmos.Message{
		{Role: llmos.RoleAssistant, ToolCalls: []llmos.ToolCall{{ID: "c1", Name: "archival_memory_insert",
			Arguments: `{"text":"` + canary + `"}`}}},
		{Role: llmos.RoleTool, ToolCallID: "c1", Name: "archival_memory_insert", Content: "stored " + canary,
			Label: llmos.LabelOf(llmos.SourceTool)},
		{Role: llmos.RoleAssistant, Content: "I will keep " + canary + " safe, quartz and all"},
	}
	if err := db.CommitStep(ctx, p, step); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendEvent(ctx, &kernel.Event{PID: p.PID, Time: now, Kind: "syscall", Tool: "archival_memory_insert",
		Args: json.RawMessage(`{"text":"` + canary + `"}`), Result: "stored " + canary, Message: canary}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCoreBlock(ctx, "alice", "human", "Alice's password is "+canary); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMeta(ctx, "note", canary); err != nil {
		t.Fatal(err)
	}
	return p.PID
}

// check reads back what fill wrote.
func check(t *testing.T, db *DB, pid int64) {
	t.Helper()
	ctx := context.Background()
	p, err := db.Process(ctx, pid)
	if err != nil || !strings.Contains(p.Task, canary) || !strings.Contains(p.Result, canary) || !strings.Contains(p.Memory.Summary, canary) {
		t.Fatalf("Process = %+v, %v", p, err)
	}
	msgs, err := db.Messages(ctx, pid)
	if err != nil || len(msgs) != 5 || !strings.Contains(msgs[1].Content, canary) || !strings.Contains(msgs[2].ToolCalls[0].Arguments, canary) {
		t.Fatalf("Messages = %+v, %v", msgs, err)
	}
	evs, err := db.Events(ctx, pid, 0)
	if err != nil || len(evs) != 1 || !strings.Contains(evs[0].Result, canary) {
		t.Fatalf("Events = %+v, %v", evs, err)
	}
	core, err := db.CoreBlocks(ctx, "alice")
	if err != nil || !strings.Contains(core["human"], canary) {
		t.Fatalf("CoreBlocks = %v, %v", core, err)
	}
	if v, err := db.Meta(ctx, "note"); err != nil || v != canary {
		t.Fatalf("Meta = %q, %v", v, err)
	}
	hits, err := db.SearchMessages(ctx, memory.RecallQuery{Namespace: "alice", Text: "zebras running"})
	if err != nil || len(hits) < 2 || hits[0].PID != pid || hits[0].Seq != 1 || !strings.Contains(hits[0].Text, canary) {
		t.Fatalf("SearchMessages = %+v, %v", hits, err)
	}
	all, err := db.Processes(ctx)
	if err != nil || len(all) == 0 || all[0].PID != pid {
		t.Fatalf("Processes = %v, %v", all, err)
	}
}

// findCanary returns "file holds secret as encoding" for each file under dir
// that holds one of secrets in one of its leaktest.Encodings.
func findCanary(t *testing.T, dir string, secrets ...string) []string {
	t.Helper()
	found, err := leaktest.Find(dir, leaktest.Encodings(secrets...))
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// noCanary fails if any file under dir holds the canary, or a word of it, in
// any encoding.
func noCanary(t *testing.T, dir, when string) {
	t.Helper()
	if found := findCanary(t, dir, append([]string{canary}, canaryWords...)...); len(found) > 0 {
		files, _ := leaktest.Files(dir)
		t.Errorf("%s: the canary is in the files %v: %v", when, files, found)
	}
}

// noPlainIndex fails if the blind index holds a word of the canary, or the
// plaintext index holds anything.
func noPlainIndex(t *testing.T, db *DB) {
	t.Helper()
	rows, err := db.db.Query(`SELECT terms FROM messages_blind`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var terms string
		rows.Scan(&terms)
		n++
		// Every token is a 16-character keyed token, never a word; a
		// word could only sit inside one by chance, so whole tokens are
		// compared, and the long canary words searched inside them.
		for _, tok := range strings.Fields(terms) {
			if len(tok) != 16 {
				t.Errorf("blind token %q is not 16 characters", tok)
			}
			for _, w := range []string{"canary", "secret", "run", "runs"} {
				if tok == w {
					t.Errorf("the blind index holds %q: %q", w, terms)
				}
			}
		}
		for _, w := range canaryWords {
			if len(w) >= 5 && strings.Contains(terms, strings.ToLower(w)) {
				t.Errorf("the blind index holds %q: %q", w, terms)
			}
		}
	}
	if n == 0 {
		t.Error("the blind index is empty")
	}
	var fts int
	db.db.QueryRow(`SELECT (SELECT COUNT(*) FROM messages_fts) + (SELECT COUNT(*) FROM messages_fts_data WHERE id > 10)`).Scan(&fts)
	if fts != 0 {
		t.Errorf("the plaintext index has %d rows", fts)
	}
}

func TestCanary(t *testing.T) {
	dir := t.TempDir()
	db := openCipher(t, filepath.Join(dir, "state.db"), leaktest.NewCipher("k1"))
	pid := fill(t, db)
	check(t, db, pid)
	noPlainIndex(t, db)
	noCanary(t, dir, "open, before a checkpoint")
	if _, err := db.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		t.Fatal(err)
	}
	// Overwrite and delete: secure_delete must leave no old version behind.
	db.SetCoreBlock(context.Background(), "alice", "human", "forgotten")
	noCanary(t, dir, "open, after a checkpoint")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	noCanary(t, dir, "closed")
	db = openCipher(t, filepath.Join(dir, "state.db"), leaktest.NewCipher("k1"))
	defer db.Close()
	if v, _ := db.CoreBlocks(context.Background(), "alice"); v["human"] != "forgotten" {
		t.Errorf("core block after reopen = %q", v["human"])
	}
}

// TestCanaryBites checks that the canary search finds the canary in a
// plaintext store, so that TestCanary passing means something.
func TestCanaryBites(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db)
	found := findCanary(t, dir, canary)
	db.Close()
	if len(found) == 0 {
		t.Fatal("the canary is not found in a plaintext store")
	}
}

// recallCorpus is shared by the recall tests: messages of alice, and of bob
// with the same words.
var recallCorpus = []string{
	"The dog runs fast in the park every morning",
	"Cats sleep all day on the warm windowsill",
	"I was running late for the meeting with the accountant",
	"Please book a table at the Italian restaurant for Friday",
	"My sister's wedding is in Lisbon next June",
	"The quarterly report shows revenue growth of twelve percent",
	"Remind me to water the plants and feed the cat",
	"Running shoes are on sale at the sports shop downtown",
	"The café near the station serves excellent espresso",
	"Connection errors happened when connecting to the database",
	"We connected the printer; the connections are fine now",
	"What's the weather like in Paris? Sunny, 24°C, no rain",
}

var recallQueries = []string{
	"running", "runs", "cat sleeping", "restaurant booking", "wedding Lisbon", "revenue report growth",
	"connect", "cafe espresso", "paris weather", "shoes", "nothing matches here xyzzy", "", "the",
}

// loadCorpus stores recallCorpus in a process of each namespace (alice and
// bob when none is given).
func loadCorpus(t *testing.T, db *DB, nss ...string) {
	t.Helper()
	ctx := context.Background()
	if len(nss) == 0 {
		nss = []string{"alice", "bob"}
	}
	for _, ns := range nss {
		p := &kernel.Process{State: kernel.StateDone, Model: "offline", Namespace: ns, Task: "t"}
		var msgs []llmos.Message
		for i, text := range recallCorpus {
			role := llmos.RoleUser
			if i%2 == 1 {
				role = llmos.RoleAssistant
			}
			msgs = append(msgs, llmos.Message{Role: role, Content: text})
			msgs = append(msgs, llmos.Message{Role: llmos.RoleTool, Content: "tool " + text}) // not indexed
		}
		if err := db.CreateProcess(ctx, p, msgs); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRecallSameAsPlaintext runs the same queries on a plaintext and an
// encrypted store of one namespace: the hits, their order and their BM25
// scores must agree, which shows that the blind index splits and stems words
// exactly as FTS5 does.
func TestRecallSameAsPlaintext(t *testing.T) {
	ctx := context.Background()
	plain, err := Open(ctx, filepath.Join(t.TempDir(), "plain.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	sealed := openCipher(t, filepath.Join(t.TempDir(), "sealed.db"), leaktest.NewCipher("k1"))
	defer sealed.Close()
	loadCorpus(t, plain, "alice")
	loadCorpus(t, sealed, "alice")
	for _, q := range recallQueries {
		rq := memory.RecallQuery{Namespace: "alice", Text: q, Limit: 5}
		want, err := plain.SearchMessages(ctx, rq)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sealed.SearchMessages(ctx, rq)
		if err != nil {
			t.Fatal(err)
		}
		if !sameHits(got, want, true) {
			t.Errorf("%q: encrypted %v, plaintext %v", q, hitList(got), hitList(want))
		}
	}
	// Stemming: "running" finds "runs" and "Running".
	hits, _ := sealed.SearchMessages(ctx, memory.RecallQuery{Namespace: "alice", Text: "running"})
	if got := texts(hits); len(got) != 3 {
		t.Errorf("running: %v", got)
	}
}

// TestRecallNamespaces: with two namespaces holding the same words, each
// finds only its own messages, in the plaintext order. (Scores differ from
// the plaintext index: blind tokens are per namespace, so BM25's document
// frequencies count one user's messages, not everyone's.)
func TestRecallNamespaces(t *testing.T) {
	ctx := context.Background()
	plain, err := Open(ctx, filepath.Join(t.TempDir(), "plain.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	sealed := openCipher(t, filepath.Join(t.TempDir(), "sealed.db"), leaktest.NewCipher("k1"))
	defer sealed.Close()
	loadCorpus(t, plain)
	loadCorpus(t, sealed)
	for _, ns := range []string{"alice", "bob"} {
		for _, q := range recallQueries {
			rq := memory.RecallQuery{Namespace: ns, Text: q, Limit: 5}
			want, _ := plain.SearchMessages(ctx, rq)
			got, err := sealed.SearchMessages(ctx, rq)
			if err != nil {
				t.Fatal(err)
			}
			if q == "the" {
				continue // every score is FTS5's floor: the order is arbitrary
			}
			if !sameHits(got, want, false) {
				t.Errorf("%s %q: encrypted %v, plaintext %v", ns, q, hitList(got), hitList(want))
			}
			for _, h := range got {
				if (ns == "alice") != (h.PID == 1) {
					t.Errorf("%s %q: hit of process %d", ns, q, h.PID)
				}
			}
		}
	}
	if a, b := sealed.cipher.Blind("alice", "run"), sealed.cipher.Blind("bob", "run"); a == b {
		t.Error("the blind tokens of two namespaces are equal")
	}
}

func sameHits(got, want []memory.RecallHit, scores bool) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.PID != w.PID || g.Seq != w.Seq || g.Text != w.Text || g.Role != w.Role {
			return false
		}
		if scores && math.Abs(g.Score-w.Score) > 1e-9 {
			return false
		}
	}
	return true
}

func hitList(hits []memory.RecallHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%d/%d %.4f %q", h.PID, h.Seq, h.Score, h.Text))
	}
	return out
}

func texts(hits []memory.RecallHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Text)
	}
	return out
}

func TestConformanceEncrypted(t *testing.T) {
	storetest.Run(t, func(t *testing.T) kernel.Store {
		db := openCipher(t, filepath.Join(t.TempDir(), "state.db"), leaktest.NewCipher("k1"))
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// TestLegacy opens a plaintext store with a cipher: everything stays
// readable and searchable, and the plaintext leaves every file.
func TestLegacy(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	pid := fill(t, db)
	loadCorpus(t, db)
	var want [][]memory.RecallHit
	for _, q := range recallQueries {
		hits, err := db.SearchMessages(ctx, memory.RecallQuery{Namespace: "alice", Text: q})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, hits)
	}
	if len(findCanary(t, dir, canary)) == 0 {
		t.Fatal("the plaintext store does not hold the canary")
	}
	db.Close()

	c := leaktest.NewCipher("k1")
	db = openCipher(t, path, c)
	check(t, db, pid)
	noPlainIndex(t, db)
	for i, q := range recallQueries {
		hits, err := db.SearchMessages(ctx, memory.RecallQuery{Namespace: "alice", Text: q})
		if err != nil {
			t.Fatal(err)
		}
		if q != "the" && !sameHits(hits, want[i], false) {
			t.Errorf("%q after migration: %v, before %v", q, hitList(hits), hitList(want[i]))
		}
	}
	noCanary(t, dir, "open after migration")
	// A new step still works, and the second open has nothing to convert.
	p, _ := db.Process(ctx, pid)
	if err := db.CommitStep(ctx, p, []llmos.Message{{Role: llmos.RoleUser, Content: "zebra again"}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	noCanary(t, dir, "closed after migration")
	db = openCipher(t, path, c)
	check2, _ := db.Messages(ctx, pid)
	if len(check2) != 6 {
		t.Errorf("%d messages after reopen", len(check2))
	}
	db.Close()

	// Without the key, the sealed values are a clear error.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Process(ctx, pid); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
		t.Errorf("Process without the key: %v", err)
	}
	if _, err := db.CoreBlocks(ctx, "alice"); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
		t.Errorf("CoreBlocks without the key: %v", err)
	}
}

// TestLegacyCrash converts a copy of a plaintext store taken while it was
// open (as after a crash): the plaintext is still in its WAL.
func TestLegacyCrash(t *testing.T) {
	ctx := context.Background()
	dir, crash := t.TempDir(), t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	pid := fill(t, db)
	for _, name := range []string{"state.db", "state.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crash, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if found := findCanary(t, crash, canary); !strings.Contains(strings.Join(found, " "), "state.db-wal") {
		t.Fatalf("the copy's WAL does not hold the canary: %v", found)
	}
	db = openCipher(t, filepath.Join(crash, "state.db"), leaktest.NewCipher("k1"))
	check(t, db, pid)
	noCanary(t, crash, "open after migration")
	db.Close()
	noCanary(t, crash, "closed after migration")
}

// TestWrongKey opens sealed data with another key: every read is an error
// with code unauthenticated, never garbage or a panic.
func TestWrongKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db := openCipher(t, path, leaktest.NewCipher("k1"))
	pid := fill(t, db)
	db.Close()

	db = openCipher(t, path, leaktest.NewCipher("k2"))
	defer db.Close()
	code := func(what string, err error) {
		t.Helper()
		if llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
			t.Errorf("%s: error %v, want unauthenticated", what, err)
		} else if strings.Contains(err.Error(), canary) {
			t.Errorf("%s: the error shows the plaintext", what)
		}
	}
	_, err := db.Process(ctx, pid)
	code("Process", err)
	_, err = db.Processes(ctx)
	code("Processes", err)
	_, err = db.Messages(ctx, pid)
	code("Messages", err)
	_, err = db.Events(ctx, pid, 0)
	code("Events", err)
	_, err = db.CoreBlocks(ctx, "alice")
	code("CoreBlocks", err)
	_, err = db.Meta(ctx, "note")
	code("Meta", err)
	// The blind tokens of another key match nothing; the listing opens values.
	if hits, err := db.SearchMessages(ctx, memory.RecallQuery{Namespace: "alice", Text: "zebra"}); err != nil || len(hits) != 0 {
		t.Errorf("search with another key: %v, %v", hits, err)
	}
	_, err = db.SearchMessages(ctx, memory.RecallQuery{Namespace: "alice"})
	code("SearchMessages (listing)", err)
}

// TestSwappedRows moves sealed values between rows: the associated data
// catches it.
func TestSwappedRows(t *testing.T) {
	ctx := context.Background()
	db := openCipher(t, filepath.Join(t.TempDir(), "state.db"), leaktest.NewCipher("k1"))
	defer db.Close()
	pid := fill(t, db)
	db.SetCoreBlock(ctx, "alice", "persona", "helpful")
	for _, q := range []string{
		`UPDATE messages SET data = (SELECT data FROM messages WHERE pid = 1 AND seq = 0) WHERE pid = 1 AND seq = 1`,
		`UPDATE core_blocks SET value = (SELECT value FROM core_blocks WHERE name = 'persona') WHERE name = 'human'`,
		`UPDATE processes SET data = CAST('{"pid":1,"task":"planted"}' AS BLOB) WHERE pid = 1`,
	} {
		if _, err := db.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Messages(ctx, pid); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
		t.Errorf("swapped message: %v", err)
	}
	if _, err := db.CoreBlocks(ctx, "alice"); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
		t.Errorf("swapped core block: %v", err)
	}
	if _, err := db.Process(ctx, pid); llmos.ErrorCode(err) != llmos.CodeUnauthenticated {
		t.Errorf("planted plaintext process: %v", err)
	}
}

func TestDeleteNamespace(t *testing.T) {
	ctx := context.Background()
	c := leaktest.NewCipher("k1")
	db := openCipher(t, filepath.Join(t.TempDir(), "state.db"), c)
	defer db.Close()
	alice := fill(t, db)
	loadCorpus(t, db) // pids 2 (alice) and 3 (bob)
	db.SetCoreBlock(ctx, "bob", "human", "Bob")

	// The vault deletes alice's key and gives her no new one: her processes
	// drop out of the list, reading them says not_found.
	c.Revoke("alice")
	all, err := db.Processes(ctx)
	if err != nil || len(all) != 1 || all[0].Namespace != "bob" {
		t.Fatalf("Processes after shredding: %v, %v", all, err)
	}
	if _, err := db.Process(ctx, alice); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("Process of a shredded namespace: %v", err)
	}
	if _, err := db.Messages(ctx, alice); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("Messages of a shredded namespace: %v", err)
	}
	if err := db.SetCoreBlock(ctx, "alice", "human", "x"); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("SetCoreBlock of a shredded namespace: %v", err)
	}
	// Search cannot blind the words of a shredded namespace: an error, never
	// a listing of everything.
	if hits, err := db.SearchMessages(ctx, memory.RecallQuery{Namespace: "alice", Text: "zebra"}); llmos.ErrorCode(err) != llmos.CodeNotFound {
		t.Errorf("search of a shredded namespace: %v, %v", texts(hits), err)
	}
	bo := &DB{db: db.db, cipher: blindOnly{c}, nss: map[int64]string{}}
	if hits, err := bo.SearchMessages(ctx, memory.RecallQuery{Namespace: "alice", Text: "zebra"}); llmos.ErrorCode(err) != llmos.CodeUnavailable {
		t.Errorf("search of a shredded namespace without BlindToken: %v, %v", texts(hits), err)
	}

	n, err := db.DeleteNamespace(ctx, "alice")
	if err != nil || n != 2 {
		t.Fatalf("DeleteNamespace = %d, %v; want 2", n, err)
	}
	for _, q := range []string{
		`SELECT COUNT(*) FROM processes WHERE namespace = 'alice'`,
		`SELECT COUNT(*) FROM messages WHERE pid IN (1, 2)`,
		`SELECT COUNT(*) FROM events WHERE pid IN (1, 2)`,
		`SELECT COUNT(*) FROM messages_blind WHERE pid IN (1, 2)`,
		`SELECT COUNT(*) FROM core_blocks WHERE namespace = 'alice'`,
	} {
		var k int
		if err := db.db.QueryRow(q).Scan(&k); err != nil || k != 0 {
			t.Errorf("%s = %d, %v", q, k, err)
		}
	}
	if msgs, err := db.Messages(ctx, alice); err != nil || len(msgs) != 0 {
		t.Errorf("Messages after DeleteNamespace: %v, %v", msgs, err)
	}
	if hits, err := db.SearchMessages(ctx, memory.RecallQuery{Namespace: "bob", Text: "running"}); err != nil || len(hits) != 3 {
		t.Errorf("bob's search after deleting alice: %v, %v", texts(hits), err)
	}
	if core, err := db.CoreBlocks(ctx, "bob"); err != nil || core["human"] != "Bob" {
		t.Errorf("bob's core: %v, %v", core, err)
	}
	if n, err := db.DeleteNamespace(ctx, "alice"); err != nil || n != 0 {
		t.Errorf("second DeleteNamespace = %d, %v", n, err)
	}
}

// blindOnly hides BlindToken: a Cipher with the three methods only.
type blindOnly struct{ c *leaktest.Cipher }

func (b blindOnly) Seal(ns string, p, ad []byte) ([]byte, error) { return b.c.Seal(ns, p, ad) }
func (b blindOnly) Open(ns string, s, ad []byte) ([]byte, error) { return b.c.Open(ns, s, ad) }
func (b blindOnly) Blind(ns, term string) string                 { return b.c.Blind(ns, term) }

func TestDeleteNamespacePlain(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	loadCorpus(t, db)
	if n, err := db.DeleteNamespace(ctx, "alice"); err != nil || n != 1 {
		t.Fatalf("DeleteNamespace = %d, %v", n, err)
	}
	if hits, _ := db.SearchMessages(ctx, memory.RecallQuery{Namespace: "alice", Text: "running"}); len(hits) != 0 {
		t.Errorf("alice still found: %v", texts(hits))
	}
	if hits, _ := db.SearchMessages(ctx, memory.RecallQuery{Namespace: "bob", Text: "running"}); len(hits) != 3 {
		t.Errorf("bob: %v", texts(hits))
	}
}

// TestNamespaceFixed: with a cipher a process cannot move to another
// namespace (its messages are sealed under the first one's key).
func TestNamespaceFixed(t *testing.T) {
	ctx := context.Background()
	db := openCipher(t, filepath.Join(t.TempDir(), "state.db"), leaktest.NewCipher("k1"))
	defer db.Close()
	p := &kernel.Process{State: kernel.StateRunnable, Model: "offline", Namespace: "alice", Task: "t"}
	if err := db.CreateProcess(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	p.Namespace = "bob"
	if err := db.SaveProcess(ctx, p); llmos.ErrorCode(err) != llmos.CodeInvalid {
		t.Errorf("SaveProcess to another namespace: %v", err)
	}
	got, _ := db.Process(ctx, p.PID)
	if got.Namespace != "alice" {
		t.Errorf("namespace %q", got.Namespace)
	}
}

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"Hello, World!":          {"hello", "world"},
		"don't stop":             {"don", "t", "stop"},
		"Café Ünïcode naïve":     {"cafe", "unicode", "naive"},
		"CANARY-7f3e9a1c-zebra":  {"canary", "7f3e9a1c", "zebra"},
		"24°C ½ 東京タワー":           {"24", "c", "½", "東京タワー"},
		"  ":                     nil,
		"user@example.com x_y-z": {"user", "example", "com", "x", "y", "z"},
	} {
		if got := words(in); !reflect.DeepEqual(got, want) {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkCommitStep measures a step (save the process, append an assistant
// message with a tool call and its result, index the assistant text) on a
// plaintext store, the baseline, and on an encrypted one, alternating the
// two in the same run; it reports both times per step and their ratio.
func BenchmarkCommitStep(b *testing.B) {
	ctx := context.Background()
	type store struct {
		db *DB
		p  *kernel.Process
		d  time.Duration
	}
	var stores [2]*store
	for i, c := range []Cipher{nil, leaktest.NewCipher("k1")} {
		db, err := OpenWith(ctx, filepath.Join(b.TempDir(), "state.db"), Options{Cipher: c})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		p := &kernel.Process{State: kernel.StateRunning, Model: "offline", Namespace: "alice", Task: "benchmark the store"}
		if err := db.CreateProcess(ctx, p, []llmos.Message{{Role: llmos.RoleUser, Content: "hello"}}); err != nil {
			b.Fatal(err)
		}
		stores[i] = &store{db: db, p: p}
	}
	b.ResetTimer()
	for i := range b.N {
		step := []llmos.Message{
			{Role: llmos.RoleAssistant, Content: fmt.Sprintf("Step %d: I will look up the weather in Paris and the train times to Lyon.", i),
				ToolCalls: []llmos.ToolCall{{ID: "c", Name: "web_fetch", Arguments: `{"url":"https://example.com/weather?city=paris"}`}}},
			{Role: llmos.RoleTool, ToolCallID: "c", Name: "web_fetch", Content: strings.Repeat("Sunny, 24 degrees, light wind. ", 20)},
		}
		for _, s := range stores {
			s.p.Steps = i + 1
			start := time.Now()
			if err := s.db.CommitStep(ctx, s.p, step); err != nil {
				b.Fatal(err)
			}
			s.d += time.Since(start)
		}
	}
	plain, sealed := float64(stores[0].d)/float64(b.N), float64(stores[1].d)/float64(b.N)
	b.ReportMetric(plain, "plain-ns/step")
	b.ReportMetric(sealed, "cipher-ns/step")
	b.ReportMetric(sealed/plain, "ratio")
}
