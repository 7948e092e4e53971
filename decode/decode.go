package decode

import "time"

// Link types (pcap LINKTYPE_* values) Decode understands.
const (
	LinkNull       = 0   // BSD loopback, AF in host byte order
	LinkEthernet   = 1   // Ethernet II / 802.3
	LinkPPP        = 9   // PPP, optionally in HDLC-like framing
	LinkRawDLT12   = 12  // DLT_RAW as some libpcaps write it
	LinkRawDLT14   = 14  // DLT_RAW on OpenBSD
	LinkPPPHDLC    = 50  // PPP in HDLC-like framing (PPP_SERIAL)
	LinkRaw        = 101 // raw IPv4/IPv6
	LinkIEEE80211  = 105 // 802.11 without radio header
	LinkLoop       = 108 // OpenBSD loopback, AF in network byte order
	LinkLinuxSLL   = 113 // Linux cooked capture v1
	LinkRadiotap   = 127 // 802.11 with radiotap header
	LinkIPv4       = 228 // raw IPv4
	LinkIPv6       = 229 // raw IPv6
	LinkLinuxSLL2  = 276 // Linux cooked capture v2
	defaultMaxFrag = 128
)

// Default option values.
const (
	DefaultMaxTunnelDepth = 4
	DefaultFragTimeout    = 5 * time.Minute
)

// Options configure a Decoder.
type Options struct {
	// IgnoreChecksums is Zeek's -C: no IPv4 header, TCP, UDP or ICMP
	// checksum is validated.
	IgnoreChecksums bool
	// MaxTunnelDepth is Zeek's Tunnel::max_depth: how many encapsulations a
	// packet may carry before tunnel analyzers refuse to decapsulate. 0 means
	// DefaultMaxTunnelDepth (4, Zeek's default); negative means no tunnel is
	// decapsulated. Values above MaxLayers-1 are capped.
	MaxTunnelDepth int
	// MaxFragDatagrams bounds how many IP datagrams may be pending
	// reassembly at once (0: 128). Each uses about 66 KiB once touched.
	MaxFragDatagrams int
	// FragTimeout drops a pending datagram this long (packet time) after its
	// first fragment. 0 means DefaultFragTimeout; negative means never.
	FragTimeout time.Duration
}

// Tunnel ports and protocol numbers from Zeek's scripts/base/packet-protocols.
const (
	portVXLAN   = 4789
	portGeneve  = 6081
	portTeredo  = 3544
	portAYIYA   = 5072
	portGTPU    = 2152
	portGTPC    = 2123
	portGREoUDP = 4754

	protoIPIP     = 4
	protoIPv6     = 41
	protoGRE      = 47
	protoESP      = 50
	protoAH       = 51
	protoNoNext   = 59
	protoIGMP     = 2
	protoHopOpts  = 0
	protoRouting  = 43
	protoFragment = 44
	protoDstOpts  = 60
	protoMobility = 135
)

// Decoder decodes captured frames into Packets. It holds fragment
// reassembly state and scratch buffers, so it is not safe for concurrent
// use: give each capture goroutine its own.
type Decoder struct {
	opts     Options
	maxDepth int
	frag     fragTable
	gen      uint64

	// Per-call state.
	p       *Packet
	ts      int64
	inner   bool   // decoding inside a tunnel: L2 goes to pend only
	pend    l2info // link-layer facts for the next IP layer
	nextTun Tunnel // how the next IP layer is encapsulated
}

type l2info struct {
	vlan, innerVLAN uint16
	src, dst        [6]byte
	hasMAC          bool
	nvlan           uint8
}

// frame is the part of the captured frame being decoded: data are the
// captured bytes from here on, short is how many wire bytes were not
// captured (wire length - captured length of the packet Zeek analyzes at
// this point; 0 for reassembled datagrams and IP-tunnel payloads).
type frame struct {
	data  []byte
	short int
}

// New returns a Decoder. It allocates all its state up front except
// fragment buffers, which are allocated the first time a slot is used.
func New(opts Options) *Decoder {
	d := &Decoder{opts: opts}
	switch {
	case opts.MaxTunnelDepth == 0:
		d.maxDepth = DefaultMaxTunnelDepth
	case opts.MaxTunnelDepth < 0:
		d.maxDepth = 0
	default:
		d.maxDepth = opts.MaxTunnelDepth
	}
	if d.maxDepth > MaxLayers-1 {
		d.maxDepth = MaxLayers - 1
	}
	n := opts.MaxFragDatagrams
	if n <= 0 {
		n = defaultMaxFrag
	}
	to := opts.FragTimeout
	if to == 0 {
		to = DefaultFragTimeout
	}
	if to < 0 {
		to = 0
	}
	d.frag.init(n, int64(to))
	return d
}

// Decode decodes one captured frame of the given pcap LINKTYPE_* value into
// p, which it resets first (all fields but Num). ts is the capture time in
// ns, wireLen the original frame length. Decode never panics and does not
// keep data; Payload slices in p point into data or into decoder buffers and
// are valid until the next call.
func (d *Decoder) Decode(linkType int, ts int64, data []byte, wireLen int, p *Packet) {
	num := p.Num
	*p = Packet{}
	p.Num = num
	p.TS = ts
	p.WireLen = wireLen
	p.CapLen = len(data)
	if wireLen < len(data) {
		wireLen = len(data)
	}
	d.p = p
	d.ts = ts
	d.inner = false
	d.pend = l2info{}
	d.nextTun = TunnelNone
	d.gen++
	f := frame{data: data, short: wireLen - len(data)}
	d.link(linkType, f)
	d.p = nil
}

func (d *Decoder) anomaly(a Anomaly) {
	if d.p.Anomaly == AnomalyNone {
		d.p.Anomaly = a
	}
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }
func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// skip returns f without its first n bytes (n <= len(f.data)).
func (f frame) skip(n int) frame { return frame{data: f.data[n:], short: f.short} }

// sub returns the n bytes at off as the packet a tunnel analyzer builds with
// build_inner_packet: the inner wire length is the outer one minus what the
// outer headers and trimmed bytes consumed, so the uncaptured part carries
// over.
func (f frame) sub(off, n int) frame {
	return frame{data: f.data[off : off+n], short: f.short}
}

// link dispatches on the pcap link type (Zeek's ROOT analyzer dispatch map).
func (d *Decoder) link(lt int, f frame) {
	switch lt {
	case LinkEthernet:
		d.ethernet(f)
	case LinkRaw, LinkRawDLT12, LinkRawDLT14, LinkIPv4, LinkIPv6:
		d.ip(f, false)
	case LinkNull, LinkLoop:
		d.null(f)
	case LinkLinuxSLL:
		d.sll(f, 16, 14, 6)
	case LinkLinuxSLL2:
		d.sll(f, 20, 0, 12)
	case LinkPPP:
		d.ppp(f)
	case LinkPPPHDLC:
		// PPPSerial.cc: 4-byte header, protocol in bytes 2-3.
		if len(f.data) <= 4 {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		d.pppProto(be16(f.data[2:]), f.skip(4))
	case LinkIEEE80211:
		d.ieee80211(f)
	case LinkRadiotap:
		// IEEE802_11_Radio.cc
		if len(f.data) <= 3 {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		n := int(f.data[3])<<8 | int(f.data[2])
		if n >= len(f.data) {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		d.ieee80211(f.skip(n))
	default:
		d.anomaly(AnomalyUnknownLinkType)
	}
}

func (d *Decoder) setMAC(dst, src []byte) {
	copy(d.pend.dst[:], dst[:6])
	copy(d.pend.src[:], src[:6])
	d.pend.hasMAC = true
	if !d.inner {
		p := d.p
		copy(p.DstMAC[:], dst[:6])
		copy(p.SrcMAC[:], src[:6])
		p.HasMAC = true
	}
}

func (d *Decoder) setVLAN(id uint16) {
	// VLAN.cc: the first tag is the VLAN, later ones (over)write the inner.
	if d.pend.nvlan == 0 {
		d.pend.vlan = id
	} else {
		d.pend.innerVLAN = id
	}
	d.pend.nvlan++
	if !d.inner {
		d.p.VLAN, d.p.InnerVLAN = d.pend.vlan, d.pend.innerVLAN
	}
}

// ethernet follows Ethernet.cc.
func (d *Decoder) ethernet(f frame) {
	b := f.data
	if len(b) <= 16 {
		d.anomaly(AnomalyTruncatedLink)
		return
	}
	// Cisco FabricPath: skip to the encapsulated Ethernet frame.
	if b[12] == 0x89 && b[13] == 0x03 {
		if 16+14 >= len(b) {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		f = f.skip(16)
		b = f.data
	}
	d.setMAC(b[0:6], b[6:12])
	et := be16(b[12:])
	if et >= 1536 {
		d.ethertype(et, f.skip(14))
		return
	}
	if et <= 1500 {
		f = f.skip(14)
		if len(f.data) < int(et) {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		d.llc(f)
		return
	}
	d.anomaly(AnomalyNonIP) // undefined_ether_type
}

// llc handles 802.3 length frames: only SNAP carrying an Ethertype can
// lead to IP (Zeek's SNAP analyzer dispatches 0x0800/0x86DD to IP).
func (d *Decoder) llc(f frame) {
	b := f.data
	if len(b) >= 8 && b[0] == 0xAA && b[1] == 0xAA {
		et := be16(b[6:])
		if et == 0x0800 || et == 0x86DD {
			d.ip(f.skip(8), false)
			return
		}
	}
	d.anomaly(AnomalyNonIP)
}

// ethertype dispatches as Zeek's Ethernet and VLAN analyzers do.
func (d *Decoder) ethertype(et uint16, f frame) {
	switch et {
	case 0x0800, 0x86DD:
		d.ip(f, false)
	case 0x8100, 0x88A8, 0x9100:
		d.vlan(f)
	case 0x8847:
		d.mpls(f)
	case 0x8864:
		// PPPoE.cc: 6-byte session header + 2-byte PPP protocol.
		if len(f.data) <= 8 {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		proto := be16(f.data[6:])
		if proto == 0x0021 || proto == 0x0057 {
			d.ip(f.skip(8), false)
			return
		}
		d.anomaly(AnomalyNonIP)
	case 0x88E7:
		// PBB.cc: skip the I-TAG and hand the customer frame to Ethernet,
		// which records the customer MACs, as Zeek does.
		if len(f.data) <= 18 {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		d.ethernet(f.skip(4))
	case 0x8926:
		// VNTag.cc: 6 bytes, protocol in bytes 4-5; vntag/main.zeek only
		// dispatches to VLAN.
		if len(f.data) <= 6 {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		switch inner := be16(f.data[4:]); inner {
		case 0x8100, 0x88A8, 0x9100:
			d.vlan(f.skip(6))
		default:
			d.anomaly(AnomalyNonIP)
		}
	default:
		d.anomaly(AnomalyNonIP)
	}
}

// vlan follows VLAN.cc.
func (d *Decoder) vlan(f frame) {
	b := f.data
	if len(b) <= 4 {
		d.anomaly(AnomalyTruncatedLink)
		return
	}
	d.setVLAN(be16(b) & 0xfff)
	proto := be16(b[2:])
	if proto >= 1536 {
		d.ethertype(proto, f.skip(4))
		return
	}
	if proto <= 1500 {
		f = f.skip(4)
		if len(f.data) < 2 {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		if len(f.data) > int(proto) {
			f.data = f.data[:proto]
		}
		d.llc(f)
		return
	}
	d.anomaly(AnomalyNonIP)
}

// mpls follows MPLS.cc: skip labels to bottom of stack, then IP.
func (d *Decoder) mpls(f frame) {
	for {
		if len(f.data) <= 4 {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		eos := f.data[2]&1 != 0
		f = f.skip(4)
		if eos {
			break
		}
	}
	d.ip(f, false)
}

// null handles DLT_NULL/DLT_LOOP. Zeek (Null.cc) reads the AF as a
// little-endian word and accepts 2 (AF_INET) and 24, 28, 30 (AF_INET6 on
// the BSDs and macOS). We also accept the big-endian form, since the AF is
// in the capturing host's byte order (and DLT_LOOP's is always big-endian).
func (d *Decoder) null(f frame) {
	b := f.data
	if len(b) <= 4 {
		d.anomaly(AnomalyTruncatedLink)
		return
	}
	le := uint32(b[3])<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
	ok := func(v uint32) bool { return v == 2 || v == 24 || v == 28 || v == 30 }
	if ok(le) || ok(be32(b)) {
		d.ip(f.skip(4), false)
		return
	}
	d.anomaly(AnomalyNonIP)
}

// sll handles Linux cooked captures (LinuxSLL.cc, LinuxSLL2.cc): hdr bytes
// of header, Ethertype at protoOff, source link address at addrOff.
func (d *Decoder) sll(f frame, hdr, protoOff, addrOff int) {
	b := f.data
	if len(b) <= hdr {
		d.anomaly(AnomalyTruncatedLink)
		return
	}
	var zero [6]byte
	d.setMAC(zero[:], b[addrOff:addrOff+6])
	switch be16(b[protoOff:]) {
	case 0x0800, 0x86DD:
		d.ip(f.skip(hdr), false)
	default:
		d.anomaly(AnomalyNonIP)
	}
}

// ppp follows PPP.cc (LINKTYPE_PPP: optional ff 03 HDLC framing).
func (d *Decoder) ppp(f frame) {
	b := f.data
	if len(b) <= 2 {
		d.anomaly(AnomalyTruncatedLink)
		return
	}
	if b[0] == 0xff && b[1] == 0x03 {
		if len(b) <= 4 {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		d.pppProto(be16(b[2:]), f.skip(4))
		return
	}
	d.pppProto(be16(b), f.skip(2))
}

func (d *Decoder) pppProto(proto uint16, f frame) {
	switch proto {
	case 0x0021, 0x0057:
		d.ip(f, false)
	case 0x0281:
		d.mpls(f)
	default:
		d.anomaly(AnomalyNonIP)
	}
}

// ieee80211 follows IEEE802_11.cc for data frames with LLC/SNAP. A-MSDU
// frames carry several packets; only the first subframe is decoded.
func (d *Decoder) ieee80211(f frame) {
	b := f.data
	hl := 24
	if hl >= len(b) {
		d.anomaly(AnomalyTruncatedLink)
		return
	}
	fc := b[0]
	if (fc>>2)&0x02 == 0 || (fc>>4)&0x04 != 0 {
		d.anomaly(AnomalyNonIP) // management/control, or no-data subtype
		return
	}
	if b[1]&0x03 == 0x03 {
		hl += 6
	}
	if hl >= len(b) {
		d.anomaly(AnomalyTruncatedLink)
		return
	}
	amsdu := false
	if (fc>>4)&0x08 != 0 {
		amsdu = b[hl]&0x80 != 0
		if b[1]&0x40 != 0 {
			d.anomaly(AnomalyNonIP) // protected: encrypted payload
			return
		}
		hl += 2
	}
	if hl >= len(b) {
		d.anomaly(AnomalyTruncatedLink)
		return
	}
	switch b[1] & 0x03 {
	case 0:
		d.setMAC(b[4:10], b[10:16])
	case 1:
		d.setMAC(b[16:22], b[10:16])
	case 2:
		d.setMAC(b[4:10], b[16:22])
	case 3:
		d.setMAC(b[16:22], b[24:30])
	}
	f = f.skip(hl)
	if amsdu {
		if len(f.data) < 14 {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		n := int(be16(f.data[12:]))
		if len(f.data) < n+14 {
			d.anomaly(AnomalyTruncatedLink)
			return
		}
		f = f.sub(14, n)
	}
	b = f.data
	if len(b) < 8 {
		d.anomaly(AnomalyTruncatedLink)
		return
	}
	if !(b[0] == 0xAA && b[1] == 0xAA && b[2] == 0x03 && b[3] == 0 && b[4] == 0 && b[5] == 0) {
		d.anomaly(AnomalyNonIP)
		return
	}
	switch be16(b[6:]) {
	case 0x0800, 0x86DD:
		d.ip(f.skip(8), false)
	default:
		d.anomaly(AnomalyNonIP)
	}
}
