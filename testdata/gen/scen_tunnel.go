package main

// Tunnels. Each capture carries one inner TCP connection (handshake, one
// HTTP exchange, FIN close) inside the named encapsulation. UDP-based
// tunnels also produce an outer UDP connection in conn.log; IP-based ones
// (IP-in-IP, 6in4, GRE, ERSPAN, PPTP) do not: their tunnel_parents uid
// names a tunnel that has no conn.log row.

import (
	"github.com/google/gopacket/layers"
)

// innerHTTP scripts the inner TCP connection.
func innerHTTP(f *File, inner6 bool, parent string, wrap func([]byte, bool, int64) ([]byte, []Tag)) {
	a, b := mkep("10.10.0.10", 51000), mkep("10.20.0.20", 80)
	if inner6 {
		a, b = mkep("2001:db8:1::10", 51000), mkep("2001:db8:80::80", 80)
	}
	c := f.conn("tcp", a, b, "SF", "ShADadFf")
	c.Parent = parent
	s := f.tcp(c, a, b, 0x31000001, 0xa1000001, 0)
	s.wrap = wrap
	s.handshake()
	s.send(20, true, PSH|ACK, httpGET("inner.example.com", "/"))
	s.send(15, false, ACK, nil)
	s.send(5, false, PSH|ACK, httpResponse(200))
	s.send(15, true, ACK, nil)
	s.closeAB()
	s.done()
}

// udpWrap wraps inner packets in UDP between oa and ob with a per-tunnel
// header; packets from the inner client travel oa->ob.
func udpWrap(f *File, outer *Conn, oa, ob ep, hdr func(inner []byte, fromA bool) []byte) func([]byte, bool, int64) ([]byte, []Tag) {
	outer.ipProto = 17
	return func(inner []byte, fromA bool, t int64) ([]byte, []Tag) {
		src, dst := oa, ob
		if !fromA {
			src, dst = ob, oa
		}
		payload := hdr(inner, fromA)
		ip := buildUDP(f.hdr(src.ip, dst.ip), src.port, dst.port, payload)
		return ip, []Tag{{c: outer, orig: fromA, ipLen: ipTotalLen(ip), payload: int64(len(payload)), counts: true, updatesLast: true}}
	}
}

// ipWrap wraps inner packets in an outer IP header with the given protocol
// and per-packet prefix.
func ipWrap(f *File, oa, ob string, proto layers.IPProtocol, hdr func(inner []byte, fromA bool) []byte) func([]byte, bool, int64) ([]byte, []Tag) {
	return func(inner []byte, fromA bool, t int64) ([]byte, []Tag) {
		s, d := mkep(oa, 0), mkep(ob, 0)
		if !fromA {
			s, d = d, s
		}
		h := f.hdr(s.ip, d.ip)
		h.proto = proto
		return buildIP(h, hdr(inner, fromA)), nil
	}
}

func ethOf(inner []byte) []byte { return frameEthernet(inner) }

func tunnelFiles() []*File {
	var out []*File
	const ipParent = "IP tunnel uid (not a conn.log row)"

	add := func(name, title string, build func(f *File)) {
		f := newFile(name, title, linkEth, frameEthernet)
		build(f)
		out = append(out, f)
	}

	add("tunnel-ipip.pcap", "IP-in-IP (IPv4 protocol 4)", func(f *File) {
		f.desc("Outer 203.0.113.10 <-> 203.0.113.11, protocol 4, inner IPv4 TCP. Tunnel::enable_ip is T by default.")
		innerHTTP(f, false, ipParent, ipWrap(f, "203.0.113.10", "203.0.113.11", layers.IPProtocolIPv4,
			func(in []byte, _ bool) []byte { return in }))
	})
	add("tunnel-6in4.pcap", "IPv6-in-IPv4 (IPv4 protocol 41)", func(f *File) {
		f.desc("Outer 203.0.113.12 <-> 203.0.113.13, protocol 41, inner IPv6 TCP.")
		innerHTTP(f, true, ipParent, ipWrap(f, "203.0.113.12", "203.0.113.13", layers.IPProtocolIPv6,
			func(in []byte, _ bool) []byte { return in }))
	})
	add("tunnel-gre.pcap", "GRE (RFC 2784, protocol type 0x0800)", func(f *File) {
		f.desc("Outer 203.0.113.14 <-> 203.0.113.15, plain 4-byte GRE header, inner IPv4 TCP.")
		innerHTTP(f, false, ipParent, ipWrap(f, "203.0.113.14", "203.0.113.15", layers.IPProtocolGRE,
			func(in []byte, _ bool) []byte { return cat(be16(0), be16(0x0800), in) }))
	})
	add("tunnel-erspan2.pcap", "GRE + ERSPAN type II (0x88be, sequence bit)", func(f *File) {
		f.desc("A mirror session: every outer packet goes 203.0.113.16 -> 203.0.113.17 (both directions of the inner connection are mirrored); GRE with S bit + sequence, 8-byte ERSPAN II header, then the mirrored Ethernet frame.")
		var seq uint32
		innerHTTP(f, false, ipParent, func(in []byte, _ bool, t int64) ([]byte, []Tag) {
			seq++
			er := []byte{0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05} // ver 1, vlan 0, session 1, index 5
			payload := cat(be16(0x1000), be16(0x88be), be32(seq), er, ethOf(in))
			h := f.hdr(mkep("203.0.113.16", 0).ip, mkep("203.0.113.17", 0).ip)
			h.proto = layers.IPProtocolGRE
			return buildIP(h, payload), nil
		})
	})
	add("tunnel-pptp.pcap", "PPTP enhanced GRE (version 1, 0x880b) carrying PPP", func(f *File) {
		f.desc("Outer 203.0.113.18 <-> 203.0.113.19, GRE version 1 with key (payload length + call ID) and sequence number, then PPP ff 03 00 21 and the inner IPv4 packet. Only the GRE data channel is included (no TCP 1723 control connection).")
		var seq [2]uint32
		innerHTTP(f, false, ipParent, ipWrap(f, "203.0.113.18", "203.0.113.19", layers.IPProtocolGRE,
			func(in []byte, fromA bool) []byte {
				d, call := 0, uint16(0x4001)
				if !fromA {
					d, call = 1, 0x8002
				}
				seq[d]++
				ppp := cat([]byte{0xff, 0x03, 0x00, 0x21}, in)
				return cat(be16(0x3001), be16(0x880b), be16(uint16(len(ppp))), be16(call), be32(seq[d]), ppp)
			}))
	})

	udpTunnel := func(name, title, desc, svc string, oa, ob ep, inner6 bool, hdr func(in []byte, fromA bool) []byte) {
		add(name, title, func(f *File) {
			f.desc("%s", desc)
			outer := f.conn("udp", oa, ob, "SF", "Dd")
			outer.Note = "outer tunnel connection (service " + svc + "); both directions use the same outer 5-tuple, so the inner connection's encapsulation never changes"
			innerHTTP(f, inner6, "uid of row 1 (the outer UDP connection)", udpWrap(f, outer, oa, ob, hdr))
		})
	}
	udpTunnel("tunnel-vxlan.pcap", "VXLAN (UDP 4789)",
		"Outer 203.0.113.20:4789 <-> 203.0.113.21:4789, VXLAN header (I flag, VNI 4242), inner Ethernet + IPv4 TCP. Checksums are computed (non-zero).",
		"vxlan", mkep("203.0.113.20", 4789), mkep("203.0.113.21", 4789), false,
		func(in []byte, _ bool) []byte { return cat([]byte{0x08, 0, 0, 0, 0x00, 0x10, 0x92, 0x00}, ethOf(in)) })
	udpTunnel("tunnel-geneve.pcap", "Geneve (UDP 6081)",
		"Outer 203.0.113.22:6081 <-> 203.0.113.23:6081, Geneve header without options, protocol 0x6558 (Ethernet), VNI 4242, inner Ethernet + IPv4 TCP.",
		"geneve", mkep("203.0.113.22", 6081), mkep("203.0.113.23", 6081), false,
		func(in []byte, _ bool) []byte {
			return cat([]byte{0x00, 0x00, 0x65, 0x58, 0x00, 0x10, 0x92, 0x00}, ethOf(in))
		})
	udpTunnel("tunnel-teredo.pcap", "Teredo (UDP 3544)",
		"Client 192.0.2.100:50300 <-> relay 203.0.113.24:3544, bare IPv6 inside UDP (no authentication or origin indication), inner IPv6 TCP. The inner addresses are 2001:db8:: documentation addresses rather than real 2001::/32 Teredo addresses; Zeek decapsulates on port 3544 regardless.",
		"teredo", mkep("192.0.2.100", 50300), mkep("203.0.113.24", 3544), true,
		func(in []byte, _ bool) []byte { return in })
	udpTunnel("tunnel-ayiya.pcap", "AYIYA (UDP 5072)",
		"Client 192.0.2.101:50400 <-> PoP 203.0.113.25:5072; AYIYA header: 16-byte IPv6 identity, 20-byte SHA1 signature (zeros), opcode 1 (forward), next header 41; inner IPv6 TCP.",
		"ayiya", mkep("192.0.2.101", 50400), mkep("203.0.113.25", 5072), true,
		func(in []byte, fromA bool) []byte {
			id := mkep("2001:db8:1::10", 0).ip.AsSlice()
			if !fromA {
				id = mkep("2001:db8:80::80", 0).ip.AsSlice()
			}
			h := cat([]byte{0x41, 0x52, 0x11, 41}, be32(1700000000), id, make([]byte, 20))
			return cat(h, in)
		})
	udpTunnel("tunnel-gtpu.pcap", "GTP-U (UDP 2152)",
		"Outer 203.0.113.26:2152 <-> 203.0.113.27:2152, GTPv1-U G-PDU (flags 0x30, type 0xff, TEID per direction), inner IPv4 TCP.",
		"gtpv1", mkep("203.0.113.26", 2152), mkep("203.0.113.27", 2152), false,
		func(in []byte, fromA bool) []byte {
			teid := uint32(0x0000abcd)
			if !fromA {
				teid = 0x0000dcba
			}
			return cat([]byte{0x30, 0xff}, be16(uint16(len(in))), be32(teid), in)
		})
	return out
}
