package tls

// MaxClientHelloLen is the largest ClientHello body (the handshake message
// without its header) this package accepts. TLS allows 2^24-1 bytes; real
// hellos, even with post-quantum key shares, stay under 4 KiB.
const MaxClientHelloLen = 64 << 10

// Handshake and extension code points used by the parser.
const (
	typeClientHello = 1

	ExtServerName          uint16 = 0x0000
	ExtSupportedGroups     uint16 = 0x000a
	ExtECPointFormats      uint16 = 0x000b
	ExtSignatureAlgorithms uint16 = 0x000d
	ExtALPN                uint16 = 0x0010
	ExtSupportedVersions   uint16 = 0x002b
	ExtQUICTransportParams uint16 = 0x0039
)

// ClientHello is the parsed content of a TLS or DTLS ClientHello.
//
// All lists keep the wire order and include GREASE values (use IsGREASE to
// skip them); fingerprints filter GREASE themselves. A list is nil when the
// field or extension is absent or empty.
//
// A ClientHello never references the input it was parsed from. When a
// ClientHello is reused (Parse, ParseDTLSBody, assemblers), its slices are
// overwritten in place: copy anything that must outlive the next call.
type ClientHello struct {
	// RecordVersion is the version of the first record header (TLS/DTLS
	// record layer); 0 when unknown (QUIC, or parsed from a bare message).
	RecordVersion uint16
	// Version is legacy_version (client_version): 0x0303 for TLS 1.2 and
	// 1.3, 0xfefd for DTLS 1.2 and 1.3.
	Version uint16
	// SupportedVersions is the supported_versions extension (0x002b).
	SupportedVersions []uint16
	// CipherSuites is cipher_suites.
	CipherSuites []uint16
	// Extensions lists the extension types in wire order.
	Extensions []uint16
	// SNI is the first host_name of the server_name extension, as sent
	// (not validated, not lower-cased). Empty when absent.
	SNI string
	// ALPN is the protocol_name_list of the ALPN extension.
	ALPN []string
	// SignatureAlgorithms is the signature_algorithms extension (0x000d).
	SignatureAlgorithms []uint16
	// SupportedGroups is the supported_groups (elliptic_curves) extension.
	SupportedGroups []uint16
	// ECPointFormats is the ec_point_formats extension.
	ECPointFormats []uint8
	// DTLS is set for a DTLS ClientHello, QUIC for one carried in QUIC
	// CRYPTO frames; both false for TLS over TCP.
	DTLS, QUIC bool
	// QUICVersion is the QUIC version of the Initial packet(s) (QUIC only).
	QUICVersion uint32

	u16     []uint16 // backing array of every uint16 list above
	alpnBuf []string // backing array of ALPN, kept across reuse
	pfBuf   []uint8  // backing array of ECPointFormats
	prevSNI string   // SNI of the previous parse, reused when equal
}

// IsGREASE reports whether v is a GREASE value (RFC 8701): 0x?a?a with both
// bytes equal.
func IsGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// ParseClientHello parses a complete TLS handshake message: the 4-byte
// handshake header (msg_type 1, uint24 length) followed by the ClientHello
// body. Trailing bytes after the message are ignored. msg is not retained.
func ParseClientHello(msg []byte) (*ClientHello, error) {
	c := new(ClientHello)
	if err := c.Parse(msg); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse is ParseClientHello into c, reusing c's slices (see ClientHello).
// After an error c's content is unspecified. msg is not retained.
func (c *ClientHello) Parse(msg []byte) error {
	body, err := handshakeBody(msg)
	if err != nil {
		return err
	}
	return c.parseBody(body, false)
}

// ParseBody parses a ClientHello body without the handshake header. dtls
// selects the DTLS layout (with the cookie field). body is not retained.
func (c *ClientHello) ParseBody(body []byte, dtls bool) error {
	return c.parseBody(body, dtls)
}

func handshakeBody(msg []byte) ([]byte, error) {
	if len(msg) < 4 {
		return nil, errShort
	}
	if msg[0] != typeClientHello {
		return nil, errNotHelloType
	}
	n := int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3])
	if n > MaxClientHelloLen {
		return nil, errTooLarge
	}
	if len(msg)-4 < n {
		return nil, errShort
	}
	return msg[4 : 4+n], nil
}

// reader is a bounds-checked cursor. Every read reports failure instead of
// panicking; callers turn failure into a specific error.
type reader struct {
	b []byte
}

func (r *reader) u8() (uint8, bool) {
	if len(r.b) < 1 {
		return 0, false
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v, true
}

func (r *reader) u16() (uint16, bool) {
	if len(r.b) < 2 {
		return 0, false
	}
	v := uint16(r.b[0])<<8 | uint16(r.b[1])
	r.b = r.b[2:]
	return v, true
}

func (r *reader) bytes(n int) ([]byte, bool) {
	if n < 0 || len(r.b) < n {
		return nil, false
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v, true
}

// vec8 and vec16 read a vector with a 1- or 2-byte length prefix.
func (r *reader) vec8() ([]byte, bool) {
	n, ok := r.u8()
	if !ok {
		return nil, false
	}
	return r.bytes(int(n))
}

func (r *reader) vec16() ([]byte, bool) {
	n, ok := r.u16()
	if !ok {
		return nil, false
	}
	return r.bytes(int(n))
}

// span marks a sub-list of c.u16 while it is being filled.
type span struct{ lo, hi int }

func (c *ClientHello) reset() {
	c.RecordVersion, c.Version = 0, 0
	if c.SNI != "" {
		c.prevSNI = c.SNI
	}
	c.SNI = ""
	c.ALPN = c.alpnBuf[:0]
	c.ECPointFormats = c.pfBuf[:0]
	c.u16 = c.u16[:0]
	c.CipherSuites, c.Extensions, c.SupportedVersions = nil, nil, nil
	c.SignatureAlgorithms, c.SupportedGroups = nil, nil
	c.DTLS, c.QUIC, c.QUICVersion = false, false, 0
}

// appendU16s appends the big-endian uint16s of b (len(b) even) to c.u16.
func (c *ClientHello) appendU16s(b []byte) span {
	lo := len(c.u16)
	for i := 0; i+1 < len(b); i += 2 {
		c.u16 = append(c.u16, uint16(b[i])<<8|uint16(b[i+1]))
	}
	return span{lo, len(c.u16)}
}

func (c *ClientHello) list(s span) []uint16 {
	if s.hi <= s.lo {
		return nil
	}
	return c.u16[s.lo:s.hi:s.hi]
}

// setString stores b in *dst, reusing prev instead of allocating when it
// holds the same bytes (the comparison string(b) == prev does not allocate).
func setString(dst *string, prev string, b []byte) {
	if prev == string(b) {
		*dst = prev
	} else {
		*dst = string(b)
	}
}

func (c *ClientHello) parseBody(body []byte, dtls bool) error {
	c.reset()
	if len(body) > MaxClientHelloLen {
		return errTooLarge
	}
	r := reader{body}
	v, ok := r.u16()
	if !ok {
		return errShort
	}
	c.Version = v
	if _, ok := r.bytes(32); !ok { // random
		return errShort
	}
	sid, ok := r.vec8()
	if !ok {
		return errShort
	}
	if len(sid) > 32 {
		return errSessionID
	}
	if dtls {
		if _, ok := r.vec8(); !ok {
			return errCookie
		}
	}
	cs, ok := r.vec16()
	if !ok || len(cs)%2 != 0 {
		return errCiphers
	}
	comp, ok := r.vec8()
	if !ok || len(comp) == 0 {
		return errCompression
	}
	var block []byte
	hasExts := len(r.b) >= 2 // extensions are optional (SSL 3.0, early TLS)
	if hasExts {
		if block, ok = r.vec16(); !ok {
			return errExtBlock
		}
	}
	// Validate the extension headers and size the single array that holds
	// every uint16 list, so that it is allocated at most once.
	need := len(cs) / 2
	er := reader{block}
	for len(er.b) > 0 {
		typ, ok1 := er.u16()
		data, ok2 := er.vec16()
		if !ok1 || !ok2 {
			return errExtLen
		}
		need++
		switch typ {
		case ExtSignatureAlgorithms, ExtSupportedGroups, ExtSupportedVersions:
			need += len(data) / 2
		}
	}
	if cap(c.u16) < need {
		c.u16 = make([]uint16, 0, need)
	}
	ciphers := c.appendU16s(cs)
	var exts, versions, sigs, groups span
	pf, sni := false, false
	if hasExts {
		// Extension types first, so that the list is contiguous in c.u16.
		er = reader{block}
		exts.lo = len(c.u16)
		for len(er.b) > 0 {
			typ, _ := er.u16()
			er.vec16()
			c.u16 = append(c.u16, typ)
		}
		exts.hi = len(c.u16)
		er = reader{block}
		for len(er.b) > 0 {
			typ, _ := er.u16()
			data, _ := er.vec16()
			var err error
			switch typ {
			case ExtServerName:
				if !sni {
					sni = true
					err = c.parseSNI(data)
				}
			case ExtALPN:
				err = c.parseALPN(data)
			case ExtSignatureAlgorithms:
				if sigs.hi == sigs.lo {
					sigs, err = c.u16Vec16(data, errSigAlgs)
				}
			case ExtSupportedGroups:
				if groups.hi == groups.lo {
					groups, err = c.u16Vec16(data, errGroups)
				}
			case ExtSupportedVersions:
				if versions.hi == versions.lo {
					versions, err = c.u16Vec8(data, errVersions)
				}
			case ExtECPointFormats:
				if !pf {
					pf = true
					err = c.parsePointFormats(data)
				}
			}
			if err != nil {
				return err
			}
		}
	}
	c.CipherSuites = c.list(ciphers)
	c.Extensions = c.list(exts)
	c.SupportedVersions = c.list(versions)
	c.SignatureAlgorithms = c.list(sigs)
	c.SupportedGroups = c.list(groups)
	c.alpnBuf = c.ALPN[:0]
	if len(c.ALPN) == 0 {
		c.ALPN = nil
	}
	c.pfBuf = c.ECPointFormats[:0]
	if len(c.ECPointFormats) == 0 {
		c.ECPointFormats = nil
	}
	c.DTLS = dtls
	return nil
}

func (c *ClientHello) u16Vec16(data []byte, e error) (span, error) {
	r := reader{data}
	l, ok := r.vec16()
	if !ok || len(l)%2 != 0 || len(r.b) != 0 {
		return span{}, e
	}
	return c.appendU16s(l), nil
}

func (c *ClientHello) u16Vec8(data []byte, e error) (span, error) {
	r := reader{data}
	l, ok := r.vec8()
	if !ok || len(l)%2 != 0 || len(r.b) != 0 {
		return span{}, e
	}
	return c.appendU16s(l), nil
}

func (c *ClientHello) parsePointFormats(data []byte) error {
	r := reader{data}
	l, ok := r.vec8()
	if !ok || len(r.b) != 0 {
		return errPointFormats
	}
	c.ECPointFormats = append(c.ECPointFormats[:0], l...)
	return nil
}

// parseSNI keeps the first host_name (type 0) of the server_name extension.
func (c *ClientHello) parseSNI(data []byte) error {
	r := reader{data}
	l, ok := r.vec16()
	if !ok || len(r.b) != 0 {
		return errSNI
	}
	lr := reader{l}
	found := false
	for len(lr.b) > 0 {
		typ, ok1 := lr.u8()
		name, ok2 := lr.vec16()
		if !ok1 || !ok2 {
			return errSNI
		}
		if typ == 0 && !found {
			found = true
			setString(&c.SNI, c.prevSNI, name)
		}
	}
	return nil
}

func (c *ClientHello) parseALPN(data []byte) error {
	if len(c.ALPN) > 0 { // duplicate extension: keep the first
		return nil
	}
	r := reader{data}
	l, ok := r.vec16()
	if !ok || len(r.b) != 0 {
		return errALPN
	}
	lr := reader{l}
	for len(lr.b) > 0 {
		p, ok := lr.vec8()
		if !ok {
			return errALPN
		}
		n := len(c.ALPN)
		if n < cap(c.ALPN) {
			c.ALPN = c.ALPN[:n+1]
			setString(&c.ALPN[n], c.ALPN[n], p)
		} else {
			c.ALPN = append(c.ALPN, string(p))
		}
	}
	return nil
}

// HasExtension reports whether extension typ is present.
func (c *ClientHello) HasExtension(typ uint16) bool {
	for _, e := range c.Extensions {
		if e == typ {
			return true
		}
	}
	return false
}

// MaxVersion is the newest protocol version offered: the newest non-GREASE
// value of supported_versions if present, else Version. DTLS versions are
// ordered by age (0xfefc DTLS 1.3 is newer than 0xfefd DTLS 1.2).
func (c *ClientHello) MaxVersion() uint16 {
	best, bestRank := uint16(0), -1
	for _, v := range c.SupportedVersions {
		if IsGREASE(v) {
			continue
		}
		if r := versionRank(v); r > bestRank {
			best, bestRank = v, r
		}
	}
	if bestRank < 0 {
		return c.Version
	}
	return best
}

// versionRank orders TLS and DTLS versions by age.
func versionRank(v uint16) int {
	if v>>8 == 0xfe { // DTLS: 0xfeff 1.0, 0xfefd 1.2, 0xfefc 1.3
		return 0x0301 + int(0xff-v&0xff)
	}
	return int(v)
}
