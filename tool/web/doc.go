// Package web is the browser driver of llmos: the syscalls web_search and
// web_fetch, through which an agent reads the web. Both need the capability
// "net" and label what they return llmos.SourceWeb, so the kernel treats
// every search result and page as untrusted data, never as instructions.
//
// Tools returns the two tools for the kernel's syscall table:
//
//	for _, t := range web.Tools(os.Getenv, web.Config{}) {
//		syscalls.Register(t)
//	}
//
// # web_search
//
// A Searcher asks one backend, each in its own package: searxng (a SearXNG
// instance's JSON API), brave (the Brave Search API) or bing (the Bing Web
// Search API v7). NewSearch picks the one LLMOS_SEARCH names, or else the
// first configured of SEARXNG_URL, BRAVE_API_KEY and BING_API_KEY
// (BING_ENDPOINT overrides Bing's URL). Results reach Go callers as
// []Result and the model as a short numbered list. API errors carry the
// codes of internal/wire: a rejected key is unauthenticated, a 429 is
// rate_limited with the wait asked for, a 5xx is unavailable.
//
// # web_fetch
//
// A Fetcher does an HTTP GET within limits (Config.MaxBytes, 2 MiB;
// Config.Timeout, 20 s for the whole fetch; Config.MaxRedirects, 5) and
// makes the page readable: HTML is reduced to its main article with
// go-readability (codeberg.org/readeck/go-readability/v2) and written as
// Markdown by html-to-markdown; text and JSON pass through; other content
// types are refused. Scripts, styles, frames and elements hidden inline are
// dropped first, since hidden text is a favourite place for injected
// instructions. robots.txt is read once per site (cached for an hour) and
// honoured for the product token "llmos", else "*", as RFC 9309 says: a
// missing file (4xx) allows everything, a failing one (5xx, 429) closes the
// site for a minute.
//
// # What web_fetch will not reach
//
// An agent that can fetch URLs could be talked into reading the machine's
// own services or the cloud metadata endpoint (server-side request forgery).
// So, unless Config.AllowPrivate or an entry of Config.Allow says otherwise:
//
//   - only http and https URLs, without user names or passwords;
//   - no loopback, private (RFC 1918, fc00::/7), link-local (169.254/16,
//     fe80::/10, where 169.254.169.254 serves cloud credentials), CGNAT
//     (100.64/10), unspecified, multicast, reserved or documentation
//     addresses, whether written directly, as IPv4-mapped IPv6
//     (::ffff:127.0.0.1), behind NAT64 or 6to4, or reached by a name;
//   - no "localhost" names, and no IPv4 addresses in the legacy numeric
//     forms that some resolvers accept (2130706433, 0x7f.1, 0177.0.0.1);
//   - a host name is resolved once, refused if any of its addresses is
//     refused, and the connection made to a checked address, never to the
//     name again, so DNS rebinding cannot swap in 127.0.0.1; the built-in
//     dialer checks the socket's address once more just before connect(2);
//   - every redirect hop is checked the same way, and environment proxies
//     are ignored, so the address checked is the address connected to.
//
// The refusals happen before any packet is sent to the address.
package web
