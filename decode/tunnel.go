package decode

// Tunnel decapsulation after Zeek's packet analyzers in
// src/packet_analysis/protocol/{vxlan,geneve,teredo,ayiya,gtpv1,gre,iptunnel}
// and the port registrations in scripts/base/packet-protocols/*/main.zeek.

// enterTunnel prepares for the inner packet of a tunnel: Zeek builds a new
// Packet, so link-layer facts start empty and are not copied to the outer
// Packet fields.
func (d *Decoder) enterTunnel(t Tunnel) {
	d.inner = true
	d.pend = l2info{}
	d.nextTun = t
}

// depthExceeded applies the "encap->Depth() >= Tunnel::max_depth" check the
// tunnel analyzers make. L is the layer carrying the tunnel; its index is
// the number of encapsulations already stacked. x says whether the analyzer
// adds history 'X' to L's connection.
func (d *Decoder) depthExceeded(L *Layer, x bool) bool {
	if d.p.N-1 < d.maxDepth {
		return false
	}
	L.DepthExceeded = true
	L.HistoryX = x && L.Session
	d.anomaly(AnomalyTunnelDepth)
	return true
}

func tunnelPort(p uint16) Tunnel {
	switch p {
	case portVXLAN:
		return TunnelVXLAN
	case portGeneve:
		return TunnelGeneve
	case portTeredo:
		return TunnelTeredo
	case portAYIYA:
		return TunnelAYIYA
	case portGTPU, portGTPC:
		return TunnelGTPv1
	case portGREoUDP:
		return TunnelGRE
	}
	return TunnelNone
}

// udpTunnel is the UDP analyzer's ForwardPacket: Zeek looks the payload's
// analyzer up by the connection's responder port, then tries protocol
// detection (AYIYA, Teredo). The decoder does not know which side is the
// responder; all registered tunnel ports are in likely_server_ports, so the
// responder port is the destination port if it is a tunnel port, else the
// source port if that is one.
func (d *Decoder) udpTunnel(L *Layer, f frame) {
	t := tunnelPort(L.Key.DstPort)
	if t == TunnelNone {
		t = tunnelPort(L.Key.SrcPort)
	}
	switch t {
	case TunnelVXLAN:
		d.vxlan(L, f)
	case TunnelGeneve:
		d.geneve(L, f)
	case TunnelTeredo:
		d.teredo(L, f)
	case TunnelAYIYA:
		d.ayiya(L, f)
	case TunnelGTPv1:
		d.gtpv1(L, f)
	case TunnelGRE:
		d.gre(L, f)
	default:
		switch {
		case ayiyaDetect(f.data):
			d.ayiya(L, f)
		case teredoDetect(f.data):
			d.teredo(L, f)
		}
	}
}

// vxlan follows VXLAN.cc.
func (d *Decoder) vxlan(L *Layer, f frame) {
	if d.depthExceeded(L, true) {
		return
	}
	b := f.data
	if len(b) < 8 || b[0]&0x08 == 0 || len(b) == 8 {
		d.anomaly(AnomalyBadTunnel)
		return
	}
	d.enterTunnel(TunnelVXLAN)
	d.ethernet(f.skip(8))
}

// geneve follows Geneve.cc and geneve/main.zeek's dispatch (0x6558
// Ethernet, 0x0800 and 0x86DD IP; some Zeek versions register the typo
// 0x08DD, which we accept too).
func (d *Decoder) geneve(L *Layer, f frame) {
	if d.depthExceeded(L, true) {
		return
	}
	b := f.data
	if len(b) < 8 || b[0]>>6 != 0 {
		d.anomaly(AnomalyBadTunnel)
		return
	}
	hl := 8 + int(b[0]&0x3f)*4
	if hl >= len(b) {
		d.anomaly(AnomalyBadTunnel) // option truncation, or empty payload
		return
	}
	next := be16(b[2:])
	inner := f.skip(hl)
	switch next {
	case 0x6558:
		d.enterTunnel(TunnelGeneve)
		d.ethernet(inner)
	case 0x0800, 0x86DD, 0x08DD:
		d.enterTunnel(TunnelGeneve)
		d.ip(inner, false)
	case 0x0806:
		d.anomaly(AnomalyNonIP)
	default:
		d.anomaly(AnomalyBadTunnel)
	}
}

// teredoDetect is TeredoAnalyzer::DetectProtocol.
func teredoDetect(b []byte) bool {
	n := len(b)
	if n < 40 || (n > 8 && b[0]>>4 != 6 && (b[0] != 0 || (b[1] != 0 && b[1] != 1))) {
		return false
	}
	// The old DPD signature: an IPv6 header whose source or destination
	// is in 2001:0::/32.
	if b[0] >= 0x60 && b[0] <= 0x6f &&
		((b[8] == 0x20 && b[9] == 0x01 && b[10] == 0 && b[11] == 0) ||
			(b[24] == 0x20 && b[25] == 0x01 && b[26] == 0 && b[27] == 0)) {
		return true
	}
	val := uint16(b[1])
	if val == 1 {
		idl, aul := int(b[2]), int(b[3])
		if n < 13+idl+aul {
			return false
		}
		b = b[13+idl+aul:]
		n = len(b)
		if n < 40 {
			return false
		}
		val = be16(b)
	}
	if val == 0 {
		if n < 8 {
			return false
		}
		b = b[8:]
		if len(b) < 40 {
			return false
		}
		return b[0]>>4 == 6
	}
	return false
}

// teredo follows TeredoAnalyzer::AnalyzePacket and TeredoEncapsulation.
func (d *Decoder) teredo(L *Layer, f frame) {
	if d.depthExceeded(L, true) {
		return
	}
	b := f.data
	origin, auth := false, false
	for {
		if len(b) < 2 {
			d.anomaly(AnomalyBadTunnel)
			return
		}
		tag := be16(b)
		if tag == 0 {
			if origin || len(b) < 8 {
				d.anomaly(AnomalyBadTunnel)
				return
			}
			origin = true
			b = b[8:]
			continue
		}
		if tag == 1 {
			if origin || auth || len(b) < 4 {
				d.anomaly(AnomalyBadTunnel)
				return
			}
			tot := 4 + int(b[2]) + int(b[3]) + 8 + 1
			if len(b) < tot {
				d.anomaly(AnomalyBadTunnel)
				return
			}
			auth = true
			b = b[tot:]
			continue
		}
		if tag>>12 == 6 && len(b) >= 40 {
			break
		}
		d.anomaly(AnomalyBadTunnel)
		return
	}
	// IP::ParsePacket(IPPROTO_IPV6): the IPv6 length must match the
	// payload exactly, except for bubbles (No Next Header, length 0).
	plen := int(be16(b[4:]))
	if b[0]&0xf0 != 0x60 || len(b) < plen+40 ||
		(len(b) > plen+40 && !(b[6] == protoNoNext && plen == 0)) {
		d.anomaly(AnomalyBadTunnel)
		return
	}
	off := len(f.data) - len(b)
	d.enterTunnel(TunnelTeredo)
	d.ip(f.sub(off, len(b)), false)
}

// ayiyaDetect is AYIYAAnalyzer::DetectProtocol.
func ayiyaDetect(b []byte) bool { return len(b) >= 3 && b[1] == 0x52 && b[2] == 0x11 }

// ayiya follows AYIYA.cc.
func (d *Decoder) ayiya(L *Layer, f frame) {
	if d.depthExceeded(L, true) {
		return
	}
	b := f.data
	if len(b) < 8 {
		d.anomaly(AnomalyBadTunnel)
		return
	}
	idLen := 1 << (b[0] >> 4) // up to 2^15 (core.tunnels.ayiya-large-identity)
	sigLen := int(b[1]>>4) * 4
	hl := 8 + idLen + sigLen
	if hl > len(b) {
		d.anomaly(AnomalyBadTunnel)
		return
	}
	if b[2]&0x0f != 1 {
		return // not a "forward" message: nothing to decapsulate
	}
	next := b[3]
	if hl == len(b) || (next != protoIPIP && next != protoIPv6) {
		d.anomaly(AnomalyBadTunnel)
		return
	}
	d.enterTunnel(TunnelAYIYA)
	d.ip(f.skip(hl), false)
}

// gtpv1 follows GTPv1.cc and gtpv1-analyzer.pac (process_gtpv1,
// process_g_pdu).
func (d *Decoder) gtpv1(L *Layer, f frame) {
	b := f.data
	// The binpac header parse: 8 bytes, the optional 4 when E, S or PN is
	// set, and the extension header chain when E is set.
	if len(b) < 8 {
		d.anomaly(AnomalyBadTunnel)
		return
	}
	flags := b[0]
	hl := 8
	if flags&0x07 != 0 {
		if len(b) < 12 {
			d.anomaly(AnomalyBadTunnel)
			return
		}
		hl = 12
		if flags&0x04 != 0 {
			for nt := b[11]; nt != 0; {
				if hl >= len(b) {
					d.anomaly(AnomalyBadTunnel)
					return
				}
				n := int(b[hl]) * 4
				if n == 0 || hl+n > len(b) {
					d.anomaly(AnomalyBadTunnel)
					return
				}
				nt = b[hl+n-1]
				hl += n
			}
		}
	}
	if d.depthExceeded(L, false) {
		return
	}
	if L.Tunnel == TunnelGTPv1 || flags>>5 != 1 {
		d.anomaly(AnomalyBadTunnel) // GTP-in-GTP, or not version 1
		return
	}
	if flags&0x10 == 0 || b[1] != 0xff {
		return // GTP' or a control message: no user payload
	}
	inner := b[hl:]
	if len(inner) < 20 {
		d.anomaly(AnomalyBadTunnel)
		return
	}
	var tot int
	switch inner[0] >> 4 {
	case 4:
		tot = int(be16(inner[2:]))
	case 6:
		if len(inner) < 40 {
			d.anomaly(AnomalyBadTunnel)
			return
		}
		tot = int(be16(inner[4:])) + 40
	default:
		d.anomaly(AnomalyBadTunnel)
		return
	}
	// IP::ParsePacket: the inner datagram must fill the payload exactly.
	if tot != len(inner) {
		d.anomaly(AnomalyBadTunnel)
		return
	}
	d.enterTunnel(TunnelGTPv1)
	d.ip(f.skip(hl), false)
}

func isAruba(pt uint16) bool {
	return (pt&0x8200 == 0x8200 && pt&0x0f == 0) ||
		(pt&0x8300 == 0x8300 && pt&0x0f == 0 && pt <= 0x8370) || pt == 0x9000
}

// gre follows GRE.cc, then IPTunnel.cc. L is the layer carrying it: the
// outer IP datagram (no connection) or a UDP connection on port 4754.
func (d *Decoder) gre(L *Layer, f frame) {
	b := f.data
	if len(b) < 4 {
		d.anomaly(AnomalyBadTunnel)
		return
	}
	fv := be16(b)
	pt := be16(b[2:])
	ver := fv & 7
	gl := 4
	for _, bit := range [...]uint16{0x8000, 0x2000, 0x1000, 0x0080} {
		if fv&bit != 0 {
			gl += 4
		}
	}
	pppLen, ethLen, erLen := 0, 0, 0
	const (
		linkIP = iota
		linkEth
		link80211
		linkMPLS
	)
	link := linkIP
	switch ver {
	case 0:
		switch {
		case pt == 0x6558: // transparent Ethernet bridging
			if len(b) <= gl+14 {
				d.anomaly(AnomalyBadTunnel)
				return
			}
			ethLen, link = 14, linkEth
		case pt == 0x88be: // ERSPAN I, or II with the sequence bit
			if len(b) <= gl+14 {
				d.anomaly(AnomalyBadTunnel)
				return
			}
			ethLen, link = 14, linkEth
			if fv&0x1000 != 0 {
				erLen = 8
			}
		case pt == 0x22eb: // ERSPAN III
			if len(b) <= gl+14+12 {
				d.anomaly(AnomalyBadTunnel)
				return
			}
			ethLen, erLen, link = 14, 12, linkEth
			if b[gl+11]&0x01 != 0 {
				if len(b) <= gl+12+8+14 {
					d.anomaly(AnomalyBadTunnel)
					return
				}
				erLen += 8
			}
		case isAruba(pt):
			if len(b) <= gl {
				d.anomaly(AnomalyBadTunnel)
				return
			}
			link = link80211
		case pt == 0x0800 || pt == 0x86DD:
		case pt == 0x8847:
			link = linkMPLS
		default:
			d.anomaly(AnomalyNonIP)
			return
		}
	case 1:
		if pt != 0x880b { // enhanced GRE must carry PPP
			d.anomaly(AnomalyBadTunnel)
			return
		}
		pppLen = 4
	default:
		d.anomaly(AnomalyBadTunnel)
		return
	}
	if fv&0x4000 != 0 || fv&0x0078 != 0 { // routing present, reserved bits
		d.anomaly(AnomalyBadTunnel)
		return
	}
	if len(b) < gl+pppLen+ethLen+erLen {
		d.anomaly(AnomalyBadTunnel)
		return
	}
	wantV := 0
	if ver == 1 {
		switch be16(b[gl+2:]) {
		case 0x0021:
			wantV = 4
		case 0x0057:
			wantV = 6
		default:
			d.anomaly(AnomalyNonIP) // non_ip_packet_in_encap
			return
		}
	}
	inner := b[gl+pppLen+erLen:]
	// IPTunnel.
	if d.depthExceeded(L, false) {
		return
	}
	if ver == 1 {
		// IP::ParsePacket: version as PPP said, length exactly the payload.
		ok := false
		switch {
		case wantV == 4 && len(inner) >= 20 && inner[0]>>4 == 4:
			ok = int(be16(inner[2:])) == len(inner)
		case wantV == 6 && len(inner) >= 40 && inner[0]>>4 == 6:
			ok = int(be16(inner[4:]))+40 == len(inner)
		}
		if !ok {
			d.anomaly(AnomalyBadTunnel)
			return
		}
	}
	d.enterTunnel(TunnelGRE)
	in := frame{data: inner} // caplen = len: nothing uncaptured
	switch link {
	case linkIP:
		d.ip(in, false)
	case linkEth:
		d.ethernet(in)
	case link80211:
		d.ieee80211(in)
	case linkMPLS:
		d.mpls(in)
	}
}
