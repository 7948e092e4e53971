package applog

import (
	"strconv"
)

// TLS/DTLS protocol versions.
const (
	VersionSSLv2   = 0x0002
	VersionSSLv3   = 0x0300
	VersionTLSv10  = 0x0301
	VersionTLSv11  = 0x0302
	VersionTLSv12  = 0x0303
	VersionTLSv13  = 0x0304
	VersionDTLSv10 = 0xfeff
	VersionDTLSv12 = 0xfefd
	VersionDTLSv13 = 0xfefc
)

// VersionName is Zeek's SSL::version_strings: "TLSv12", "TLSv13",
// "DTLSv12", "TLSv13-draft23" for TLS 1.3 drafts, "unknown-N" otherwise.
func VersionName(v uint16) string {
	switch v {
	case VersionSSLv2:
		return "SSLv2"
	case VersionSSLv3:
		return "SSLv3"
	case VersionTLSv10:
		return "TLSv10"
	case VersionTLSv11:
		return "TLSv11"
	case VersionTLSv12:
		return "TLSv12"
	case VersionTLSv13:
		return "TLSv13"
	case VersionDTLSv10:
		return "DTLSv10"
	case VersionDTLSv12:
		return "DTLSv12"
	case VersionDTLSv13:
		return "DTLSv13"
	}
	if v/0xff == 0x7f {
		return "TLSv13-draft" + strconv.Itoa(int(v%0x7f))
	}
	return "unknown-" + strconv.Itoa(int(v))
}

// serverHelloVersion parses a ServerHello body (after the 4-byte TLS or
// 12-byte DTLS handshake header) and returns the negotiated version: the
// supported_versions extension's selected version if present (TLS 1.3),
// else the legacy server_version.
func serverHelloVersion(b []byte) (uint16, bool) {
	if len(b) < 2+32+1 {
		return 0, false
	}
	v := uint16(b[0])<<8 | uint16(b[1])
	p := b[34:]
	sid := int(p[0])
	if len(p) < 1+sid+3 {
		return 0, false
	}
	p = p[1+sid+3:] // session id, cipher suite, compression method
	if len(p) < 2 {
		return v, true // no extensions
	}
	n := int(p[0])<<8 | int(p[1])
	p = p[2:]
	if n < len(p) {
		p = p[:n]
	}
	for len(p) >= 4 {
		typ := uint16(p[0])<<8 | uint16(p[1])
		l := int(p[2])<<8 | int(p[3])
		if 4+l > len(p) {
			break
		}
		if typ == 43 && l == 2 {
			return uint16(p[4])<<8 | uint16(p[5]), true
		}
		p = p[4+l:]
	}
	return v, true
}

// maxServerHelloBuf bounds the bytes buffered while looking for a
// ServerHello (it is the first handshake message of the server).
const maxServerHelloBuf = 16 << 10

// tlsServerHello looks for a ServerHello in the first bytes b of a TLS
// server's stream (records from a record boundary). It returns the version,
// done=true when found or when the stream cannot hold one, and done=false
// when more bytes are needed.
func tlsServerHello(b []byte, hs *[]byte) (v uint16, found, done bool) {
	if len(b) >= 3 && b[0]&0x80 != 0 && b[2] == 4 {
		// SSLv2 SERVER-HELLO: 2-byte header, type 4, session-id-hit,
		// certificate type, version.
		if len(b) < 7 {
			return 0, false, false
		}
		return uint16(b[5])<<8 | uint16(b[6]), true, true
	}
	*hs = (*hs)[:0]
	for len(b) > 0 {
		if len(b) < 5 {
			return 0, false, false
		}
		typ, major := b[0], b[1]
		n := int(b[3])<<8 | int(b[4])
		if major != 3 || typ < 20 || typ > 24 || n > 1<<14+2048 {
			return 0, false, true
		}
		if len(b) < 5+n {
			// The handshake header may already be complete.
			if typ == 22 {
				if v, ok, fin := handshakeVersion(append(*hs, b[5:]...), false); fin {
					return v, ok, true
				}
			}
			return 0, false, false
		}
		if typ == 22 {
			*hs = append(*hs, b[5:5+n]...)
			if v, ok, fin := handshakeVersion(*hs, false); fin {
				return v, ok, true
			}
		} else if typ != 21 && len(*hs) == 0 {
			// Only alerts may precede the ServerHello.
			return 0, false, true
		}
		b = b[5+n:]
		if len(*hs) > maxServerHelloBuf {
			return 0, false, true
		}
	}
	return 0, false, false
}

// handshakeVersion reads the first handshake message of hs. fin reports
// whether the answer is final.
func handshakeVersion(hs []byte, dtls bool) (v uint16, ok, fin bool) {
	hl := 4
	if dtls {
		hl = 12
	}
	if len(hs) < 1 {
		return 0, false, false
	}
	if hs[0] != 2 {
		return 0, false, true // not a ServerHello
	}
	if len(hs) < hl {
		return 0, false, false
	}
	n := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
	if len(hs) < hl+n {
		if hl+n > maxServerHelloBuf {
			return 0, false, true
		}
		// The fields before the extensions suffice when the server
		// sends none (TLS 1.2 and older); wait for the whole message.
		return 0, false, false
	}
	v, ok = serverHelloVersion(hs[hl : hl+n])
	return v, ok, true
}

// dtlsServerHello looks for a ServerHello in one DTLS datagram (records
// of epoch 0; the handshake message in one fragment).
func dtlsServerHello(b []byte) (uint16, bool) {
	for len(b) >= 13 {
		typ := b[0]
		n := int(b[11])<<8 | int(b[12])
		if b[1] != 0xfe || 13+n > len(b) {
			return 0, false
		}
		rec := b[13 : 13+n]
		if typ == 22 && len(rec) >= 12 && rec[0] == 2 {
			length := int(rec[1])<<16 | int(rec[2])<<8 | int(rec[3])
			off := int(rec[6])<<16 | int(rec[7])<<8 | int(rec[8])
			flen := int(rec[9])<<16 | int(rec[10])<<8 | int(rec[11])
			if off == 0 && flen >= min(length, 40) && 12+flen <= len(rec) {
				return serverHelloVersion(rec[12 : 12+flen])
			}
		}
		b = b[13+n:]
	}
	return 0, false
}
