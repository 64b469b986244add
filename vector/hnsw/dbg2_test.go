package hnsw

import (
	"os"
	"strconv"
	"testing"
)

func TestDbgBuild(t *testing.T) {
	if os.Getenv("BUILD") == "" {
		t.Skip()
	}
	n, _ := strconv.Atoi(os.Getenv("BUILD"))
	data := clustered(10, n, 128)
	g := build(t, Config{Dim: 128}, data, 1)
	t.Logf("%d distances per insert", g.Distances()/uint64(n))
}
