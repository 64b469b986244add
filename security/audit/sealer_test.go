package audit

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"

	"github.com/llmos/llmos"
)

// testSealer is AES-256-GCM under a key derived from a name, in the vault's
// format: "LV1", a 4-byte key id, a 12-byte nonce, then ciphertext and tag.
type testSealer struct {
	aead cipher.AEAD
	id   uint32
}

func newTestSealer(name string) *testSealer {
	key := sha256.Sum256([]byte("audit test key " + name))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &testSealer{aead: aead, id: binary.BigEndian.Uint32(key[:4])}
}

func (s *testSealer) Seal(plaintext, ad []byte) ([]byte, error) {
	out := make([]byte, 7, 7+12+len(plaintext)+16)
	copy(out, "LV1")
	binary.BigEndian.PutUint32(out[3:], s.id)
	nonce := make([]byte, 12)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, plaintext, ad), nil
}

func (s *testSealer) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < 7+12+16 || string(sealed[:3]) != "LV1" {
		return nil, llmos.Errorf(llmos.CodeInvalid, "not a sealed value")
	}
	if binary.BigEndian.Uint32(sealed[3:7]) != s.id {
		return nil, llmos.Wrap(errors.New("key id"), llmos.CodeUnauthenticated, "sealed with another key")
	}
	out, err := s.aead.Open(nil, sealed[7:19], sealed[19:], ad)
	if err != nil {
		return nil, llmos.Wrap(err, llmos.CodeUnauthenticated, "the value was altered or the key is wrong")
	}
	return out, nil
}
