package polling_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/polling"
)

func ExampleWatch() {
	t := flow.New(flow.Config{Seed: 1})
	s, d := netip.MustParseAddrPort("192.0.2.1:5004"), netip.MustParseAddrPort("192.0.2.9:5004")
	p := &decode.Packet{N: 1}
	p.Layers[0] = decode.Layer{Session: true, IPLen: 200, UDPLen: 180, PayloadLen: 172,
		Key: decode.Key{Src: decode.Addr(s.Addr().As16()), SrcPort: s.Port(),
			Dst: decode.Addr(d.Addr().As16()), DstPort: d.Port(), Proto: decode.ProtoUDP}}

	// A media stream: one datagram every 100 ms for 10 s, polled every 2 s
	// of packet time, at most 4 times.
	for i := 0; i < 100; i++ {
		p.TS = int64(1000*time.Second) + int64(i)*int64(100*time.Millisecond)
		t.Packet(p)
		for _, ev := range t.Events() {
			if ev.Kind == flow.EventOpened {
				polling.Watch(t, ev.Conn, func(c *flow.Conn, cnt int) time.Duration {
					fmt.Printf("poll %d: %d packets, %d IP bytes\n", cnt, c.OrigPkts(), c.OrigIPBytes())
					return 2 * time.Second
				}, 4, 2*time.Second)
			}
		}
	}
	// Output:
	// poll 0: 20 packets, 4000 IP bytes
	// poll 1: 40 packets, 8000 IP bytes
	// poll 2: 60 packets, 12000 IP bytes
	// poll 3: 80 packets, 16000 IP bytes
}
