package web

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxElements bounds the elements the article extractor looks at; a larger
// page is converted whole instead.
const maxElements = 20000

// minArticle is the least text, in bytes, an extracted article must hold to
// be used instead of the whole page.
const minArticle = 200

// htmlToMarkdown makes an HTML page readable: hidden and active parts
// removed, the main article found with go-readability when there is one,
// and the result (or the whole body) turned into Markdown with links made
// absolute against page. A page the libraries fail on is returned as its
// plain text.
func htmlToMarkdown(ctx context.Context, src string, page *url.URL) (title, md string) {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		// Such as a page nested deeper than the parser allows.
		return "", tidyText(plainText(src))
	}
	strip(doc)
	title = tidyLine(textContent(find(doc, atom.Title)))
	content := find(doc, atom.Body)
	if content == nil {
		content = doc
	}
	if art, ok := article(doc, page); ok {
		content = art.Node
		if t := tidyLine(art.Title()); t != "" {
			title = t
		}
	}
	md, ok := toMarkdown(ctx, content, page)
	if !ok {
		md = textContent(content)
	}
	return title, tidyText(md)
}

// article runs the readability extractor, which may fail or find nothing
// worth keeping; a panic in it counts as failing.
func article(doc *html.Node, page *url.URL) (art readability.Article, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	p := readability.NewParser()
	p.MaxElemsToParse = maxElements
	art, err := p.ParseDocument(doc, page)
	if err != nil || art.Node == nil {
		return art, false
	}
	return art, len(strings.TrimSpace(textContent(art.Node))) >= minArticle
}

// toMarkdown converts a node with html-to-markdown (CommonMark, tables and
// strikethrough); a failure or a panic in it reports !ok.
func toMarkdown(ctx context.Context, n *html.Node, page *url.URL) (md string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	conv := converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(),
		table.NewTablePlugin(),
		strikethrough.NewStrikethroughPlugin(),
	))
	out, err := conv.ConvertNode(n, converter.WithContext(ctx), converter.WithDomain(page.String()))
	if err != nil {
		return "", false
	}
	return string(out), true
}

// strip removes what a reader does not see or should not act on: scripts,
// styles, embedded frames and objects, forms' controls, elements hidden by
// the hidden attribute or an inline display:none or visibility:hidden (a
// common place for text meant only for machines), and
// images inlined as data: URLs. Links to javascript:, and anchors with no
// target, become plain text.
func strip(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == html.ElementNode && removable(c) {
			n.RemoveChild(c)
		} else {
			if c.Type == html.ElementNode && c.DataAtom == atom.A {
				c.Attr = slices.DeleteFunc(c.Attr, func(a html.Attribute) bool {
					return a.Key == "href" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:")
				})
				if !slices.ContainsFunc(c.Attr, func(a html.Attribute) bool { return a.Key == "href" && a.Val != "" }) {
					// The converter would link it to the page itself.
					c.Data, c.DataAtom = "span", atom.Span
				}
			}
			strip(c)
		}
		c = next
	}
}

var hiddenStyle = regexp.MustCompile(`(?i)(display\s*:\s*none|visibility\s*:\s*hidden)`)

func removable(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Iframe, atom.Frame, atom.Frameset,
		atom.Object, atom.Embed, atom.Svg, atom.Math, atom.Canvas, atom.Input, atom.Select, atom.Textarea,
		atom.Button:
		return true
	}
	if n.Data == "svg" || n.Data == "math" {
		return true
	}
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "hidden":
			return true
		case "style":
			if hiddenStyle.MatchString(a.Val) {
				return true
			}
		case "src":
			if n.DataAtom == atom.Img && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "data:") {
				return true
			}
		}
	}
	return false
}

// find returns the first element of type a under n.
func find(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, a); f != nil {
			return f
		}
	}
	return nil
}

// textContent is the text under n, with a line break after each block.
func textContent(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.P, atom.Div, atom.Br, atom.Li, atom.Tr, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
				atom.Pre, atom.Blockquote, atom.Section, atom.Article, atom.Table:
				b.WriteByte('\n')
			}
		}
	}
	walk(n)
	return b.String()
}

// plainText is the text of an HTML page that cannot be parsed into a tree,
// read token by token: the contents of scripts, styles and templates
// skipped, a line break after each block.
func plainText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken:
			name, _ := z.TagName()
			switch a := atom.Lookup(name); a {
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg:
				if tt == html.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			case atom.P, atom.Div, atom.Br, atom.Li, atom.Tr, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
				atom.Pre, atom.Blockquote, atom.Section, atom.Article, atom.Table:
				b.WriteByte('\n')
			}
		}
	}
}

var blankLines = regexp.MustCompile(`\n[ \t]*\n(?:[ \t]*\n)+`)

// tidyText trims trailing spaces and keeps at most one blank line in a row.
func tidyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\u00a0")
	}
	s = strings.Join(lines, "\n")
	s = blankLines.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}

// tidyLine makes a title one line.
func tidyLine(s string) string { return strings.Join(strings.Fields(s), " ") }
