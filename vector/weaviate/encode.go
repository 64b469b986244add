package weaviate

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/vector"
)

// The properties of an llmos collection. Values a person may read are stored
// as given (itemId, namespace, text, time, sources, meta); the *Key
// properties hold the same values encoded by key() and are the only ones the
// filters touch, so that matching is exact (Weaviate's "field" tokenization
// trims whitespace) and ordering is by bytes.
const (
	propID         = "itemId"     // the caller's id, as given
	propIDKey      = "idKey"      // key(id): exact match, sort order and List cursor
	propNamespace  = "namespace"  // as given
	propNSKey      = "nsKey"      // key(namespace)
	propText       = "text"       // the only BM25-searchable property
	propTime       = "time"       // date; absent for a zero time
	propSources    = "sources"    // text[]: the label's sources, as given
	propSourceKeys = "sourceKeys" // text[]: key(source) for each source
	propMeta       = "meta"       // JSON object of the metadata, as given
	propMetaKeys   = "metaKeys"   // text[]: key(k)+"="+key(v) for each pair
)

// idSpace is the namespace of the UUIDv5s that name our items in Weaviate.
var idSpace = uuid.MustParse("9f0f3c1e-5a0e-4c55-8b8e-6c6c6d6f7301")

// objectID maps an item id to the Weaviate object id: the UUIDv5 of the id
// in a fixed namespace, so the same id always names the same object.
func objectID(id string) string {
	return uuid.NewSHA1(idSpace, []byte(id)).String()
}

// key encodes s for the filterable properties: "x" and the hex of its bytes.
// Hex keeps byte order (so sorting keys sorts the strings), has no
// whitespace or case for a tokenizer to change, and the prefix keeps the key
// of "" non-empty.
func key(s string) string { return "x" + hex.EncodeToString([]byte(s)) }

// metaKey encodes one metadata pair; "=" cannot occur in a key.
func metaKey(k, v string) string { return key(k) + "=" + key(v) }

// checkItem validates an item against the dimension dim (0: any).
func checkItem(it *vector.Item, dim int) error {
	if it.ID == "" {
		return llmos.Errorf(llmos.CodeInvalid, "weaviate: an item has an empty id")
	}
	if len(it.Vector) == 0 {
		return llmos.Errorf(llmos.CodeInvalid, "weaviate: item %q has no vector", it.ID)
	}
	if dim != 0 && len(it.Vector) != dim {
		return llmos.Errorf(llmos.CodeInvalid, "weaviate: item %q has a vector of dimension %d, the index has dimension %d", it.ID, len(it.Vector), dim)
	}
	if !finite(it.Vector) {
		return llmos.Errorf(llmos.CodeInvalid, "weaviate: item %q has a vector with NaN or infinite values", it.ID)
	}
	return nil
}

func finite(v []float32) bool {
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}

// toObject encodes an item as a Weaviate object of class.
func toObject(class string, it *vector.Item) (*models.Object, error) {
	p := map[string]any{
		propID:    it.ID,
		propIDKey: key(it.ID),
		propText:  it.Text,
	}
	if it.Namespace != "" {
		p[propNamespace] = it.Namespace
		p[propNSKey] = key(it.Namespace)
	}
	if !it.Time.IsZero() {
		p[propTime] = it.Time.UTC().Format(time.RFC3339Nano)
	}
	if len(it.Label.Sources) > 0 {
		src := make([]string, len(it.Label.Sources))
		keys := make([]string, len(it.Label.Sources))
		for i, s := range it.Label.Sources {
			src[i] = string(s)
			keys[i] = key(string(s))
		}
		p[propSources] = src
		p[propSourceKeys] = keys
	}
	if len(it.Meta) > 0 {
		b, err := json.Marshal(it.Meta)
		if err != nil {
			return nil, llmos.Wrap(err, llmos.CodeInvalid, "weaviate: metadata of item "+quote(it.ID)+" cannot be encoded")
		}
		p[propMeta] = string(b)
		keys := make([]string, 0, len(it.Meta))
		for k, v := range it.Meta {
			keys = append(keys, metaKey(k, v))
		}
		p[propMetaKeys] = keys
	}
	obj := &models.Object{Class: class, Properties: p, Vector: models.C11yVector(it.Vector)}
	setString(&obj.ID, objectID(it.ID))
	return obj, nil
}

// setString sets a string-kinded field (strfmt.UUID) without naming its type.
func setString[T ~string](p *T, s string) { *p = T(s) }

// hit is one object of a GraphQL Get answer.
type hit struct {
	ID         string   `json:"itemId"`
	Namespace  *string  `json:"namespace"`
	Text       *string  `json:"text"`
	Time       *string  `json:"time"`
	Sources    []string `json:"sources"`
	Meta       *string  `json:"meta"`
	Additional struct {
		ID       string      `json:"id"`
		Distance *float64    `json:"distance"`
		Score    json.Number `json:"score"` // a string in GraphQL answers
		Vector   []float32   `json:"vector"`
	} `json:"_additional"`
}

// item decodes a hit.
func (h *hit) item() (vector.Item, error) {
	it := vector.Item{ID: h.ID, Vector: h.Additional.Vector}
	if h.Namespace != nil {
		it.Namespace = *h.Namespace
	}
	if h.Text != nil {
		it.Text = *h.Text
	}
	if h.Time != nil && *h.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, *h.Time)
		if err != nil {
			return it, llmos.Wrap(err, llmos.CodeBadResponse, "weaviate: item "+quote(h.ID)+" has a malformed time")
		}
		it.Time = t
	}
	for _, s := range h.Sources {
		it.Label.Sources = append(it.Label.Sources, llmos.Source(s))
	}
	if h.Meta != nil && *h.Meta != "" {
		if err := json.Unmarshal([]byte(*h.Meta), &it.Meta); err != nil {
			return it, llmos.Wrap(err, llmos.CodeBadResponse, "weaviate: item "+quote(h.ID)+" has malformed metadata")
		}
	}
	return it, nil
}

// quote quotes an id for a message, cutting very long ones.
func quote(s string) string {
	if len(s) > 80 {
		s = strings.ToValidUTF8(s[:80], "") + "..."
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
