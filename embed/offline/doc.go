// Package offline is llmos's default embedder: it turns a text into a vector
// with no model weights, no key and no network, by hashing features of its
// words into a fixed number of dimensions (384 unless asked otherwise). Its
// name, "offline:hash-v1-384", changes with Version and the dimension.
//
// It is lexical, not semantic. Archival memory pairs it with BM25 in a
// hybrid search, and its job there is to catch what exact word matching
// misses: other forms of a word, misspellings, and the common synonyms and
// spellings people switch between when they ask about something later.
//
// # What a vector holds
//
// A text is lowercased, Latin accents are folded (café → cafe), and it is cut
// into words at anything that is not a letter or digit (Han, Hiragana and
// Katakana give one word per character). Then:
//
//   - Stop words (the, is, my, what...; about 200) are dropped. A text made
//     of nothing else keeps them, and a text with no words at all (empty,
//     blank, punctuation) gets a vector of its own that all such texts share.
//   - Each remaining word is stemmed with Porter's algorithm (connected,
//     connecting, connection → connect) and counts with sublinear term
//     frequency, 1 + ln(tf), times an IDF-like weight with no corpus: about
//     150 frequent conversational words (get, thing, really, time...) count
//     half; a capitalised word inside a sentence, or one at a sentence start
//     that the lexicon does not know, is taken for a name and counts 1.25.
//   - A word in the built-in lexicon (about 280 groups of nearly 1,000
//     words, lexicon.go) shares its weight with its groups' concept
//     features. Strict groups hold spellings and near-synonyms
//     (buy/purchase, film/movie, favourite/favorite/prefer/love,
//     doctor/physician, job/work/occupation, sister/sibling, colour/color),
//     so a synonym matches with about three quarters of an exact match.
//     Broad groups hold a topic and its common members (car and Subaru,
//     language and Portuguese, city and Lisbon, pet and dog) and match
//     more weakly.
//   - The character 3-, 4- and 5-grams of each word, with boundary marks
//     (<re, rec, ..., ve>), share 0.4 of its weight: they tie morphology the
//     stemmer misses (allergic, allergy) and survive a typo (recieve).
//     All-digit words have none, so 1984 and 1985 stay apart.
//   - Pairs of adjacent words (after stop words are dropped) add a feature
//     of 0.25 each, so "peanut allergy" differs a little from the same
//     words apart.
//
// Each feature is hashed (FNV-1a with a splitmix64 finish) to 4 of the
// dimensions with a sign each, spreading it so that a chance collision
// between two features moves a similarity by a fraction of their weight
// rather than all of it; the vector is then L2-normalised. Features are
// added in text order, so a text's vector is the same bit for bit on every
// run and machine. Only the first MaxText bytes (1 MiB) of a text are read.
// One core embeds about 20,000 chat messages a second.
//
// # What it cannot do
//
// It has no meaning beyond its word lists. A paraphrase that shares no word,
// stem, near-spelling or listed synonym with the text is missed: "What did
// Ana do for a living?" does not find "Ana is a retired airline pilot", nor
// "Which herb can't Ben stand?" find "Ben hates coriander". It knows no
// facts (Tokyo is not known to be in Japan) and does not understand negation
// ("I am not vegan" is near "I am vegan"). Its synonyms are English only.
// Like every cosine over word features, it prefers a short message that
// shares one rare word with a question to a long one that shares two.
//
// # How well it recalls
//
// recall_test.go builds a seeded chat history of 10,000 messages over 90
// days, one to three everyday sentences each, about 100 people, pets,
// cities and companies that the facts share, with 200 planted facts (50
// kinds, 4 subjects each), and asks about each fact later in other words,
// naming its subject but not its answer ("Which city does my sibling Mei
// live in these days?" for "My sister Mei just moved to Lisbon for a new
// job"). Recall@5, whether the fact is among the first five results:
//
//	                              dense  BM25  hybrid (RRF, k=60)
//	the facts it was tuned on     0.825  0.425  0.680
//	held-out facts (196)          0.541  0.592  0.643
//
// The held-out facts were written after the lexicon and weights were tuned,
// and show what an unseen paraphrase gets. Both sets are hard on purpose:
// most questions share only a name with their fact, and that name is in
// dozens of other messages. Where a question and its fact share more words,
// BM25 and so the hybrid do much better.
//
//	e := offline.New(offline.DefaultDim)
//	vecs, _ := e.Embed(ctx, []string{"I purchased a vehicle", "I bought a car"})
//	// vecs[0]·vecs[1] ≈ 0.7; with "the weather is cold", ≈ 0.03
package offline
