package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/config"
	"github.com/llmos/llmos/security/vault"
)

// vaultOptions are the options of every vault the commands open; tests lower
// the cost of argon2id with them.
var vaultOptions []vault.Option

// openVault opens the vault of the home in cfg with the master key the
// environment names (LLMOS_KEY, LLMOS_KEY_FILE, LLMOS_PASSPHRASE, or the
// generated $LLMOS_HOME/master.key), printing the source's warning if any.
func (a *app) openVault(cfg config.Config) (*vault.Vault, error) {
	src := vault.SourceFromEnv(a.env.Getenv, cfg.Home)
	if src.Note != "" && a.env.Stderr != nil {
		fmt.Fprintf(a.env.Stderr, "llmos: warning: %s\n", src.Note)
	}
	return vault.Open(cfg.Home, src, vaultOptions...)
}

// loadVault loads the configuration and opens its vault.
func (a *app) loadVault() (config.Config, *vault.Vault, error) {
	cfg, err := config.Load(a.env.Getenv)
	if err != nil {
		return cfg, nil, err
	}
	v, err := a.openVault(cfg)
	return cfg, v, err
}

// shredData deletes what the stores hold for namespace ns before its keys
// are shredded: its processes, messages, events and core memory in the state
// database, and its items in the local vector index, whose snapshot and log
// are then rewritten without them. The keys' deletion alone already makes
// them unreadable; this leaves nothing to read.
func (a *app) shredData(ctx context.Context, cfg config.Config, v *vault.Vault, ns string) error {
	db, err := openState(ctx, cfg.Home, v)
	if err != nil {
		return err
	}
	procs, err := db.DeleteNamespace(ctx, ns)
	db.Close()
	if err != nil {
		return err
	}
	items := 0
	if cfg.Vector == "local" || cfg.Vector == "" {
		idx, err := openIndex(ctx, filepath.Join(cfg.Home, "vector"), v)
		if err != nil {
			return err
		}
		items, err = idx.DeleteNamespace(ctx, ns)
		idx.Close()
		if err != nil {
			return err
		}
	}
	if !a.json {
		fmt.Fprintf(a.env.Stderr, "llmos: deleted %d processes and %d memory items of %s\n", procs, items, ns)
	}
	return nil
}

func (a *app) vaultCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vault",
		Short: "The keys of the encryption at rest: status, rotate, shred",
		Long: "Everything llmos stores under $LLMOS_HOME is encrypted (AES-256-GCM) with a data key per namespace (user),\n" +
			"wrapped by a master key. The master key comes from LLMOS_KEY (32 bytes, hex or base64), else LLMOS_KEY_FILE,\n" +
			"else LLMOS_PASSPHRASE (argon2id), else a key generated in $LLMOS_HOME/master.key: that one only protects\n" +
			"a copy of the data taken without the key file, so prefer one of the others.",
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(a.vaultStatusCmd(), a.vaultRotateCmd(), a.vaultShredCmd())
	return cmd
}

// vaultStatus is what llmos vault status --json prints.
type vaultStatus struct {
	Source     string                `json:"source"`
	Keyring    string                `json:"keyring"`
	Note       string                `json:"note,omitempty"`
	Namespaces []vault.NamespaceInfo `json:"namespaces"`
}

const generatedNote = "the master key is in %s, inside the llmos home: it protects a copy of the data taken without that file, " +
	"not a copy of the whole folder; move to a key kept elsewhere with llmos vault rotate --new-key-file FILE or --new-passphrase"

func (a *app) vaultStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the master key's source and the namespaces' key versions (never the keys)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, v, err := a.loadVault()
			if err != nil {
				return err
			}
			st := vaultStatus{Source: v.SourceKind(), Keyring: v.KeyringPath(), Namespaces: v.Namespaces()}
			if st.Source == vault.KindGenerated {
				st.Note = fmt.Sprintf(generatedNote, filepath.Join(cfg.Home, vault.GeneratedKeyFile))
			}
			if a.json {
				return a.printJSON(st)
			}
			fmt.Fprintf(a.env.Stdout, "key source: %s\nkeyring:    %s\n", sourceName(st.Source, cfg.Home), st.Keyring)
			if st.Note != "" {
				fmt.Fprintf(a.env.Stdout, "note:       %s\n", st.Note)
			}
			if len(st.Namespaces) == 0 {
				fmt.Fprintln(a.env.Stdout, "\nno namespace has a key yet")
				return nil
			}
			fmt.Fprintln(a.env.Stdout)
			w := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAMESPACE\tKEY VERSIONS\tCREATED\tNEWEST\tSTATE")
			for _, n := range st.Namespaces {
				if len(n.Versions) == 0 {
					fmt.Fprintf(w, "%s\t-\t-\t-\tshredded %s\n", n.Name, n.Shredded.Local().Format(time.DateTime))
					continue
				}
				ids := make([]string, len(n.Versions))
				for i, k := range n.Versions {
					ids[i] = fmt.Sprint(k.ID)
				}
				newest := n.Versions[len(n.Versions)-1].Created
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\tactive\n", n.Name, strings.Join(ids, ","), n.Created.Local().Format(time.DateTime), newest.Local().Format(time.DateTime))
			}
			return w.Flush()
		},
	}
}

func sourceName(kind, home string) string {
	switch kind {
	case vault.KindEnv:
		return "LLMOS_KEY (env)"
	case vault.KindFile:
		return "LLMOS_KEY_FILE (file)"
	case vault.KindPassphrase:
		return "LLMOS_PASSPHRASE (passphrase, argon2id)"
	case vault.KindGenerated:
		return filepath.Join(home, vault.GeneratedKeyFile) + " (generated)"
	}
	return kind
}

// vaultRotation is what llmos vault rotate --json prints.
type vaultRotation struct {
	Source   string   `json:"source"`
	Keyring  string   `json:"keyring"`
	KeyFile  string   `json:"key_file,omitempty"`
	NewKey   string   `json:"new_key,omitempty"`
	DataKeys []string `json:"data_keys_rotated,omitempty"`
}

func (a *app) vaultRotateCmd() *cobra.Command {
	var newKeyFile string
	var newPass, dataKeys bool
	cmd := &cobra.Command{
		Use:   "rotate [--new-key-file FILE | --new-passphrase] [--data-keys]",
		Short: "Put the vault under a new master key (the old one stops working; no data is re-encrypted)",
		Long: "The current master key comes from the environment as usual. The new one comes from --new-key-file FILE\n" +
			"(32 bytes as hex, base64 or raw), from --new-passphrase (LLMOS_NEW_PASSPHRASE, or typed twice on a terminal),\n" +
			"or, with neither, is generated: written to $LLMOS_HOME/master.key if that is the current source, otherwise\n" +
			"printed once, to be stored and set as LLMOS_KEY. --data-keys also adds a new data key to every namespace.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if newKeyFile != "" && newPass {
				return llmos.Errorf(llmos.CodeInvalid, "choose one of --new-key-file and --new-passphrase")
			}
			cfg, v, err := a.loadVault()
			if err != nil {
				return err
			}
			var src vault.Source
			var printed []byte
			switch {
			case newKeyFile != "":
				key, note, err := vault.ReadKeyFile(newKeyFile)
				if err != nil {
					return err
				}
				if note != "" {
					fmt.Fprintf(a.env.Stderr, "llmos: warning: %s\n", note)
				}
				src = vault.Source{Kind: vault.KindFile, Key: key, File: newKeyFile}
			case newPass:
				p, err := a.newPassphrase()
				if err != nil {
					return err
				}
				src = vault.Source{Kind: vault.KindPassphrase, Passphrase: p}
			case v.SourceKind() == vault.KindGenerated:
				src = vault.Source{Kind: vault.KindGenerated, File: filepath.Join(cfg.Home, vault.GeneratedKeyFile)}
			default:
				printed = make([]byte, vault.KeySize)
				if _, err := rand.Read(printed); err != nil {
					return llmos.Wrap(err, llmos.CodeInternal, "cannot make a random key")
				}
				src = vault.Source{Kind: vault.KindEnv, Key: printed}
			}
			defer clear(src.Key)
			defer clear(src.Passphrase)
			if err := v.Rotate(src); err != nil {
				return err
			}
			out := vaultRotation{Source: src.Kind, Keyring: v.KeyringPath(), KeyFile: src.File}
			if printed != nil {
				out.NewKey = hex.EncodeToString(printed)
			}
			// The new key is printed even if a data key fails: it is the only copy.
			var dataErr error
			if dataKeys {
				for _, n := range v.Namespaces() {
					if len(n.Versions) == 0 {
						continue
					}
					if err := v.RotateData(n.Name); err != nil {
						dataErr = err
						break
					}
					out.DataKeys = append(out.DataKeys, n.Name)
				}
			}
			if a.json {
				if err := a.printJSON(out); err != nil {
					return err
				}
			} else {
				a.printRotation(out)
			}
			return dataErr
		},
	}
	cmd.Flags().StringVar(&newKeyFile, "new-key-file", "", "the new master key: a file holding 32 bytes (hex, base64 or raw)")
	cmd.Flags().BoolVar(&newPass, "new-passphrase", false, "derive the new master key from a passphrase (LLMOS_NEW_PASSPHRASE, or typed on a terminal)")
	cmd.Flags().BoolVar(&dataKeys, "data-keys", false, "also add a new data-key version to every namespace")
	return cmd
}

func (a *app) printRotation(out vaultRotation) {
	switch out.Source {
	case vault.KindEnv:
		fmt.Fprintln(a.env.Stderr, "llmos: the vault has a new master key, printed this ONCE on standard output: store it now (a password\n"+
			"manager, a secret store) and set LLMOS_KEY to it. The old key no longer opens the vault; without the new one, its data is lost.")
		fmt.Fprintln(a.env.Stdout, out.NewKey)
	case vault.KindFile:
		fmt.Fprintf(a.env.Stdout, "the vault's master key is now the key in %s: set LLMOS_KEY_FILE=%s and unset LLMOS_KEY\n", out.KeyFile, out.KeyFile)
	case vault.KindPassphrase:
		fmt.Fprintln(a.env.Stdout, "the vault's master key now comes from the new passphrase: set LLMOS_PASSPHRASE to it and unset LLMOS_KEY and LLMOS_KEY_FILE")
	case vault.KindGenerated:
		fmt.Fprintf(a.env.Stdout, "a new master key was written to %s\n", out.KeyFile)
	}
	if len(out.DataKeys) > 0 {
		w := a.env.Stdout
		if out.NewKey != "" {
			w = a.env.Stderr // standard output holds the key alone
		}
		fmt.Fprintf(w, "new data keys for %d namespace(s): %s\n", len(out.DataKeys), strings.Join(out.DataKeys, ", "))
	}
}

// newPassphrase reads the new passphrase from LLMOS_NEW_PASSPHRASE, or
// twice from the terminal without echo.
func (a *app) newPassphrase() ([]byte, error) {
	var p []byte
	if s := a.env.Getenv("LLMOS_NEW_PASSPHRASE"); s != "" {
		p = []byte(s)
	} else {
		f, ok := a.env.Stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return nil, llmos.Errorf(llmos.CodeInvalid, "--new-passphrase needs LLMOS_NEW_PASSPHRASE, or a terminal to type the passphrase on")
		}
		read := func(prompt string) ([]byte, error) {
			fmt.Fprint(a.env.Stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(a.env.Stderr)
			if err != nil {
				return nil, llmos.Wrap(err, llmos.CodeInvalid, "cannot read the passphrase")
			}
			return b, nil
		}
		p1, err := read("new passphrase: ")
		if err != nil {
			return nil, err
		}
		p2, err := read("the same again: ")
		if err != nil {
			clear(p1)
			return nil, err
		}
		same := bytes.Equal(p1, p2)
		clear(p2)
		if !same {
			clear(p1)
			return nil, llmos.Errorf(llmos.CodeInvalid, "the two passphrases differ")
		}
		p = p1
	}
	if len([]rune(string(p))) < 8 {
		clear(p)
		return nil, llmos.Errorf(llmos.CodeInvalid, "the new passphrase is too short: use at least 8 characters (a few random words are best)")
	}
	return p, nil
}

// systemNamespaces hold llmos's own state; shredding one would break it.
var systemNamespaces = map[string]bool{"_system": true, "_index": true, "_audit": true}

func (a *app) vaultShredCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "shred NAMESPACE --yes",
		Short: "Delete a namespace's keys: its data can never be read again (irreversible)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ns := args[0]
			if systemNamespaces[ns] {
				return llmos.Errorf(llmos.CodeInvalid, "%s is a system namespace: shredding it would destroy llmos's own state", ns)
			}
			if !yes {
				return llmos.Errorf(llmos.CodeInvalid, "shredding namespace %s deletes its keys: its memories and messages can never be read again, "+
					"and this is irreversible; run again with --yes to do it", ns)
			}
			cfg, v, err := a.loadVault()
			if err != nil {
				return err
			}
			known := false
			for _, n := range v.Namespaces() {
				known = known || n.Name == ns
			}
			if !known {
				return llmos.Errorf(llmos.CodeNotFound, "namespace %s has no key in the vault (llmos vault status lists them)", ns)
			}
			if err := a.shredData(cmd.Context(), cfg, v, ns); err != nil {
				return err
			}
			if err := v.Shred(ns); err != nil {
				return err
			}
			if a.json {
				return a.printJSON(map[string]any{"namespace": ns, "shredded": true})
			}
			fmt.Fprintf(a.env.Stdout, "namespace %s shredded: its keys are deleted and its data can no longer be read\n", ns)
			return nil
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm: the namespace's data is lost for good")
	return cmd
}
