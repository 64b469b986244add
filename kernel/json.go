package kernel

import "encoding/json"

func jsonValid(b []byte) bool { return len(b) > 0 && json.Valid(b) }

func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
