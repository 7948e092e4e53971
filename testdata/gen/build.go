package main

// Packet construction: IP, transport and link layers.
//
// IP, TCP, UDP, ICMP and ICMPv6 headers are serialized with gopacket/layers
// (FixLengths + ComputeChecksums). Headers gopacket v1.1.19 cannot write
// (SLL, SLL2, VN-Tag, PBB I-TAG, PPTP enhanced GRE, ERSPAN II, Geneve,
// AYIYA, IPv6 fragment header, 802.11 + radiotap) are built by hand.

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// TCP flag bits as they appear in the TCP header.
const (
	FIN = 0x01
	SYN = 0x02
	RST = 0x04
	PSH = 0x08
	ACK = 0x10
)

// ep is one transport endpoint.
type ep struct {
	ip   netip.Addr
	port uint16
}

func mkep(addr string, port uint16) ep { return ep{netip.MustParseAddr(addr), port} }

func (e ep) String() string {
	if e.ip.Is6() {
		return fmt.Sprintf("[%s]:%d", e.ip, e.port)
	}
	return fmt.Sprintf("%s:%d", e.ip, e.port)
}

var serOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serOpts, ls...); err != nil {
		panic(err)
	}
	out := make([]byte, len(buf.Bytes()))
	copy(out, buf.Bytes())
	return out
}

// ipIDs hands out deterministic IPv4 identification values per source.
type ipIDs map[netip.Addr]uint16

func (m ipIDs) next(a netip.Addr) uint16 {
	if _, ok := m[a]; !ok {
		h := fnv.New32a()
		h.Write(a.AsSlice())
		m[a] = uint16(h.Sum32())
	}
	m[a]++
	return m[a]
}

// ipHdr describes the network layer of a packet to build.
type ipHdr struct {
	src, dst netip.Addr
	proto    layers.IPProtocol
	ttl      uint8
	id       uint16
	df       bool
	tc       uint8 // IPv6 traffic class / IPv4 TOS
	flow     uint32
}

func (h ipHdr) layer() gopacket.NetworkLayer {
	ttl := h.ttl
	if ttl == 0 {
		ttl = 64
	}
	if h.src.Is4() {
		ip := &layers.IPv4{Version: 4, TTL: ttl, Id: h.id, Protocol: h.proto, TOS: h.tc,
			SrcIP: net.IP(h.src.AsSlice()), DstIP: net.IP(h.dst.AsSlice())}
		if h.df {
			ip.Flags = layers.IPv4DontFragment
		}
		return ip
	}
	return &layers.IPv6{Version: 6, HopLimit: ttl, NextHeader: h.proto, TrafficClass: h.tc,
		FlowLabel: h.flow, SrcIP: net.IP(h.src.AsSlice()), DstIP: net.IP(h.dst.AsSlice())}
}

// tcpSeg is one TCP segment to serialize.
type tcpSeg struct {
	sport, dport uint16
	seq, ack     uint32
	flags        uint8
	win          uint16
	opts         []layers.TCPOption
	payload      []byte
}

func buildTCP(h ipHdr, s tcpSeg) []byte {
	h.proto = layers.IPProtocolTCP
	nl := h.layer()
	t := &layers.TCP{SrcPort: layers.TCPPort(s.sport), DstPort: layers.TCPPort(s.dport),
		Seq: s.seq, Ack: s.ack, Window: s.win, Options: s.opts,
		FIN: s.flags&FIN != 0, SYN: s.flags&SYN != 0, RST: s.flags&RST != 0,
		PSH: s.flags&PSH != 0, ACK: s.flags&ACK != 0}
	if err := t.SetNetworkLayerForChecksum(nl); err != nil {
		panic(err)
	}
	return serialize(nl.(gopacket.SerializableLayer), t, gopacket.Payload(s.payload))
}

func buildUDP(h ipHdr, sport, dport uint16, payload []byte) []byte {
	h.proto = layers.IPProtocolUDP
	nl := h.layer()
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	if err := u.SetNetworkLayerForChecksum(nl); err != nil {
		panic(err)
	}
	b := serialize(nl.(gopacket.SerializableLayer), u, gopacket.Payload(payload))
	// A computed checksum of 0 must be sent as 0xffff (RFC 768).
	off := ipHeaderLen(b) + 6
	if b[off] == 0 && b[off+1] == 0 {
		b[off], b[off+1] = 0xff, 0xff
	}
	return b
}

// buildICMP4 builds an ICMPv4 message; body follows the 8-byte header.
func buildICMP4(h ipHdr, typ, code uint8, id, seq uint16, body []byte) []byte {
	h.proto = layers.IPProtocolICMPv4
	nl := h.layer()
	ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: id, Seq: seq}
	return serialize(nl.(gopacket.SerializableLayer), ic, gopacket.Payload(body))
}

// buildICMP6 builds an ICMPv6 message; rest is everything after the 4-byte
// type/code/checksum header.
func buildICMP6(h ipHdr, typ, code uint8, rest []byte) []byte {
	h.proto = layers.IPProtocolICMPv6
	nl := h.layer()
	ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
	if err := ic.SetNetworkLayerForChecksum(nl); err != nil {
		panic(err)
	}
	return serialize(nl.(gopacket.SerializableLayer), ic, gopacket.Payload(rest))
}

// buildIP wraps an arbitrary payload (another packet, GRE, ...) in an IP header.
func buildIP(h ipHdr, payload []byte) []byte {
	return serialize(h.layer().(gopacket.SerializableLayer), gopacket.Payload(payload))
}

func ipHeaderLen(b []byte) int {
	if b[0]>>4 == 4 {
		return int(b[0]&0x0f) * 4
	}
	return 40
}

// ipTotalLen is the IP-level size Zeek counts in *_ip_bytes (IPv4 total
// length, or 40 + IPv6 payload length).
func ipTotalLen(b []byte) int {
	if b[0]>>4 == 4 {
		return int(binary.BigEndian.Uint16(b[2:]))
	}
	return 40 + int(binary.BigEndian.Uint16(b[4:]))
}

func ipAddrs(b []byte) (src, dst netip.Addr) {
	if b[0]>>4 == 4 {
		return netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
	}
	return netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
}

// corruptL4Checksum flips the transport checksum of a serialized IP packet
// (no extension headers) so that it no longer verifies.
func corruptL4Checksum(b []byte) {
	off := ipHeaderLen(b)
	proto := b[9]
	if b[0]>>4 == 6 {
		proto = b[6]
	}
	switch proto {
	case 6:
		off += 16
	case 17:
		off += 6
	default:
		off += 2
	}
	b[off] ^= 0x5a
	b[off+1] ^= 0xa5
}

// fragmentIPv4 splits a serialized unfragmented IPv4 packet into fragments
// whose data parts have the given sizes (all but the last must be multiples
// of 8). Fragments are returned in offset order.
func fragmentIPv4(pkt []byte, sizes ...int) [][]byte {
	hl := ipHeaderLen(pkt)
	data := pkt[hl:]
	src, dst := ipAddrs(pkt)
	id := binary.BigEndian.Uint16(pkt[4:])
	var out [][]byte
	off := 0
	for i, n := range sizes {
		last := i == len(sizes)-1
		if last {
			n = len(data) - off
		} else if n%8 != 0 {
			panic("fragment size not a multiple of 8")
		}
		ip := &layers.IPv4{Version: 4, TTL: pkt[8], Id: id, Protocol: layers.IPProtocol(pkt[9]),
			SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice()), FragOffset: uint16(off / 8)}
		if !last {
			ip.Flags = layers.IPv4MoreFragments
		}
		out = append(out, serialize(ip, gopacket.Payload(data[off:off+n])))
		off += n
	}
	return out
}

// fragmentIPv6 splits a serialized IPv6 packet (no extension headers) into
// fragments carrying an IPv6 Fragment extension header.
func fragmentIPv6(pkt []byte, ident uint32, sizes ...int) [][]byte {
	next := pkt[6]
	data := pkt[40:]
	src, dst := ipAddrs(pkt)
	var out [][]byte
	off := 0
	for i, n := range sizes {
		last := i == len(sizes)-1
		if last {
			n = len(data) - off
		} else if n%8 != 0 {
			panic("fragment size not a multiple of 8")
		}
		fh := make([]byte, 8)
		fh[0] = next
		fo := uint16(off/8) << 3
		if !last {
			fo |= 1
		}
		binary.BigEndian.PutUint16(fh[2:], fo)
		binary.BigEndian.PutUint32(fh[4:], ident)
		h := ipHdr{src: src, dst: dst, proto: layers.IPProtocolIPv6Fragment, ttl: pkt[7]}
		out = append(out, buildIP(h, append(fh, data[off:off+n]...)))
		off += n
	}
	return out
}

// ---------------------------------------------------------------------------
// Link layers

func macFor(a netip.Addr) [6]byte {
	h := fnv.New32a()
	h.Write(a.AsSlice())
	s := h.Sum32()
	return [6]byte{0x02, 0x00, byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)}
}

func etherTypeOf(ip []byte) uint16 {
	if ip[0]>>4 == 6 {
		return 0x86dd
	}
	return 0x0800
}

// ethHeader returns dst MAC, src MAC for an IP packet.
func ethAddrs(ip []byte) (dst, src [6]byte) {
	s, d := ipAddrs(ip)
	return macFor(d), macFor(s)
}

func ethernet(dst, src [6]byte, etype uint16, payload []byte) []byte {
	b := make([]byte, 14, 14+len(payload))
	copy(b[0:6], dst[:])
	copy(b[6:12], src[:])
	binary.BigEndian.PutUint16(b[12:], etype)
	return append(b, payload...)
}

func be16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }
func be32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Framing functions turn an IP packet into a link-layer frame.
type framer func(ip []byte) []byte

func frameEthernet(ip []byte) []byte {
	d, s := ethAddrs(ip)
	return ethernet(d, s, etherTypeOf(ip), ip)
}

func frameRaw(ip []byte) []byte { return ip }

// frameNull: BSD loopback, 4-byte address family in little-endian host order
// (2 = AF_INET, 30 = AF_INET6 as on macOS).
func frameNull(ip []byte) []byte {
	af := uint32(2)
	if ip[0]>>4 == 6 {
		af = 30
	}
	return cat([]byte{byte(af), byte(af >> 8), byte(af >> 16), byte(af >> 24)}, ip)
}

// frameSLL: Linux cooked capture v1 (16 bytes).
func frameSLL(ip []byte) []byte {
	_, src := ethAddrs(ip)
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[0:], 0) // packet type: to us
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], 6) // address length
	copy(h[6:12], src[:])
	binary.BigEndian.PutUint16(h[14:], etherTypeOf(ip))
	return cat(h, ip)
}

// frameSLL2: Linux cooked capture v2 (20 bytes).
func frameSLL2(ip []byte) []byte {
	_, src := ethAddrs(ip)
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], etherTypeOf(ip))
	binary.BigEndian.PutUint32(h[4:], 2) // interface index
	binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
	h[10] = 0                            // packet type: to us
	h[11] = 6
	copy(h[12:18], src[:])
	return cat(h, ip)
}

// framePPP: LINKTYPE_PPP with HDLC-like address/control bytes.
func framePPP(ip []byte) []byte {
	proto := uint16(0x0021)
	if ip[0]>>4 == 6 {
		proto = 0x0057
	}
	return cat([]byte{0xff, 0x03}, be16(proto), ip)
}

// frameRadiotap: radiotap header (flags, rate, channel, antenna signal)
// followed by an 802.11 data frame with LLC/SNAP. Frames from the station
// (192.168.x / 10.x / 2001:db8:1:: side) go To-DS, others From-DS.
func frameRadiotap(ip []byte) []byte {
	rt := []byte{
		0x00, 0x00, // version, pad
		0x0f, 0x00, // length 15
		0x2e, 0x00, 0x00, 0x00, // present: flags, rate, channel, dbm_antsignal
		0x00,       // flags (no FCS)
		0x6c,       // rate 54 Mb/s
		0x85, 0x09, // channel 2437 MHz
		0xc0, 0x00, // channel flags: OFDM, 2 GHz
		0xc4, // -60 dBm
	}
	s, d := ipAddrs(ip)
	bssid := [6]byte{0x02, 0x00, 0x00, 0xaa, 0xbb, 0x01}
	ms, md := macFor(s), macFor(d)
	hdr := make([]byte, 24)
	hdr[0] = 0x08 // data frame
	var a1, a2, a3 [6]byte
	if isStation(s) {
		hdr[1] = 0x01 // To DS
		a1, a2, a3 = bssid, ms, md
	} else {
		hdr[1] = 0x02 // From DS
		a1, a2, a3 = md, bssid, ms
	}
	binary.LittleEndian.PutUint16(hdr[2:], 44) // duration
	copy(hdr[4:], a1[:])
	copy(hdr[10:], a2[:])
	copy(hdr[16:], a3[:])
	llc := []byte{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00}
	return cat(rt, hdr, llc, be16(etherTypeOf(ip)), ip)
}

func isStation(a netip.Addr) bool {
	if a == netip.MustParseAddr("192.168.1.1") { // the access point / resolver
		return false
	}
	return netip.MustParsePrefix("192.168.0.0/16").Contains(a) ||
		netip.MustParsePrefix("10.0.0.0/8").Contains(a) ||
		netip.MustParsePrefix("2001:db8:1::/48").Contains(a)
}

func frameVLAN(ip []byte) []byte {
	d, s := ethAddrs(ip)
	return ethernet(d, s, 0x8100, cat(be16(100), be16(etherTypeOf(ip)), ip))
}

func frameQinQ(ip []byte) []byte {
	d, s := ethAddrs(ip)
	return ethernet(d, s, 0x88a8, cat(be16(200), be16(0x8100), be16(100), be16(etherTypeOf(ip)), ip))
}

// frameMPLS: two-label stack (outer 1000, inner 2000 with bottom-of-stack).
func frameMPLS(ip []byte) []byte {
	d, s := ethAddrs(ip)
	l1 := uint32(1000)<<12 | 0<<9 | 0<<8 | 64
	l2 := uint32(2000)<<12 | 0<<9 | 1<<8 | 64
	return ethernet(d, s, 0x8847, cat(be32(l1), be32(l2), ip))
}

// framePPPoE: PPPoE session stage (code 0, session 0x1234) carrying PPP.
func framePPPoE(ip []byte) []byte {
	d, s := ethAddrs(ip)
	proto := uint16(0x0021)
	if ip[0]>>4 == 6 {
		proto = 0x0057
	}
	ppp := cat(be16(proto), ip)
	h := cat([]byte{0x11, 0x00}, be16(0x1234), be16(uint16(len(ppp))))
	return ethernet(d, s, 0x8864, cat(h, ppp))
}

// framePBB: 802.1ah: B-DA, B-SA, S-tag (0x88a8, B-VID 300), I-TAG (0x88e7,
// I-SID 0x010203), then the customer frame C-DA, C-SA, ethertype.
func framePBB(ip []byte) []byte {
	cd, cs := ethAddrs(ip)
	bda := [6]byte{0x02, 0x00, 0x00, 0x00, 0xbb, 0x01}
	bsa := [6]byte{0x02, 0x00, 0x00, 0x00, 0xbb, 0x02}
	itag := []byte{0x00, 0x01, 0x02, 0x03}
	inner := cat(cd[:], cs[:], be16(etherTypeOf(ip)), ip)
	return ethernet(bda, bsa, 0x88a8, cat(be16(300), be16(0x88e7), itag, inner))
}

// frameVNTag: Cisco VN-Tag (ethertype 0x8926, 4-byte tag) followed by an
// 802.1Q tag (VLAN 100), as on a Nexus fabric-extender link. Zeek's VN-Tag
// analyzer only dispatches to VLAN ethertypes
// (scripts/base/packet-protocols/vntag/main.zeek), so the 802.1Q tag is
// required for Zeek to reach IP.
func frameVNTag(ip []byte) []byte {
	d, s := ethAddrs(ip)
	tag := []byte{0x80, 0x05, 0x00, 0x07} // d=1, dst vif 5, src vif 7
	return ethernet(d, s, 0x8926, cat(tag, be16(0x8100), be16(100), be16(etherTypeOf(ip)), ip))
}
