package vault_test

import (
	"fmt"
	"os"

	"github.com/llmos/llmos"
	"github.com/llmos/llmos/security/vault"
)

func Example() {
	home, _ := os.MkdirTemp("", "llmos")
	defer os.RemoveAll(home)
	env := map[string]string{"LLMOS_KEY": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"}
	v, err := vault.Open(home, vault.SourceFromEnv(func(k string) string { return env[k] }, home))
	if err != nil {
		fmt.Println(err)
		return
	}
	sealed, _ := v.Seal("alice", []byte("my favourite book is The Dispossessed"), []byte("memory:42"))
	plain, _ := v.Open("alice", sealed, []byte("memory:42"))
	fmt.Println(vault.IsSealed(sealed), string(plain))

	v.Shred("alice")
	_, err = v.Open("alice", sealed, []byte("memory:42"))
	fmt.Println(llmos.ErrorCode(err), err)
	// Output:
	// true my favourite book is The Dispossessed
	// not_found the key of namespace alice was deleted
}
