package tls

import (
	"crypto/rand"
	ctls "crypto/tls"
	"encoding/hex"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// unhex decodes hex that may contain whitespace; it panics on bad input
// (test constants only).
func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

type ext struct {
	typ  uint16
	data []byte
}

// helloSpec describes a ClientHello to encode.
type helloSpec struct {
	version   uint16
	sessionID []byte
	cookie    []byte // DTLS only
	dtls      bool
	ciphers   []uint16
	comp      []byte // nil means {0}
	exts      []ext
	noExts    bool // omit the extensions block entirely
}

func put16(b []byte, v uint16) []byte { return append(b, byte(v>>8), byte(v)) }
func put24(b []byte, v int) []byte    { return append(b, byte(v>>16), byte(v>>8), byte(v)) }

func u16s(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = put16(b, v)
	}
	return b
}

func (s helloSpec) body() []byte {
	var b []byte
	b = put16(b, s.version)
	b = append(b, make([]byte, 32)...) // random
	b = append(b, byte(len(s.sessionID)))
	b = append(b, s.sessionID...)
	if s.dtls {
		b = append(b, byte(len(s.cookie)))
		b = append(b, s.cookie...)
	}
	b = put16(b, uint16(2*len(s.ciphers)))
	b = append(b, u16s(s.ciphers...)...)
	comp := s.comp
	if comp == nil {
		comp = []byte{0}
	}
	b = append(b, byte(len(comp)))
	b = append(b, comp...)
	if s.noExts {
		return b
	}
	var e []byte
	for _, x := range s.exts {
		e = put16(e, x.typ)
		e = put16(e, uint16(len(x.data)))
		e = append(e, x.data...)
	}
	b = put16(b, uint16(len(e)))
	return append(b, e...)
}

// msg returns the handshake message (4-byte header + body).
func (s helloSpec) msg() []byte {
	body := s.body()
	return append(put24([]byte{typeClientHello}, len(body)), body...)
}

// records wraps msg in TLS handshake records of at most frag bytes each
// (frag <= 0: one record).
func records(msg []byte, frag int) []byte {
	if frag <= 0 {
		frag = len(msg)
	}
	var out []byte
	for len(msg) > 0 {
		n := min(frag, len(msg))
		out = append(out, contentHandshake, 3, 1)
		out = put16(out, uint16(n))
		out = append(out, msg[:n]...)
		msg = msg[n:]
	}
	return out
}

func extSNI(name string) ext {
	var l []byte
	l = append(l, 0)
	l = put16(l, uint16(len(name)))
	l = append(l, name...)
	return ext{ExtServerName, append(put16(nil, uint16(len(l))), l...)}
}

func extALPN(protos ...string) ext {
	var l []byte
	for _, p := range protos {
		l = append(l, byte(len(p)))
		l = append(l, p...)
	}
	return ext{ExtALPN, append(put16(nil, uint16(len(l))), l...)}
}

func extList16(typ uint16, vs ...uint16) ext {
	return ext{typ, append(put16(nil, uint16(2*len(vs))), u16s(vs...)...)}
}

func extVersions(vs ...uint16) ext {
	return ext{ExtSupportedVersions, append([]byte{byte(2 * len(vs))}, u16s(vs...)...)}
}

func extPointFormats(fs ...byte) ext {
	return ext{ExtECPointFormats, append([]byte{byte(len(fs))}, fs...)}
}

// fingerprintHello builds a ClientHello that has exactly the given cipher,
// extension and signature algorithm lists, with plausible contents for each
// extension the parser looks into.
type fpInput struct {
	version  uint16
	ciphers  []uint16
	exts     []uint16
	sigs     []uint16
	groups   []uint16
	versions []uint16
	sni      string
	alpn     []string
	formats  []byte
}

func (in fpInput) spec() helloSpec {
	s := helloSpec{version: in.version, ciphers: in.ciphers}
	if s.version == 0 {
		s.version = 0x0303
	}
	for _, t := range in.exts {
		switch t {
		case ExtServerName:
			s.exts = append(s.exts, extSNI(in.sni))
		case ExtALPN:
			s.exts = append(s.exts, extALPN(in.alpn...))
		case ExtSignatureAlgorithms:
			s.exts = append(s.exts, extList16(t, in.sigs...))
		case ExtSupportedGroups:
			g := in.groups
			if g == nil {
				g = []uint16{0x001d, 0x0017, 0x0018}
			}
			s.exts = append(s.exts, extList16(t, g...))
		case ExtSupportedVersions:
			v := in.versions
			if v == nil {
				v = []uint16{0x0304, 0x0303}
			}
			s.exts = append(s.exts, extVersions(v...))
		case ExtECPointFormats:
			f := in.formats
			if f == nil {
				f = []byte{0}
			}
			s.exts = append(s.exts, extPointFormats(f...))
		default:
			s.exts = append(s.exts, ext{t, []byte{0xde, 0xad}})
		}
	}
	return s
}

// goClientHello returns the first flight (TLS records) of a crypto/tls
// client with cfg.
func goClientHello(t testing.TB, cfg *ctls.Config) []byte {
	t.Helper()
	c, s := net.Pipe()
	defer c.Close()
	defer s.Close()
	go func() {
		cl := ctls.Client(c, cfg)
		cl.Handshake() // fails when the pipe closes; only the hello matters
	}()
	s.SetReadDeadline(time.Now().Add(5 * time.Second))
	var out []byte
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(s, hdr[:]); err != nil {
			t.Fatalf("reading ClientHello record header: %v", err)
		}
		n := int(hdr[3])<<8 | int(hdr[4])
		rec := make([]byte, n)
		if _, err := io.ReadFull(s, rec); err != nil {
			t.Fatalf("reading ClientHello record: %v", err)
		}
		out = append(append(out, hdr[:]...), rec...)
		if h, need, err := ParseRecords(out); h != nil || err != nil || need == 0 {
			return out
		}
	}
}

func goHelloConfig() *ctls.Config {
	return &ctls.Config{
		ServerName: "www.example.org",
		NextProtos: []string{"h2", "http/1.1"},
		MinVersion: ctls.VersionTLS12,
		Rand:       rand.Reader,
	}
}

// sealInitial builds a protected client Initial packet (for tests of
// multi-packet and malformed-frame handling): long header with an empty
// token, 2-byte length, 4-byte packet number, payload padded to padTo
// bytes of plaintext.
func sealInitial(t testing.TB, version uint32, dcid, scid []byte, pn uint32, payload []byte, padTo int) []byte {
	t.Helper()
	qv := lookupQUICVersion(version)
	k, err := deriveQUICKeys(version, qv, dcid)
	if err != nil {
		t.Fatal(err)
	}
	if len(payload) < padTo {
		payload = append(append([]byte(nil), payload...), make([]byte, padTo-len(payload))...)
	}
	hdr := []byte{0xc0 | qv.initialType<<4 | 3, byte(version >> 24), byte(version >> 16), byte(version >> 8), byte(version)}
	hdr = append(hdr, byte(len(dcid)))
	hdr = append(hdr, dcid...)
	hdr = append(hdr, byte(len(scid)))
	hdr = append(hdr, scid...)
	hdr = append(hdr, 0) // token length
	length := 4 + len(payload) + 16
	if length < 1<<14 {
		hdr = append(hdr, 0x40|byte(length>>8), byte(length))
	} else {
		hdr = append(hdr, 0x80|byte(length>>24), byte(length>>16), byte(length>>8), byte(length))
	}
	pnOff := len(hdr)
	hdr = append(hdr, byte(pn>>24), byte(pn>>16), byte(pn>>8), byte(pn))
	nonce := k.iv
	for i := 0; i < 8; i++ {
		nonce[11-i] ^= byte(uint64(pn) >> (8 * i))
	}
	pkt := k.aead.Seal(hdr, nonce[:], payload, hdr)
	var mask [16]byte
	k.hp.Encrypt(mask[:], pkt[pnOff+4:pnOff+20])
	pkt[0] ^= mask[0] & 0x0f
	for i := 0; i < 4; i++ {
		pkt[pnOff+i] ^= mask[1+i]
	}
	return pkt
}

// cryptoFrame encodes a CRYPTO frame.
func cryptoFrame(off int, data []byte) []byte {
	b := []byte{0x06}
	b = appendVarint(b, uint64(off))
	b = appendVarint(b, uint64(len(data)))
	return append(b, data...)
}

func appendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 1<<6:
		return append(b, byte(v))
	case v < 1<<14:
		return append(b, 0x40|byte(v>>8), byte(v))
	case v < 1<<30:
		return append(b, 0x80|byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(b, 0xc0|byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// dtlsRecord wraps handshake fragments in one DTLS record.
func dtlsRecord(ver uint16, seq uint64, frags ...[]byte) []byte {
	var body []byte
	for _, f := range frags {
		body = append(body, f...)
	}
	b := []byte{contentHandshake, byte(ver >> 8), byte(ver), 0, 0}
	b = append(b, byte(seq>>40), byte(seq>>32), byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq))
	b = put16(b, uint16(len(body)))
	return append(b, body...)
}

// dtlsFragment is one DTLS handshake fragment of a ClientHello body.
func dtlsFragment(body []byte, msgSeq, off, n int) []byte {
	b := []byte{typeClientHello}
	b = put24(b, len(body))
	b = put16(b, uint16(msgSeq))
	b = put24(b, off)
	b = put24(b, n)
	return append(b, body[off:off+n]...)
}
