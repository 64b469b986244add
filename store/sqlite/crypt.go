package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/embed/offline"
)

// Cipher seals values at rest under the data key of a namespace (a user).
// security/vault implements it.
type Cipher interface {
	// Seal encrypts plaintext with AES-256-GCM under ns's current data key,
	// binding ad (associated data, not stored: Open must be given the same
	// ad). The result starts with the magic "LV1".
	Seal(ns string, plaintext, ad []byte) ([]byte, error)
	// Open decrypts what Seal returned. A wrong key, a deleted (shredded)
	// namespace key or an altered value is an *llmos.Error, never garbage.
	Open(ns string, sealed, ad []byte) ([]byte, error)
	// Blind returns a keyed, deterministic token for a search term of ns:
	// 16 characters of [a-z2-7], the same for the same ns and term.
	Blind(ns, term string) string
}

// sealMagic starts every sealed value; plaintext records are JSON ('{').
const sealMagic = "LV1"

// systemNS is the namespace of the store's own metadata.
const systemNS = "_system"

func isSealed(b []byte) bool {
	return len(b) >= len(sealMagic) && string(b[:len(sealMagic)]) == sealMagic
}

// The associated data that binds each sealed value to its row.
func adProcess(pid int64) string { return "processes/" + strconv.FormatInt(pid, 10) }
func adMessage(pid int64, seq int) string {
	return "messages/" + strconv.FormatInt(pid, 10) + "/" + strconv.Itoa(seq)
}
func adEvent(pid, seq int64) string {
	return "events/" + strconv.FormatInt(pid, 10) + "/" + strconv.FormatInt(seq, 10)
}
func adCore(ns, name string) string { return "core/" + ns + "/" + name }
func adMeta(key string) string      { return "meta/" + key }

// seal returns what to store for plain: itself without a cipher, sealed
// under ns with one.
func (s *DB) seal(ns string, plain []byte, ad string) ([]byte, error) {
	if s.cipher == nil {
		return plain, nil
	}
	b, err := s.cipher.Seal(ns, plain, []byte(ad))
	if err != nil {
		return nil, cipherError(err, "cannot encrypt a value of namespace "+strconv.Quote(ns))
	}
	if !isSealed(b) {
		return nil, llmos.Errorf(llmos.CodeInternal, "the cipher returned a value without the %s magic", sealMagic)
	}
	return b, nil
}

// open returns the plaintext of a stored value; sealed says whether it is
// in the sealed form (the caller knows how to tell: JSON records by their
// first byte, text values also by their SQLite type). what names the value
// in errors.
func (s *DB) open(ns string, stored []byte, sealed bool, ad, what string) ([]byte, error) {
	if s.cipher == nil {
		if sealed {
			return nil, llmos.Errorf(llmos.CodeUnauthenticated, "%s is encrypted: the state database must be opened with its key", what)
		}
		return stored, nil
	}
	if !sealed {
		// After OpenWith converted the file there is no plaintext left; one
		// now was written by a plaintext opener or planted in the file.
		return nil, llmos.Errorf(llmos.CodeUnauthenticated, "%s is stored unencrypted in an encrypted state database", what)
	}
	b, err := s.cipher.Open(ns, stored, []byte(ad))
	if err != nil {
		return nil, cipherError(err, "cannot read "+what)
	}
	return b, nil
}

// cipherError keeps the code of the cipher's error and prefixes its message.
func cipherError(err error, what string) error {
	var e *llmos.Error
	if errors.As(err, &e) {
		return &llmos.Error{Code: e.Code, Msg: what + ": " + e.Error(), Err: err}
	}
	return llmos.Wrap(err, llmos.CodeUnauthenticated, what+": the value could not be decrypted")
}

// namespace returns the namespace of process pid. Without a cipher it is not
// needed and plain is returned as it is. Code not_found if there is no such
// process.
func (s *DB) namespace(ctx context.Context, q querier, pid int64, plain string) (string, error) {
	if s.cipher == nil {
		return plain, nil
	}
	s.mu.Lock()
	ns, ok := s.nss[pid]
	s.mu.Unlock()
	if ok {
		return ns, nil
	}
	err := q.QueryRowContext(ctx, `SELECT namespace FROM processes WHERE pid = ?`, pid).Scan(&ns)
	if errors.Is(err, sql.ErrNoRows) {
		return "", llmos.Errorf(llmos.CodeNotFound, "no process %d", pid)
	}
	if err != nil {
		return "", internal(err, "read process")
	}
	s.remember(pid, ns)
	return ns, nil
}

func (s *DB) remember(pid int64, ns string) {
	s.mu.Lock()
	s.nss[pid] = ns
	s.mu.Unlock()
}

// words splits text as FTS5's unicode61 tokenizer does: runs of letters,
// numbers and private-use characters (combining marks kept with them),
// lowercased, with diacritics removed.
func words(text string) []string {
	isWord := func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || unicode.Is(unicode.Co, r)
	}
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !isWord(r) }) {
		f = strings.ToLower(norm.NFD.String(f))
		f = strings.Map(func(r rune) rune {
			if unicode.Is(unicode.Mn, r) {
				return -1
			}
			return r
		}, f)
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// blindTokener is the optional ability of a Cipher to say why it cannot
// blind a term (security/vault has it); Blind alone returns "" then.
type blindTokener interface {
	BlindToken(ns, term string) (string, error)
}

// blind returns the blind token of term in ns, or an error if the cipher
// gives none (a shredded namespace) or one the index could not hold as a
// single token.
func (s *DB) blind(ns, term string) (string, error) {
	var tok string
	if bt, ok := s.cipher.(blindTokener); ok {
		var err error
		if tok, err = bt.BlindToken(ns, term); err != nil {
			return "", cipherError(err, "cannot index or search the messages of namespace "+strconv.Quote(ns))
		}
	} else {
		tok = s.cipher.Blind(ns, term)
	}
	if tok == "" {
		return "", llmos.Errorf(llmos.CodeUnavailable, "cannot index or search the messages of namespace %q: its key is not available", ns)
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return "", llmos.Errorf(llmos.CodeInternal, "the cipher's search tokens are not lowercase base32")
		}
	}
	return tok, nil
}

// blindWords returns the blind tokens of ws, each stemmed as FTS5's porter
// tokenizer does (offline.Stem is the same algorithm).
func (s *DB) blindWords(ns string, ws []string) ([]string, error) {
	out := make([]string, len(ws))
	for i, w := range ws {
		tok, err := s.blind(ns, offline.Stem(w))
		if err != nil {
			return nil, err
		}
		out[i] = tok
	}
	return out, nil
}

// blindTerms is the messages_blind.terms value of a message of ns.
func (s *DB) blindTerms(ns, text string) (string, error) {
	toks, err := s.blindWords(ns, words(text))
	return strings.Join(toks, " "), err
}

// blindQuery is ftsQuery for the blind index: an OR of the blind tokens of
// the first 32 words of text ("" when text has no words).
func (s *DB) blindQuery(ns, text string) (string, error) {
	ws := words(text)
	if len(ws) > 32 {
		ws = ws[:32]
	}
	if len(ws) == 0 {
		return "", nil
	}
	toks, err := s.blindWords(ns, ws)
	if err != nil {
		return "", err
	}
	return `"` + strings.Join(toks, `" OR "`) + `"`, nil
}

// DeleteNamespace deletes every process of namespace ns with its messages,
// events and index entries, and the core memory blocks of ns; it returns
// how many processes went. With a Cipher, deleting the namespace key in the
// vault as well crypto-shreds the user (copies of sealed rows elsewhere,
// backups included, no longer open). Without one, deleted text may remain in
// free pages of the file until it is vacuumed.
func (s *DB) DeleteNamespace(ctx context.Context, ns string) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, internal(err, "delete namespace")
	}
	defer tx.Rollback()
	const pids = `(SELECT pid FROM processes WHERE namespace = ?)`
	for _, q := range []string{
		`DELETE FROM messages_blind WHERE pid IN ` + pids,
		`DELETE FROM messages_fts WHERE pid IN ` + pids,
		`DELETE FROM messages WHERE pid IN ` + pids,
		`DELETE FROM events WHERE pid IN ` + pids,
		`DELETE FROM core_blocks WHERE namespace = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, ns); err != nil {
			return 0, internal(err, "delete namespace")
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM processes WHERE namespace = ?`, ns)
	if err != nil {
		return 0, internal(err, "delete namespace")
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return 0, internal(err, "delete namespace")
	}
	s.mu.Lock()
	for pid, pns := range s.nss {
		if pns == ns {
			delete(s.nss, pid)
		}
	}
	s.mu.Unlock()
	return int(n), nil
}
