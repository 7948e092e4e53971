package main

// Fragments, an IP protocol Zeek has no analyzer for, and broken inputs.

import (
	"encoding/binary"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

func fragFile() *File {
	f := newFile("fragments.pcap", "IP fragmentation", linkEth, frameEthernet)
	f.desc("Zeek reassembles fragments before transport analysis (Frag.cc) and analyzes the datagram once, when the last missing fragment arrives: the connection starts at that packet's time, the datagram counts as one packet, and *_ip_bytes gets the reassembled length (for IPv6 without the Fragment header: 40 + payload).")
	f.desc("Rows 1-2: a 1400-byte UDP payload in three IPv4 fragments (512+512+384 data bytes), in order and then out of order (last, first, middle). Row 3: the same over IPv6 with Fragment headers. Row 4: an ICMP echo request and reply of 1472 payload bytes, each in three IPv4 fragments.")
	a, b := mkep("192.168.1.60", 50750), mkep("198.51.100.60", 9999)

	emit := func(frags [][]byte, order []int, t0 float64, tag Tag) {
		for i, k := range order {
			var tags []Tag
			if i == len(order)-1 {
				tags = []Tag{tag}
			}
			f.add(ms(t0+float64(i)), frags[k], tags...)
		}
	}
	udpTag := func(c *Conn, full []byte, payload int, orig bool) Tag {
		c.ipProto = 17
		return Tag{c: c, orig: orig, ipLen: ipTotalLen(full), payload: int64(payload), counts: true, updatesLast: true}
	}

	c1 := f.conn("udp", a, b, "SF", "Dd")
	full := buildUDP(f.hdr(a.ip, b.ip), a.port, b.port, filler("FRAG-A ", 1400))
	emit(fragmentIPv4(full, 512, 512, 0), []int{0, 1, 2}, 0, udpTag(c1, full, 1400, true))
	f.udp(c1, ms(20), b, a, resp(20), false)

	a2 := mkep("192.168.1.60", 50751)
	c2 := f.conn("udp", a2, b, "SF", "Dd")
	c2.Note = "ts is the time of the third fragment to arrive (the middle one), not the first"
	full = buildUDP(f.hdr(a2.ip, b.ip), a2.port, b.port, filler("FRAG-B ", 1400))
	emit(fragmentIPv4(full, 512, 512, 0), []int{2, 0, 1}, 1000, udpTag(c2, full, 1400, true))
	f.udp(c2, ms(1020), b, a2, resp(20), false)

	a6, b6 := mkep("2001:db8:1::60", 50752), mkep("2001:db8:80::60", 9999)
	c3 := f.conn("udp", a6, b6, "SF", "Dd")
	full = buildUDP(f.hdr(a6.ip, b6.ip), a6.port, b6.port, filler("FRAG-C ", 1400))
	emit(fragmentIPv6(full, 0x0badcafe, 512, 512, 0), []int{0, 1, 2}, 2000, udpTag(c3, full, 1400, true))
	f.udp(c3, ms(2020), b6, a6, resp(20), false)

	pa, pb := mkep("192.168.1.60", 8), mkep("198.51.100.61", 0)
	c4 := f.conn("icmp", pa, pb, "OTH", "-")
	c4.ipProto = 1
	c4.Note = "ICMP echo: orig_p is the type (8), resp_p the counterpart type (0); *_bytes count the ICMP payload after the 8-byte header"
	reqPkt := buildICMP4(f.hdr(pa.ip, pb.ip), 8, 0, 0x4242, 1, filler("PING ", 1472))
	emit(fragmentIPv4(reqPkt, 512, 512, 0), []int{0, 1, 2}, 3000, icmpTag(c4, reqPkt, true))
	repPkt := buildICMP4(f.hdr(pb.ip, pa.ip), 0, 0, 0x4242, 1, filler("PING ", 1472))
	emit(fragmentIPv4(repPkt, 512, 512, 0), []int{0, 1, 2}, 3010, icmpTag(c4, repPkt, false))
	return f
}

func otherProtoFile() *File {
	f := newFile("other-proto.pcap", "IP protocols without a Zeek transport analyzer", linkEth, frameEthernet)
	f.desc("SCTP (132) association setup between 192.0.2.90 and 198.51.100.90 (INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK), and two OSPFv2 Hellos (89) to 224.0.0.5 ten seconds apart.")
	f.desc("Zeek logs these as proto unknown_transport with ports 0/0, keyed by (src, dst, IP protocol), conn_state OTH (conn_state() falls through to OTH for non-TCP/UDP), empty history, and byte counts 0 (no payload accounting); baselines core.pbb and core.vntag show the same shape.")
	a, b := mkep("192.0.2.90", 0), mkep("198.51.100.90", 0)
	c := f.conn("unknown_transport", a, b, "OTH", "-")
	c.ipProto = 132
	c.Note = "SCTP ports (36412) are not part of the key"
	sctp := func(t float64, src, dst ep, vtag uint32, chunk gopacket.SerializableLayer, orig bool) {
		h := f.hdr(src.ip, dst.ip)
		h.proto = layers.IPProtocolSCTP
		h.df = true
		ip := serialize(h.layer().(gopacket.SerializableLayer), &layers.SCTP{SrcPort: 36412, DstPort: 36412, VerificationTag: vtag}, chunk)
		f.add(ms(t), ip, Tag{c: c, orig: orig, ipLen: ipTotalLen(ip), counts: true, updatesLast: true})
	}
	initc := &layers.SCTPInit{SCTPChunk: layers.SCTPChunk{Type: layers.SCTPChunkTypeInit},
		InitiateTag: 0x11223344, AdvertisedReceiverWindowCredit: 106496, OutboundStreams: 2, InboundStreams: 2, InitialTSN: 1000}
	sctp(0, a, b, 0, initc, true)
	ack := &layers.SCTPInit{SCTPChunk: layers.SCTPChunk{Type: layers.SCTPChunkTypeInitAck},
		InitiateTag: 0x55667788, AdvertisedReceiverWindowCredit: 106496, OutboundStreams: 2, InboundStreams: 2, InitialTSN: 5000,
		Parameters: []layers.SCTPInitParameter{{Type: 7, Length: 4 + 24, Value: pseudo(7, 24)}}}
	sctp(2, b, a, 0x11223344, ack, false)
	sctp(4, a, b, 0x55667788, &layers.SCTPCookieEcho{SCTPChunk: layers.SCTPChunk{Type: layers.SCTPChunkTypeCookieEcho}, Cookie: pseudo(7, 24)}, true)
	sctp(6, b, a, 0x11223344, &layers.SCTPEmptyLayer{SCTPChunk: layers.SCTPChunk{Type: layers.SCTPChunkTypeCookieAck}}, false)

	r, m := mkep("10.0.0.1", 0), mkep("224.0.0.5", 0)
	c2 := f.conn("unknown_transport", r, m, "OTH", "-")
	c2.ipProto = 89
	for i := 0; i < 2; i++ {
		h := f.hdr(r.ip, m.ip)
		h.proto = 89
		h.ttl = 1
		h.tc = 0xc0
		ip := buildIP(h, ospfHello())
		f.add(ms(1000+float64(i)*10000), ip, Tag{c: c2, orig: true, ipLen: ipTotalLen(ip), counts: true, updatesLast: true})
	}
	return f
}

// ospfHello returns an OSPFv2 Hello from router 10.0.0.1 in area 0.
func ospfHello() []byte {
	hello := cat([]byte{255, 255, 255, 0}, be16(10), []byte{0x02, 1}, be32(40), []byte{0, 0, 0, 0}, []byte{0, 0, 0, 0})
	pkt := cat([]byte{2, 1}, be16(uint16(24+len(hello))), []byte{10, 0, 0, 1}, []byte{0, 0, 0, 0},
		be16(0), be16(0), make([]byte, 8), hello)
	// Checksum over the whole packet excluding the 8-byte authentication field.
	var sum uint32
	for i := 0; i < len(pkt); i += 2 {
		if i >= 16 && i < 24 {
			continue
		}
		sum += uint32(binary.BigEndian.Uint16(pkt[i:]))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(pkt[12:], ^uint16(sum))
	return pkt
}

// badFiles returns broken inputs as raw bytes, keyed by relative path.
// They are derived from link-eth.pcap's content.
func badFiles(good []byte) []rawFile {
	// Offset of the 5th record's data: 24-byte header, then records.
	off := 24
	for i := 0; i < 4; i++ {
		off += 16 + int(binary.LittleEndian.Uint32(good[off+8:]))
	}
	cut := off + 16 + 20 // inside the 5th packet's data
	return []rawFile{
		{"bad/truncated.pcap", append([]byte(nil), good[:cut]...)},
		{"bad/trailing-garbage.pcap", cat(good, []byte("GARBAGE-GARBAGE-GARBAGE\n"))},
		{"bad/not-a-capture.txt", []byte("This is not a packet capture.\nflowlog should reject it with a clear error.\n")},
		{"bad/empty.pcap", []byte{}},
	}
}

type rawFile struct {
	path string
	data []byte
}
