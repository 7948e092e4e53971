// Package flowtest builds decoded packets for tests of the flow table and the
// conn framework packages: one-layer TCP and UDP packets and a whole TCP
// session, from "addr:port" strings and times in seconds.
package flowtest

import (
	"net/netip"
	"strings"

	"github.com/flowlog/flowlog/decode"
)

// Sec converts seconds to packet time (ns).
func Sec(s float64) int64 { return int64(s*1e9 + 0.5) }

func Endpoint(s string) (decode.Addr, uint16) {
	ap := netip.MustParseAddrPort(s)
	return decode.Addr(ap.Addr().As16()), ap.Port()
}

// TCP builds a one-layer TCP packet; flags is a string of S A F R P.
func TCP(ts float64, src, dst, flags string, seq, ack uint32, payload string) *decode.Packet {
	p := &decode.Packet{TS: Sec(ts), N: 1}
	l := &p.Layers[0]
	l.Session = true
	sa, sp := Endpoint(src)
	da, dp := Endpoint(dst)
	l.Key = decode.Key{Src: sa, Dst: da, SrcPort: sp, DstPort: dp, Proto: decode.ProtoTCP}
	for _, f := range flags {
		l.Flags |= map[rune]uint8{'S': decode.TCPSyn, 'A': decode.TCPAck, 'F': decode.TCPFin,
			'R': decode.TCPRst, 'P': decode.TCPPsh}[f]
	}
	l.Seq, l.Ack, l.Window, l.DataOff = seq, ack, 1000, 20
	l.Payload = []byte(payload)
	l.PayloadLen = uint32(len(payload))
	l.HdrLen = 20
	l.IPLen = 40 + l.PayloadLen
	return p
}

// UDP builds a one-layer UDP packet.
func UDP(ts float64, src, dst, payload string) *decode.Packet {
	p := &decode.Packet{TS: Sec(ts), N: 1}
	l := &p.Layers[0]
	l.Session = true
	sa, sp := Endpoint(src)
	da, dp := Endpoint(dst)
	l.Key = decode.Key{Src: sa, Dst: da, SrcPort: sp, DstPort: dp, Proto: decode.ProtoUDP}
	l.Payload = []byte(payload)
	l.PayloadLen = uint32(len(payload))
	l.UDPLen = uint16(8 + len(payload))
	l.HdrLen = 20
	l.IPLen = 28 + l.PayloadLen
	return p
}

// Session is a complete TCP session from c to s starting at t0: handshake,
// one request, one reply, FINs from both sides.
func Session(t0 float64, c, s string) []*decode.Packet {
	req, resp := "GET / HTTP/1.0\r\n\r\n", strings.Repeat("x", 100)
	return []*decode.Packet{
		TCP(t0, c, s, "S", 1000, 0, ""),
		TCP(t0+0.1, s, c, "SA", 5000, 1001, ""),
		TCP(t0+0.2, c, s, "A", 1001, 5001, ""),
		TCP(t0+0.3, c, s, "AP", 1001, 5001, req),
		TCP(t0+0.4, s, c, "AP", 5001, 1001+uint32(len(req)), resp),
		TCP(t0+0.5, c, s, "AF", 1001+uint32(len(req)), 5101, ""),
		TCP(t0+0.6, s, c, "AF", 5101, 1002+uint32(len(req)), ""),
		TCP(t0+0.7, c, s, "A", 1002+uint32(len(req)), 5102, ""),
	}
}
