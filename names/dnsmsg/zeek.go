package dnsmsg

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// Names as Zeek's scripts/base/protocols/dns/consts.zeek has them.

var qtypeNames = map[uint16]string{
	1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR", 10: "NULL",
	11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB", 19: "X25",
	20: "ISDN", 21: "RT", 22: "NSAP", 23: "NSAP-PTR", 24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS", 28: "AAAA",
	29: "LOC", 30: "NXT", 31: "EID", 32: "NIMLOC", 33: "SRV", 34: "ATMA", 35: "NAPTR", 36: "KX", 37: "CERT",
	38: "A6", 39: "DNAME", 40: "SINK", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP", 45: "IPSECKEY",
	46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID", 50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA",
	53: "SMIMEA", 55: "HIP", 56: "NINFO", 57: "RKEY", 58: "TALINK", 59: "CDS", 60: "CDNSKEY",
	61: "OPENPGPKEY", 62: "CSYNC", 63: "ZONEMD", 64: "SVCB", 65: "HTTPS", 99: "SPF", 100: "UINFO",
	101: "UID", 102: "GID", 103: "UNSPEC", 104: "NID", 105: "L32", 106: "L64", 107: "LP", 108: "EUI48",
	109: "EUI64", 249: "TKEY", 250: "TSIG", 251: "IXFR", 252: "AXFR", 253: "MAILB", 254: "MAILA",
	255: "*", 256: "URI", 257: "CAA", 32768: "TA", 32769: "DLV", 65281: "WINS", 65282: "WINS-R",
	65422: "XPF", 65521: "INTEGRITY",
}

// QTypeName is Zeek's DNS::query_types (qtype_name): "A", "AAAA", ...,
// "query-N" for unknown values.
func QTypeName(t uint16) string {
	if s, ok := qtypeNames[t]; ok {
		return s
	}
	return "query-" + strconv.Itoa(int(t))
}

var rcodeNames = map[uint16]string{
	0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
	7: "YXRRSET", 8: "NXRRSet", 9: "NOTAUTH", 10: "NOTZONE", 11: "unassigned-11", 12: "unassigned-12",
	13: "unassigned-13", 14: "unassigned-14", 15: "unassigned-15", 16: "BADVERS", 17: "BADKEY",
	18: "BADTIME", 19: "BADMODE", 20: "BADNAME", 21: "BADALG", 22: "BADTRUNC", 23: "BADCOOKIE",
	3842: "BADSIG",
}

// RcodeName is Zeek's DNS::base_errors (rcode_name): "NOERROR",
// "NXDOMAIN", ..., "rcode-N" for unknown values.
func RcodeName(r uint16) string {
	if s, ok := rcodeNames[r]; ok {
		return s
	}
	return "rcode-" + strconv.Itoa(int(r))
}

// ClassName is Zeek's DNS::classes (qclass_name).
func ClassName(c uint16) string {
	switch c {
	case 1:
		return "C_INTERNET"
	case 2:
		return "C_CSNET"
	case 3:
		return "C_CHAOS"
	case 4:
		return "C_HESIOD"
	case 254:
		return "C_NONE"
	case 255:
		return "C_ANY"
	}
	return "qclass-" + strconv.Itoa(int(c))
}

// OpcodeName is Zeek's DNS::opcodes (opcode_name), or DNS::netbios_opcodes
// for NetBIOS name service messages.
func OpcodeName(op uint8, netbios bool) string {
	if netbios {
		switch op {
		case 0:
			return "netbios-query"
		case 5:
			return "netbios-registration"
		case 6:
			return "netbios-release"
		case 7:
			return "netbios-wack"
		case 8:
			return "netbios-refresh"
		}
		return "netbios-opcode-" + strconv.Itoa(int(op))
	}
	switch op {
	case 0:
		return "query"
	case 1:
		return "iquery"
	case 2:
		return "server-status"
	case 4:
		return "notify"
	case 5:
		return "dynamic-update"
	case 6:
		return "dso"
	}
	return "opcode-" + strconv.Itoa(int(op))
}

// Tracked reports whether Zeek's dns.log tracks messages of this opcode
// (standard queries, notifies and dynamic updates).
func Tracked(op uint8) bool { return op == OpQuery || op == OpNotify || op == OpUpdate }

// Known reports whether Zeek's DNS analyzer decodes records of type t
// (others are reported as "<unknown type=N>").
func Known(t uint16) bool {
	switch t {
	case TypeA, TypeA6, TypeAAAA, TypeNS, TypeCNAME, TypePTR, TypeSOA, TypeWKS, TypeHINFO, TypeMX,
		TypeTXT, TypeSPF, TypeCAA, TypeNBS, TypeSRV, TypeNAPTR, TypeOPT, TypeTSIG, TypeTKEY, TypeRRSIG,
		TypeDNSKEY, TypeNSEC, TypeNSEC3, TypeNSEC3PARAM, TypeDS, TypeBINDS, TypeSSHFP, TypeLOC,
		TypeSVCB, TypeHTTPS:
		return true
	}
	return false
}

// ZeekAnswer formats rr as Zeek's base/protocols/dns scripts put it in
// dns.log's answers (the reply string given to the DNS::do_reply hook).
// handled reports whether do_reply runs for the record at all (it then
// sets query, AA, RA and rtt, and appends s to answers if s is not
// empty): only answer-section records of replies (plus the prerequisite
// and update records of dynamic updates), of tracked opcodes, of types
// that Zeek's base scripts handle. netbios is set for NetBIOS name
// service traffic (port 137).
func ZeekAnswer(m *Msg, rr *RR, netbios bool) (s string, handled bool) {
	if !m.QR || !Tracked(m.Opcode) {
		return "", false
	}
	update := m.Opcode == OpUpdate
	switch {
	case rr.Section == Answer && update:
		// Prerequisite section (RFC 2136 2.4).
		var what string
		switch {
		case rr.Class == ClassNONE && rr.Type == TypeANY:
			what = "NameNotInUse " + rr.Name
		case rr.Class == ClassANY && rr.Type == TypeANY:
			what = "NameInUse " + rr.Name
		case rr.Class == ClassNONE:
			what = "NoRRSet " + QTypeName(rr.Type) + " " + rr.Name
		default:
			what = "RRSetExists " + QTypeName(rr.Type) + " " + rr.Name
		}
		return "pre: " + what, true
	case rr.Section == Authority && update && (rr.Class == ClassANY || rr.Class == ClassNONE):
		// Update section deletions (RFC 2136 2.5.2-2.5.4).
		var what string
		switch {
		case rr.Class == ClassANY && rr.Type == TypeANY:
			what = "RRSet * " + rr.Name
		case rr.Class == ClassNONE:
			what = "RR " + QTypeName(rr.Type) + " " + rr.Name
		default:
			what = "RRSet " + QTypeName(rr.Type)
		}
		return "del: " + what, true
	case rr.Section == Authority && update:
		s, handled = replyString(rr, true, netbios)
		if s != "" && !strings.HasPrefix(s, "del:") {
			s = "add: " + s
		}
		return s, handled
	case rr.Section == Answer:
		return replyString(rr, update, netbios)
	}
	return "", false
}

func replyString(rr *RR, update, netbios bool) (string, bool) {
	if !Known(rr.Type) {
		return "<unknown type=" + strconv.Itoa(int(rr.Type)) + ">", true
	}
	switch rr.Type {
	case TypeA, TypeAAAA, TypeA6:
		if !rr.Addr.IsValid() {
			return "", false
		}
		if update && !netbios {
			return QTypeName(rr.Type) + " " + rr.Name + " " + rr.Addr.String(), true
		}
		return rr.Addr.String(), true
	case TypeNS, TypeCNAME, TypePTR, TypeMX, TypeSOA:
		return rr.Target, true
	case TypeSRV:
		if netbios {
			return "", false // NBSTAT: not parsed by Zeek
		}
		return rr.Target, true
	case TypeTXT, TypeSPF:
		tag := "TXT "
		if rr.Type == TypeSPF {
			tag = "SPF "
		}
		var b []byte
		for i, s := range rr.Strings {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, tag...)
			b = strconv.AppendInt(b, int64(len(s)), 10)
			b = append(b, ' ')
			b = append(b, s...)
		}
		return string(b), true
	case TypeNAPTR:
		if len(rr.Strings) < 3 {
			return "", false
		}
		tmp := rr.Strings[2]
		if rr.Target != "" {
			if tmp != "" {
				tmp += " "
			}
			tmp += rr.Target
		}
		return "NAPTR " + strconv.Itoa(int(rr.Order)) + " " + strconv.Itoa(int(rr.Pref)) + " " +
			rr.Strings[0] + " " + rr.Strings[1] + " " + tmp, true
	case TypeRRSIG:
		signer := rr.Target
		if signer == "" {
			signer = "<Root>"
		}
		return "RRSIG " + strconv.Itoa(int(rr.Covered)) + " " + signer, true
	case TypeDNSKEY:
		return "DNSKEY " + strconv.Itoa(int(rr.Algorithm)), true
	case TypeDS:
		return "DS " + strconv.Itoa(int(rr.Algorithm)) + " " + strconv.Itoa(int(rr.DigestType)), true
	case TypeNSEC:
		return "NSEC " + rr.Name + " " + rr.Target, true
	case TypeNSEC3:
		return "NSEC3", true
	case TypeNSEC3PARAM:
		return "NSEC3PARAM", true
	case TypeBINDS:
		return "BIND9 signing signal", true
	case TypeSSHFP:
		return "SSHFP: " + hex.EncodeToString(rr.Data), true
	case TypeLOC:
		if len(rr.Data) < 4 {
			return "", false
		}
		return "LOC:  " + strconv.Itoa(int(rr.Data[1])) + " " + strconv.Itoa(int(rr.Data[2])) + " " +
			strconv.Itoa(int(rr.Data[3])), true
	case TypeWKS:
		return "", true // handled, with an empty reply: not appended
	}
	// HINFO, CAA, SVCB, HTTPS, OPT, TSIG, TKEY, NBS: Zeek's base scripts
	// have no handler for them.
	return "", false
}

// DecodeNetBIOSName is Zeek's decode_netbios_name: a 32-character
// first-level encoded NetBIOS name (RFC 1001 14.1) decoded, cut at the
// first byte that is not alphanumeric, punctuation or below 3 (and never
// the 16th, type, byte). It returns "" if name is not 32 characters.
func DecodeNetBIOSName(name string) string {
	if len(name) != 32 {
		return ""
	}
	var buf [16]byte
	for i := 0; i < 16; i++ {
		c0, c1 := upper(name[2*i]), upper(name[2*i+1])
		buf[i] = (c0-'A')<<4 + (c1 - 'A')
	}
	n := 0
	for ; n < 15; n++ {
		c := buf[n]
		if !(isAlnum(c) || isPunct(c) || c < 3) {
			break
		}
	}
	return string(buf[:n])
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isPunct(c byte) bool {
	return c > 0x20 && c < 0x7f && !isAlnum(c)
}
