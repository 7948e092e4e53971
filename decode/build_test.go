package decode

import (
	"encoding/binary"
	"net"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Frame builders for the unit tests. IP and transport headers (and their
// checksums) are serialized with gopacket, so the decoder's checksum code is
// checked against an independent implementation; encapsulations are built
// by hand.

var (
	ipA  = net.IP{10, 0, 0, 1}
	ipB  = net.IP{10, 0, 0, 2}
	ip6A = net.ParseIP("2001:db8::1")
	ip6B = net.ParseIP("2001:db8::2")
	macA = net.HardwareAddr{0, 1, 2, 3, 4, 5}
	macB = net.HardwareAddr{0, 1, 2, 3, 4, 6}
)

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		panic(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func v4(src, dst net.IP, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 1, Protocol: proto, SrcIP: src, DstIP: dst}
}

func v6(src, dst net.IP, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: src, DstIP: dst}
}

// tcp4 returns an IPv4 TCP datagram.
func tcp4(src, dst net.IP, sp, dp uint16, payload []byte) []byte {
	ip := v4(src, dst, layers.IPProtocolTCP)
	t := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: 1000, Ack: 2000, SYN: true, ACK: true, Window: 512}
	t.SetNetworkLayerForChecksum(ip)
	return serialize(ip, t, gopacket.Payload(payload))
}

func udp4(src, dst net.IP, sp, dp uint16, payload []byte) []byte {
	ip := v4(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
	u.SetNetworkLayerForChecksum(ip)
	return serialize(ip, u, gopacket.Payload(payload))
}

func udp6(src, dst net.IP, sp, dp uint16, payload []byte) []byte {
	ip := v6(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
	u.SetNetworkLayerForChecksum(ip)
	return serialize(ip, u, gopacket.Payload(payload))
}

func tcp6(src, dst net.IP, sp, dp uint16, payload []byte) []byte {
	ip := v6(src, dst, layers.IPProtocolTCP)
	t := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: 1, ACK: true, Window: 100}
	t.SetNetworkLayerForChecksum(ip)
	return serialize(ip, t, gopacket.Payload(payload))
}

func icmp4(src, dst net.IP, typ, code uint8) []byte {
	return serialize(v4(src, dst, layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: 7, Seq: 1}, gopacket.Payload("ping"))
}

func icmp6(src, dst net.IP, typ, code uint8) []byte {
	ip := v6(src, dst, layers.IPProtocolICMPv6)
	ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, code)}
	ic.SetNetworkLayerForChecksum(ip)
	return serialize(ip, ic, gopacket.Payload([]byte{0, 7, 0, 1, 'p', 'i', 'n', 'g'}))
}

// rawIP4 builds an IPv4 datagram of any protocol around payload.
func rawIP4(src, dst net.IP, proto uint8, payload []byte) []byte {
	return serialize(v4(src, dst, layers.IPProtocol(proto)), gopacket.Payload(payload))
}

func rawIP6(src, dst net.IP, next uint8, payload []byte) []byte {
	return serialize(v6(src, dst, layers.IPProtocol(next)), gopacket.Payload(payload))
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// eth builds an Ethernet II header with the given Ethertype.
func eth(et uint16, payload []byte) []byte {
	return cat(macB, macA, u16(et), payload)
}

func vlanTag(id, et uint16) []byte { return cat(u16(id), u16(et)) }

func ethIP(ip []byte) []byte {
	et := uint16(0x0800)
	if ip[0]>>4 == 6 {
		et = 0x86DD
	}
	return eth(et, ip)
}

// vxlanHdr is the 8-byte VXLAN header with the I flag.
func vxlanHdr(vni uint32) []byte { return cat([]byte{0x08, 0, 0, 0}, u32(vni<<8)) }

// fixIPv4Checksum recomputes an IPv4 header checksum after hand edits.
func fixIPv4Checksum(b []byte) {
	ihl := int(b[0]&0xf) * 4
	b[10], b[11] = 0, 0
	s := ^fold(sum16(0, b[:ihl]))
	b[10], b[11] = byte(s>>8), byte(s)
}

// fragment4 splits an IPv4 datagram into fragments of at most size payload
// bytes (a multiple of 8), returning them in order.
func fragment4(dg []byte, size int) [][]byte {
	ihl := int(dg[0]&0xf) * 4
	payload := dg[ihl:]
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		f := cat(dg[:ihl], payload[off:end])
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		ff := uint16(off / 8)
		if end < len(payload) {
			ff |= 0x2000
		}
		binary.BigEndian.PutUint16(f[6:], ff)
		fixIPv4Checksum(f)
		out = append(out, f)
	}
	return out
}

// fragment6 splits an IPv6 datagram (plain 40-byte header) into fragments
// with a fragment header.
func fragment6(dg []byte, size int, id uint32) [][]byte {
	next := dg[6]
	payload := dg[40:]
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		hdr := append([]byte(nil), dg[:40]...)
		hdr[6] = protoFragment
		ol := uint16(off)
		if end < len(payload) {
			ol |= 1
		}
		fh := cat([]byte{next, 0}, u16(ol), u32(id))
		f := cat(hdr, fh, payload[off:end])
		binary.BigEndian.PutUint16(f[4:], uint16(len(f)-40))
		out = append(out, f)
	}
	return out
}
