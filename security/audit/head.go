package audit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"strconv"

	"github.com/llmos/llmos"
)

// head is the head file: the seq and hash of the last record appended, so a
// log cut at its end can be told from a short one. With a Sealer, Mac seals
// seq and hash, so the head cannot be rewritten without the key.
type head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
	Mac  string `json:"mac,omitempty"`
}

// headAD binds the head's MAC to its role.
var headAD = []byte("audit.log.head")

// headBlock is the size the head file is padded to: one sector, so that an
// in-place write of it is atomic on disk and a crash leaves the old head or
// the new one, never a mix.
const headBlock = 512

func macText(seq int64, hash string) []byte {
	return append(strconv.AppendInt(nil, seq, 10), "\n"+hash...)
}

// writeHead overwrites the head file in place. It is not synced: a head that
// lags the log after a power loss is harmless (Verify treats the head as a
// lower bound), while the log itself is synced before the head is written.
func writeHead(path string, seq int64, hash string, s Sealer) error {
	h := head{Seq: seq, Hash: hash}
	if s != nil {
		mac, err := s.Seal(macText(seq, hash), headAD)
		if err != nil {
			return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot seal the head of the log")
		}
		h.Mac = base64.StdEncoding.EncodeToString(mac)
	}
	b, err := json.Marshal(h)
	if err != nil {
		return llmos.Wrap(err, llmos.CodeInternal, "audit: cannot encode the head of the log")
	}
	n := (len(b) + 1 + headBlock - 1) / headBlock * headBlock
	pad := bytes.Repeat([]byte{' '}, n)
	copy(pad, b)
	pad[n-1] = '\n'
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot open the head of the log")
	}
	defer f.Close()
	if _, err := f.WriteAt(pad, 0); err != nil {
		return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot write the head of the log")
	}
	if st, err := f.Stat(); err == nil && st.Size() > int64(n) {
		if err := f.Truncate(int64(n)); err != nil {
			return llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot write the head of the log")
		}
	}
	return nil
}

// readHead reads the head file; ok is false when it does not exist.
func readHead(path string) (h head, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, false, nil
	}
	if err != nil {
		return h, false, llmos.Wrap(err, llmos.CodeUnavailable, "audit: cannot read the head of the log")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil || h.Seq < 0 || (h.Seq > 0 && !isHash(h.Hash)) || dec.More() {
		return h, true, llmos.Errorf(llmos.CodeInvalid, "the head file %s is not valid", path)
	}
	return h, true, nil
}

// checkMac reports whether h's MAC opens with s and names h's seq and hash.
func checkMac(h head, s Sealer) bool {
	if h.Mac == "" {
		return false
	}
	sealed, err := base64.StdEncoding.DecodeString(h.Mac)
	if err != nil {
		return false
	}
	plain, err := s.Open(sealed, headAD)
	return err == nil && bytes.Equal(plain, macText(h.Seq, h.Hash))
}
