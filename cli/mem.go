package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/memory"
	"github.com/llmos/llmos/vector"
	"github.com/llmos/llmos/vector/local"
)

func (a *app) memCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mem",
		Short: "Archival memory: add, search, list, remove, import, export, reindex",
	}
	var ns string
	cmd.PersistentFlags().StringVar(&ns, "ns", "", "namespace (default from the config: default)")
	nsOf := func(s *system) string {
		if ns != "" {
			return ns
		}
		return s.cfg.Namespace
	}
	withMem := func(cmd *cobra.Command, fn func(s *system) error) error {
		s, err := a.openWithMemory(cmd.Context(), "")
		if err != nil {
			return err
		}
		defer s.Close()
		return fn(s)
	}

	var id string
	var meta []string
	add := &cobra.Command{
		Use:   "add [--ns NS] [--id ID] [--meta k=v] TEXT",
		Short: "Store a text in archival memory and print its id",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := parseMeta(meta)
			if err != nil {
				return err
			}
			return withMem(cmd, func(s *system) error {
				it := memory.Item{ID: id, Namespace: nsOf(s), Text: strings.Join(args, " "), Meta: m, Label: llmos.LabelOf(llmos.SourceUser)}
				items := []memory.Item{it}
				if err := s.mem.Insert(cmd.Context(), items); err != nil {
					return err
				}
				if a.json {
					return a.printJSON(map[string]string{"id": items[0].ID})
				}
				fmt.Fprintln(a.env.Stdout, items[0].ID)
				return nil
			})
		},
	}
	add.Flags().StringVar(&id, "id", "", "id of the item (a new one if empty; an existing one is replaced)")
	add.Flags().StringSliceVar(&meta, "meta", nil, "metadata as key=value")

	var k int
	var queries string
	search := &cobra.Command{
		Use:   "search [--ns NS] [--k K] [--json] QUERY | --queries FILE.jsonl",
		Short: "Search archival memory by meaning and words",
		Long: "Searches archival memory. With --queries, reads one JSON object a line ({\"query\", \"ns\"?, \"k\"?}) from\n" +
			"FILE (- for standard input) and prints one line {\"results\": [...]} per query, in the same order.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if k <= 0 || k > 1000 {
				return llmos.Errorf(llmos.CodeInvalid, "--k %d: give 1 to 1000", k)
			}
			if queries == "" && len(args) == 0 {
				return llmos.Errorf(llmos.CodeInvalid, "give a query, or --queries FILE.jsonl")
			}
			return withMem(cmd, func(s *system) error {
				if queries != "" {
					return a.batchSearch(cmd.Context(), s, queries, nsOf(s), k)
				}
				found, err := s.mem.Search(cmd.Context(), nsOf(s), strings.Join(args, " "), k, vector.Filter{})
				if err != nil {
					return err
				}
				if a.json {
					if found == nil {
						found = []memory.Found{}
					}
					return a.printJSON(found)
				}
				for i, f := range found {
					fmt.Fprintf(a.env.Stdout, "%2d. %.4f  %s  %s\n    %s\n", i+1, f.Score, f.ID, f.Time.Format("2006-01-02"), clip(f.Text, 200))
				}
				return nil
			})
		},
	}
	search.Flags().IntVarP(&k, "k", "k", 10, "number of results")
	search.Flags().StringVar(&queries, "queries", "", "a JSONL file of queries (- for standard input)")

	var limit int
	ls := &cobra.Command{
		Use:   "ls [--ns NS] [--json]",
		Short: "List the items of archival memory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withMem(cmd, func(s *system) error {
				items, err := s.mem.List(cmd.Context(), nsOf(s), limit)
				if err != nil {
					return err
				}
				if a.json {
					if items == nil {
						items = []memory.Item{}
					}
					return a.printJSON(items)
				}
				w := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tTIME\tTEXT")
				for _, it := range items {
					fmt.Fprintf(w, "%s\t%s\t%s\n", it.ID, it.Time.Format("2006-01-02 15:04"), clip(it.Text, 80))
				}
				return w.Flush()
			})
		},
	}
	ls.Flags().IntVar(&limit, "limit", 0, "most items to list (0: all)")

	rm := &cobra.Command{
		Use:   "rm ID...",
		Short: "Remove items from archival memory",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withMem(cmd, func(s *system) error {
				for _, id := range args {
					if _, err := s.mem.Get(cmd.Context(), id); err != nil {
						return err
					}
				}
				if err := s.mem.Delete(cmd.Context(), args); err != nil {
					return err
				}
				if !a.json {
					fmt.Fprintf(a.env.Stdout, "removed %d item(s)\n", len(args))
				}
				return nil
			})
		},
	}

	imp := &cobra.Command{
		Use:   "import FILE.jsonl",
		Short: "Import items, one JSON object a line: {\"id\"?, \"text\", \"ns\"?, \"time\"? (RFC 3339), \"meta\"?}",
		Long:  "Imports items into archival memory. Malformed lines are reported with their line numbers and the rest\nimported; the exit code is then 2. FILE may be - for standard input.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withMem(cmd, func(s *system) error { return a.importItems(cmd.Context(), s, args[0], nsOf(s)) })
		},
	}

	export := &cobra.Command{
		Use:   "export [--ns NS]",
		Short: "Print the items of archival memory as JSONL, in the format import reads",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withMem(cmd, func(s *system) error {
				items, err := s.mem.List(cmd.Context(), nsOf(s), 0)
				if err != nil {
					return err
				}
				w := bufio.NewWriter(a.env.Stdout)
				enc := json.NewEncoder(w)
				for _, it := range items {
					if err := enc.Encode(it); err != nil {
						return err
					}
				}
				return w.Flush()
			})
		},
	}

	reindex := &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild archival memory's index with the configured embedder (after changing it)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return a.reindex(cmd.Context()) },
	}
	cmd.AddCommand(add, search, ls, rm, imp, export, reindex)
	return cmd
}

func parseMeta(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, llmos.Errorf(llmos.CodeInvalid, "--meta %q: write key=value", kv)
		}
		m[k] = v
	}
	return m, nil
}

func (a *app) openInput(name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(a.env.Stdin), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, llmos.Errorf(llmos.CodeInvalid, "cannot read %s: %v", name, err)
	}
	return f, nil
}

// batchSearch answers a file of queries, one result line per query line.
func (a *app) batchSearch(ctx context.Context, s *system, file, ns string, k int) error {
	in, err := a.openInput(file)
	if err != nil {
		return err
	}
	defer in.Close()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	w := bufio.NewWriter(a.env.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var q struct {
			Query string `json:"query"`
			NS    string `json:"ns"`
			K     int    `json:"k"`
		}
		out := map[string]any{}
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil || strings.TrimSpace(q.Query) == "" {
			out["error"] = fmt.Sprintf("line %d: want {\"query\": ...}", line)
			out["results"] = []memory.Found{}
		} else {
			qns, qk := ns, k
			if q.NS != "" {
				qns = q.NS
			}
			if q.K > 0 {
				qk = q.K
			}
			found, err := s.mem.Search(ctx, qns, q.Query, qk, vector.Filter{})
			if err != nil {
				return err
			}
			if found == nil {
				found = []memory.Found{}
			}
			out["results"] = found
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return llmos.Errorf(llmos.CodeInvalid, "reading %s: %v", file, err)
	}
	return nil
}

// importItems reads JSONL items and inserts them in batches, with progress.
func (a *app) importItems(ctx context.Context, s *system, file, ns string) error {
	in, err := a.openInput(file)
	if err != nil {
		return err
	}
	defer in.Close()
	var total int
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			total = int(st.Size())
		}
	}
	bar := newBar(a.env.Stderr, "import")
	defer bar.done()
	r := bufio.NewReader(in)
	var batch []memory.Item
	var read, imported, rejected, line int
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := s.mem.Insert(ctx, batch); err != nil {
			return llmos.Errorf(llmos.ErrorCode(err), "after %d items imported: %s", imported, llmos.ErrorMessage(err))
		}
		imported += len(batch)
		batch = batch[:0]
		return nil
	}
	for {
		raw, err := r.ReadBytes('\n')
		read += len(raw)
		if len(raw) > 0 {
			line++
			if it, perr := parseItem(raw, ns); perr != nil {
				rejected++
				bar.done()
				fmt.Fprintf(a.env.Stderr, "llmos: %s line %d: %s\n", file, line, perr)
			} else if it != nil {
				batch = append(batch, *it)
				if len(batch) == 256 {
					if err := flush(); err != nil {
						return err
					}
					bar.update(read, max(total, read))
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return llmos.Errorf(llmos.CodeInvalid, "reading %s: %v", file, err)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	bar.update(read, max(total, read))
	bar.done()
	if a.json {
		a.printJSON(map[string]int{"imported": imported, "rejected": rejected})
	} else {
		fmt.Fprintf(a.env.Stdout, "imported %d item(s)\n", imported)
	}
	if rejected > 0 {
		return llmos.Errorf(llmos.CodeInvalid, "%d line(s) of %s rejected (listed above); the other %d imported", rejected, file, imported)
	}
	return nil
}

// parseItem reads one JSONL line; blank lines give nil.
func parseItem(raw []byte, ns string) (*memory.Item, error) {
	if strings.TrimSpace(string(raw)) == "" {
		return nil, nil
	}
	var in struct {
		ID   string            `json:"id"`
		Text *string           `json:"text"`
		NS   string            `json:"ns"`
		Time string            `json:"time"`
		Meta map[string]string `json:"meta"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("not a JSON object with the item's fields: %v", err)
	}
	if in.Text == nil {
		return nil, fmt.Errorf(`no "text"`)
	}
	it := &memory.Item{ID: in.ID, Namespace: in.NS, Text: *in.Text, Meta: in.Meta, Label: llmos.LabelOf(llmos.SourceFile)}
	if it.Namespace == "" {
		it.Namespace = ns
	}
	if in.Time != "" {
		t, err := time.Parse(time.RFC3339, in.Time)
		if err != nil {
			return nil, fmt.Errorf("time %q is not RFC 3339", in.Time)
		}
		it.Time = t
	}
	if err := memory.ValidText(it.Text); err != nil {
		return nil, err
	}
	return it, nil
}

// reindex rebuilds the local index with the configured embedder: every
// item is re-embedded into a new index, which then replaces the old one.
func (a *app) reindex(ctx context.Context) error {
	s, err := a.open(ctx, "")
	if err != nil {
		return err
	}
	defer s.Close()
	if s.cfg.Vector != "local" {
		return llmos.Errorf(llmos.CodeInvalid, "reindex rebuilds the local index; for %s, export, clear and import", s.cfg.Vector)
	}
	dir := filepath.Join(s.cfg.Home, "vector")
	old, err := openIndex(ctx, dir, s.vault)
	if err != nil {
		return err
	}
	tmp := dir + ".reindex"
	os.RemoveAll(tmp)
	fresh, err := local.Open(ctx, tmp, local.Options{Cipher: s.vault}) // new, so sealed from its start
	if err != nil {
		old.Close()
		return err
	}
	bar := newBar(a.env.Stderr, "reindex")
	n, err := memory.Reindex(ctx, old, fresh, s.cfg.Embedder, a.env.Getenv, bar.update)
	bar.done()
	old.Close()
	fresh.Close()
	if err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(dir, dir+".old"); err != nil && !os.IsNotExist(err) {
		return llmos.Errorf(llmos.CodeUnavailable, "cannot replace the index: %v", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(dir+".old", dir)
		return llmos.Errorf(llmos.CodeUnavailable, "cannot replace the index: %v", err)
	}
	os.RemoveAll(dir + ".old")
	if err := memory.RecordEmbedder(ctx, s.store, s.cfg.Embedder, a.env.Getenv); err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stdout, "reindexed %d item(s) with %s\n", n, s.cfg.Embedder)
	return nil
}
