package decode

import (
	"net/netip"
)

// MaxLayers is the most IP layers one frame can carry: the outermost IP
// datagram plus nested tunnel payloads. Zeek's default Tunnel::max_depth is 4
// (scripts/base/init-bare.zeek; Zeek's own core.tunnels.max-depth baseline
// decapsulates three nested VXLAN layers), so at most 5 IP layers are ever
// analyzed; deeper ones are counted as an anomaly.
const MaxLayers = 5

// Addr is an IP address stored in 16 bytes; IPv4 addresses are stored in their
// IPv4-mapped IPv6 form (::ffff:a.b.c.d). It is a comparable value, cheap to
// hash, and never allocates.
type Addr [16]byte

// AddrFrom4 returns the Addr of an IPv4 address given as 4 bytes.
func AddrFrom4(b []byte) (a Addr) {
	a[10], a[11] = 0xff, 0xff
	copy(a[12:], b[:4])
	return a
}

// AddrFrom16 returns the Addr of an IPv6 address given as 16 bytes.
func AddrFrom16(b []byte) (a Addr) {
	copy(a[:], b[:16])
	return a
}

// Is4 reports whether a is an IPv4 address (IPv4-mapped form).
func (a Addr) Is4() bool {
	return a[0]|a[1]|a[2]|a[3]|a[4]|a[5]|a[6]|a[7]|a[8]|a[9] == 0 && a[10] == 0xff && a[11] == 0xff
}

// Netip converts to a netip.Addr (unmapped for IPv4).
func (a Addr) Netip() netip.Addr { return netip.AddrFrom16(a).Unmap() }

// String formats as Zeek does (dotted quad or RFC 5952 IPv6).
func (a Addr) String() string { return a.Netip().String() }

// Key is a directional 5-tuple as seen on the wire: Src sent the packet to Dst.
// For ICMP the ports hold the ICMP type (SrcPort) and code (DstPort) as they
// appear in the packet; the flow table maps them to Zeek's conn ports.
// Key is comparable and used by value.
type Key struct {
	Src, Dst         Addr
	SrcPort, DstPort uint16
	Proto            uint8 // IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...)
}

// Reverse returns the key of the opposite direction.
func (k Key) Reverse() Key {
	return Key{Src: k.Dst, Dst: k.Src, SrcPort: k.DstPort, DstPort: k.SrcPort, Proto: k.Proto}
}

// IP protocol numbers flowlog treats specially.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// TCP flag bits as in the TCP header's flags byte.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPPsh = 0x08
	TCPAck = 0x10
	TCPUrg = 0x20
	TCPEce = 0x40
	TCPCwr = 0x80
)

// Tunnel says how a Layer was carried inside the Layer before it.
type Tunnel uint8

// Tunnel kinds, as Zeek's Tunnel::Type names them.
const (
	TunnelNone   Tunnel = iota // outermost layer
	TunnelIP                   // IP-in-IP (IPv4/IPv6 in IPv4/IPv6)
	TunnelGRE                  // GRE, incl. ERSPAN and PPTP enhanced GRE
	TunnelVXLAN                // VXLAN over UDP
	TunnelGeneve               // Geneve over UDP
	TunnelTeredo               // Teredo over UDP
	TunnelAYIYA                // AYIYA over UDP
	TunnelGTPv1                // GTP-U over UDP
)

var tunnelNames = [...]string{"NONE", "IP", "GRE", "VXLAN", "GENEVE", "TEREDO", "AYIYA", "GTPv1"}

func (t Tunnel) String() string {
	if int(t) < len(tunnelNames) {
		return tunnelNames[t]
	}
	return "UNKNOWN"
}

// Layer is one IP datagram of a frame and its transport header.
type Layer struct {
	Key Key
	// Tunnel is how this layer was encapsulated in Layers[i-1] (TunnelNone for i == 0).
	Tunnel Tunnel
	// Session is true when this layer is a connection of its own in conn.log.
	// It is false for layers that only carry a tunnel at the IP level (GRE,
	// IP-in-IP outer datagrams), which Zeek logs in tunnel.log, not conn.log.
	Session bool
	IPv6    bool
	// IPLen is the IP datagram length from the IP header (IPv4 total length,
	// or 40 + IPv6 payload length), after fragment reassembly: what Zeek counts
	// in orig_ip_bytes / resp_ip_bytes. It is 0 when an IPv4 header says 0
	// (segmentation offload; decoded only with IgnoreChecksums, using the
	// captured length for everything else), as Zeek then counts 0 bytes.
	IPLen uint32
	// HdrLen is the IP header length including IPv6 extension headers.
	HdrLen uint32
	TTL    uint8

	// Transport. For TCP: Flags, Seq, Ack, Window, DataOff; for ICMP/ICMPv6:
	// Key.SrcPort = type, Key.DstPort = code.
	Flags   uint8
	Seq     uint32
	Ack     uint32
	Window  uint16
	DataOff uint8 // TCP header length in bytes
	// PayloadLen is the transport payload length implied by the IP header
	// (IPLen - HdrLen - transport header length), which may exceed len(Payload)
	// when the capture was cut by snaplen.
	PayloadLen uint32
	// Payload is the captured transport payload. It points into the frame
	// buffer passed to Decode (or the decoder's reassembly buffer) and is valid
	// only until the next call to Decode.
	Payload []byte
	// BadChecksum is set when checksum validation is on and the transport
	// checksum (TCP, UDP, ICMP, ICMPv6) does not verify.
	BadChecksum bool
	// TransportTruncated is set when the captured bytes end before the end of
	// the transport header; Key ports may then be zero.
	TransportTruncated bool
	// PayloadTruncated is set when len(Payload) < PayloadLen (snaplen cut).
	PayloadTruncated bool

	// SkipPacket is set when Zeek creates (or finds) this layer's connection
	// but its transport analyzer then discards the packet without counting it
	// (no packet, byte or history update): a TCP data offset below 20, or TCP
	// options that run past the IP payload or the captured bytes
	// (TCPAnalyzer::ExtractTCP_Header). BadChecksum packets are discarded the
	// same way, except that Zeek adds history 'C'/'c'.
	SkipPacket bool
	// UDPLen is the UDP header's length field. Zeek counts orig_bytes and
	// resp_bytes of UDP connections from it (UDPAnalyzer::DeliverPacket
	// calls UpdateLength(ulen - 8)), not from the IP length.
	UDPLen uint16
	// Reassembled is set when this layer is a datagram rebuilt from IP
	// fragments (Frag.cc); IPLen is then the reassembled length.
	Reassembled bool
	// DepthExceeded is set on the layer whose tunnel payload was not
	// decapsulated because Tunnel::max_depth encapsulations were already
	// stacked (Packet.Anomaly is then AnomalyTunnelDepth).
	DepthExceeded bool
	// HistoryX is set when Zeek adds history 'X' to this layer's connection
	// for this packet: the VXLAN, Geneve, Teredo and AYIYA analyzers do so
	// when they refuse a packet for exceeding Tunnel::max_depth.
	HistoryX bool

	// L2 of the packet this layer was analyzed in. For Layers[0] it equals
	// the Packet's fields; for a tunnelled layer it is what the inner
	// Ethernet/VLAN headers said (zero when the tunnel carries raw IP), as
	// Zeek builds a fresh inner Packet for each tunnel.
	VLAN, InnerVLAN uint16
	SrcMAC, DstMAC  [6]byte
	HasMAC          bool
}

// Packet is the decoded form of one captured frame. The decoder owns and
// reuses it: everything in it is valid until the next Decode call.
type Packet struct {
	// TS is the capture time in nanoseconds since the Unix epoch.
	TS int64
	// Num is the 1-based number of the frame in its input (for error messages).
	Num uint64
	// WireLen is the frame's original length; CapLen the captured length.
	WireLen, CapLen int
	// Layers[0:N] are the IP layers, outermost first.
	Layers [MaxLayers]Layer
	N      int
	// VLAN and InnerVLAN are the outer and inner 802.1Q tags (0 if none).
	VLAN, InnerVLAN uint16
	// SrcMAC, DstMAC are the Ethernet addresses of the outer frame, if any.
	SrcMAC, DstMAC [6]byte
	HasMAC         bool
	// Anomaly is the first problem found decoding the frame (AnomalyNone if
	// none). Layers[0:N] hold whatever was decoded before it.
	Anomaly Anomaly
}
