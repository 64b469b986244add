package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/llmos/llmos/config"
	"github.com/llmos/llmos/provider"
)

func (a *app) modelsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "models",
		Short: "Show which model providers are set up and which keys are present (never the keys)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(a.env.Getenv)
			if err != nil {
				return err
			}
			infos := provider.Providers(a.env.Getenv)
			if a.json {
				return a.printJSON(map[string]any{"default": cfg.Model, "providers": infos})
			}
			fmt.Fprintf(a.env.Stdout, "default model: %s (LLMOS_MODEL or --model)\n\n", cfg.Model)
			w := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "PROVIDER\tREADY\tKEY\tENDPOINT\tEXAMPLE\tAPI")
			for _, in := range infos {
				ready, key := "no", "-"
				if in.Ready {
					ready = "yes"
				}
				switch {
				case in.KeyVar == "":
				case in.KeySet:
					key = in.KeyVar + " set"
				case in.NeedsKey:
					key = in.KeyVar + " missing"
				default:
					key = in.KeyVar + " (optional)"
				}
				url := in.BaseURL
				if url == "" && in.Name != provider.Offline {
					url = "default"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", in.Name, ready, key, orDash(url), in.Example, in.API)
			}
			return w.Flush()
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Version is the llmos release; the build's module version when it has one.
var Version = "v0.1.0-dev"

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of llmos",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := Version
			if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			if a.json {
				return a.printJSON(map[string]string{"version": v, "go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH})
			}
			fmt.Fprintf(a.env.Stdout, "llmos %s (%s %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func (a *app) toolsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "tools",
		Short: "List the syscall table: every tool an agent can call, with the capabilities it needs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openWithMemory(cmd.Context(), "")
			if err != nil {
				return err
			}
			defer s.Close()
			type row struct {
				Name         string          `json:"name"`
				Description  string          `json:"description"`
				Capabilities []string        `json:"capabilities"`
				Source       string          `json:"source"`
				Parameters   json.RawMessage `json:"parameters"`
			}
			rows := []row{}
			for _, t := range s.tools {
				src := string(t.Source)
				if src == "" {
					src = "tool"
				}
				caps := t.Capabilities
				if caps == nil {
					caps = []string{}
				}
				rows = append(rows, row{t.Name, t.Description, caps, src, t.Parameters})
			}
			sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
			if a.json {
				return a.printJSON(rows)
			}
			w := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TOOL\tCAPABILITIES\tRESULTS\tDESCRIPTION")
			for _, r := range rows {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Name, orDash(strings.Join(r.Capabilities, ",")), r.Source, clip(r.Description, 70))
			}
			return w.Flush()
		},
	}
}
