// Package vault holds the keys of llmos's encryption at rest and seals and
// opens values with them. Every store under $LLMOS_HOME (the SQLite state, the
// vector index, the audit log) hands its values to a Cipher, Seal and Open
// by namespace, that a Vault implements; the stores declare that small
// interface themselves and never import this package.
//
// # Key hierarchy
//
//	master key ──wraps──► data key of "alice" (versions 1, 2, ...) ──seals──► alice's values
//	            ──wraps──► data key of "_system", "_index", "_audit", ...
//
// The master key comes from, in this order (SourceFromEnv): LLMOS_KEY (32
// bytes, hex or base64), LLMOS_KEY_FILE (a file holding the same, or 32 raw
// bytes), LLMOS_PASSPHRASE (through argon2id, salt and cost stored in the
// keyring), or else a key generated on first use into $LLMOS_HOME/master.key.
// Each namespace (a user; "_system", "_index" and "_audit" are namespaces
// like any other) has its own AES-256 data keys, wrapped by the master key in
// $LLMOS_HOME/vault/keyring.json, which also holds a check value so that a
// wrong master key is a clear error (CodeUnauthenticated), never garbage.
// The keyring never holds a key in the clear.
//
//   - Rotate re-wraps every data key under a new master key in one atomic
//     replacement of the keyring: the old master key stops working and no
//     value needs re-encrypting.
//   - RotateData adds a data-key version to a namespace; new values use it
//     and old ones keep opening under theirs (the version is in each value).
//   - Shred deletes a namespace's data keys: its values, wherever they were
//     copied, can never be opened again (crypto-shredding).
//   - Blind gives keyed, deterministic tokens of terms, so a store can find
//     values by equality without keeping the terms in the clear.
//
// A sealed value is "LV1" | key id (uint32, big-endian) | 12-byte random
// nonce | AES-256-GCM ciphertext and tag, with the namespace, a NUL and the
// caller's associated data as additional data: a value moved to another
// namespace or row (when the row id is the ad) does not open.
//
// Several llmos processes share a keyring: each change happens under an
// advisory lock on $LLMOS_HOME/vault/keyring.lock after reading the file
// afresh, and a vault notices other processes' changes (a new key version, a
// shredded namespace) within a second, or at once for an unknown key id.
//
// # Threat model
//
// The vault protects data at rest from someone who gets the files of
// $LLMOS_HOME (a stolen disk, a backup, a synced folder) without the master
// key, and it shreds a user's data by deleting one key. It does not protect
// against someone who can read this process's memory or its environment
// while it runs, nor against one who holds both the files and the key. With
// the generated key file, the key sits inside $LLMOS_HOME: that stops only a
// copy of the data taken without master.key, not someone with the whole
// home folder. Prefer LLMOS_KEY from a secret manager, a key file kept
// elsewhere (LLMOS_KEY_FILE, mode 0600), or a passphrase. Random 96-bit
// nonces bound one data key to about 2^32 values: rotate data keys long
// before that. Processes that cached a key before a Shred stop using it
// within the refresh interval (one second by default).
//
// # Example
//
//	v, err := vault.Open(home, vault.SourceFromEnv(os.Getenv, home))
//	if err != nil {
//		return err // a wrong key is CodeUnauthenticated
//	}
//	sealed, err := v.Seal("alice", []byte(`{"text":"my favourite book"}`), []byte("memory:42"))
//	...
//	plain, err := v.Open("alice", sealed, []byte("memory:42"))
//	...
//	err = v.Shred("alice") // alice's values are gone for good
package vault
