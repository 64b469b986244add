package mcp

import (
	"encoding/json"
	"slices"

	"github.com/google/jsonschema-go/jsonschema"
)

// anyObject is the schema used when a server's own cannot be used: any
// JSON object. The server still checks its arguments itself.
var anyObject = json.RawMessage(`{"type":"object"}`)

// objectSchema returns a tool's input schema in a form llmos can use: a JSON
// object with "type": "object" that the kernel's validator resolves. A
// missing type is set to object; a "$schema" the validator does not know is
// dropped. When the schema is not a JSON object, describes something other
// than an object, or still cannot be resolved, objectSchema returns
// anyObject and ok is false. Top-level keys come back sorted, everything
// below them verbatim, so the order of the properties is kept.
func objectSchema(raw []byte) (schema json.RawMessage, ok bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return anyObject, false
	}
	if t, has := m["type"]; !has {
		m["type"] = json.RawMessage(`"object"`)
	} else if !isObjectType(t) {
		return anyObject, false
	} else {
		m["type"] = json.RawMessage(`"object"`)
	}
	out, err := json.Marshal(m)
	if err != nil {
		return anyObject, false
	}
	if resolves(out) {
		return out, true
	}
	if _, has := m["$schema"]; has {
		delete(m, "$schema")
		if out, err = json.Marshal(m); err == nil && resolves(out) {
			return out, true
		}
	}
	return anyObject, false
}

// isObjectType reports whether a schema's "type" admits objects: "object",
// or a list of types holding it (["object", "null"]).
func isObjectType(t json.RawMessage) bool {
	var one string
	if json.Unmarshal(t, &one) == nil {
		return one == "object"
	}
	var many []string
	if json.Unmarshal(t, &many) == nil {
		return slices.Contains(many, "object")
	}
	return false
}

// resolves reports whether the kernel's validator accepts the schema, as
// kernel.Syscalls.Register checks it.
func resolves(raw []byte) bool {
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return false
	}
	_, err := s.Resolve(nil)
	return err == nil
}
