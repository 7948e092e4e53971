package decode

// IP and transport analysis after Zeek's
// src/packet_analysis/protocol/ip/IP.cc (IPAnalyzer::AnalyzePacket),
// src/IP.cc / IP.h (IPv6 header chain), IPBasedAnalyzer.cc (CheckHeaderTrunc)
// and the TCP, UDP and ICMP analyzers.

// ip analyzes one IP datagram. reassembled is true when f.data was rebuilt
// from fragments (its header is then not validated again, as in Zeek).
func (d *Decoder) ip(f frame, reassembled bool) {
	if d.p.N >= MaxLayers {
		d.anomaly(AnomalyTunnelDepth)
		return
	}
	b := f.data
	// IP.cc checks for an IPv4-sized header before looking at the version.
	if len(b) < 20 {
		d.anomaly(AnomalyTruncatedIP)
		return
	}
	switch b[0] >> 4 {
	case 4:
		d.ipv4(f, reassembled)
	case 6:
		d.ipv6(f, reassembled)
	default:
		d.anomaly(AnomalyBadIPVersion)
	}
}

// newLayer appends a layer and fills what every IP layer has.
func (d *Decoder) newLayer() *Layer {
	p := d.p
	L := &p.Layers[p.N]
	p.N++
	L.Tunnel = d.nextTun
	L.VLAN, L.InnerVLAN = d.pend.vlan, d.pend.innerVLAN
	L.SrcMAC, L.DstMAC, L.HasMAC = d.pend.src, d.pend.dst, d.pend.hasMAC
	return L
}

func (d *Decoder) ipv4(f frame, reassembled bool) {
	b := f.data
	ihl := int(b[0]&0x0f) * 4
	total := int(be16(b[2:]))
	tso := total == 0
	if tso {
		// TSO zeroes ip_len: Zeek uses the captured length under -C and
		// drops the packet otherwise (ip_hdr_len_zero).
		if !d.opts.IgnoreChecksums {
			d.anomaly(AnomalyBadIPHeader)
			return
		}
		total = len(b)
	}
	// truncated_IP_len: the header claims more than the wire carried.
	if total > len(b)+f.short {
		d.anomaly(AnomalyTruncatedIP)
		return
	}
	if ihl > total {
		d.anomaly(AnomalyBadIPHeader) // invalid_IP_header_size
		return
	}
	if ihl > len(b) {
		d.anomaly(AnomalyTruncatedIP) // internally_truncated_header
		return
	}
	if ihl < 20 {
		d.anomaly(AnomalyBadIPHeader) // IPv4_min_header_size
		return
	}
	if !reassembled && !d.opts.IgnoreChecksums && !ipv4HeaderOK(b[:ihl]) {
		d.anomaly(AnomalyBadIPChecksum)
		return
	}
	src, dst := AddrFrom4(b[12:16]), AddrFrom4(b[16:20])
	if ff := be16(b[6:]); !reassembled && ff&0x3fff != 0 {
		off := int(ff&0x1fff) * 8
		more := ff&0x2000 != 0
		if len(b) < total {
			// incompletely_captured_fragment: only the first fragment is
			// analyzed, as is (useful for header-only traces).
			if off != 0 {
				d.anomaly(AnomalyTruncatedIP)
				return
			}
		} else {
			k := fragKey{src: src, dst: dst, id: uint32(be16(b[4:]))}
			res, dg := d.frag.add(d.gen, d.ts, k, b[:ihl], 0, b[9], off, more, b[ihl:total])
			d.fragResult(res, dg)
			return
		}
	}
	L := d.newLayer()
	L.Key.Src, L.Key.Dst = src, dst
	L.IPLen = uint32(total)
	if tso {
		// ConnSize counts ip->TotalLen(), the header's 0, while the
		// transport analyzers use the captured length
		// (the scripts.base.protocols.ldap.sasl-signed-clear baseline).
		L.IPLen = 0
	}
	L.HdrLen = uint32(ihl)
	L.TTL = b[8]
	L.Reassembled = reassembled
	d.transport(L, f.short, b[9], b[ihl:], total-ihl)
}

func (d *Decoder) fragResult(res fragResult, dg []byte) {
	switch res {
	case fragComplete:
		d.ip(frame{data: dg}, true)
	case fragHeldBad:
		d.anomaly(AnomalyFragmentOverlap)
	case fragDropped:
		d.anomaly(AnomalyFragmentOverlap)
	default:
		d.anomaly(AnomalyFragment)
	}
}

func isIPv6Ext(t uint8) bool {
	switch t {
	case protoHopOpts, protoRouting, protoFragment, protoDstOpts, protoAH, protoESP, protoMobility:
		return true
	}
	return false
}

func (d *Decoder) ipv6(f frame, reassembled bool) {
	b := f.data
	if len(b) < 40 {
		d.anomaly(AnomalyTruncatedIP)
		return
	}
	total := int(be16(b[4:])) + 40
	src, dst := AddrFrom16(b[8:24]), AddrFrom16(b[24:40])

	// Walk the extension header chain (IPv6_Hdr_Chain::Init). It stops
	// after a fragment header (only the first fragment has the rest), and
	// at ESP and Mobility, which are always last.
	next := b[6]
	off := 40
	nhPos := 6 // offset of the byte naming the header at off
	fragAt := -1
	routed := false
	for isIPv6Ext(next) {
		if next == protoESP || next == protoMobility {
			break
		}
		if off+2 > len(b) {
			d.anomaly(AnomalyTruncatedIP)
			return
		}
		var hl int
		switch next {
		case protoFragment:
			hl = 8
		case protoAH:
			hl = (int(b[off+1]) + 2) * 4
		default:
			hl = (int(b[off+1]) + 1) * 8
		}
		if off+hl > len(b) {
			d.anomaly(AnomalyTruncatedIP)
			return
		}
		if next == protoRouting && !routed {
			// Type 0 routing header with segments left: Zeek keys the
			// connection on the final destination.
			routed = true
			n := int(b[off+1]) / 2
			if b[off+2] == 0 && b[off+3] > 0 && n >= 1 {
				a := off + 8 + (n-1)*16
				dst = AddrFrom16(b[a : a+16])
			}
		}
		if next == protoFragment && !reassembled {
			fragAt = off
			next = b[off]
			off += hl
			break
		}
		nhPos = off
		next = b[off]
		off += hl
	}
	hdrLen := off
	if total > len(b)+f.short {
		d.anomaly(AnomalyTruncatedIP) // truncated_IP_len
		return
	}
	if hdrLen > total {
		d.anomaly(AnomalyBadIPHeader) // invalid_IP_header_size
		return
	}
	if fragAt >= 0 {
		fo := int(be16(b[fragAt+2:]) & 0xfff8)
		more := b[fragAt+3]&1 != 0
		if len(b) < total {
			if fo != 0 {
				d.anomaly(AnomalyTruncatedIP) // incompletely_captured_fragment
				return
			}
		} else {
			k := fragKey{src: src, dst: dst, id: be32(b[fragAt+4:]), v6: true}
			res, dg := d.frag.add(d.gen, d.ts, k, b[:fragAt], nhPos, b[fragAt], fo, more, b[hdrLen:total])
			d.fragResult(res, dg)
			return
		}
	}
	L := d.newLayer()
	L.IPv6 = true
	L.Key.Src, L.Key.Dst = src, dst
	L.IPLen = uint32(total)
	L.HdrLen = uint32(hdrLen)
	L.TTL = b[7]
	L.Reassembled = reassembled
	d.transport(L, f.short, next, b[hdrLen:], total-hdrLen)
}

// transport dispatches on the IP protocol (scripts/base/packet-protocols/ip).
// seg is every captured byte after the IP header (Zeek's "remaining", which
// can include Ethernet padding); plen the payload length from the IP header.
func (d *Decoder) transport(L *Layer, short int, proto uint8, seg []byte, plen int) {
	L.Key.Proto = proto
	switch proto {
	case ProtoTCP:
		d.tcp(L, seg, plen)
	case ProtoUDP:
		d.udp(L, short, seg, plen)
	case ProtoICMP, ProtoICMPv6:
		d.icmp(L, seg, plen)
	case protoIPIP, protoIPv6:
		// IPTunnel: the outer datagram is no connection. The inner packet
		// gets caplen = len = the captured remainder.
		if d.depthExceeded(L, false) {
			return
		}
		d.enterTunnel(TunnelIP)
		d.ip(frame{data: seg}, false)
	case protoGRE:
		d.gre(L, frame{data: seg})
	case protoESP, protoMobility, protoNoNext, protoIGMP:
		// IP.cc stops at ESP and Mobility headers, and at No Next Header
		// (quietly for Teredo bubbles); IGMP goes to Zeek's IGMP packet
		// analyzer. None of them makes a connection.
		if !(proto == protoNoNext && L.Tunnel == TunnelTeredo) {
			d.anomaly(AnomalyNoTransport)
		}
	default:
		// UnknownIPTransport: a connection with ports 0, logged with proto
		// unknown_transport.
		L.Session = true
	}
}

// headerTrunc is IPBasedAnalyzer::CheckHeaderTrunc: Zeek makes no
// connection (weird truncated_header / internally_truncated_header) when the
// IP payload length (if not 0) or the captured bytes are below min.
func (d *Decoder) headerTrunc(L *Layer, seg []byte, plen, min int) bool {
	if (plen != 0 && plen < min) || len(seg) < min {
		L.TransportTruncated = true
		d.anomaly(AnomalyTruncatedTransport)
		return true
	}
	return false
}

func (d *Decoder) tcp(L *Layer, seg []byte, plen int) {
	if d.headerTrunc(L, seg, plen, 20) {
		return
	}
	L.Session = true
	L.Key.SrcPort, L.Key.DstPort = be16(seg), be16(seg[2:])
	L.Seq, L.Ack = be32(seg[4:]), be32(seg[8:])
	L.DataOff = (seg[12] >> 4) * 4
	L.Flags = seg[13]
	L.Window = be16(seg[14:])
	hl := int(L.DataOff)
	// TCPAnalyzer::ExtractTCP_Header: the connection exists, but the
	// packet is dropped before any accounting.
	if hl < 20 {
		L.SkipPacket = true
		d.anomaly(AnomalyBadTransportHeader) // bad_TCP_header_len
		return
	}
	if hl > plen || hl > len(seg) {
		L.SkipPacket = true
		L.TransportTruncated = true
		d.anomaly(AnomalyTruncatedTransport) // truncated_header
		return
	}
	// TCPAnalyzer::ValidateChecksum: only when the whole segment was
	// captured ("caplen >= len").
	if !d.opts.IgnoreChecksums && len(seg) >= plen &&
		!transportOK(&L.Key.Src, &L.Key.Dst, L.IPv6, ProtoTCP, seg[:plen]) {
		L.BadChecksum = true
		d.anomaly(AnomalyBadChecksum)
	}
	L.PayloadLen = uint32(plen - hl)
	L.Payload = seg[hl:min(len(seg), plen)]
	L.PayloadTruncated = len(L.Payload) < plen-hl
}

func (d *Decoder) udp(L *Layer, short int, seg []byte, plen int) {
	if d.headerTrunc(L, seg, plen, 8) {
		return
	}
	L.Session = true
	L.Key.SrcPort, L.Key.DstPort = be16(seg), be16(seg[2:])
	L.UDPLen = be16(seg[4:])
	n := plen
	if n == 0 {
		n = len(seg) // segmentation offload: use what was captured
	}
	rem := len(seg)
	// UDPAnalyzer::DeliverPacket: validate only if the whole datagram and
	// the whole frame were captured.
	validate := !d.opts.IgnoreChecksums && rem >= n && short == 0
	chk := be16(seg[6:])
	if validate && n > 8+8+14 && seg[8]&0x08 != 0 && L.Key.DstPort == portVXLAN && chk == 0 {
		validate = false // VXLAN sends zero checksums (validate_vxlan_checksums=T otherwise)
	}
	if validate {
		var bad bool
		if L.IPv6 {
			bad = !transportOK(&L.Key.Src, &L.Key.Dst, true, ProtoUDP, seg[:n])
		} else {
			bad = chk != 0 && !transportOK(&L.Key.Src, &L.Key.Dst, false, ProtoUDP, seg[:n])
		}
		if bad {
			// HandleBadChecksum: history 'C', and no tunnel analysis.
			L.BadChecksum = true
			d.anomaly(AnomalyBadChecksum)
			return
		}
	}
	m := min(n, rem)
	L.PayloadLen = uint32(n - 8)
	L.Payload = seg[8:m]
	L.PayloadTruncated = m < n
	d.udpTunnel(L, frame{data: L.Payload, short: short})
}

func (d *Decoder) icmp(L *Layer, seg []byte, plen int) {
	if d.headerTrunc(L, seg, plen, 8) {
		return
	}
	L.Session = true
	L.Key.SrcPort, L.Key.DstPort = uint16(seg[0]), uint16(seg[1])
	n := plen
	if n == 0 {
		n = len(seg)
	}
	if !d.opts.IgnoreChecksums && len(seg) >= n {
		var ok bool
		if L.Key.Proto == ProtoICMP {
			ok = icmpOK(seg[:n])
		} else {
			ok = transportOK(&L.Key.Src, &L.Key.Dst, L.IPv6, ProtoICMPv6, seg[:n])
		}
		if !ok {
			L.BadChecksum = true
			d.anomaly(AnomalyBadChecksum)
		}
	}
	L.PayloadLen = uint32(n - 8)
	L.Payload = seg[8:min(n, len(seg))]
	L.PayloadTruncated = len(L.Payload) < n-8
}
