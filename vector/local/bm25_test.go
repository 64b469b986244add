package local

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/llmos/llmos/vector"
)

func TestTokens(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"The user's favourite BOOKS", "user favourite book"},
		{"stories, glasses; buses & status", "story glasse buse status"},
		{"Version 2.0 of k003", "version 2 0 k003"},
		{"Café naïve façade", "café naïve façade"},
		{"Cafe\u0301 ﬁle ＡＢＣ", "café file abc"}, // NFKC: composed accent, ligature, full width
		{"東京タワーに行く", "東 京 タ ワ ー に 行 く"},
		{"Привет, МИР", "привет мир"},
		{"a I s x 7", "7"},
		{strings.Repeat("z", 100), strings.Repeat("z", maxToken)},
		{"bad\xffutf8", "bad utf8"},
	} {
		var got []string
		tokens(c.in, func(s string) { got = append(got, s) })
		if strings.Join(got, " ") != c.want {
			t.Errorf("tokens(%q) = %q, want %q", c.in, strings.Join(got, " "), c.want)
		}
	}
}

func TestBM25(t *testing.T) {
	ti := newTextIndex()
	docs := map[string]*doc{}
	add := func(id, text string) {
		d := &doc{item: vector.Item{ID: id, Text: text}}
		tfs, n := analyze(text)
		ti.add(d, tfs, n)
		docs[id] = d
	}
	add("a", "the cat sat on the mat")
	add("b", "the cat chased the other cat around the garden for a long long time")
	add("c", "dogs bark at the party")
	add("d", "a cat")
	for i := range 20 {
		add(fmt.Sprintf("filler%d", i), "party with music")
	}
	search := func(q string) []string {
		var out []string
		for _, s := range ti.search(queryTerms(q), 10, func(*doc) bool { return true }) {
			out = append(out, s.d.item.ID)
		}
		return out
	}
	if got := search("cat"); !slices.Equal(got, []string{"d", "a", "b"}) {
		t.Errorf("cat: %v (the short document first, the long one last despite two mentions)", got)
	}
	if got := search("cat garden"); got[0] != "b" {
		t.Errorf("cat garden: %v, want b first", got)
	}
	if got := search("dog"); !slices.Equal(got, []string{"c"}) {
		t.Errorf("dog: %v (plural folded)", got)
	}
	ti.remove(docs["d"])
	ti.remove(docs["a"])
	if got := search("cat"); !slices.Equal(got, []string{"b"}) {
		t.Errorf("cat after removals: %v", got)
	}
	for i := range 20 {
		ti.remove(docs[fmt.Sprintf("filler%d", i)])
	}
	if pl := ti.post["party"]; pl == nil || len(pl.p) != 1 {
		t.Errorf("the postings of party were not compacted: %+v", pl)
	}
	if _, ok := ti.post["music"]; ok {
		t.Error("a term of removed documents only is still indexed")
	}
	if ti.n != 2 {
		t.Errorf("n = %d", ti.n)
	}
}
