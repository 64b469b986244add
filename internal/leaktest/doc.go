// Package leaktest holds what the tests of llmos's encryption at rest share:
// a test double of the vault's Cipher, and a search of every file of a
// folder for a secret in the encodings it could hide in. Only _test.go files
// import it; nothing of the running system does.
//
// # The cipher
//
// Cipher seals and opens values as security/vault does, in its "LV1" format
// (3 magic bytes, a 4-byte big-endian key id, a 12-byte nonce, the
// AES-256-GCM ciphertext and tag), with keys derived from a secret instead of
// a keyring: two Ciphers made from the same secret open each other's values,
// also across processes, and one made from another secret fails with
// llmos.CodeUnauthenticated, as a wrong master key does. Blind gives the
// vault's search tokens. Shred deletes a namespace's keys as vault.Shred does
// (the values sealed before fail with llmos.CodeNotFound, new ones take a new
// key id); Revoke also refuses every later Seal and Blind of the namespace,
// for testing how a store handles a cipher that says no. For binds the cipher
// to one namespace: the shape of the audit log's Sealer.
//
// # The search
//
// Encodings lists the forms in which a secret could sit in a file (UTF-8,
// UTF-16 in both byte orders, hex in both cases, standard and URL base64 at
// the three byte alignments); Find looks for such needles in every regular
// file under a folder, and AssertAbsent fails a test that finds one.
// Package-specific needles (a vector's float32 bytes, an id) are built by the
// package's own tests and handed to Find.
//
// # Example
//
//	c := leaktest.NewCipher("test-secret")
//	db := openStore(t, dir, c) // the store under test seals with c
//	db.Put(ctx, "alice", canary)
//	db.Close()
//	leaktest.AssertAbsent(t, dir, canary) // no file holds it, in any encoding
//	c.Shred("alice")                      // now alice's values fail with not_found
package leaktest
