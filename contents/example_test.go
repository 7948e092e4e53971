package contents_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/flowlog/flowlog/contents"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

func ExampleExtract() {
	dir, err := os.MkdirTemp("", "contents")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	t := flow.New(flow.Config{Seed: 1})
	cli, srv := netip.MustParseAddrPort("[2001:db8::1]:52000"), netip.MustParseAddrPort("[2001:db8::80]:80")
	p := &decode.Packet{N: 1}
	l := &p.Layers[0]
	l.Session, l.IPv6, l.DataOff, l.Window = true, true, 20, 65535
	send := func(ms int64, fromCli bool, flags uint8, seq, ack uint32, data string) {
		p.TS = 1_700_000_000e9 + ms*1e6
		l.Key = decode.Key{Src: decode.Addr(cli.Addr().As16()), SrcPort: cli.Port(),
			Dst: decode.Addr(srv.Addr().As16()), DstPort: srv.Port(), Proto: decode.ProtoTCP}
		if !fromCli {
			l.Key = l.Key.Reverse()
		}
		l.Flags, l.Seq, l.Ack = flags, seq, ack
		l.Payload, l.PayloadLen, l.IPLen = []byte(data), uint32(len(data)), uint32(60+len(data))
		t.Packet(p)
		for _, ev := range t.Events() {
			if ev.Kind == flow.EventOpened && ev.Conn.RespP == 80 {
				if err := contents.Extract(t, ev.Conn, dir, contents.Both); err != nil {
					panic(err)
				}
			}
		}
	}
	send(0, true, decode.TCPSyn, 100, 0, "")
	send(1, false, decode.TCPSyn|decode.TCPAck, 700, 101, "")
	send(2, true, decode.TCPAck, 101, 701, "")
	send(3, true, decode.TCPAck|decode.TCPPsh, 101+16, 701, "Host: x\r\n\r\n") // out of order
	send(4, true, decode.TCPAck|decode.TCPPsh, 101, 701, "GET / HTTP/1.1")
	send(5, true, decode.TCPAck|decode.TCPPsh, 101, 701, "GET / HTTP/1.1\r\n") // retransmitted, longer
	send(6, false, decode.TCPAck|decode.TCPPsh, 701, 128, "HTTP/1.1 204 No Content\r\n\r\n")
	t.Flush() // removal closes the files

	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, n := range names {
		b, _ := os.ReadFile(n)
		fmt.Printf("%s %q\n", filepath.Base(n), b)
	}
	// Output:
	// contents_[2001:db8::1]:52000-[2001:db8::80]:80_orig.dat "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	// contents_[2001:db8::1]:52000-[2001:db8::80]:80_resp.dat "HTTP/1.1 204 No Content\r\n\r\n"
}
