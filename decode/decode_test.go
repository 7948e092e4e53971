package decode

import (
	"encoding/binary"
	"math/rand"
	"net"
	"testing"
	"time"
)

type want struct {
	n       int     // layers
	anomaly Anomaly // expected Packet.Anomaly
	// For the innermost layer (if n > 0):
	src, dst   net.IP
	sp, dp     uint16
	proto      uint8
	tunnel     Tunnel
	session    bool
	badsum     bool
	vlan, ivln uint16
}

func addrOf(ip net.IP) Addr {
	if v := ip.To4(); v != nil {
		return AddrFrom4(v)
	}
	return AddrFrom16(ip.To16())
}

func check(t *testing.T, p *Packet, w want) {
	t.Helper()
	if p.N != w.n || p.Anomaly != w.anomaly {
		t.Fatalf("got N=%d anomaly=%s, want N=%d anomaly=%s: %s", p.N, p.Anomaly, w.n, w.anomaly, describe(p))
	}
	if p.VLAN != w.vlan || p.InnerVLAN != w.ivln {
		t.Errorf("vlan %d/%d, want %d/%d", p.VLAN, p.InnerVLAN, w.vlan, w.ivln)
	}
	if w.n == 0 {
		return
	}
	L := &p.Layers[p.N-1]
	if w.src != nil && (L.Key.Src != addrOf(w.src) || L.Key.Dst != addrOf(w.dst)) {
		t.Errorf("addresses %s>%s, want %s>%s", L.Key.Src, L.Key.Dst, w.src, w.dst)
	}
	if L.Key.SrcPort != w.sp || L.Key.DstPort != w.dp || L.Key.Proto != w.proto {
		t.Errorf("key %d>%d/%d, want %d>%d/%d", L.Key.SrcPort, L.Key.DstPort, L.Key.Proto, w.sp, w.dp, w.proto)
	}
	if L.Tunnel != w.tunnel || L.Session != w.session || L.BadChecksum != w.badsum {
		t.Errorf("tunnel=%s session=%v badsum=%v, want %s %v %v: %s", L.Tunnel, L.Session, L.BadChecksum, w.tunnel, w.session, w.badsum, describe(p))
	}
}

func decodeOne(opts Options, lt int, frame []byte, wire int) *Packet {
	if wire == 0 {
		wire = len(frame)
	}
	var p Packet
	New(opts).Decode(lt, 1, frame, wire, &p)
	return &p
}

var (
	tcpAB  = tcp4(ipA, ipB, 1234, 80, []byte("hello"))
	udpAB  = udp4(ipA, ipB, 5353, 53, []byte("query"))
	tcp6AB = tcp6(ip6A, ip6B, 1234, 443, []byte("x"))
	wTCP   = want{n: 1, src: ipA, dst: ipB, sp: 1234, dp: 80, proto: 6, session: true}
	wUDP   = want{n: 1, src: ipA, dst: ipB, sp: 5353, dp: 53, proto: 17, session: true}
	wTCP6  = want{n: 1, src: ip6A, dst: ip6B, sp: 1234, dp: 443, proto: 6, session: true}
)

func TestLinkTypes(t *testing.T) {
	le := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	wifi := func(fc1 byte, ip []byte) []byte {
		h := make([]byte, 24)
		h[0] = 0x08 // data
		h[1] = fc1
		copy(h[4:], macB)
		copy(h[10:], macA)
		copy(h[16:], macB)
		return cat(h, []byte{0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00}, ip)
	}
	radiotap := cat([]byte{0, 0, 8, 0, 0, 0, 0, 0}, wifi(0x01, tcpAB))
	sll := cat(u16(0), u16(1), u16(6), macA, []byte{0, 0}, u16(0x0800), tcpAB)
	sll2 := cat(u16(0x0800), u16(0), u32(2), u16(1), []byte{0, 6}, macA, []byte{0, 0}, tcpAB)
	cases := []struct {
		name string
		lt   int
		fr   []byte
		w    want
	}{
		{"ethernet", LinkEthernet, ethIP(tcpAB), wTCP},
		{"raw101", LinkRaw, tcpAB, wTCP},
		{"raw12", LinkRawDLT12, tcpAB, wTCP},
		{"raw14", LinkRawDLT14, tcpAB, wTCP},
		{"ipv4-228", LinkIPv4, tcpAB, wTCP},
		{"ipv6-229", LinkIPv6, tcp6AB, wTCP6},
		{"null-le-inet", LinkNull, cat(le(2), tcpAB), wTCP},
		{"null-be-inet", LinkNull, cat(u32(2), tcpAB), wTCP},
		{"null-le-inet6-bsd", LinkNull, cat(le(24), tcp6AB), wTCP6},
		{"null-le-inet6-freebsd", LinkNull, cat(le(28), tcp6AB), wTCP6},
		{"null-le-inet6-darwin", LinkNull, cat(le(30), tcp6AB), wTCP6},
		{"null-other-af", LinkNull, cat(le(7), tcpAB), want{anomaly: AnomalyNonIP}},
		{"loop-be", LinkLoop, cat(u32(2), tcpAB), wTCP},
		{"loop-inet6", LinkLoop, cat(u32(24), tcp6AB), wTCP6},
		{"sll", LinkLinuxSLL, sll, wTCP},
		{"sll-arp", LinkLinuxSLL, cat(sll[:14], u16(0x0806), make([]byte, 28)), want{anomaly: AnomalyNonIP}},
		{"sll2", LinkLinuxSLL2, sll2, wTCP},
		{"ppp", LinkPPP, cat(u16(0x0021), tcpAB), wTCP},
		{"ppp-hdlc-framing", LinkPPP, cat([]byte{0xff, 0x03}, u16(0x0057), tcp6AB), wTCP6},
		{"ppp-lcp", LinkPPP, cat([]byte{0xff, 0x03}, u16(0xc021), make([]byte, 20)), want{anomaly: AnomalyNonIP}},
		{"ppp-serial", LinkPPPHDLC, cat([]byte{0xff, 0x03}, u16(0x0021), tcpAB), wTCP},
		{"802.11-to-ds", LinkIEEE80211, wifi(0x01, tcpAB), wTCP},
		{"802.11-mgmt", LinkIEEE80211, cat([]byte{0x80, 0}, make([]byte, 40)), want{anomaly: AnomalyNonIP}},
		{"802.11-protected-qos", LinkIEEE80211, func() []byte {
			b := wifi(0x41, tcpAB)
			b[0] = 0x88
			return cat(b[:24], []byte{0, 0}, b[24:])
		}(), want{anomaly: AnomalyNonIP}},
		{"802.11-qos", LinkIEEE80211, func() []byte {
			b := wifi(0x02, tcpAB)
			b[0] = 0x88
			return cat(b[:24], []byte{0, 0}, b[24:])
		}(), wTCP},
		{"radiotap", LinkRadiotap, radiotap, wTCP},
		{"unknown", 147, tcpAB, want{anomaly: AnomalyUnknownLinkType}},
		{"eth-truncated", LinkEthernet, ethIP(tcpAB)[:16], want{anomaly: AnomalyTruncatedLink}},
		{"null-truncated", LinkNull, le(2), want{anomaly: AnomalyTruncatedLink}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, decodeOne(Options{}, c.lt, c.fr, 0), c.w)
		})
	}
}

func TestEthernetEncapsulations(t *testing.T) {
	with := func(w want, vlan, inner uint16) want { w.vlan, w.ivln = vlan, inner; return w }
	pppoe := func(proto uint16, ip []byte) []byte {
		return cat([]byte{0x11, 0x00}, u16(1), u16(uint16(len(ip)+2)), u16(proto), ip)
	}
	mpls := func(label uint32, bos bool, rest []byte) []byte {
		v := label<<12 | 64
		if bos {
			v |= 1 << 8
		}
		return cat(u32(v), rest)
	}
	padded := ethIP(tcp4(ipA, ipB, 1234, 80, nil)) // 54 bytes
	padded = append(padded, make([]byte, 60-len(padded))...)
	cases := []struct {
		name string
		fr   []byte
		w    want
	}{
		{"dot1q", eth(0x8100, cat(vlanTag(10, 0x0800), tcpAB)), with(wTCP, 10, 0)},
		{"qinq-88a8", eth(0x88a8, cat(vlanTag(100, 0x8100), vlanTag(200, 0x0800), tcpAB)), with(wTCP, 100, 200)},
		{"qinq-9100", eth(0x9100, cat(vlanTag(5, 0x8100), vlanTag(6, 0x86DD), tcp6AB)), with(wTCP6, 5, 6)},
		{"triple-tag", eth(0x8100, cat(vlanTag(1, 0x8100), vlanTag(2, 0x8100), vlanTag(3, 0x0800), tcpAB)), with(wTCP, 1, 3)},
		{"vlan-pcp-masked", eth(0x8100, cat(vlanTag(0xE00A, 0x0800), tcpAB)), with(wTCP, 10, 0)},
		{"mpls-2-labels", eth(0x8847, mpls(16, false, mpls(17, true, tcpAB))), wTCP},
		{"mpls-in-vlan", eth(0x8100, cat(vlanTag(7, 0x8847), mpls(3, true, tcpAB))), with(wTCP, 7, 0)},
		{"mpls-truncated", eth(0x8847, mpls(16, false, []byte{1, 2})), want{anomaly: AnomalyTruncatedLink}},
		{"pppoe", eth(0x8864, pppoe(0x0021, tcpAB)), wTCP},
		{"pppoe-ipv6", eth(0x8864, pppoe(0x0057, tcp6AB)), wTCP6},
		{"pppoe-over-qinq", eth(0x88a8, cat(vlanTag(1, 0x8100), vlanTag(2, 0x8864), pppoe(0x0021, tcpAB))), with(wTCP, 1, 2)},
		{"pppoe-lcp", eth(0x8864, pppoe(0xc021, make([]byte, 20))), want{anomaly: AnomalyNonIP}},
		{"pbb", eth(0x88e7, cat(u32(0x00000100), eth(0x0800, tcpAB))), wTCP},
		{"pbb-in-vlan", eth(0x8100, cat(vlanTag(9, 0x88e7), u32(1), eth(0x0800, tcpAB))), with(wTCP, 9, 0)},
		{"vntag", eth(0x8926, cat(u32(0x8001), u16(0x8100), vlanTag(4, 0x0800), tcpAB)), with(wTCP, 4, 0)},
		{"vntag-in-vlan", eth(0x8100, cat(vlanTag(250, 0x8926), u32(0), u16(0x8100), vlanTag(250, 0x0800), tcpAB)), with(wTCP, 250, 250)},
		{"vntag-direct-ip", eth(0x8926, cat(u32(0), u16(0x0800), tcpAB)), want{anomaly: AnomalyNonIP}},
		{"fabricpath", cat(macB, macA, u16(0x8903), make([]byte, 2), eth(0x0800, tcpAB)), wTCP},
		{"arp", eth(0x0806, make([]byte, 28)), want{anomaly: AnomalyNonIP}},
		{"lldp", eth(0x88cc, make([]byte, 30)), want{anomaly: AnomalyNonIP}},
		{"802.3-snap-ip", eth(uint16(len(tcpAB)+8), cat([]byte{0xAA, 0xAA, 0x03, 0, 0, 0}, u16(0x0800), tcpAB)), wTCP},
		{"802.3-stp", eth(38, cat([]byte{0x42, 0x42, 0x03}, make([]byte, 35))), want{anomaly: AnomalyNonIP}},
		{"padding", padded, want{n: 1, src: ipA, dst: ipB, sp: 1234, dp: 80, proto: 6, session: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := decodeOne(Options{}, LinkEthernet, c.fr, 0)
			check(t, p, c.w)
			if c.w.n > 0 && !p.HasMAC {
				t.Errorf("no MACs recorded")
			}
		})
	}
	t.Run("padding-lengths", func(t *testing.T) {
		p := decodeOne(Options{}, LinkEthernet, padded, 0)
		L := &p.Layers[0]
		if L.IPLen != 40 || L.PayloadLen != 0 || len(L.Payload) != 0 || L.BadChecksum {
			t.Errorf("padding leaked into lengths: %s payload=%d", describe(p), len(L.Payload))
		}
	})
	t.Run("macs", func(t *testing.T) {
		p := decodeOne(Options{}, LinkEthernet, ethIP(tcpAB), 0)
		if net.HardwareAddr(p.SrcMAC[:]).String() != macA.String() || net.HardwareAddr(p.DstMAC[:]).String() != macB.String() {
			t.Errorf("macs %x %x", p.SrcMAC, p.DstMAC)
		}
		if p.Layers[0].SrcMAC != p.SrcMAC || !p.Layers[0].HasMAC {
			t.Errorf("layer L2 not copied")
		}
	})
}

func TestIPv4(t *testing.T) {
	badIP := append([]byte(nil), tcpAB...)
	badIP[10] ^= 0xff
	badTCP := append([]byte(nil), tcpAB...)
	badTCP[len(badTCP)-1] ^= 0xff
	badUDP := append([]byte(nil), udpAB...)
	badUDP[len(badUDP)-1] ^= 0xff
	noSumUDP := append([]byte(nil), udpAB...)
	noSumUDP[26], noSumUDP[27] = 0, 0
	badICMP := icmp4(ipA, ipB, 8, 0)
	badICMP[len(badICMP)-1] ^= 1
	tso := append([]byte(nil), tcpAB...)
	tso[2], tso[3] = 0, 0
	fixIPv4Checksum(tso)
	opts := append([]byte(nil), tcpAB[:20]...)
	opts[0] = 0x46
	withOpts := cat(opts, []byte{1, 1, 1, 0}, tcpAB[20:])
	binary.BigEndian.PutUint16(withOpts[2:], uint16(len(withOpts)))
	fixIPv4Checksum(withOpts)
	cases := []struct {
		name string
		o    Options
		fr   []byte
		w    want
	}{
		{"tcp", Options{}, tcpAB, wTCP},
		{"ip-options", Options{}, withOpts, wTCP},
		{"bad-ip-checksum", Options{}, badIP, want{anomaly: AnomalyBadIPChecksum}},
		{"bad-ip-checksum-C", Options{IgnoreChecksums: true}, badIP, wTCP},
		{"bad-tcp-checksum", Options{}, badTCP, want{n: 1, anomaly: AnomalyBadChecksum, src: ipA, dst: ipB, sp: 1234, dp: 80, proto: 6, session: true, badsum: true}},
		{"bad-tcp-checksum-C", Options{IgnoreChecksums: true}, badTCP, wTCP},
		{"bad-udp-checksum", Options{}, badUDP, want{n: 1, anomaly: AnomalyBadChecksum, src: ipA, dst: ipB, sp: 5353, dp: 53, proto: 17, session: true, badsum: true}},
		{"udp-zero-checksum", Options{}, noSumUDP, wUDP},
		{"icmp", Options{}, icmp4(ipA, ipB, 8, 0), want{n: 1, src: ipA, dst: ipB, sp: 8, dp: 0, proto: 1, session: true}},
		{"icmp-unreach", Options{}, icmp4(ipA, ipB, 3, 3), want{n: 1, src: ipA, dst: ipB, sp: 3, dp: 3, proto: 1, session: true}},
		{"bad-icmp-checksum", Options{}, badICMP, want{n: 1, anomaly: AnomalyBadChecksum, src: ipA, dst: ipB, sp: 8, proto: 1, session: true, badsum: true}},
		{"ospf", Options{}, rawIP4(ipA, ipB, 89, make([]byte, 24)), want{n: 1, src: ipA, dst: ipB, proto: 89, session: true}},
		{"esp", Options{}, rawIP4(ipA, ipB, protoESP, make([]byte, 24)), want{n: 1, anomaly: AnomalyNoTransport, src: ipA, dst: ipB, proto: 50}},
		{"igmp", Options{}, rawIP4(ipA, ipB, protoIGMP, make([]byte, 8)), want{n: 1, anomaly: AnomalyNoTransport, src: ipA, dst: ipB, proto: 2}},
		{"version-5", Options{}, cat([]byte{0x55}, tcpAB[1:]), want{anomaly: AnomalyBadIPVersion}},
		{"short", Options{}, tcpAB[:19], want{anomaly: AnomalyTruncatedIP}},
		{"ihl-too-small", Options{IgnoreChecksums: true}, cat([]byte{0x44}, tcpAB[1:]), want{anomaly: AnomalyBadIPHeader}},
		{"tso-dropped", Options{}, tso, want{anomaly: AnomalyBadIPHeader}},
		{"tso-C", Options{IgnoreChecksums: true}, tso, wTCP},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, decodeOne(c.o, LinkRaw, c.fr, 0), c.w)
		})
	}
	t.Run("tcp-fields", func(t *testing.T) {
		p := decodeOne(Options{}, LinkRaw, tcpAB, 0)
		L := &p.Layers[0]
		if L.Flags != TCPSyn|TCPAck || L.Seq != 1000 || L.Ack != 2000 || L.Window != 512 || L.DataOff != 20 ||
			L.TTL != 64 || L.IPLen != 45 || L.HdrLen != 20 || L.PayloadLen != 5 || string(L.Payload) != "hello" {
			t.Errorf("fields: %+v", *L)
		}
	})
	t.Run("tso-iplen-zero", func(t *testing.T) {
		p := decodeOne(Options{IgnoreChecksums: true}, LinkRaw, tso, 0)
		if L := &p.Layers[0]; L.IPLen != 0 || L.PayloadLen != 5 {
			t.Errorf("IPLen=%d PayloadLen=%d, want 0 and 5", L.IPLen, L.PayloadLen)
		}
	})
	t.Run("udp-len-field", func(t *testing.T) {
		p := decodeOne(Options{}, LinkRaw, udpAB, 0)
		if L := &p.Layers[0]; L.UDPLen != 13 || L.PayloadLen != 5 || string(L.Payload) != "query" {
			t.Errorf("udp: %+v", *L)
		}
	})
}

func TestTruncation(t *testing.T) {
	big := tcp4(ipA, ipB, 1234, 80, make([]byte, 1000))
	t.Run("snaplen-cut-payload", func(t *testing.T) {
		// Header claims 1040 bytes, 100 captured, 1040 on the wire: Zeek
		// analyzes it (no checksum validation possible).
		p := decodeOne(Options{}, LinkRaw, big[:100], len(big))
		check(t, p, wTCP)
		L := &p.Layers[0]
		if L.IPLen != 1040 || L.PayloadLen != 1000 || len(L.Payload) != 60 || !L.PayloadTruncated || L.BadChecksum {
			t.Errorf("%s payload=%d", describe(p), len(L.Payload))
		}
	})
	t.Run("longer-than-wire", func(t *testing.T) {
		// truncated_IP_len: the header claims more than the wire length.
		check(t, decodeOne(Options{}, LinkRaw, big[:100], 100), want{anomaly: AnomalyTruncatedIP})
	})
	t.Run("tcp-header-cut", func(t *testing.T) {
		// Fewer than 20 TCP bytes captured: Zeek makes no connection.
		p := decodeOne(Options{}, LinkRaw, big[:30], len(big))
		check(t, p, want{n: 1, anomaly: AnomalyTruncatedTransport, src: ipA, dst: ipB, proto: 6})
		if !p.Layers[0].TransportTruncated {
			t.Errorf("TransportTruncated not set")
		}
	})
	t.Run("tcp-payload-len-below-header", func(t *testing.T) {
		b := rawIP4(ipA, ipB, 6, make([]byte, 12))
		check(t, decodeOne(Options{}, LinkRaw, b, 0), want{n: 1, anomaly: AnomalyTruncatedTransport, src: ipA, dst: ipB, proto: 6})
	})
	t.Run("tcp-options-cut", func(t *testing.T) {
		// Data offset 40 but only 24 TCP bytes captured (core.vntag-in-vlan):
		// the connection exists, the packet is skipped.
		b := append([]byte(nil), big...)
		b[32] = 0xa0
		p := decodeOne(Options{IgnoreChecksums: true}, LinkRaw, b[:44], len(b))
		check(t, p, want{n: 1, anomaly: AnomalyTruncatedTransport, src: ipA, dst: ipB, sp: 1234, dp: 80, proto: 6, session: true})
		if !p.Layers[0].SkipPacket {
			t.Errorf("SkipPacket not set")
		}
	})
	t.Run("tcp-bad-data-offset", func(t *testing.T) {
		b := append([]byte(nil), tcpAB...)
		b[32] = 0x30
		p := decodeOne(Options{IgnoreChecksums: true}, LinkRaw, b, 0)
		check(t, p, want{n: 1, anomaly: AnomalyBadTransportHeader, src: ipA, dst: ipB, sp: 1234, dp: 80, proto: 6, session: true})
		if !p.Layers[0].SkipPacket {
			t.Errorf("SkipPacket not set")
		}
	})
	t.Run("udp-cut", func(t *testing.T) {
		check(t, decodeOne(Options{}, LinkRaw, udpAB[:25], len(udpAB)), want{n: 1, anomaly: AnomalyTruncatedTransport, src: ipA, dst: ipB, proto: 17})
	})
	t.Run("udp-snaplen-no-checksum", func(t *testing.T) {
		b := udp4(ipA, ipB, 1, 2, make([]byte, 100))
		b[len(b)-1] = 1 // would be a bad checksum, but it was not captured
		check(t, decodeOne(Options{}, LinkRaw, b[:40], len(b)), want{n: 1, src: ipA, dst: ipB, sp: 1, dp: 2, proto: 17, session: true})
	})
	t.Run("icmp-cut", func(t *testing.T) {
		b := icmp4(ipA, ipB, 8, 0)
		check(t, decodeOne(Options{}, LinkRaw, b[:24], len(b)), want{n: 1, anomaly: AnomalyTruncatedTransport, src: ipA, dst: ipB, proto: 1})
	})
}

// ipv6Ext builds an IPv6 packet with the given extension headers (each a
// complete header whose first byte will be set to the next type) before a
// TCP segment.
func ipv6Ext(types []uint8, hdrs [][]byte, final []byte) []byte {
	// final is a full IPv6+TCP packet from tcp6; splice headers in.
	base := append([]byte(nil), final[:40]...)
	seg := final[40:]
	next := final[6]
	var ext []byte
	for i := len(hdrs) - 1; i >= 0; i-- {
		h := append([]byte(nil), hdrs[i]...)
		h[0] = next
		next = types[i]
		ext = cat(h, ext)
	}
	base[6] = next
	out := cat(base, ext, seg)
	binary.BigEndian.PutUint16(out[4:], uint16(len(out)-40))
	return out
}

func TestIPv6ExtensionHeaders(t *testing.T) {
	pad8 := make([]byte, 8)
	ah := make([]byte, 16) // payload len field 2 => (2+2)*4 = 16
	ah[1] = 2
	final := net.ParseIP("2001:db8::99")
	rt0 := cat([]byte{0, 4, 0, 2}, make([]byte, 4), net.ParseIP("2001:db8::77").To16(), final.To16())
	rt0seg0 := append([]byte(nil), rt0...)
	rt0seg0[3] = 0
	cases := []struct {
		name  string
		types []uint8
		hdrs  [][]byte
		w     want
	}{
		{"hop-by-hop", []uint8{protoHopOpts}, [][]byte{pad8}, wTCP6},
		{"hbh-dstopts-ah", []uint8{protoHopOpts, protoDstOpts, protoAH}, [][]byte{pad8, pad8, ah}, wTCP6},
		{"routing-type0", []uint8{protoRouting}, [][]byte{rt0}, want{n: 1, src: ip6A, dst: final, sp: 1234, dp: 443, proto: 6, session: true}},
		{"routing-type0-no-segments-left", []uint8{protoRouting}, [][]byte{rt0seg0}, wTCP6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Checksums are computed for the original destination, so
			// ignore them here.
			b := ipv6Ext(c.types, c.hdrs, tcp6AB)
			p := decodeOne(Options{IgnoreChecksums: true}, LinkRaw, b, 0)
			check(t, p, c.w)
			extLen := 0
			for _, h := range c.hdrs {
				extLen += len(h)
			}
			if L := &p.Layers[0]; int(L.HdrLen) != 40+extLen || int(L.IPLen) != len(b) {
				t.Errorf("HdrLen=%d IPLen=%d, want %d %d", L.HdrLen, L.IPLen, 40+extLen, len(b))
			}
		})
	}
	t.Run("checksum-with-ext", func(t *testing.T) {
		b := ipv6Ext([]uint8{protoHopOpts, protoDstOpts}, [][]byte{pad8, pad8}, tcp6AB)
		check(t, decodeOne(Options{}, LinkRaw, b, 0), wTCP6)
	})
	t.Run("ext-truncated", func(t *testing.T) {
		b := ipv6Ext([]uint8{protoHopOpts}, [][]byte{pad8}, tcp6AB)
		b[41] = 200 // claims 1608 bytes
		check(t, decodeOne(Options{}, LinkRaw, b, 0), want{anomaly: AnomalyTruncatedIP})
	})
	t.Run("no-next", func(t *testing.T) {
		check(t, decodeOne(Options{}, LinkRaw, rawIP6(ip6A, ip6B, protoNoNext, nil), 0),
			want{n: 1, anomaly: AnomalyNoTransport, src: ip6A, dst: ip6B, proto: 59})
	})
	t.Run("esp", func(t *testing.T) {
		check(t, decodeOne(Options{}, LinkRaw, rawIP6(ip6A, ip6B, protoESP, make([]byte, 16)), 0),
			want{n: 1, anomaly: AnomalyNoTransport, src: ip6A, dst: ip6B, proto: 50})
	})
	t.Run("icmpv6", func(t *testing.T) {
		check(t, decodeOne(Options{}, LinkRaw, icmp6(ip6A, ip6B, 128, 0), 0),
			want{n: 1, src: ip6A, dst: ip6B, sp: 128, dp: 0, proto: 58, session: true})
	})
	t.Run("icmpv6-bad-checksum", func(t *testing.T) {
		b := icmp6(ip6A, ip6B, 135, 0)
		b[len(b)-1] ^= 1
		check(t, decodeOne(Options{}, LinkRaw, b, 0),
			want{n: 1, anomaly: AnomalyBadChecksum, src: ip6A, dst: ip6B, sp: 135, proto: 58, session: true, badsum: true})
	})
	t.Run("udp6-zero-checksum-is-bad", func(t *testing.T) {
		b := udp6(ip6A, ip6B, 1, 2, []byte("abc"))
		b[46], b[47] = 0, 0
		check(t, decodeOne(Options{}, LinkRaw, b, 0),
			want{n: 1, anomaly: AnomalyBadChecksum, src: ip6A, dst: ip6B, sp: 1, dp: 2, proto: 17, session: true, badsum: true})
	})
}

func decodeSeq(d *Decoder, lt int, frames ...[]byte) []Packet {
	out := make([]Packet, len(frames))
	for i, f := range frames {
		d.Decode(lt, int64(i+1)*int64(time.Millisecond), f, len(f), &out[i])
	}
	return out
}

func TestFragments(t *testing.T) {
	payload := make([]byte, 1200)
	for i := range payload {
		payload[i] = byte(i)
	}
	dg := udp4(ipA, ipB, 7, 9, payload)
	frags := fragment4(dg, 400) // 4 fragments: 1208 bytes of UDP
	if len(frags) != 4 {
		t.Fatalf("got %d fragments", len(frags))
	}
	checkWhole := func(t *testing.T, p *Packet) {
		t.Helper()
		check(t, p, want{n: 1, src: ipA, dst: ipB, sp: 7, dp: 9, proto: 17, session: true})
		L := &p.Layers[0]
		if !L.Reassembled || L.IPLen != uint32(len(dg)) || L.PayloadLen != 1200 || string(L.Payload) != string(payload) {
			t.Errorf("reassembled: %s", describe(p))
		}
	}
	t.Run("in-order", func(t *testing.T) {
		ps := decodeSeq(New(Options{}), LinkRaw, frags...)
		for i := 0; i < 3; i++ {
			check(t, &ps[i], want{anomaly: AnomalyFragment})
		}
		checkWhole(t, &ps[3])
	})
	t.Run("out-of-order", func(t *testing.T) {
		ps := decodeSeq(New(Options{}), LinkRaw, frags[3], frags[1], frags[0], frags[2])
		checkWhole(t, &ps[3])
	})
	t.Run("last-first", func(t *testing.T) {
		ps := decodeSeq(New(Options{}), LinkRaw, frags[3], frags[2], frags[1], frags[0])
		checkWhole(t, &ps[3])
	})
	t.Run("overlap-first-wins", func(t *testing.T) {
		// A second copy of bytes 400..800 with different content arrives
		// after the original: Zeek keeps the bytes it already had.
		evil := append([]byte(nil), frags[1]...)
		for i := 20; i < len(evil); i++ {
			evil[i] ^= 0xff
		}
		fixIPv4Checksum(evil)
		d := New(Options{})
		ps := decodeSeq(d, LinkRaw, frags[0], frags[1], evil, frags[2], frags[3])
		check(t, &ps[2], want{anomaly: AnomalyFragmentOverlap})
		checkWhole(t, &ps[4])
	})
	t.Run("overlapping-ranges", func(t *testing.T) {
		// Fragments covering 0-800 and 400-1208 (overlap of 400 bytes).
		a := fragment4(dg, 800)[0]
		b := cat(frags[1][:20], dg[20+400:])
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		binary.BigEndian.PutUint16(b[6:], 400/8)
		fixIPv4Checksum(b)
		ps := decodeSeq(New(Options{}), LinkRaw, b, a)
		checkWhole(t, &ps[1])
	})
	t.Run("delivered-once", func(t *testing.T) {
		d := New(Options{})
		ps := decodeSeq(d, LinkRaw, cat(frags...)[:0], frags[0], frags[1], frags[2], frags[3], frags[3])
		checkWhole(t, &ps[4])
		check(t, &ps[5], want{anomaly: AnomalyFragment})
	})
	t.Run("incomplete-first-fragment", func(t *testing.T) {
		// A first fragment cut by snaplen is analyzed as is, later ones
		// are dropped (incompletely_captured_fragment).
		d := New(Options{})
		var p Packet
		d.Decode(LinkRaw, 1, frags[0][:60], len(frags[0]), &p)
		check(t, &p, want{n: 1, src: ipA, dst: ipB, sp: 7, dp: 9, proto: 17, session: true})
		d.Decode(LinkRaw, 2, frags[1][:60], len(frags[1]), &p)
		check(t, &p, want{anomaly: AnomalyTruncatedIP})
	})
	t.Run("expiry", func(t *testing.T) {
		d := New(Options{FragTimeout: time.Second})
		var p Packet
		d.Decode(LinkRaw, 0, frags[0], len(frags[0]), &p)
		d.Decode(LinkRaw, int64(2*time.Second), frags[1], len(frags[1]), &p)
		d.Decode(LinkRaw, int64(2*time.Second), frags[2], len(frags[2]), &p)
		d.Decode(LinkRaw, int64(2*time.Second), frags[3], len(frags[3]), &p)
		check(t, &p, want{anomaly: AnomalyFragment}) // first fragment expired
	})
	t.Run("capacity", func(t *testing.T) {
		d := New(Options{MaxFragDatagrams: 2})
		var p Packet
		other := func(id uint16) []byte {
			f := append([]byte(nil), frags[0]...)
			binary.BigEndian.PutUint16(f[4:], id)
			fixIPv4Checksum(f)
			return f
		}
		d.Decode(LinkRaw, 1, frags[0], len(frags[0]), &p)
		d.Decode(LinkRaw, 2, other(50), len(frags[0]), &p)
		d.Decode(LinkRaw, 3, other(51), len(frags[0]), &p) // evicts the oldest (ours)
		for i := 1; i < 4; i++ {
			d.Decode(LinkRaw, 4, frags[i], len(frags[i]), &p)
		}
		check(t, &p, want{anomaly: AnomalyFragment})
	})
	t.Run("key-includes-addresses", func(t *testing.T) {
		alt := fragment4(udp4(ipB, ipA, 7, 9, payload), 400)
		d := New(Options{})
		ps := decodeSeq(d, LinkRaw, frags[0], alt[1], alt[2], alt[3], frags[1], frags[2], frags[3])
		check(t, &ps[3], want{anomaly: AnomalyFragment})
		checkWhole(t, &ps[6])
	})
	t.Run("ipv6", func(t *testing.T) {
		dg6 := udp6(ip6A, ip6B, 7, 9, payload)
		f6 := fragment6(dg6, 512, 0xdeadbeef)
		ps := decodeSeq(New(Options{}), LinkRaw, f6[2], f6[0], f6[1])
		check(t, &ps[0], want{anomaly: AnomalyFragment})
		p := &ps[2]
		check(t, p, want{n: 1, src: ip6A, dst: ip6B, sp: 7, dp: 9, proto: 17, session: true})
		if L := &p.Layers[0]; !L.Reassembled || L.IPLen != uint32(len(dg6)) || L.HdrLen != 40 || string(L.Payload) != string(payload) {
			t.Errorf("v6 reassembly: %s", describe(p))
		}
	})
	t.Run("ipv6-atomic", func(t *testing.T) {
		dg6 := udp6(ip6A, ip6B, 7, 9, []byte("small"))
		f6 := fragment6(dg6, 1000, 1)
		p := decodeOne(Options{}, LinkRaw, f6[0], 0)
		check(t, p, want{n: 1, src: ip6A, dst: ip6B, sp: 7, dp: 9, proto: 17, session: true})
	})
	t.Run("ipv6-after-hbh", func(t *testing.T) {
		dg6 := udp6(ip6A, ip6B, 7, 9, payload)
		f6 := fragment6(dg6, 600, 2)
		for i, f := range f6 {
			// Insert a hop-by-hop header before the fragment header.
			hbh := []byte{protoFragment, 0, 0, 0, 0, 0, 0, 0}
			g := cat(f[:40], hbh, f[40:])
			g[6] = protoHopOpts
			binary.BigEndian.PutUint16(g[4:], uint16(len(g)-40))
			f6[i] = g
		}
		ps := decodeSeq(New(Options{}), LinkRaw, f6...)
		p := &ps[len(ps)-1]
		check(t, p, want{n: 1, src: ip6A, dst: ip6B, sp: 7, dp: 9, proto: 17, session: true})
		if L := &p.Layers[0]; L.HdrLen != 48 || int(L.IPLen) != len(dg6)+8 {
			t.Errorf("v6 reassembly with HBH: %s", describe(p))
		}
	})
	t.Run("fragmented-tunnel-payload", func(t *testing.T) {
		// Outer fragments carrying VXLAN (core.tunnels.gtp.outer_ip_frag
		// in spirit): the inner layers point into the reassembly buffer.
		inner := ethIP(tcp4(ipA, ipB, 1, 2, make([]byte, 600)))
		outer := udp4(net.IP{192, 168, 0, 1}, net.IP{192, 168, 0, 2}, 5555, portVXLAN, cat(vxlanHdr(1), inner))
		fs := fragment4(outer, 304)
		ps := decodeSeq(New(Options{}), LinkRaw, fs...)
		p := &ps[len(ps)-1]
		check(t, p, want{n: 2, src: ipA, dst: ipB, sp: 1, dp: 2, proto: 6, tunnel: TunnelVXLAN, session: true})
	})
}

func TestTunnels(t *testing.T) {
	o1, o2 := net.IP{192, 168, 1, 1}, net.IP{192, 168, 1, 2}
	inner := tcpAB
	wIn := func(tun Tunnel, n int) want {
		return want{n: n, src: ipA, dst: ipB, sp: 1234, dp: 80, proto: 6, tunnel: tun, session: true}
	}
	gre := func(flags, proto uint16, extra []byte, payload []byte) []byte {
		return rawIP4(o1, o2, protoGRE, cat(u16(flags), u16(proto), extra, payload))
	}
	udpT := func(sp, dp uint16, payload []byte) []byte { return udp4(o1, o2, sp, dp, payload) }
	geneve := func(opts []byte, proto uint16, payload []byte) []byte {
		return cat([]byte{byte(len(opts) / 4), 0}, u16(proto), u32(0x12345600), opts, payload)
	}
	gtp := func(flags byte, msg byte, extra []byte, payload []byte) []byte {
		return cat([]byte{flags, msg}, u16(uint16(len(extra)+len(payload))), u32(42), extra, payload)
	}
	teredoIP := udp6(net.ParseIP("2001:0:4136:e378::1"), ip6B, 1000, 2000, []byte("t"))
	bubble := rawIP6(net.ParseIP("fe80::1"), net.ParseIP("ff02::2"), protoNoNext, nil)
	ayiya := func(idCode byte, ident []byte, next byte, payload []byte) []byte {
		return cat([]byte{idCode<<4 | 1, 0x52, 0x11, next}, u32(0), ident, make([]byte, 20), payload)
	}
	cases := []struct {
		name string
		fr   []byte
		w    want
		o    Options
	}{
		{"ip-in-ip", rawIP4(o1, o2, protoIPIP, inner), wIn(TunnelIP, 2), Options{}},
		{"6in4", rawIP4(o1, o2, protoIPv6, tcp6AB), want{n: 2, src: ip6A, dst: ip6B, sp: 1234, dp: 443, proto: 6, tunnel: TunnelIP, session: true}, Options{}},
		{"4in6", rawIP6(ip6A, ip6B, protoIPIP, inner), wIn(TunnelIP, 2), Options{}},
		{"gre", gre(0, 0x0800, nil, inner), wIn(TunnelGRE, 2), Options{}},
		{"gre-key-seq-csum", gre(0xB000, 0x0800, make([]byte, 12), inner), wIn(TunnelGRE, 2), Options{}},
		{"gre-ipv6", gre(0, 0x86DD, nil, tcp6AB), want{n: 2, src: ip6A, dst: ip6B, sp: 1234, dp: 443, proto: 6, tunnel: TunnelGRE, session: true}, Options{}},
		{"gre-teb", gre(0x2000, 0x6558, u32(7), ethIP(inner)), wIn(TunnelGRE, 2), Options{}},
		{"gre-mpls", gre(0, 0x8847, nil, cat(u32(16<<12|1<<8|64), inner)), wIn(TunnelGRE, 2), Options{}},
		{"erspan-I", gre(0, 0x88be, nil, ethIP(inner)), wIn(TunnelGRE, 2), Options{}},
		{"erspan-II", gre(0x1000, 0x88be, u32(1), cat([]byte{0x10, 0, 0, 1}, u32(0), ethIP(inner))), wIn(TunnelGRE, 2), Options{}},
		{"erspan-III", gre(0x1000, 0x22eb, u32(1), cat([]byte{0x20, 0, 0, 1}, make([]byte, 8), ethIP(inner))), wIn(TunnelGRE, 2), Options{}},
		{"erspan-III-subheader", gre(0x1000, 0x22eb, u32(1), cat([]byte{0x20, 0, 0, 1}, make([]byte, 7), []byte{1}, make([]byte, 8), ethIP(inner))), wIn(TunnelGRE, 2), Options{}},
		{"pptp", gre(0x3081, 0x880b, cat(u16(uint16(len(inner)+4)), u16(5), u32(1), u32(0)), cat([]byte{0xff, 0x03}, u16(0x0021), inner)), wIn(TunnelGRE, 2), Options{}},
		{"pptp-length-mismatch", gre(0x3001, 0x880b, cat(u16(0), u16(5), u32(1)), cat([]byte{0xff, 0x03}, u16(0x0021), inner, []byte{0})), want{n: 1, anomaly: AnomalyBadTunnel, src: o1, dst: o2, proto: 47}, Options{}},
		{"pptp-lcp", gre(0x3001, 0x880b, cat(u16(0), u16(5), u32(1)), cat([]byte{0xff, 0x03}, u16(0xc021), make([]byte, 10))), want{n: 1, anomaly: AnomalyNonIP, src: o1, dst: o2, proto: 47}, Options{}},
		{"gre-version-2", gre(2, 0x0800, nil, inner), want{n: 1, anomaly: AnomalyBadTunnel, src: o1, dst: o2, proto: 47}, Options{}},
		{"gre-routing", gre(0x4000, 0x0800, nil, inner), want{n: 1, anomaly: AnomalyBadTunnel, src: o1, dst: o2, proto: 47}, Options{}},
		{"gre-over-udp", udpT(3333, portGREoUDP, cat(u16(0), u16(0x0800), inner)), wIn(TunnelGRE, 2), Options{}},
		{"vxlan", udpT(40000, portVXLAN, cat(vxlanHdr(5), ethIP(inner))), wIn(TunnelVXLAN, 2), Options{}},
		{"vxlan-reply-direction", udpT(portVXLAN, 40000, cat(vxlanHdr(5), ethIP(inner))), wIn(TunnelVXLAN, 2), Options{}},
		{"vxlan-no-I-flag", udpT(40000, portVXLAN, cat(make([]byte, 8), ethIP(inner))), want{n: 1, anomaly: AnomalyBadTunnel, src: o1, dst: o2, sp: 40000, dp: portVXLAN, proto: 17, session: true}, Options{}},
		{"vxlan-inner-arp", udpT(40000, portVXLAN, cat(vxlanHdr(5), eth(0x0806, make([]byte, 28)))), want{n: 1, anomaly: AnomalyNonIP, src: o1, dst: o2, sp: 40000, dp: portVXLAN, proto: 17, session: true}, Options{}},
		{"geneve", udpT(1, portGeneve, geneve(nil, 0x6558, ethIP(inner))), wIn(TunnelGeneve, 2), Options{}},
		{"geneve-options", udpT(1, portGeneve, geneve(cat(u16(0x0103), []byte{0x80, 2}, make([]byte, 8), u16(7), []byte{1, 0}), 0x6558, ethIP(inner))), wIn(TunnelGeneve, 2), Options{}},
		{"geneve-raw-ipv4", udpT(1, portGeneve, geneve(nil, 0x0800, inner)), wIn(TunnelGeneve, 2), Options{}},
		{"geneve-bad-version", udpT(1, portGeneve, func() []byte { g := geneve(nil, 0x6558, ethIP(inner)); g[0] |= 0x40; return g }()), want{n: 1, anomaly: AnomalyBadTunnel, src: o1, dst: o2, sp: 1, dp: portGeneve, proto: 17, session: true}, Options{}},
		{"teredo", udpT(1000, portTeredo, teredoIP), want{n: 2, src: net.ParseIP("2001:0:4136:e378::1"), dst: ip6B, sp: 1000, dp: 2000, proto: 17, tunnel: TunnelTeredo, session: true}, Options{}},
		{"teredo-origin-detected", udpT(1000, 2000, cat(u16(0), u16(0xffff), u32(0xffffffff), teredoIP)), want{n: 2, src: net.ParseIP("2001:0:4136:e378::1"), dst: ip6B, sp: 1000, dp: 2000, proto: 17, tunnel: TunnelTeredo, session: true}, Options{}},
		{"teredo-auth-origin", udpT(portTeredo, 9999, cat(u16(1), []byte{2, 3}, []byte("id"), []byte("abc"), make([]byte, 9), u16(0), make([]byte, 6), teredoIP)), want{n: 2, src: net.ParseIP("2001:0:4136:e378::1"), dst: ip6B, sp: 1000, dp: 2000, proto: 17, tunnel: TunnelTeredo, session: true}, Options{}},
		{"teredo-bubble", udpT(1000, portTeredo, bubble), want{n: 2, src: net.ParseIP("fe80::1"), dst: net.ParseIP("ff02::2"), proto: 59, tunnel: TunnelTeredo}, Options{}},
		{"teredo-bubble-with-payload", udpT(1000, portTeredo, cat(bubble, []byte("junk"))), want{n: 2, src: net.ParseIP("fe80::1"), dst: net.ParseIP("ff02::2"), proto: 59, tunnel: TunnelTeredo}, Options{}},
		{"teredo-length-mismatch", udpT(1000, portTeredo, cat(teredoIP, []byte("junk"))), want{n: 1, anomaly: AnomalyBadTunnel, src: o1, dst: o2, sp: 1000, dp: portTeredo, proto: 17, session: true}, Options{}},
		{"ayiya", udpT(1, portAYIYA, ayiya(4, make([]byte, 16), protoIPv6, tcp6AB)), want{n: 2, src: ip6A, dst: ip6B, sp: 1234, dp: 443, proto: 6, tunnel: TunnelAYIYA, session: true}, Options{}},
		{"ayiya-large-identity", udpT(1, 2, ayiya(8, make([]byte, 256), protoIPIP, inner)), wIn(TunnelAYIYA, 2), Options{}},
		{"ayiya-not-forward", udpT(1, portAYIYA, func() []byte { a := ayiya(0, []byte{1}, protoIPIP, inner); a[2] = 0x12; return a }()), want{n: 1, src: o1, dst: o2, sp: 1, dp: portAYIYA, proto: 17, session: true}, Options{}},
		{"gtpu", udpT(portGTPU, portGTPU, gtp(0x30, 0xff, nil, inner)), wIn(TunnelGTPv1, 2), Options{}},
		{"gtpu-seq-ext", udpT(portGTPU, portGTPU, gtp(0x36, 0xff, cat(u16(1), []byte{0, 0x85}, []byte{1, 0x10, 0, 0}), inner)), wIn(TunnelGTPv1, 2), Options{}},
		{"gtpu-ipv6", udpT(5000, portGTPU, gtp(0x30, 0xff, nil, tcp6AB)), want{n: 2, src: ip6A, dst: ip6B, sp: 1234, dp: 443, proto: 6, tunnel: TunnelGTPv1, session: true}, Options{}},
		{"gtpc-echo", udpT(portGTPC, portGTPC, gtp(0x32, 1, cat(u16(1), []byte{0, 0}), nil)), want{n: 1, src: o1, dst: o2, sp: portGTPC, dp: portGTPC, proto: 17, session: true}, Options{}},
		{"gtpu-payload-mismatch", udpT(portGTPU, portGTPU, gtp(0x30, 0xff, nil, cat(inner, []byte{0}))), want{n: 1, anomaly: AnomalyBadTunnel, src: o1, dst: o2, sp: portGTPU, dp: portGTPU, proto: 17, session: true}, Options{}},
		{"gtpu-version-2", udpT(portGTPU, portGTPU, gtp(0x50, 0xff, nil, inner)), want{n: 1, anomaly: AnomalyBadTunnel, src: o1, dst: o2, sp: portGTPU, dp: portGTPU, proto: 17, session: true}, Options{}},
		{"no-tunnel-when-disabled", udpT(40000, portVXLAN, cat(vxlanHdr(5), ethIP(inner))), want{n: 1, anomaly: AnomalyTunnelDepth, src: o1, dst: o2, sp: 40000, dp: portVXLAN, proto: 17, session: true}, Options{MaxTunnelDepth: -1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := decodeOne(c.o, LinkRaw, c.fr, 0)
			check(t, p, c.w)
			if p.N >= 2 {
				outer := &p.Layers[0]
				udp := outer.Key.Proto == ProtoUDP
				if outer.Session != udp {
					t.Errorf("outer Session=%v, want %v (UDP tunnels are connections, IP tunnels not)", outer.Session, udp)
				}
			}
		})
	}
}

func TestTunnelDepth(t *testing.T) {
	o := func(n byte) net.IP { return net.IP{n, n, n, n} }
	dns := udp4(o(4), o(9), 53, 53, []byte("q"))
	v3 := udp4(o(3), o(9), 4789, 4789, cat(vxlanHdr(3), ethIP(dns)))
	v2 := udp4(o(2), o(9), 4789, 4789, cat(vxlanHdr(2), eth(0x8100, cat(vlanTag(77, 0x0800), v3))))
	v1 := eth(0x8100, cat(vlanTag(5, 0x0800), udp4(o(1), o(9), 4789, 4789, cat(vxlanHdr(1), ethIP(v2)))))
	t.Run("default-depth-4", func(t *testing.T) {
		// core.tunnels.max-depth: all four connections are analyzed.
		p := decodeOne(Options{}, LinkEthernet, v1, 0)
		check(t, p, want{n: 4, src: o(4), dst: o(9), sp: 53, dp: 53, proto: 17, tunnel: TunnelVXLAN, session: true, vlan: 5})
		if p.Layers[0].VLAN != 5 || p.Layers[1].VLAN != 0 || p.Layers[2].VLAN != 77 {
			t.Errorf("per-layer VLANs %d %d %d", p.Layers[0].VLAN, p.Layers[1].VLAN, p.Layers[2].VLAN)
		}
		if p.Layers[1].SrcMAC != p.SrcMAC || !p.Layers[1].HasMAC {
			t.Errorf("inner MACs")
		}
	})
	t.Run("max-depth-2", func(t *testing.T) {
		// Zeek's max-depth-too-small test: the third VXLAN connection gets
		// history 'X', nothing inside it is analyzed.
		p := decodeOne(Options{MaxTunnelDepth: 2}, LinkEthernet, v1, 0)
		check(t, p, want{n: 3, anomaly: AnomalyTunnelDepth, src: o(3), dst: o(9), sp: 4789, dp: 4789, proto: 17, tunnel: TunnelVXLAN, session: true, vlan: 5})
		if L := &p.Layers[2]; !L.DepthExceeded || !L.HistoryX {
			t.Errorf("depth flags: %s", describe(p))
		}
	})
	t.Run("ip-tunnel-no-X", func(t *testing.T) {
		b := rawIP4(o(1), o(2), protoIPIP, rawIP4(o(3), o(4), protoIPIP, tcpAB))
		p := decodeOne(Options{MaxTunnelDepth: 1}, LinkRaw, b, 0)
		check(t, p, want{n: 2, anomaly: AnomalyTunnelDepth, src: o(3), dst: o(4), proto: 4, tunnel: TunnelIP})
		if L := &p.Layers[1]; !L.DepthExceeded || L.HistoryX {
			t.Errorf("depth flags: %s", describe(p))
		}
	})
	t.Run("cap-at-MaxLayers", func(t *testing.T) {
		b := tcpAB
		for i := 0; i < 8; i++ {
			b = rawIP4(o(1), o(2), protoIPIP, b)
		}
		p := decodeOne(Options{MaxTunnelDepth: 100}, LinkRaw, b, 0)
		if p.N != MaxLayers || p.Anomaly != AnomalyTunnelDepth {
			t.Errorf("got %s", describe(p))
		}
	})
}

// TestZeroAllocs checks the steady state allocates nothing for a mix of
// frames, including fragments and tunnels.
func TestZeroAllocs(t *testing.T) {
	payload := make([]byte, 1200)
	frags := fragment4(udp4(ipA, ipB, 7, 9, payload), 400)
	frames := [][]byte{ethIP(tcpAB), ethIP(udpAB), ethIP(tcp6AB),
		ethIP(udp4(ipB, ipA, 1, portVXLAN, cat(vxlanHdr(1), ethIP(tcpAB)))),
		ethIP(rawIP4(ipA, ipB, protoGRE, cat(u16(0), u16(0x0800), tcpAB)))}
	for _, f := range frags {
		frames = append(frames, ethIP(f))
	}
	d := New(Options{})
	var p Packet
	run := func() {
		for _, f := range frames {
			d.Decode(LinkEthernet, 1, f, len(f), &p)
		}
	}
	run()
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("allocations per run = %v, want 0", n)
	}
}

func TestAnomalyNames(t *testing.T) {
	if len(anomalyNames) != NumAnomalies {
		t.Fatalf("%d names for %d anomalies", len(anomalyNames), NumAnomalies)
	}
	if AnomalyBadChecksum.String() != "bad_checksum" || Anomaly(200).String() != "unknown" {
		t.Errorf("names: %s %s", AnomalyBadChecksum, Anomaly(200))
	}
}

// TestSum16 checks the 64-bit checksum loop against RFC 1071's 16-bit
// definition, on every length and alignment up to 300 bytes, with random
// and all-0xff data (the end-around carries).
func TestSum16(t *testing.T) {
	ref := func(s uint64, b []byte) uint64 {
		for len(b) >= 2 {
			s += uint64(b[0])<<8 | uint64(b[1])
			b = b[2:]
		}
		if len(b) == 1 {
			s += uint64(b[0]) << 8
		}
		return s
	}
	rng := rand.New(rand.NewSource(5))
	buf := make([]byte, 310)
	for _, fill := range []string{"random", "ones"} {
		for i := range buf {
			if fill == "ones" {
				buf[i] = 0xff
			} else {
				buf[i] = byte(rng.Intn(256))
			}
		}
		for off := 0; off < 8; off++ {
			for n := 0; n <= 300; n++ {
				b := buf[off : off+n]
				if got, want := fold(sum16(7, b)), fold(ref(7, b)); got != want {
					t.Fatalf("%s, %d bytes at %d: %#x, want %#x", fill, n, off, got, want)
				}
			}
		}
	}
}
