package arrow

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/zeeklog"
)

func addrOf(s string) decode.Addr {
	a := netip.MustParseAddr(s)
	if a.Is4() {
		b := a.As4()
		return decode.AddrFrom4(b[:])
	}
	b := a.As16()
	return decode.AddrFrom16(b[:])
}

// feeder drives a flow.Table with hand-made decode.Packets and keeps a copy
// of every connection it removes (the table owns its *Conn values only
// until the next call into it).
type feeder struct {
	tbl  *flow.Table
	ts   int64
	done []*flow.Conn
}

func newFeeder() *feeder {
	return &feeder{tbl: flow.New(flow.Config{Seed: 7}), ts: 1700000000123456000}
}

func (f *feeder) collect() {
	for _, ev := range f.tbl.Events() {
		if ev.Kind == flow.EventClosed {
			c := new(flow.Conn)
			ev.Conn.CopyTo(c)
			f.done = append(f.done, c)
		}
	}
}

// send feeds one frame of the given layers, 1.5 ms after the previous one.
func (f *feeder) send(layers ...decode.Layer) {
	var p decode.Packet
	f.ts += 1500000
	p.TS, p.N = f.ts, len(layers)
	copy(p.Layers[:], layers)
	f.tbl.Packet(&p)
	f.collect()
}

func (f *feeder) flush() []*flow.Conn {
	f.tbl.Flush()
	f.collect()
	return f.done
}

func tcp(src, dst string, sp, dp uint16, flags uint8, seq, ack, n uint32) decode.Layer {
	l := decode.Layer{Session: true, DataOff: 20, Window: 100}
	l.Key = decode.Key{Src: addrOf(src), Dst: addrOf(dst), SrcPort: sp, DstPort: dp, Proto: decode.ProtoTCP}
	l.IPv6 = !l.Key.Src.Is4()
	l.Flags, l.Seq, l.Ack, l.PayloadLen, l.IPLen = flags, seq, ack, n, 40+n
	return l
}

func udp(src, dst string, sp, dp uint16, n uint32) decode.Layer {
	l := decode.Layer{Session: true}
	l.Key = decode.Key{Src: addrOf(src), Dst: addrOf(dst), SrcPort: sp, DstPort: dp, Proto: decode.ProtoUDP}
	l.IPv6 = !l.Key.Src.Is4()
	hdr := uint32(20)
	if l.IPv6 {
		hdr = 40
	}
	l.PayloadLen, l.UDPLen, l.IPLen = n, uint16(8+n), hdr+8+n
	return l
}

func icmp(src, dst string, typ, code uint8, n uint32) decode.Layer {
	l := decode.Layer{Session: true}
	l.Key = decode.Key{Src: addrOf(src), Dst: addrOf(dst), SrcPort: uint16(typ), DstPort: uint16(code), Proto: decode.ProtoICMP}
	l.PayloadLen, l.IPLen = n, 20+8+n
	return l
}

// testConns returns removed connections of several kinds: a TCP
// handshake-data-close (SF), a one-packet UDP flow (no duration, so the
// nullable columns are null), an ICMP echo exchange, an IPv6 UDP exchange,
// an unknown IP protocol (empty history) and a UDP flow inside an IP-in-IP
// tunnel (tunnel_parents).
func testConns(t testing.TB) []*flow.Conn {
	t.Helper()
	f := newFeeder()
	const c, s = "192.168.1.2", "203.0.114.9"
	f.send(tcp(c, s, 50000, 443, decode.TCPSyn, 1, 0, 0))
	f.send(tcp(s, c, 443, 50000, decode.TCPSyn|decode.TCPAck, 9, 2, 0))
	f.send(tcp(c, s, 50000, 443, decode.TCPAck, 2, 10, 5))
	f.send(tcp(c, s, 50000, 443, decode.TCPAck|decode.TCPFin, 7, 10, 0))
	f.send(tcp(s, c, 443, 50000, decode.TCPAck|decode.TCPFin, 10, 8, 0))

	f.send(udp("10.0.0.1", "8.8.8.8", 40001, 53, 30))

	f.send(icmp("10.0.0.2", "1.1.1.1", 8, 0, 56))
	f.send(icmp("1.1.1.1", "10.0.0.2", 0, 0, 56))

	f.send(udp("2001:db8::1", "2606:4700::1111", 40000, 53, 33))
	f.send(udp("2606:4700::1111", "2001:db8::1", 53, 40000, 120))

	other := decode.Layer{Session: true, IPLen: 64}
	other.Key = decode.Key{Src: addrOf("10.9.9.9"), Dst: addrOf("224.0.0.5"), Proto: 89}
	f.send(other)

	outer := decode.Layer{IPLen: 20 + 28 + 10}
	outer.Key = decode.Key{Src: addrOf("198.51.100.1"), Dst: addrOf("198.51.100.2"), Proto: 4}
	inner := udp("172.16.0.1", "172.16.0.2", 1000, 2000, 10)
	inner.Tunnel = decode.TunnelIP
	f.send(outer, inner)
	f.send(outer, inner)

	conns := f.flush()
	if len(conns) != 6 {
		t.Fatalf("want 6 connections, got %d", len(conns))
	}
	var tunnelled bool
	for _, c := range conns {
		tunnelled = tunnelled || len(c.TunnelParents()) > 0
	}
	if !tunnelled {
		t.Fatal("no connection has tunnel parents")
	}
	return conns
}

// zeekRows writes conns with zeeklog's TSV writer and returns the records'
// fields: the reference each Arrow/Parquet column is compared with.
func zeekRows(t testing.TB, conns []*flow.Conn) [][]string {
	t.Helper()
	var buf bytes.Buffer
	w := zeeklog.NewConnWriter(&buf, zeeklog.Options{})
	for _, c := range conns {
		if err := w.Write(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	if len(rows) != len(conns) {
		t.Fatalf("zeeklog wrote %d rows for %d connections", len(rows), len(conns))
	}
	return rows
}
