package dnsmsg

import (
	"errors"
	"net/netip"
)

// Errors returned by Parse. Every error wraps ErrMalformed.
var (
	ErrMalformed = errors.New("dnsmsg: malformed message")
	ErrShort     = wrap("message shorter than its header")
	ErrTruncated = wrap("message ends inside a record")
	ErrName      = wrap("bad domain name")
	ErrPointer   = wrap("bad compression pointer")
	ErrRData     = wrap("bad record data")
)

type parseError struct{ msg string }

func (e *parseError) Error() string        { return "dnsmsg: " + e.msg }
func (e *parseError) Is(target error) bool { return target == ErrMalformed }

func wrap(msg string) error { return &parseError{msg} }

// Limits that bound the work of one Parse.
const (
	// HeaderLen is the length of the fixed DNS header.
	HeaderLen = 12
	// MaxPointers is the most compression pointers followed in one name.
	// Pointers must also point backwards (before the label that holds
	// them, as Zeek requires), so following them always terminates; the
	// count bounds the work per name to MaxPointers+MaxNameLen steps.
	MaxPointers = 64
	// MaxNameLen is the longest name accepted, in presentation bytes
	// (labels plus dots), as Zeek's 512-byte name buffer.
	MaxNameLen = 512
	// MaxRecords bounds how many questions and records one Parse keeps
	// (a header may claim 4*65535).
	MaxRecords = 1024
	// MaxStrings bounds the character-strings kept per TXT/SPF record.
	MaxStrings = 64
)

// Sections of a message. For a dynamic update (opcode 5) the answer,
// authority and additional sections are the prerequisite, update and
// additional sections (RFC 2136).
type Section uint8

// Section values.
const (
	Answer Section = iota + 1
	Authority
	Additional
)

// Opcodes tracked by Zeek's dns.log.
const (
	OpQuery  = 0
	OpNotify = 4
	OpUpdate = 5
)

// Record types with special handling.
const (
	TypeA          = 1
	TypeNS         = 2
	TypeCNAME      = 5
	TypeSOA        = 6
	TypeWKS        = 11
	TypePTR        = 12
	TypeHINFO      = 13
	TypeMX         = 15
	TypeTXT        = 16
	TypeAAAA       = 28
	TypeLOC        = 29
	TypeNBS        = 32
	TypeSRV        = 33
	TypeNAPTR      = 35
	TypeA6         = 38
	TypeOPT        = 41
	TypeDS         = 43
	TypeSSHFP      = 44
	TypeRRSIG      = 46
	TypeNSEC       = 47
	TypeDNSKEY     = 48
	TypeNSEC3      = 50
	TypeNSEC3PARAM = 51
	TypeSVCB       = 64
	TypeHTTPS      = 65
	TypeSPF        = 99
	TypeTKEY       = 249
	TypeTSIG       = 250
	TypeANY        = 255
	TypeCAA        = 257
	TypeBINDS      = 65534
)

// Classes used by dynamic updates.
const (
	ClassINET = 1
	ClassNONE = 254
	ClassANY  = 255
)

// Header is the fixed 12-byte DNS header.
type Header struct {
	ID     uint16
	QR     bool
	Opcode uint8
	AA, TC bool
	RD, RA bool
	// Z is the three bits between RA and RCODE (Z, AD, CD) as one number,
	// as Zeek's dns_msg$Z.
	Z     uint8
	Rcode uint8
	// Section counts as the header states them.
	QDCount, ANCount, NSCount, ARCount uint16
}

// Question is one entry of the question section.
type Question struct {
	Name        string // lower-cased, no trailing dot ("" for the root)
	Type, Class uint16
}

// RR is one resource record. Name is lower-cased without the trailing dot.
// The typed fields that apply to Type are set; the others are zero.
type RR struct {
	Section Section
	Name    string
	Type    uint16
	Class   uint16
	TTL     uint32

	// Addr: A, AAAA, A6.
	Addr netip.Addr
	// Target: NS, CNAME, PTR, MX exchange, SRV target, SOA mname, NSEC
	// next name, RRSIG signer, NAPTR replacement (lower-cased names).
	Target string
	// Pref: MX preference, SRV priority, NAPTR preference.
	Pref uint16
	// Weight, Port: SRV. Order: NAPTR.
	Weight, Port, Order uint16
	// Strings: TXT and SPF character-strings; NAPTR flags, services,
	// regexp.
	Strings []string
	// Algorithm: RRSIG, DNSKEY, DS, SSHFP. Covered: RRSIG type covered.
	// DigestType: DS digest type, SSHFP fingerprint type.
	Algorithm, DigestType uint8
	Covered               uint16
	// Data: SSHFP fingerprint (a copy); LOC: version, size, horizontal
	// and vertical precision.
	Data []byte
	// Parsed is false for types this package does not decode (their
	// data is skipped).
	Parsed bool
}

// Msg is a parsed DNS message. Parse fills it in place, reusing its slices.
type Msg struct {
	Header
	Questions []Question
	// Records are the answer, authority and additional records in order.
	Records []RR
	// Err is the error that stopped parsing (nil if the whole message
	// parsed). The questions and records before it are kept, as Zeek
	// raises events for everything it parsed before a failure.
	Err error
	// ErrSection says where parsing stopped: 0 in the header or
	// questions, else the Section being parsed.
	ErrSection Section
}

// Answers returns the records of the answer section.
func (m *Msg) Answers() []RR {
	n := 0
	for n < len(m.Records) && m.Records[n].Section == Answer {
		n++
	}
	return m.Records[:n]
}

// Parse parses one DNS message (without the TCP length prefix). It returns
// m.Err. A message whose questions and answers parsed (the condition on
// which Zeek confirms the DNS analyzer) has m.Err == nil or
// m.ErrSection > Answer.
func Parse(b []byte) (*Msg, error) {
	m := new(Msg)
	return m, m.Parse(b)
}

// Parse parses b into m, reusing m's slices (strings are new).
func (m *Msg) Parse(b []byte) error { return m.parse(b, false) }

// Check parses b as Parse does, with the same Err, ErrSection, header and
// record counts, but leaves names and strings empty: a validity check that
// allocates nothing once m's slices have grown.
func (m *Msg) Check(b []byte) error { return m.parse(b, true) }

func (m *Msg) parse(b []byte, check bool) error {
	m.Header = Header{}
	m.Questions = m.Questions[:0]
	for i := range m.Records {
		m.Records[i] = RR{Strings: m.Records[i].Strings[:0], Data: m.Records[i].Data[:0]}
	}
	m.Records = m.Records[:0]
	m.Err = nil
	m.ErrSection = 0
	if len(b) < HeaderLen {
		m.Err = ErrShort
		return m.Err
	}
	f := uint16(b[2])<<8 | uint16(b[3])
	m.ID = uint16(b[0])<<8 | uint16(b[1])
	m.QR = f&0x8000 != 0
	m.Opcode = uint8(f>>11) & 0xf
	m.AA = f&0x0400 != 0
	m.TC = f&0x0200 != 0
	m.RD = f&0x0100 != 0
	m.RA = f&0x0080 != 0
	m.Z = uint8(f>>4) & 0x7
	m.Rcode = uint8(f & 0xf)
	m.QDCount = uint16(b[4])<<8 | uint16(b[5])
	m.ANCount = uint16(b[6])<<8 | uint16(b[7])
	m.NSCount = uint16(b[8])<<8 | uint16(b[9])
	m.ARCount = uint16(b[10])<<8 | uint16(b[11])

	p := parser{msg: b, off: HeaderLen, check: check}
	for i := 0; i < int(m.QDCount); i++ {
		if len(m.Questions) >= MaxRecords {
			m.Err = ErrTruncated
			return m.Err
		}
		name, err := p.name()
		if err != nil {
			m.Err = err
			return err
		}
		if p.off+4 > len(b) {
			m.Err = ErrTruncated
			return m.Err
		}
		m.Questions = append(m.Questions, Question{Name: name, Type: p.u16(), Class: p.u16()})
	}
	counts := [3]uint16{m.ANCount, m.NSCount, m.ARCount}
	for s, n := range counts {
		sec := Section(s + 1)
		for i := 0; i < int(n); i++ {
			if len(m.Records) >= MaxRecords {
				m.Err, m.ErrSection = ErrTruncated, sec
				return m.Err
			}
			m.Records = append(m.Records, RR{})
			rr := &m.Records[len(m.Records)-1]
			if err := p.rr(rr, sec); err != nil {
				m.Records = m.Records[:len(m.Records)-1]
				m.Err, m.ErrSection = err, sec
				return err
			}
		}
	}
	return nil
}

type parser struct {
	msg   []byte
	off   int
	check bool // Check: no strings
	buf   [MaxNameLen]byte
}

func (p *parser) u16() uint16 {
	v := uint16(p.msg[p.off])<<8 | uint16(p.msg[p.off+1])
	p.off += 2
	return v
}

func (p *parser) u32() uint32 {
	b := p.msg[p.off:]
	p.off += 4
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// name reads a (possibly compressed) domain name at p.off and advances past
// it. The result is lower-cased, labels joined by dots, without the
// trailing dot, as Zeek's DNS analyzer builds it. Label bytes are kept as
// they are (a dot or a control byte inside a label is not escaped here).
// str returns the l bytes after the length byte at p.off as a string
// ("" when checking).
func (p *parser) str(l int) string {
	if p.check {
		return ""
	}
	return string(p.msg[p.off+1 : p.off+1+l])
}

func (p *parser) name() (string, error) {
	n, end, err := readName(p.msg, p.off, &p.buf)
	if err != nil {
		return "", err
	}
	p.off = end
	if p.check {
		return "", nil
	}
	return string(p.buf[:n]), nil
}

// ReadName reads the name at off in msg into buf and returns its length
// and the offset just after it (after the first pointer, if compressed).
func readName(msg []byte, off int, buf *[MaxNameLen]byte) (n, end int, err error) {
	end = -1
	pos := off
	jumps := 0
	for {
		if pos >= len(msg) {
			return 0, 0, ErrTruncated
		}
		l := int(msg[pos])
		switch {
		case l == 0:
			if end < 0 {
				end = pos + 1
			}
			return n, end, nil
		case l&0xc0 == 0xc0:
			if pos+1 >= len(msg) {
				return 0, 0, ErrTruncated
			}
			ptr := (l&0x3f)<<8 | int(msg[pos+1])
			// Zeek accepts only pointers to before the label holding
			// them; this also makes every chain finite.
			if ptr >= pos || jumps >= MaxPointers {
				return 0, 0, ErrPointer
			}
			jumps++
			if end < 0 {
				end = pos + 2
			}
			pos = ptr
		case l&0xc0 != 0:
			return 0, 0, ErrName // 0x40/0x80: extended label types
		default:
			if pos+1+l > len(msg) {
				return 0, 0, ErrTruncated
			}
			if n+l+1 > MaxNameLen {
				return 0, 0, ErrName
			}
			if n > 0 {
				buf[n] = '.'
				n++
			}
			for _, c := range msg[pos+1 : pos+1+l] {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf[n] = c
				n++
			}
			pos += 1 + l
		}
	}
}

func (p *parser) rr(rr *RR, sec Section) error {
	name, err := p.name()
	if err != nil {
		return err
	}
	if p.off+10 > len(p.msg) {
		return ErrTruncated
	}
	rr.Section = sec
	rr.Name = name
	rr.Type = p.u16()
	rr.Class = p.u16()
	rr.TTL = p.u32()
	rdlen := int(p.u16())
	start := p.off
	end := start + rdlen
	if end > len(p.msg) {
		return ErrTruncated
	}
	if rdlen == 0 {
		// No data: dynamic update prerequisites and deletions (RFC 2136),
		// which only name a type and class.
		p.off = end
		return nil
	}
	// Names inside rdata may point anywhere before them in the message,
	// but must not run past the rdata.
	q := parser{msg: p.msg[:end], off: start}
	if err := q.rdata(rr, rdlen); err != nil {
		return err
	}
	p.off = end
	return nil
}

func (p *parser) rdata(rr *RR, rdlen int) error {
	rest := func() int { return len(p.msg) - p.off }
	var err error
	switch rr.Type {
	case TypeA:
		if rdlen != 4 {
			return ErrRData
		}
		rr.Addr = netip.AddrFrom4([4]byte(p.msg[p.off : p.off+4]))
	case TypeAAAA, TypeA6:
		if rdlen != 16 {
			return ErrRData
		}
		rr.Addr = netip.AddrFrom16([16]byte(p.msg[p.off : p.off+16]))
	case TypeNS, TypeCNAME, TypePTR:
		rr.Target, err = p.name()
	case TypeSOA:
		if rr.Target, err = p.name(); err == nil {
			if _, err = p.name(); err == nil && rest() < 20 {
				err = ErrRData
			}
		}
	case TypeMX:
		if rest() < 2 {
			return ErrRData
		}
		rr.Pref = p.u16()
		rr.Target, err = p.name()
	case TypeSRV:
		if rest() < 6 {
			return ErrRData
		}
		rr.Pref, rr.Weight, rr.Port = p.u16(), p.u16(), p.u16()
		rr.Target, err = p.name()
	case TypeTXT, TypeSPF:
		for rest() > 0 {
			l := int(p.msg[p.off])
			if 1+l > rest() {
				return ErrRData
			}
			if len(rr.Strings) < MaxStrings {
				rr.Strings = append(rr.Strings, p.str(l))
			}
			p.off += 1 + l
		}
	case TypeNAPTR:
		if rest() < 4 {
			return ErrRData
		}
		rr.Order, rr.Pref = p.u16(), p.u16()
		for i := 0; i < 3; i++ {
			if rest() < 1 || 1+int(p.msg[p.off]) > rest() {
				return ErrRData
			}
			l := int(p.msg[p.off])
			rr.Strings = append(rr.Strings, p.str(l))
			p.off += 1 + l
		}
		rr.Target, err = p.name()
	case TypeRRSIG:
		if rest() < 18 {
			return ErrRData
		}
		rr.Covered = p.u16()
		rr.Algorithm = p.msg[p.off]
		p.off += 16
		rr.Target, err = p.name()
	case TypeDNSKEY:
		if rest() < 4 {
			return ErrRData
		}
		rr.Algorithm = p.msg[p.off+3]
	case TypeDS:
		if rest() < 4 {
			return ErrRData
		}
		rr.Algorithm, rr.DigestType = p.msg[p.off+2], p.msg[p.off+3]
	case TypeNSEC:
		rr.Target, err = p.name()
	case TypeSSHFP:
		if rest() < 2 {
			return ErrRData
		}
		rr.Algorithm, rr.DigestType = p.msg[p.off], p.msg[p.off+1]
		rr.Data = append(rr.Data[:0], p.msg[p.off+2:]...)
	case TypeLOC:
		if rest() < 4 {
			return ErrRData
		}
		rr.Data = append(rr.Data[:0], p.msg[p.off:p.off+4]...)
	case TypeWKS, TypeHINFO, TypeNSEC3, TypeNSEC3PARAM, TypeBINDS, TypeOPT, TypeTSIG, TypeTKEY,
		TypeCAA, TypeSVCB, TypeHTTPS, TypeNBS:
		// Decoded by Zeek but not logged beyond a fixed string (or not
		// at all): nothing to extract.
	default:
		return nil // Parsed stays false
	}
	if err != nil {
		return err
	}
	rr.Parsed = true
	return nil
}
