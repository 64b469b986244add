package weaviate

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate/entities/models"

	"github.com/llmos/llmos"
)

// classDescription marks collections made by this package.
const classDescription = "llmos archival memory (vector/weaviate)"

// className is Weaviate's rule for collection names (the first letter is
// capitalised by Open, as Weaviate itself does).
var className = regexp.MustCompile(`^[A-Z][_0-9A-Za-z]*$`)

// normalizeClass returns the collection name Weaviate will use for name.
func normalizeClass(name string) (string, error) {
	if name == "" {
		name = DefaultClass
	}
	name = strings.ToUpper(name[:1]) + name[1:]
	if !className.MatchString(name) {
		return "", llmos.Errorf(llmos.CodeInvalid, "weaviate: %q is not a valid collection name (letters, digits and _, starting with a letter)", name)
	}
	return name, nil
}

// classDef is the definition of an llmos collection.
func classDef(name string) *models.Class {
	yes, no := true, false
	prop := func(name, dataType, tokenization string, filterable, searchable bool) *models.Property {
		p := &models.Property{Name: name, DataType: []string{dataType}, IndexFilterable: &no, IndexSearchable: &no}
		if filterable {
			p.IndexFilterable = &yes
		}
		if searchable {
			p.IndexSearchable = &yes
		}
		if dataType == "text" || dataType == "text[]" {
			p.Tokenization = tokenization
		}
		return p
	}
	return &models.Class{
		Class:       name,
		Description: classDescription,
		Vectorizer:  "none",
		// The vector index: HNSW with cosine distance on the full vectors,
		// as vector/hnsw; skipDefaultQuantization keeps a server whose
		// DEFAULT_QUANTIZATION is set from compressing them.
		VectorIndexType:   "hnsw",
		VectorIndexConfig: map[string]any{"distance": "cosine", "skipDefaultQuantization": true},
		// IndexNullState lets the Before filter keep items without a time.
		InvertedIndexConfig: &models.InvertedIndexConfig{IndexNullState: true},
		Properties: []*models.Property{
			prop(propID, "text", "field", false, false),
			prop(propIDKey, "text", "field", true, false),
			prop(propNamespace, "text", "field", false, false),
			prop(propNSKey, "text", "field", true, false),
			prop(propText, "text", "word", false, true),
			prop(propTime, "date", "", true, false),
			prop(propSources, "text[]", "field", false, false),
			prop(propSourceKeys, "text[]", "field", true, false),
			prop(propMeta, "text", "field", false, false),
			prop(propMetaKeys, "text[]", "field", true, false),
		},
	}
}

// ensureClass creates the collection if it is missing and checks that an
// existing one has the properties this package needs.
func (x *Index) ensureClass(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		c, err := x.client.Schema().ClassGetter().WithClassName(x.class).Do(ctx)
		if err == nil {
			return checkClass(c)
		}
		var we *fault.WeaviateClientError
		if !asClientError(err, &we) || we.StatusCode != http.StatusNotFound {
			return x.wrap(ctx, err, "reading the collection "+x.class)
		}
		err = x.client.Schema().ClassCreator().WithClass(classDef(x.class)).Do(ctx)
		if err == nil {
			return nil
		}
		// Another node may have created it meanwhile: read it again, once.
		if attempt > 0 || !asClientError(err, &we) || we.StatusCode != http.StatusUnprocessableEntity {
			return x.wrap(ctx, err, "creating the collection "+x.class)
		}
	}
}

// checkClass reports whether an existing collection can hold our items.
func checkClass(c *models.Class) error {
	have := map[string]string{}
	for _, p := range c.Properties {
		if p != nil && len(p.DataType) > 0 {
			have[p.Name] = p.DataType[0]
		}
	}
	for _, p := range classDef(c.Class).Properties {
		if have[p.Name] != p.DataType[0] {
			return llmos.Errorf(llmos.CodeInvalid, "weaviate: the collection %s exists but is not an llmos memory collection (property %s is missing or has another type)", c.Class, p.Name)
		}
	}
	if c.Vectorizer != "" && c.Vectorizer != "none" {
		return llmos.Errorf(llmos.CodeInvalid, "weaviate: the collection %s has the vectorizer %q; llmos needs one without (vectorizer none)", c.Class, c.Vectorizer)
	}
	if m, ok := c.VectorIndexConfig.(map[string]any); ok && m["distance"] != nil && m["distance"] != "cosine" {
		return llmos.Errorf(llmos.CodeInvalid, "weaviate: the collection %s uses the %v distance; llmos needs cosine", c.Class, m["distance"])
	}
	return nil
}
