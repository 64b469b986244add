package weaviate

import (
	"slices"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"

	"github.com/llmos/llmos/vector"
)

// where translates a filter into a Weaviate where filter, with extra
// conditions anded in; nil when nothing is filtered.
//
// Each part matches exactly what vector.Filter.Match does:
//   - Namespace: nsKey Equal key(ns);
//   - After: time GreaterThanEqual After (an item without a time is before
//     every After, and null never compares, so it is left out as Match does);
//   - Before: time LessThan Before, or time IsNull (a zero time is before
//     every Before, so Match keeps items without a time);
//   - Sources: sourceKeys ContainsAny the keys of the sources;
//   - Meta: metaKeys ContainsAll the keys of the pairs.
func where(f vector.Filter, extra ...*filters.WhereBuilder) *filters.WhereBuilder {
	var ops []*filters.WhereBuilder
	if f.Namespace != "" {
		ops = append(ops, filters.Where().WithPath([]string{propNSKey}).
			WithOperator(filters.Equal).WithValueText(key(f.Namespace)))
	}
	if !f.After.IsZero() {
		ops = append(ops, filters.Where().WithPath([]string{propTime}).
			WithOperator(filters.GreaterThanEqual).WithValueDate(f.After.UTC()))
	}
	if !f.Before.IsZero() {
		ops = append(ops, filters.Where().WithOperator(filters.Or).WithOperands([]*filters.WhereBuilder{
			filters.Where().WithPath([]string{propTime}).WithOperator(filters.LessThan).WithValueDate(f.Before.UTC()),
			filters.Where().WithPath([]string{propTime}).WithOperator(filters.IsNull).WithValueBoolean(true),
		}))
	}
	if len(f.Sources) > 0 {
		keys := make([]string, len(f.Sources))
		for i, s := range f.Sources {
			keys[i] = key(string(s))
		}
		ops = append(ops, filters.Where().WithPath([]string{propSourceKeys}).
			WithOperator(filters.ContainsAny).WithValueText(keys...))
	}
	if len(f.Meta) > 0 {
		keys := make([]string, 0, len(f.Meta))
		for k, v := range f.Meta {
			keys = append(keys, metaKey(k, v))
		}
		slices.Sort(keys) // a stable query text
		ops = append(ops, filters.Where().WithPath([]string{propMetaKeys}).
			WithOperator(filters.ContainsAll).WithValueText(keys...))
	}
	for _, e := range extra {
		if e != nil {
			ops = append(ops, e)
		}
	}
	switch len(ops) {
	case 0:
		return nil
	case 1:
		return ops[0]
	}
	return filters.Where().WithOperator(filters.And).WithOperands(ops)
}

// afterID matches the items whose id sorts after id, for the List cursor.
func afterID(id string) *filters.WhereBuilder {
	if id == "" {
		return nil
	}
	return filters.Where().WithPath([]string{propIDKey}).WithOperator(filters.GreaterThan).WithValueText(key(id))
}

// withIDs matches the objects with these Weaviate ids.
func withIDs(uuids []string) *filters.WhereBuilder {
	return filters.Where().WithPath([]string{"id"}).WithOperator(filters.ContainsAny).WithValueText(uuids...)
}
