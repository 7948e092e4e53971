package tls

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
)

// QUIC versions whose Initial packets this package can decrypt.
const (
	QUICv1 uint32 = 0x00000001 // RFC 9000 / RFC 9001
	QUICv2 uint32 = 0x6b3343cf // RFC 9369
)

// quicVersion holds what differs between QUIC versions for Initial packets.
type quicVersion struct {
	salt                       []byte
	keyLabel, ivLabel, hpLabel string
	initialType, retryType     byte // long-header packet type bits
}

var (
	// RFC 9001 section 5.2.
	quicV1 = quicVersion{
		salt:     []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
		keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp",
		initialType: 0, retryType: 3,
	}
	// RFC 9369 sections 3.2 (packet types), 3.3.1 (salt), 3.3.2 (labels).
	quicV2 = quicVersion{
		salt:     []byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
		keyLabel: "quicv2 key", ivLabel: "quicv2 iv", hpLabel: "quicv2 hp",
		initialType: 1, retryType: 0,
	}
	// draft-ietf-quic-tls-29 to -32 (versions 0xff00001d-0xff000020), still
	// seen from older clients.
	quicDraft29 = quicVersion{
		salt:     []byte{0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99},
		keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp",
		initialType: 0, retryType: 3,
	}
)

func lookupQUICVersion(v uint32) *quicVersion {
	switch {
	case v == QUICv1:
		return &quicV1
	case v == QUICv2:
		return &quicV2
	case v >= 0xff00001d && v <= 0xff000020:
		return &quicDraft29
	}
	return nil
}

// quicKeys are the client Initial packet protection keys for one DCID.
type quicKeys struct {
	version uint32
	dcid    []byte
	aead    cipher.AEAD
	iv      [12]byte
	hp      cipher.Block
}

// hmacSHA256 is HMAC-SHA256 (RFC 2104) of the concatenated msg under key,
// computed with sha256.Sum256 over stack buffers: QUIC key derivation runs
// for every QUIC connection, and crypto/hmac and crypto/hkdf allocate
// their digests each time. Keys are at most 64 bytes here (a salt, or a
// 32-byte secret) and messages at most 192 (a connection ID, a label).
func hmacSHA256(key []byte, msg ...[]byte) [32]byte {
	var k [64]byte
	if len(key) > 64 {
		h := sha256.Sum256(key)
		copy(k[:], h[:])
	} else {
		copy(k[:], key)
	}
	var buf [64 + 192]byte
	for i := range 64 {
		buf[i] = k[i] ^ 0x36
	}
	b := buf[:64]
	for _, m := range msg {
		b = append(b, m...) // stays on the stack while within buf
	}
	inner := sha256.Sum256(b)
	for i := range 64 {
		buf[i] = k[i] ^ 0x5c
	}
	b = append(buf[:64], inner[:]...)
	return sha256.Sum256(b)
}

// hkdfExpandLabel is TLS 1.3 HKDF-Expand-Label (RFC 8446 section 7.1) with
// an empty context, over SHA-256, for outputs of at most one hash block
// (32 bytes): T(1) = HMAC(secret, info || 0x01).
func hkdfExpandLabel(secret []byte, label string, length int) [32]byte {
	var info [64]byte
	b := append(info[:0], byte(length>>8), byte(length), byte(6+len(label)))
	b = append(b, "tls13 "...)
	b = append(b, label...)
	b = append(b, 0, 1) // empty context, then the block counter
	out := hmacSHA256(secret, b)
	clear(out[length:])
	return out
}

// deriveQUICKeys derives the client Initial keys (RFC 9001 section 5.2).
func deriveQUICKeys(version uint32, qv *quicVersion, dcid []byte) (*quicKeys, error) {
	initial := hmacSHA256(qv.salt, dcid) // HKDF-Extract(salt, DCID)
	client := hkdfExpandLabel(initial[:], "client in", 32)
	key := hkdfExpandLabel(client[:], qv.keyLabel, 16)
	iv := hkdfExpandLabel(client[:], qv.ivLabel, 12)
	hpKey := hkdfExpandLabel(client[:], qv.hpLabel, 16)
	block, err := aes.NewCipher(key[:16])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	hp, err := aes.NewCipher(hpKey[:16])
	if err != nil {
		return nil, err
	}
	k := &quicKeys{version: version, dcid: append([]byte(nil), dcid...), aead: aead, hp: hp}
	copy(k.iv[:], iv[:12])
	return k, nil
}

// varint decodes a QUIC variable-length integer (RFC 9000 section 16).
func varint(b []byte) (v uint64, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0, false
	}
	v = uint64(b[0] & 0x3f)
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, n, true
}

// longHeader is the parsed, still protected, header of one long-header
// packet at the start of b.
type longHeader struct {
	version  uint32
	typ      byte
	dcid     []byte
	pnOffset int // offset of the packet number
	end      int // packet length within b (coalesced packets follow)
	qv       *quicVersion
}

func parseLongHeader(b []byte) (longHeader, error) {
	var h longHeader
	if len(b) < 7 || b[0]&0x80 == 0 {
		return h, errQUICHeader
	}
	h.version = uint32(b[1])<<24 | uint32(b[2])<<16 | uint32(b[3])<<8 | uint32(b[4])
	h.typ = b[0] >> 4 & 3
	if h.version == 0 { // Version Negotiation: no further structure we need
		h.end = len(b)
		return h, nil
	}
	h.qv = lookupQUICVersion(h.version)
	if h.qv == nil {
		return h, ErrUnsupportedVersion
	}
	pos := 5
	dl := int(b[pos])
	pos++
	if dl > 20 || len(b)-pos < dl+1 {
		return h, errQUICHeader
	}
	h.dcid = b[pos : pos+dl : pos+dl]
	pos += dl
	sl := int(b[pos])
	pos++
	if sl > 20 || len(b)-pos < sl {
		return h, errQUICHeader
	}
	pos += sl
	if h.typ == h.qv.retryType {
		h.end = len(b)
		return h, nil
	}
	if h.typ == h.qv.initialType {
		tl, n, ok := varint(b[pos:])
		if !ok || tl > uint64(len(b)-pos-n) {
			return h, errQUICHeader
		}
		pos += n + int(tl)
	}
	l, n, ok := varint(b[pos:])
	if !ok || l > uint64(len(b)-pos-n) {
		return h, errQUICHeader
	}
	pos += n
	h.pnOffset = pos
	h.end = pos + int(l)
	return h, nil
}

// QUICAssembler collects the ClientHello from the client's QUIC Initial
// packets of one connection (feed it client-to-server datagrams). It
// decrypts each Initial with the version's Initial keys (QUIC v1 RFC 9001,
// v2 RFC 9369, drafts 29-32), walks coalesced packets, and reassembles
// CRYPTO frames by offset, in any order, split across frames and packets.
// Keys are derived from the first Initial's Destination Connection ID and
// cached; when a packet only decrypts with keys from its own DCID (after a
// Retry), the reassembly restarts with those keys.
//
// Bounds: CRYPTO data beyond 4+MaxClientHelloLen is dropped, at most 64
// disjoint CRYPTO ranges are held, and a datagram is copied once into a
// scratch buffer for in-place decryption.
//
// Not safe for concurrent use. The zero value is ready. Add never retains
// or modifies its input.
type QUICAssembler struct {
	keys  *quicKeys
	r     reasm
	buf   []byte
	hello ClientHello
	done  bool
}

// Reset makes a ready for a new connection, keeping its buffers.
func (a *QUICAssembler) Reset() {
	a.keys = nil
	a.r.reset(4 + MaxClientHelloLen)
	a.done = false
}

// Done reports whether a ClientHello has been returned (or the CRYPTO
// stream turned out not to start with a parseable ClientHello).
func (a *QUICAssembler) Done() bool { return a.done }

// ParseQUICInitial decrypts the client Initial packet(s) in one UDP payload
// and parses the ClientHello they carry. It returns ErrIncomplete when the
// ClientHello continues in later datagrams (use QUICAssembler).
// udpPayload is neither retained nor modified.
func ParseQUICInitial(udpPayload []byte) (*ClientHello, error) {
	a := new(QUICAssembler)
	h, err := a.Add(udpPayload)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, ErrIncomplete
	}
	return h, nil
}

// Add feeds one UDP payload. It returns the ClientHello on the call that
// completes it. It returns an error when no Initial packet in the datagram
// could be used (not QUIC, unknown version, decryption failure, bad frame)
// or when the completed CRYPTO data is not a valid ClientHello; only the
// latter ends the assembly.
func (a *QUICAssembler) Add(udpPayload []byte) (*ClientHello, error) {
	if a.done {
		return nil, nil
	}
	if a.r.limit == 0 {
		a.r.limit = 4 + MaxClientHelloLen
	}
	b := udpPayload
	var firstErr error
	used := false
	for len(b) > 0 && b[0]&0x80 != 0 {
		h, err := parseLongHeader(b)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			break
		}
		pkt := b[:h.end]
		b = b[h.end:]
		if h.version == 0 || h.typ == h.qv.retryType {
			break
		}
		if h.typ != h.qv.initialType {
			continue // 0-RTT or Handshake packet coalesced after the Initial
		}
		payload, err := a.decrypt(pkt, &h)
		if err == nil {
			err = a.frames(payload)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		used = true
		if hello, err := a.complete(h.version); hello != nil || err != nil {
			return hello, err
		}
	}
	if !used {
		if firstErr == nil {
			firstErr = errNotQUICInitial
		}
		return nil, firstErr
	}
	return nil, nil
}

// decrypt removes header and packet protection from a copy of pkt and
// returns the plaintext frames (aliasing a.buf).
func (a *QUICAssembler) decrypt(pkt []byte, h *longHeader) ([]byte, error) {
	if a.keys != nil && a.keys.version == h.version {
		if p, err := a.open(a.keys, pkt, h); err == nil {
			return p, nil
		}
		if bytes.Equal(a.keys.dcid, h.dcid) {
			return nil, ErrDecrypt
		}
	}
	k, err := deriveQUICKeys(h.version, h.qv, h.dcid)
	if err != nil {
		return nil, err
	}
	p, err := a.open(k, pkt, h)
	if err != nil {
		return nil, err
	}
	if a.keys != nil {
		// New keys (Retry, or a new connection on the same flow): the
		// CRYPTO stream starts over.
		a.r.reset(4 + MaxClientHelloLen)
	}
	a.keys = k
	return p, nil
}

func (a *QUICAssembler) open(k *quicKeys, pkt []byte, h *longHeader) ([]byte, error) {
	pn := h.pnOffset
	if len(pkt) < pn+4+16 {
		return nil, errQUICHeader
	}
	buf := append(a.buf[:0], pkt...)
	a.buf = buf
	var mask [16]byte
	k.hp.Encrypt(mask[:], buf[pn+4:pn+4+16])
	buf[0] ^= mask[0] & 0x0f
	pnLen := int(buf[0]&3) + 1
	var num uint64
	for i := 0; i < pnLen; i++ {
		buf[pn+i] ^= mask[1+i]
		num = num<<8 | uint64(buf[pn+i])
	}
	hdrEnd := pn + pnLen
	if len(buf)-hdrEnd < k.aead.Overhead() {
		return nil, errQUICHeader
	}
	// The packet number is used as sent: client Initial packet numbers are
	// small, so the truncated and the full value agree.
	nonce := k.iv
	for i := 0; i < 8; i++ {
		nonce[11-i] ^= byte(num >> (8 * i))
	}
	p, err := k.aead.Open(buf[hdrEnd:hdrEnd], nonce[:], buf[hdrEnd:], buf[:hdrEnd])
	if err != nil {
		return nil, ErrDecrypt
	}
	return p, nil
}

// frames walks the frames of a decrypted Initial payload, storing CRYPTO
// data. Only frames allowed in Initial packets are accepted (RFC 9000
// section 12.4): PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE.
func (a *QUICAssembler) frames(p []byte) error {
	for len(p) > 0 {
		t := p[0]
		switch t {
		case 0x00: // PADDING
			i := 1
			for i < len(p) && p[i] == 0 {
				i++
			}
			p = p[i:]
		case 0x01: // PING
			p = p[1:]
		case 0x02, 0x03: // ACK
			p = p[1:]
			var fields [4]uint64
			for i := range fields { // largest, delay, range count, first range
				v, n, ok := varint(p)
				if !ok {
					return errQUICFrame
				}
				fields[i], p = v, p[n:]
			}
			extra := 0
			if t == 0x03 {
				extra = 3 // ECN counts
			}
			if fields[2] > uint64(len(p)) { // each range takes >= 2 bytes
				return errQUICFrame
			}
			for i := 0; i < 2*int(fields[2])+extra; i++ {
				_, n, ok := varint(p)
				if !ok {
					return errQUICFrame
				}
				p = p[n:]
			}
		case 0x06: // CRYPTO
			off, n1, ok1 := varint(p[1:])
			if !ok1 {
				return errQUICFrame
			}
			l, n2, ok2 := varint(p[1+n1:])
			if !ok2 || l > uint64(len(p)-1-n1-n2) {
				return errQUICFrame
			}
			data := p[1+n1+n2 : 1+n1+n2+int(l)]
			p = p[1+n1+n2+int(l):]
			if off < uint64(a.r.limit) {
				if err := a.r.write(int(off), data); err != nil {
					return err
				}
			}
		case 0x1c: // CONNECTION_CLOSE (transport)
			p = p[1:]
			for i := 0; i < 2; i++ { // error code, frame type
				_, n, ok := varint(p)
				if !ok {
					return errQUICFrame
				}
				p = p[n:]
			}
			rl, n, ok := varint(p)
			if !ok || rl > uint64(len(p)-n) {
				return errQUICFrame
			}
			p = p[n+int(rl):]
		default:
			return errQUICFrame
		}
	}
	return nil
}

// complete parses the ClientHello once the CRYPTO stream holds all of it.
func (a *QUICAssembler) complete(version uint32) (*ClientHello, error) {
	contig := a.r.contiguous()
	if contig == 0 {
		return nil, nil
	}
	total, err := checkHandshakeHeader(a.r.buf[:min(contig, 4)])
	if err != nil {
		a.done = true
		return nil, err
	}
	if total < 0 || contig < total {
		return nil, nil
	}
	a.done = true
	if err := a.hello.parseBody(a.r.buf[4:total], false); err != nil {
		return nil, err
	}
	a.hello.QUIC = true
	a.hello.QUICVersion = version
	return &a.hello, nil
}

// LooksLikeQUICInitial is a cheap classifier for service detection: it
// reports whether payload starts with a QUIC long-header Initial packet of
// a version this package knows (v1, v2, drafts 29-32) whose header fields
// are consistent. It matches client and server Initials and does no
// cryptography. payload is not retained.
func LooksLikeQUICInitial(payload []byte) bool {
	h, err := parseLongHeader(payload)
	if err != nil || h.version == 0 || h.typ != h.qv.initialType {
		return false
	}
	return h.end-h.pnOffset >= 4+16 // room for the header-protection sample
}
