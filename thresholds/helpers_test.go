package thresholds

import (
	"net/netip"
	"strings"

	"github.com/flowlog/flowlog/decode"
)

// sec converts seconds to packet time (ns).
func sec(s float64) int64 { return int64(s*1e9 + 0.5) }

func endpoint(s string) (decode.Addr, uint16) {
	ap := netip.MustParseAddrPort(s)
	return decode.Addr(ap.Addr().As16()), ap.Port()
}

// tcp builds a one-layer TCP packet; flags is a string of S A F R P.
func tcp(ts float64, src, dst, flags string, seq, ack uint32, payload string) *decode.Packet {
	p := &decode.Packet{TS: sec(ts), N: 1}
	l := &p.Layers[0]
	l.Session = true
	sa, sp := endpoint(src)
	da, dp := endpoint(dst)
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

// udp builds a one-layer UDP packet.
func udp(ts float64, src, dst, payload string) *decode.Packet {
	p := &decode.Packet{TS: sec(ts), N: 1}
	l := &p.Layers[0]
	l.Session = true
	sa, sp := endpoint(src)
	da, dp := endpoint(dst)
	l.Key = decode.Key{Src: sa, Dst: da, SrcPort: sp, DstPort: dp, Proto: decode.ProtoUDP}
	l.Payload = []byte(payload)
	l.PayloadLen = uint32(len(payload))
	l.UDPLen = uint16(8 + len(payload))
	l.HdrLen = 20
	l.IPLen = 28 + l.PayloadLen
	return p
}

// session is a complete TCP session from c to s starting at t0: handshake,
// one request, one reply, FINs from both sides.
func session(t0 float64, c, s string) []*decode.Packet {
	req, resp := "GET / HTTP/1.0\r\n\r\n", strings.Repeat("x", 100)
	return []*decode.Packet{
		tcp(t0, c, s, "S", 1000, 0, ""),
		tcp(t0+0.1, s, c, "SA", 5000, 1001, ""),
		tcp(t0+0.2, c, s, "A", 1001, 5001, ""),
		tcp(t0+0.3, c, s, "AP", 1001, 5001, req),
		tcp(t0+0.4, s, c, "AP", 5001, 1001+uint32(len(req)), resp),
		tcp(t0+0.5, c, s, "AF", 1001+uint32(len(req)), 5101, ""),
		tcp(t0+0.6, s, c, "AF", 5101, 1002+uint32(len(req)), ""),
		tcp(t0+0.7, c, s, "A", 1002+uint32(len(req)), 5102, ""),
	}
}
