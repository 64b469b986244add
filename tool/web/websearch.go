package web

import (
	"context"
	"strings"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/tool/web/bing"
	"github.com/llmos/llmos/tool/web/brave"
	"github.com/llmos/llmos/tool/web/search"
	"github.com/llmos/llmos/tool/web/searxng"
)

// Result is one hit of a web search: title, URL and snippet.
type Result = search.Result

// Searcher is a web search backend.
type Searcher interface {
	// Name is the backend's name: "searxng", "brave" or "bing".
	Name() string
	// Search returns up to count results for query (a backend default
	// when count is 0), best first.
	Search(ctx context.Context, query string, count int) ([]Result, error)
}

// Backends lists the names LLMOS_SEARCH accepts, in the order NewSearch
// tries them when it is not set.
var Backends = []string{"searxng", "brave", "bing"}

// notConfigured is the advice given when no backend is configured.
const notConfigured = "web search is not configured: set SEARXNG_URL to a SearXNG instance " +
	"(with the json format turned on), or BRAVE_API_KEY for the Brave Search API, or BING_API_KEY " +
	"(and BING_ENDPOINT if not the global one) for the Bing Web Search API; " +
	"when several are set, LLMOS_SEARCH=searxng|brave|bing picks one"

// NewSearch picks the search backend from the environment: the one LLMOS_SEARCH
// names (searxng, brave or bing), or else the first of those whose setting
// is present (SEARXNG_URL, BRAVE_API_KEY, BING_API_KEY; BING_ENDPOINT
// overrides Bing's URL). With none, or with one named but not set up, the
// error says what to set; its code is unauthenticated for a missing key or
// URL and invalid for a bad value.
func NewSearch(getenv func(string) string) (Searcher, error) {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	pick := strings.ToLower(env("LLMOS_SEARCH"))
	if pick == "" {
		switch {
		case env("SEARXNG_URL") != "":
			pick = "searxng"
		case env("BRAVE_API_KEY") != "":
			pick = "brave"
		case env("BING_API_KEY") != "":
			pick = "bing"
		default:
			return nil, llmos.Errorf(llmos.CodeUnauthenticated, "%s", notConfigured)
		}
	}
	switch pick {
	case "searxng":
		if env("SEARXNG_URL") == "" {
			return nil, llmos.Errorf(llmos.CodeUnauthenticated, "LLMOS_SEARCH=searxng needs SEARXNG_URL, the address of a SearXNG instance such as http://localhost:8888")
		}
		return searxng.New(env("SEARXNG_URL"))
	case "brave":
		if env("BRAVE_API_KEY") == "" {
			return nil, llmos.Errorf(llmos.CodeUnauthenticated, "LLMOS_SEARCH=brave needs BRAVE_API_KEY, a Brave Search API key")
		}
		return brave.New(env("BRAVE_API_KEY")), nil
	case "bing":
		if env("BING_API_KEY") == "" {
			return nil, llmos.Errorf(llmos.CodeUnauthenticated, "LLMOS_SEARCH=bing needs BING_API_KEY, a Bing Web Search API key")
		}
		return bing.New(env("BING_API_KEY"), env("BING_ENDPOINT")), nil
	}
	return nil, llmos.Errorf(llmos.CodeInvalid, "LLMOS_SEARCH=%q is not a search backend; use one of %s", truncate(pick, 40), strings.Join(Backends, ", "))
}
