package tls

const (
	recordHeaderLen  = 5
	contentHandshake = 22
	// maxRecordLen bounds a record's length field: TLSPlaintext is at most
	// 2^14 bytes; 2048 bytes of slack accept sloppy senders (the
	// TLSCiphertext bound).
	maxRecordLen = 1<<14 + 2048
	// minHelloBody is the smallest ClientHello body: version, random,
	// empty session_id, empty cipher_suites, one compression method.
	minHelloBody = 2 + 32 + 1 + 2 + 1 + 1
)

// ParseRecords parses a ClientHello from the TLS record layer. data must
// start at a record boundary (the first byte is the record's content type,
// 22). The ClientHello may span several records; bytes after it are ignored.
//
// It returns exactly one of: a ClientHello; need > 0, a lower bound on how
// many more bytes must follow data before the ClientHello can be complete;
// or an error (ErrNotClientHello, ErrMalformed, ErrTooLarge). data is not
// retained. A ClientHello fragmented over records is copied into a
// temporary buffer of at most 4+MaxClientHelloLen bytes.
func ParseRecords(data []byte) (*ClientHello, int, error) {
	c := new(ClientHello)
	var scratch []byte
	need, err := parseRecords(c, data, &scratch)
	if err != nil || need > 0 {
		return nil, need, err
	}
	return c, 0, nil
}

// ParseRecords is the package-level ParseRecords into c, reusing c's slices.
// scratch, if not nil, is used (and grown, up to 4+MaxClientHelloLen) to join
// a ClientHello that spans records; keep it across calls to avoid
// allocating.
func (c *ClientHello) ParseRecords(data []byte, scratch *[]byte) (need int, err error) {
	if scratch == nil {
		var s []byte
		scratch = &s
	}
	return parseRecords(c, data, scratch)
}

func u24(b []byte) int { return int(b[0])<<16 | int(b[1])<<8 | int(b[2]) }

// checkRecordHeader validates the record header bytes present in h (up to 5).
func checkRecordHeader(h []byte, first bool) error {
	if len(h) > 0 && h[0] != contentHandshake {
		if first {
			return errNotHandshake
		}
		return errInterleaved
	}
	if len(h) > 1 && h[1] != 3 {
		return errRecordVersion
	}
	if len(h) > 2 && h[2] > 4 {
		return errRecordVersion
	}
	if len(h) > 4 {
		if n := int(h[3])<<8 | int(h[4]); n == 0 || n > maxRecordLen {
			return errRecordLen
		}
	}
	return nil
}

// checkHandshakeHeader validates the handshake header bytes present in h (up
// to 4) and returns the full message length (header included) when known,
// else -1.
func checkHandshakeHeader(h []byte) (int, error) {
	if len(h) > 0 && h[0] != typeClientHello {
		return -1, errNotHelloType
	}
	if len(h) < 4 {
		return -1, nil
	}
	n := u24(h[1:4])
	if n > MaxClientHelloLen {
		return -1, errTooLarge
	}
	if n < minHelloBody {
		return -1, errHandshakeLen
	}
	return 4 + n, nil
}

func parseRecords(c *ClientHello, data []byte, scratch *[]byte) (int, error) {
	hs := (*scratch)[:0] // joined handshake bytes, slow path only
	defer func() { *scratch = hs[:0] }()
	var recVer uint16
	var hdr [4]byte // first handshake header bytes, across records
	have := 0       // handshake bytes seen in complete records
	total := -1     // handshake message length with header, once known
	pos := 0
	for first := true; ; first = false {
		rest := data[pos:]
		if len(rest) < recordHeaderLen {
			if err := checkRecordHeader(rest, first); err != nil {
				return 0, err
			}
			need := recordHeaderLen - len(rest)
			if total >= 0 {
				need += total - have
			} else {
				need += max(1, 4-have)
			}
			return need, nil
		}
		if err := checkRecordHeader(rest[:recordHeaderLen], first); err != nil {
			return 0, err
		}
		if first {
			recVer = uint16(rest[1])<<8 | uint16(rest[2])
		}
		rlen := int(rest[3])<<8 | int(rest[4])
		frag := rest[recordHeaderLen:]
		complete := len(frag) >= rlen
		if complete {
			frag = frag[:rlen]
		}
		// Learn the handshake header from this (possibly partial) fragment.
		for i := 0; have+i < 4 && i < len(frag); i++ {
			hdr[have+i] = frag[i]
		}
		if total < 0 {
			t, err := checkHandshakeHeader(hdr[:min(4, have+len(frag))])
			if err != nil {
				return 0, err
			}
			total = t
		}
		if !complete {
			need := rlen - len(frag)
			if total >= 0 && have+rlen < total {
				need += recordHeaderLen + total - (have + rlen)
			}
			return need, nil
		}
		pos += recordHeaderLen + rlen
		if have == 0 && total >= 0 && len(frag) >= total {
			// Fast path: the whole message is in the first record.
			err := c.parseBody(frag[4:total], false)
			c.RecordVersion = recVer
			return 0, err
		}
		if total >= 0 {
			frag = frag[:min(len(frag), total-have)]
		}
		if have+len(frag) > 4+MaxClientHelloLen {
			return 0, errTooLarge
		}
		hs = append(hs, frag...)
		have += len(frag)
		if total >= 0 && have >= total {
			err := c.parseBody(hs[4:total], false)
			c.RecordVersion = recVer
			return 0, err
		}
	}
}

// helloPrefixOK reports whether b could be the start of a TLS record holding
// a ClientHello, checking as many of the first 11 bytes as b has: record
// type 22, version 3.0-3.4, plausible record length, handshake type 1,
// plausible handshake length, legacy_version 3.0-3.4.
func helloPrefixOK(b []byte) bool {
	if checkRecordHeader(b[:min(len(b), recordHeaderLen)], true) != nil {
		return false
	}
	if len(b) <= recordHeaderLen {
		return true
	}
	if _, err := checkHandshakeHeader(b[recordHeaderLen:min(len(b), recordHeaderLen+4)]); err != nil {
		return false
	}
	if len(b) > 9 && b[9] != 3 {
		return false
	}
	if len(b) > 10 && b[10] > 4 {
		return false
	}
	return true
}

// LooksLikeClientHello reports whether payload starts like a TLS record
// carrying a ClientHello (see helloPrefixOK); it needs at least 6 bytes.
// It is a cheap test; only parsing proves it. payload is not retained.
func LooksLikeClientHello(payload []byte) bool {
	return len(payload) >= 6 && helloPrefixOK(payload)
}

// LooksLikeTLS is a cheap classifier for service detection: it reports
// whether payload (the first payload bytes of one direction of a TCP
// connection) starts like a TLS handshake record carrying a ClientHello or
// ServerHello, or like an SSL 2.0-format CLIENT-HELLO. payload is not
// retained.
func LooksLikeTLS(payload []byte) bool {
	b := payload
	if len(b) >= 6 && b[0] == contentHandshake && b[1] == 3 && b[2] <= 4 {
		n := int(b[3])<<8 | int(b[4])
		if n == 0 || n > maxRecordLen || (b[5] != 1 && b[5] != 2) {
			return false
		}
		if len(b) >= 9 {
			if hl := u24(b[6:9]); hl < 38 || hl > MaxClientHelloLen {
				return false
			}
		}
		if len(b) >= 11 && (b[9] != 3 || b[10] > 4) {
			return false
		}
		return true
	}
	// SSL 2.0 record: 2-byte header with the high bit set, msg type 1
	// (CLIENT-HELLO), version 0x0002 or 0x0300-0x0303.
	if len(b) >= 5 && b[0]&0x80 != 0 && b[2] == 1 {
		n := int(b[0]&0x7f)<<8 | int(b[1])
		if n < 9 {
			return false
		}
		return (b[3] == 0 && b[4] == 2) || (b[3] == 3 && b[4] <= 3)
	}
	return false
}
