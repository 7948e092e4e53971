package tls

const (
	dtlsRecordHeaderLen    = 13
	dtlsHandshakeHeaderLen = 12
)

// ParseDTLS parses a DTLS ClientHello (DTLS 1.0, 1.2 or 1.3) from one UDP
// payload, which may hold several records and handshake fragments. It
// returns ErrIncomplete when the ClientHello is fragmented beyond this
// datagram (use DTLSAssembler), ErrNotClientHello when the datagram holds
// no DTLS handshake record. udpPayload is not retained.
func ParseDTLS(udpPayload []byte) (*ClientHello, error) {
	a := new(DTLSAssembler)
	h, err := a.Add(udpPayload)
	if err != nil {
		return nil, err
	}
	if h == nil {
		if !a.sawHello {
			return nil, errNotDTLS
		}
		return nil, ErrIncomplete
	}
	return h, nil
}

// DTLSAssembler reassembles a DTLS ClientHello whose handshake fragments
// (RFC 6347 section 4.2.3, RFC 9147 section 5.5) are spread over several
// records and datagrams of one flow, in any order. A ClientHello with a
// higher message_seq (the retry after HelloVerifyRequest) replaces an
// incomplete earlier one. It buffers at most the ClientHello body length
// (<= MaxClientHelloLen) in at most 64 pieces.
//
// Not safe for concurrent use. The zero value is ready. Add never retains
// its input.
type DTLSAssembler struct {
	r        reasm
	msgSeq   int // message_seq of the ClientHello being assembled, -1 none
	total    int // its body length
	recVer   uint16
	started  bool
	sawHello bool
	done     bool
	hello    ClientHello
}

// Reset makes a ready for a new flow, keeping its buffers.
func (a *DTLSAssembler) Reset() {
	a.r.reset(0)
	a.msgSeq, a.total, a.recVer = -1, 0, 0
	a.started, a.sawHello, a.done = false, false, false
}

// Done reports whether a ClientHello has been returned.
func (a *DTLSAssembler) Done() bool { return a.done }

// Add feeds one UDP payload. It returns the ClientHello on the call that
// completes it, nil otherwise, and an error when this datagram is not
// well-formed DTLS or the completed ClientHello does not parse. Errors do
// not end the assembly, except a ClientHello that does not parse.
func (a *DTLSAssembler) Add(udpPayload []byte) (*ClientHello, error) {
	if a.done {
		return nil, nil
	}
	if !a.started {
		a.started = true
		a.msgSeq = -1
	}
	b := udpPayload
	if len(b) < dtlsRecordHeaderLen || b[1] != 0xfe {
		return nil, errNotDTLS
	}
	for len(b) > 0 {
		if len(b) < dtlsRecordHeaderLen {
			return nil, errShort
		}
		typ := b[0]
		ver := uint16(b[1])<<8 | uint16(b[2])
		epoch := uint16(b[3])<<8 | uint16(b[4])
		n := int(b[11])<<8 | int(b[12])
		if b[1] != 0xfe {
			return nil, errRecordVersion
		}
		if n > len(b)-dtlsRecordHeaderLen {
			return nil, errRecordLen
		}
		frag := b[dtlsRecordHeaderLen : dtlsRecordHeaderLen+n]
		b = b[dtlsRecordHeaderLen+n:]
		if typ != contentHandshake || epoch != 0 {
			continue
		}
		for len(frag) > 0 {
			h, err := a.fragment(&frag, ver)
			if h != nil || err != nil {
				return h, err
			}
		}
	}
	return nil, nil
}

// fragment consumes one handshake fragment from *frag.
func (a *DTLSAssembler) fragment(frag *[]byte, ver uint16) (*ClientHello, error) {
	f := *frag
	if len(f) < dtlsHandshakeHeaderLen {
		return nil, errDTLSFragment
	}
	mt := f[0]
	ml := u24(f[1:4])
	mseq := int(f[4])<<8 | int(f[5])
	foff := u24(f[6:9])
	flen := u24(f[9:12])
	if flen > len(f)-dtlsHandshakeHeaderLen {
		return nil, errDTLSFragment
	}
	body := f[dtlsHandshakeHeaderLen : dtlsHandshakeHeaderLen+flen]
	*frag = f[dtlsHandshakeHeaderLen+flen:]
	if mt != typeClientHello {
		return nil, nil
	}
	if ml > MaxClientHelloLen {
		return nil, errTooLarge
	}
	if foff+flen > ml {
		return nil, errDTLSFragment
	}
	switch {
	case mseq > a.msgSeq:
		a.msgSeq, a.total, a.recVer = mseq, ml, ver
		a.r.reset(ml)
	case mseq < a.msgSeq:
		return nil, nil
	case ml != a.total:
		return nil, errDTLSFragment
	}
	a.sawHello = true
	if err := a.r.write(foff, body); err != nil {
		return nil, err
	}
	if a.r.contiguous() < a.total {
		return nil, nil
	}
	a.done = true
	if err := a.hello.parseBody(a.r.buf[:a.total], true); err != nil {
		return nil, err
	}
	a.hello.RecordVersion = a.recVer
	return &a.hello, nil
}

// LooksLikeDTLS is a cheap classifier for service detection: it reports
// whether payload starts like an epoch-0 DTLS handshake record carrying a
// ClientHello, ServerHello or HelloVerifyRequest. payload is not retained.
func LooksLikeDTLS(payload []byte) bool {
	b := payload
	if len(b) < dtlsRecordHeaderLen+dtlsHandshakeHeaderLen {
		return false
	}
	if b[0] != contentHandshake || b[1] != 0xfe || (b[2] != 0xff && b[2] != 0xfd && b[2] != 0xfc) {
		return false
	}
	if b[3] != 0 || b[4] != 0 {
		return false
	}
	n := int(b[11])<<8 | int(b[12])
	if n < dtlsHandshakeHeaderLen || n > maxRecordLen {
		return false
	}
	switch b[13] {
	case 1, 2, 3:
	default:
		return false
	}
	return u24(b[14:17]) <= MaxClientHelloLen
}
