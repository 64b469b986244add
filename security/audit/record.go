package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/llmos/llmos"
)

// FileName is the name of the audit log under $LLMOS_HOME; its head file is
// FileName + HeadSuffix beside it.
const (
	FileName   = "audit.log"
	HeadSuffix = ".head"
)

// MaxData is the largest Data a record may carry; Append refuses more with
// llmos.CodeInvalid.
const MaxData = 1 << 20

// maxLine bounds one line when reading a log that may have been tampered with.
const maxLine = 16 << 20

// zeroHash is the prev of the first record.
var zeroHash = hex.EncodeToString(make([]byte, sha256.Size))

// Record is one audited event: a syscall, a policy decision, a guard verdict,
// an approval, a model call, a vault operation...
type Record struct {
	Seq       int64           `json:"seq"` // 1, 2, 3... assigned by Append
	Time      time.Time       `json:"time"`
	Kind      string          `json:"kind"` // "syscall", "policy", "verdict", "approval", "model_call", "vault", ...
	PID       int64           `json:"pid,omitempty"`
	Namespace string          `json:"namespace,omitempty"`
	Tool      string          `json:"tool,omitempty"`
	Action    string          `json:"action,omitempty"` // allow, deny, ask, redact, block, approved, refused...
	Reason    string          `json:"reason,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"` // anything else (arguments, labels, scanner findings)
	Prev      string          `json:"prev"`           // hex SHA-256 of the previous record (64 zeros for the first)
	Hash      string          `json:"hash"`
}

// Sealer encrypts records at rest; security/vault provides one bound to the
// "_audit" namespace. Open must fail (never return garbage) on a wrong key
// or an altered value.
type Sealer interface {
	Seal(plaintext, ad []byte) ([]byte, error)
	Open(sealed, ad []byte) ([]byte, error)
}

// Options configure a Log and Verify.
type Options struct {
	// Sealer, if set, encrypts each record (and MACs the head file); nil
	// stores plain JSON. Verify given a Sealer also opens every record.
	Sealer Sealer
	// Now stamps records whose Time is zero; time.Now by default.
	Now func() time.Time
	// ReadOnly opens an existing log for Read and Tail only: no file is
	// created, nothing is locked or repaired, and Append fails.
	ReadOnly bool
}

// body is what a line stores of a record: everything but seq, prev and hash,
// which the line holds itself.
type body struct {
	Time      time.Time       `json:"time"`
	Kind      string          `json:"kind"`
	PID       int64           `json:"pid,omitempty"`
	Namespace string          `json:"namespace,omitempty"`
	Tool      string          `json:"tool,omitempty"`
	Action    string          `json:"action,omitempty"`
	Reason    string          `json:"reason,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// entry is one line of the log as stored.
type entry struct {
	Seq    int64           `json:"seq"`
	Prev   string          `json:"prev"`
	Hash   string          `json:"hash"`
	Rec    json.RawMessage `json:"rec,omitempty"`
	Sealed *string         `json:"sealed,omitempty"`
}

// payload is the bytes the hash covers after prev and seq: the rec JSON as
// stored, or the base64 text of the sealed record.
func (e *entry) payload() []byte {
	if e.Sealed != nil {
		return []byte(*e.Sealed)
	}
	return e.Rec
}

// chainSum is SHA-256(prev || "\n" || seq || "\n" || payload), where prev
// is the hex hash of the previous record and seq is in decimal.
func chainSum(prev string, seq int64, payload []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(strconv.AppendInt(nil, seq, 10))
	h.Write([]byte{'\n'})
	h.Write(payload)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// chainHash is chainSum in hex, as lines store it.
func chainHash(prev string, seq int64, payload []byte) string {
	sum := chainSum(prev, seq, payload)
	return hex.EncodeToString(sum[:])
}

// seqAD is the associated data a sealed record is bound to: its seq.
func seqAD(seq int64) []byte { return strconv.AppendInt(nil, seq, 10) }

// marshalBody encodes the stored part of r, compact and without HTML escaping.
func marshalBody(r *Record) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(body{Time: r.Time, Kind: r.Kind, PID: r.PID, Namespace: r.Namespace, Tool: r.Tool,
		Action: r.Action, Reason: r.Reason, Data: r.Data})
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInvalid, "audit: the record cannot be encoded as JSON")
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// encodeLine builds the stored line of r (whose Seq, Prev and Hash are set)
// for payload, with its newline.
func encodeLine(seq int64, prev, hash string, payload []byte, sealed bool) []byte {
	b := make([]byte, 0, len(payload)+200)
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"prev":"`...)
	b = append(b, prev...)
	b = append(b, `","hash":"`...)
	b = append(b, hash...)
	if sealed {
		b = append(b, `","sealed":"`...)
		b = append(b, payload...)
		b = append(b, `"}`...)
	} else {
		b = append(b, `","rec":`...)
		b = append(b, payload...)
		b = append(b, '}')
	}
	return append(b, '\n')
}

// parseLine decodes one line (without its newline) into an entry, checking
// its shape but not its hash.
func parseLine(b []byte) (*entry, error) {
	var e entry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, llmos.Wrap(err, llmos.CodeInvalid, "it is not a JSON object of the audit log format")
	}
	if dec.More() {
		return nil, llmos.Errorf(llmos.CodeInvalid, "it holds more than one JSON value")
	}
	switch {
	case e.Seq <= 0:
		return nil, llmos.Errorf(llmos.CodeInvalid, "its seq is missing or not positive")
	case !isHash(e.Prev):
		return nil, llmos.Errorf(llmos.CodeInvalid, "its prev is not a hex SHA-256")
	case !isHash(e.Hash):
		return nil, llmos.Errorf(llmos.CodeInvalid, "its hash is not a hex SHA-256")
	case (e.Rec == nil) == (e.Sealed == nil):
		return nil, llmos.Errorf(llmos.CodeInvalid, `it must hold exactly one of "rec" and "sealed"`)
	case e.Rec != nil && (len(e.Rec) == 0 || e.Rec[0] != '{'):
		return nil, llmos.Errorf(llmos.CodeInvalid, `its "rec" is not a JSON object`)
	}
	return &e, nil
}

func isHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// decodeRecord turns an entry into a Record, opening it with s if sealed.
func decodeRecord(e *entry, s Sealer) (Record, error) {
	raw := []byte(e.Rec)
	if e.Sealed != nil {
		if s == nil {
			return Record{}, llmos.Errorf(llmos.CodeUnauthenticated, "audit: record %d is encrypted and no key was given", e.Seq)
		}
		sealed, err := base64.StdEncoding.DecodeString(*e.Sealed)
		if err != nil {
			return Record{}, llmos.Wrap(err, llmos.CodeInvalid, "audit: record "+strconv.FormatInt(e.Seq, 10)+" is not valid base64")
		}
		raw, err = s.Open(sealed, seqAD(e.Seq))
		if err != nil {
			return Record{}, llmos.Wrap(err, llmos.CodeUnauthenticated, "audit: record "+strconv.FormatInt(e.Seq, 10)+" cannot be decrypted")
		}
	}
	var b body
	if err := json.Unmarshal(raw, &b); err != nil {
		return Record{}, llmos.Wrap(err, llmos.CodeInvalid, "audit: record "+strconv.FormatInt(e.Seq, 10)+" is not valid JSON")
	}
	return Record{Seq: e.Seq, Time: b.Time, Kind: b.Kind, PID: b.PID, Namespace: b.Namespace, Tool: b.Tool,
		Action: b.Action, Reason: b.Reason, Data: b.Data, Prev: e.Prev, Hash: e.Hash}, nil
}
