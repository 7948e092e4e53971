package hooks_test

import (
	"fmt"
	"net/netip"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/hooks"
)

func ExampleRegister() {
	t := flow.New(flow.Config{Seed: 1})

	// One DNS query and its answer.
	pkt := func(ts int64, src, dst string, n int) *decode.Packet {
		s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
		p := &decode.Packet{TS: ts * 1e9, N: 1}
		p.Layers[0] = decode.Layer{Session: true, IPLen: uint32(28 + n), UDPLen: uint16(8 + n),
			PayloadLen: uint32(n), Key: decode.Key{
				Src: decode.Addr(s.Addr().As16()), SrcPort: s.Port(),
				Dst: decode.Addr(d.Addr().As16()), DstPort: d.Port(), Proto: decode.ProtoUDP}}
		return p
	}
	for _, p := range []*decode.Packet{
		pkt(100, "192.0.2.1:33000", "192.0.2.53:53", 30),
		pkt(101, "192.0.2.53:53", "192.0.2.1:33000", 90),
	} {
		t.Packet(p)
		for _, ev := range t.Events() {
			if ev.Kind == flow.EventOpened {
				hooks.Register(ev.Conn, "size", func(c *flow.Conn) {
					o, r := c.Sizes()
					c.SetField("ratio", fmt.Sprintf("%.1f", float64(r)/float64(o)))
				})
			}
		}
	}
	t.Flush()
	for _, ev := range t.Events() {
		v, _ := ev.Conn.Field("ratio")
		fmt.Println(ev.Conn.State(), ev.Conn.History(), "ratio", v)
	}
	// Output:
	// SF Dd ratio 3.0
}
