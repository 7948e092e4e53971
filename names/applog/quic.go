package applog

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
)

// QUIC server Initial decryption (RFC 9001 5.2, RFC 9369 3.3): enough to
// read the ServerHello, and so the negotiated TLS version, from a server's
// Initial packets. The client side is the tls package's QUICAssembler.

type quicVer struct {
	salt        []byte
	key, iv, hp string
	initialType byte
}

var (
	quicV1 = &quicVer{
		salt: []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
		key:  "quic key", iv: "quic iv", hp: "quic hp", initialType: 0,
	}
	quicV2 = &quicVer{
		salt: []byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
		key:  "quicv2 key", iv: "quicv2 iv", hp: "quicv2 hp", initialType: 1,
	}
	quicDraft = &quicVer{
		salt: []byte{0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99},
		key:  "quic key", iv: "quic iv", hp: "quic hp", initialType: 0,
	}
)

func quicVersion(v uint32) *quicVer {
	switch {
	case v == 1:
		return quicV1
	case v == 0x6b3343cf:
		return quicV2
	case v >= 0xff00001d && v <= 0xff000020:
		return quicDraft
	}
	return nil
}

func expandLabel(secret []byte, label string, n int) []byte {
	info := make([]byte, 0, 4+6+len(label))
	info = append(info, byte(n>>8), byte(n), byte(6+len(label)))
	info = append(info, "tls13 "...)
	info = append(info, label...)
	info = append(info, 0)
	out, err := hkdf.Expand(sha256.New, secret, string(info), n)
	if err != nil {
		return nil
	}
	return out
}

type quicKeys struct {
	aead cipher.AEAD
	iv   []byte
	hp   cipher.Block
}

// serverInitialKeys derives the server's Initial keys from the client's
// Destination Connection ID.
func serverInitialKeys(qv *quicVer, dcid []byte) (*quicKeys, error) {
	initial, err := hkdf.Extract(sha256.New, dcid, qv.salt)
	if err != nil {
		return nil, err
	}
	secret := expandLabel(initial, "server in", 32)
	key := expandLabel(secret, qv.key, 16)
	iv := expandLabel(secret, qv.iv, 12)
	hpKey := expandLabel(secret, qv.hp, 16)
	if key == nil || iv == nil || hpKey == nil {
		return nil, errors.New("hkdf")
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	hp, err := aes.NewCipher(hpKey)
	if err != nil {
		return nil, err
	}
	return &quicKeys{aead: aead, iv: iv, hp: hp}, nil
}

func varint(b []byte) (uint64, int, bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	n := 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0, false
	}
	v := uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n, true
}

// longHeader is a parsed QUIC long header (RFC 9000 17.2).
type longHeader struct {
	version    uint32
	typ        byte
	dcid, scid []byte
	pnOffset   int // Initial: offset of the packet number
	end        int // end of this packet in the datagram
}

func parseLongHeader(b []byte) (longHeader, bool) {
	var h longHeader
	if len(b) < 7 || b[0]&0x80 == 0 {
		return h, false
	}
	h.version = uint32(b[1])<<24 | uint32(b[2])<<16 | uint32(b[3])<<8 | uint32(b[4])
	h.typ = (b[0] >> 4) & 3
	p := 5
	dl := int(b[p])
	if dl > 20 || p+1+dl >= len(b) {
		return h, false
	}
	h.dcid = b[p+1 : p+1+dl]
	p += 1 + dl
	sl := int(b[p])
	if sl > 20 || p+1+sl > len(b) {
		return h, false
	}
	h.scid = b[p+1 : p+1+sl]
	p += 1 + sl
	qv := quicVersion(h.version)
	if qv == nil || h.typ != qv.initialType {
		// Not an Initial: find its end only for types with a length
		// (0-RTT, Handshake; Retry has none).
		h.end = -1
		if h.typ == 3 {
			return h, true
		}
		if qv != nil && (h.typ == (qv.initialType+1)&3 || h.typ == (qv.initialType+2)&3) {
			l, n, ok := varint(b[p:])
			if ok && p+n+int(l) <= len(b) {
				h.end = p + n + int(l)
			}
		}
		return h, true
	}
	tl, n, ok := varint(b[p:])
	if !ok || p+n+int(tl) > len(b) {
		return h, false
	}
	p += n + int(tl)
	l, n, ok := varint(b[p:])
	if !ok || p+n+int(l) > len(b) {
		return h, false
	}
	h.pnOffset = p + n
	h.end = p + n + int(l)
	return h, true
}

// quicServer reads the ServerHello version from a server's Initial
// packets. dcids are the client Initial DCIDs seen (latest last).
type quicServer struct {
	dcids   [][]byte
	keys    *quicKeys
	keyDCID int
	crypto  []byte // CRYPTO stream bytes from offset 0
	pending []cryptoFrag
	tries   int
	done    bool
	version uint16
	found   bool
	buf     []byte
}

type cryptoFrag struct {
	off  uint64
	data []byte
}

// maxQUICTries bounds how many server datagrams are tried.
const maxQUICTries = 16

// client records the DCID of a client Initial.
func (q *quicServer) client(payload []byte) {
	h, ok := parseLongHeader(payload)
	if !ok || quicVersion(h.version) == nil || h.typ != quicVersion(h.version).initialType || len(h.dcid) == 0 {
		return
	}
	for _, d := range q.dcids {
		if string(d) == string(h.dcid) {
			return
		}
	}
	if len(q.dcids) < 4 {
		q.dcids = append(q.dcids, append([]byte(nil), h.dcid...))
	}
}

// server processes one server datagram.
func (q *quicServer) server(payload []byte) {
	if q.done || len(q.dcids) == 0 {
		return
	}
	q.tries++
	if q.tries > maxQUICTries {
		q.done = true
		return
	}
	for len(payload) > 0 && payload[0]&0x80 != 0 {
		h, ok := parseLongHeader(payload)
		if !ok {
			return
		}
		qv := quicVersion(h.version)
		if qv != nil && h.typ == qv.initialType {
			q.initial(qv, payload[:h.end], &h)
			if q.done {
				return
			}
		}
		if h.end <= 0 {
			return
		}
		payload = payload[h.end:]
	}
}

func (q *quicServer) initial(qv *quicVer, pkt []byte, h *longHeader) {
	// Keys from the latest client DCID first (after a Retry the client's
	// new Initial DCID protects the server's Initials).
	for i := len(q.dcids) - 1; i >= 0; i-- {
		if q.keys == nil || q.keyDCID != i {
			k, err := serverInitialKeys(qv, q.dcids[i])
			if err != nil {
				continue
			}
			q.keys, q.keyDCID = k, i
		}
		if plain := q.open(pkt, h); plain != nil {
			q.frames(plain)
			return
		}
	}
}

func (q *quicServer) open(pkt []byte, h *longHeader) []byte {
	if h.pnOffset+4+16 > len(pkt) {
		return nil
	}
	var mask [16]byte
	q.keys.hp.Encrypt(mask[:], pkt[h.pnOffset+4:h.pnOffset+4+16])
	q.buf = append(q.buf[:0], pkt...)
	b := q.buf
	b[0] ^= mask[0] & 0x0f
	pnLen := int(b[0]&3) + 1
	var pn uint64
	for i := 0; i < pnLen; i++ {
		b[h.pnOffset+i] ^= mask[1+i]
		pn = pn<<8 | uint64(b[h.pnOffset+i])
	}
	var nonce [12]byte
	copy(nonce[:], q.keys.iv)
	for i := 0; i < 8; i++ {
		nonce[11-i] ^= byte(pn >> (8 * i))
	}
	hdr := b[:h.pnOffset+pnLen]
	ct := b[h.pnOffset+pnLen:]
	out, err := q.keys.aead.Open(ct[:0], nonce[:], ct, hdr)
	if err != nil {
		return nil
	}
	return out
}

// frames walks the decrypted frames, collecting CRYPTO data.
func (q *quicServer) frames(p []byte) {
	for len(p) > 0 {
		t, n, ok := varint(p)
		if !ok {
			return
		}
		p = p[n:]
		switch t {
		case 0x00, 0x01: // PADDING, PING
		case 0x02, 0x03: // ACK
			var vals [4]uint64
			for i := range vals {
				if vals[i], n, ok = varint(p); !ok {
					return
				}
				p = p[n:]
			}
			extra := 2 * vals[2]
			if t == 0x03 {
				extra += 3
			}
			for i := uint64(0); i < extra; i++ {
				if _, n, ok = varint(p); !ok {
					return
				}
				p = p[n:]
			}
		case 0x06: // CRYPTO
			off, n1, ok1 := varint(p)
			if !ok1 {
				return
			}
			l, n2, ok2 := varint(p[n1:])
			if !ok2 || uint64(len(p)-n1-n2) < l {
				return
			}
			q.crypto1(off, p[n1+n2:n1+n2+int(l)])
			if q.done {
				return
			}
			p = p[n1+n2+int(l):]
		default:
			return // CONNECTION_CLOSE or anything else: stop
		}
	}
}

func (q *quicServer) crypto1(off uint64, data []byte) {
	if off > maxServerHelloBuf {
		return
	}
	if off > uint64(len(q.crypto)) {
		if len(q.pending) < 16 {
			q.pending = append(q.pending, cryptoFrag{off, append([]byte(nil), data...)})
		}
		return
	}
	if end := off + uint64(len(data)); end > uint64(len(q.crypto)) {
		q.crypto = append(q.crypto, data[uint64(len(q.crypto))-off:]...)
	}
	for changed := true; changed; {
		changed = false
		for i, f := range q.pending {
			if f.off <= uint64(len(q.crypto)) {
				if end := f.off + uint64(len(f.data)); end > uint64(len(q.crypto)) {
					q.crypto = append(q.crypto, f.data[uint64(len(q.crypto))-f.off:]...)
				}
				q.pending = append(q.pending[:i], q.pending[i+1:]...)
				changed = true
				break
			}
		}
	}
	if v, ok, fin := handshakeVersion(q.crypto, false); fin {
		q.version, q.found, q.done = v, ok, true
	}
}
