package thresholds_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/thresholds"
)

func ExampleSet() {
	t := flow.New(flow.Config{Seed: 1})
	s, d := netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.7:443")
	p := &decode.Packet{N: 1}
	l := &p.Layers[0]
	l.Session, l.DataOff, l.Window = true, 20, 65535
	send := func(sec float64, fromOrig bool, flags uint8, seq, ack, n uint32) {
		p.TS = int64(sec * 1e9)
		l.Key = decode.Key{Src: decode.Addr(s.Addr().As16()), SrcPort: s.Port(),
			Dst: decode.Addr(d.Addr().As16()), DstPort: d.Port(), Proto: decode.ProtoTCP}
		if !fromOrig {
			l.Key = l.Key.Reverse()
		}
		l.Flags, l.Seq, l.Ack, l.PayloadLen, l.IPLen = flags, seq, ack, n, 40+n
		t.Packet(p)
		for _, ev := range t.Events() {
			if ev.Kind != flow.EventOpened {
				continue
			}
			report := func(c *flow.Conn, th thresholds.Threshold) {
				fmt.Printf("%.1fs: %s crossed (orig %d B, resp %d B)\n",
					float64(t.Now())/1e9-100, th, c.OrigIPBytes(), c.RespIPBytes())
			}
			thresholds.Set(t, ev.Conn, thresholds.Bytes, thresholds.Resp, 10000, report)
			thresholds.Set(t, ev.Conn, thresholds.Bytes, thresholds.Resp, 3000, report)
			thresholds.Set(t, ev.Conn, thresholds.Packets, thresholds.Both, 4, report)
			thresholds.SetDuration(t, ev.Conn, 30*time.Second, report)
		}
	}
	send(100, true, decode.TCPSyn, 1, 0, 0)
	send(100.1, false, decode.TCPSyn|decode.TCPAck, 9, 2, 0)
	send(100.2, true, decode.TCPAck, 2, 10, 0)
	for i := uint32(0); i < 8; i++ {
		send(100.3+float64(i)/10, false, decode.TCPAck, 10+i*1460, 2, 1460)
	}
	t.Advance(int64(200 * time.Second)) // no packet: the duration threshold still fires
	// Output:
	// 0.3s: both packets 4 crossed (orig 80 B, resp 1540 B)
	// 0.4s: resp bytes 3000 crossed (orig 80 B, resp 3040 B)
	// 0.9s: resp bytes 10000 crossed (orig 80 B, resp 10540 B)
	// 100.0s: duration 30s crossed (orig 80 B, resp 12040 B)
}
