package communityid

import (
	"crypto/sha1"
	"encoding/base64"
	"net/netip"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// Prefix is the version tag every v1 Community ID starts with.
const Prefix = "1:"

// IP protocol numbers with ports (or ICMP type/code) in the hash.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
	protoSCTP   = 132
)

// Hash returns the Community ID v1 of one packet's (or flow's) tuple: src
// sent to dst over IP protocol proto.
//
// For TCP, UDP and SCTP sport and dport are the ports. For ICMP (proto 1)
// and ICMPv6 (proto 58) sport is the ICMP type and dport the ICMP code, as
// the spec's community_id_icmp takes them: the type/code pair is mapped to
// ports the way Zeek does (the type, and the counterpart type for
// request/reply pairs or else the code), and one-way messages (no
// counterpart) are hashed in the given direction instead of being ordered.
// Passing Zeek's conn_id ports for ICMP (type, counterpart type) gives the
// same result, since mapping them again is the identity. For any other
// protocol the ports are ignored: only the addresses and the protocol are
// hashed, as the spec's "other IP-borne protocols" rule says (the ordering
// then compares the addresses alone).
//
// src and dst must be of the same family (an IPv4-mapped IPv6 address counts
// as IPv4); otherwise, or when either is invalid, Hash returns "".
func Hash(seed uint16, src, dst netip.Addr, sport, dport uint16, proto uint8) string {
	var buf [64]byte
	return string(Append(buf[:0], seed, src, dst, sport, dport, proto))
}

// Append appends the Community ID of the tuple (see Hash) to b. It does not
// allocate when b has room for the 30 bytes of an ID. Nothing is appended
// when the addresses are invalid or of different families.
func Append(b []byte, seed uint16, src, dst netip.Addr, sport, dport uint16, proto uint8) []byte {
	src, dst = src.Unmap(), dst.Unmap()
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return b
	}
	var s, d [16]byte
	n := 16
	if src.Is4() {
		a, z := src.As4(), dst.As4()
		copy(s[:], a[:])
		copy(d[:], z[:])
		n = 4
	} else {
		s, d = src.As16(), dst.As16()
	}
	return appendHash(b, seed, s[:n], d[:n], sport, dport, proto)
}

// CommunityID returns the Community ID v1 of a connection, as Zeek's
// policy/protocols/conn/community-id-logging.zeek logs it: Zeek calls
// community_id_v1(c$id, seed) on the conn_id, so the hash is computed from
// the connection's endpoints and ports as conn.log shows them.
//
// For ICMP flowlog's OrigP/RespP are Zeek's conn_id ports: the ICMP type of
// the first packet and the counterpart type (request/reply pairs) or the
// code (one-way messages). Like Zeek's BiF, CommunityID feeds those ports
// to the counterpart mapping again (which returns them unchanged) and so
// learns whether the flow is one-way; the protocol hashed is ICMP for IPv4
// addresses and ICMPv6 for IPv6 ones, as Zeek chooses it from the address
// family.
//
// For connections of other IP protocols (proto unknown_transport), whose
// conn.log ports are 0, the ID is computed from the addresses and
// c.IPProto as the spec's rule for port-less protocols says. (The
// zeek-community-id plugin and older Zeek releases log an empty string for
// these; the spec's rule is what Suricata and pycommunityid compute.)
//
// CommunityID allocates the returned string; AppendConn does not.
func CommunityID(seed uint16, c *flow.Conn) string {
	var buf [64]byte
	return string(AppendConn(buf[:0], seed, c))
}

// AppendConn appends the connection's Community ID (see CommunityID) to b.
func AppendConn(b []byte, seed uint16, c *flow.Conn) []byte {
	v4 := c.OrigH.Is4()
	if v4 != c.RespH.Is4() {
		return b
	}
	var proto uint8
	switch c.Trans {
	case flow.TransportTCP:
		proto = protoTCP
	case flow.TransportUDP:
		proto = protoUDP
	case flow.TransportICMP:
		proto = protoICMPv6
		if v4 {
			proto = protoICMP
		}
	default:
		proto = c.IPProto
	}
	s, d := addrBytes(&c.OrigH, v4), addrBytes(&c.RespH, v4)
	return appendHash(b, seed, s, d, c.OrigP, c.RespP, proto)
}

func addrBytes(a *decode.Addr, v4 bool) []byte {
	if v4 {
		return a[12:16]
	}
	return a[:]
}

// appendHash is the spec's community_id_v1 on addresses given as 4 or 16
// bytes in network order.
func appendHash(b []byte, seed uint16, s, d []byte, sport, dport uint16, proto uint8) []byte {
	oneWay, ports := false, true
	switch proto {
	case protoICMP:
		sport, dport, oneWay = icmpPorts(false, sport, dport)
	case protoICMPv6:
		sport, dport, oneWay = icmpPorts(true, sport, dport)
	case protoTCP, protoUDP, protoSCTP:
	default:
		sport, dport, ports = 0, 0, false
	}
	if !oneWay && !less(s, sport, d, dport) {
		s, d = d, s
		sport, dport = dport, sport
	}
	// seed(2) saddr(4|16) daddr(4|16) proto(1) pad(1) [sport(2) dport(2)]
	var in [2 + 16 + 16 + 6]byte
	in[0], in[1] = byte(seed>>8), byte(seed)
	n := 2
	n += copy(in[n:], s)
	n += copy(in[n:], d)
	in[n], in[n+1] = proto, 0
	n += 2
	if ports {
		in[n], in[n+1] = byte(sport>>8), byte(sport)
		in[n+2], in[n+3] = byte(dport>>8), byte(dport)
		n += 4
	}
	sum := sha1.Sum(in[:n])
	b = append(b, Prefix...)
	return base64.StdEncoding.AppendEncode(b, sum[:])
}

// less reports whether (a, ap) orders before (b, bp): addresses compared as
// big-endian numbers, then ports numerically. (Zeek's BiF compares the
// ports in network byte order as host integers, which differs from this only
// when both addresses are equal; the spec and pycommunityid compare port
// numbers, and so does this package.)
func less(a []byte, ap uint16, b []byte, bp uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return ap < bp
}

// icmpPorts maps an ICMP type and code to the ports Zeek uses for the flow
// (ICMP4_counterpart / ICMP6_counterpart in Zeek's ICMP analyzer): the type
// and, for request/reply messages, the counterpart type; for any other type
// the code, and the flow is one-way.
func icmpPorts(v6 bool, typ, code uint16) (sport, dport uint16, oneWay bool) {
	if ct, ok := icmpCounterpart(v6, typ); ok {
		return typ, ct, false
	}
	return typ, code, true
}

func icmpCounterpart(v6 bool, typ uint16) (uint16, bool) {
	if !v6 {
		switch typ {
		case 8: // echo request
			return 0, true
		case 0: // echo reply
			return 8, true
		case 13: // timestamp
			return 14, true
		case 14: // timestamp reply
			return 13, true
		case 15: // information request
			return 16, true
		case 16: // information reply
			return 15, true
		case 10: // router solicitation
			return 9, true
		case 9: // router advertisement
			return 10, true
		case 17: // address mask request
			return 18, true
		case 18: // address mask reply
			return 17, true
		}
		return 0, false
	}
	switch typ {
	case 128: // echo request
		return 129, true
	case 129: // echo reply
		return 128, true
	case 133: // router solicitation
		return 134, true
	case 134: // router advertisement
		return 133, true
	case 135: // neighbor solicitation
		return 136, true
	case 136: // neighbor advertisement
		return 135, true
	case 130: // multicast listener query
		return 131, true
	case 131: // multicast listener report
		return 130, true
	case 139: // node information query
		return 140, true
	case 140: // node information response
		return 139, true
	case 144: // home agent address discovery request
		return 145, true
	case 145: // home agent address discovery reply
		return 144, true
	}
	return 0, false
}
