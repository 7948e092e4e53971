package flow

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/flowlog/flowlog/decode"
)

// synthetic builds a packet stream of n short TCP sessions over a fixed set
// of endpoints, so the table reaches a steady state (flows open and close).
func synthetic(n int) []decode.Packet {
	var pkts []decode.Packet
	ts := int64(1_700_000_000) * 1e9
	for i := 0; i < n; i++ {
		src := decode.AddrFrom4([]byte{10, 0, byte(i >> 8), byte(i)})
		dst := decode.AddrFrom4([]byte{192, 0, 2, byte(i % 7)})
		sp := uint16(1024 + i%50000)
		mk := func(fromOrig bool, flags uint8, seq, ack uint32, n uint32) decode.Packet {
			var p decode.Packet
			ts += 1000
			p.TS = ts
			p.N = 1
			l := &p.Layers[0]
			l.Session = true
			if fromOrig {
				l.Key = decode.Key{Src: src, Dst: dst, SrcPort: sp, DstPort: 80, Proto: 6}
			} else {
				l.Key = decode.Key{Src: dst, Dst: src, SrcPort: 80, DstPort: sp, Proto: 6}
			}
			l.Flags, l.Seq, l.Ack, l.PayloadLen, l.DataOff, l.Window = flags, seq, ack, n, 20, 1000
			l.IPLen = 40 + n
			return p
		}
		pkts = append(pkts,
			mk(true, decode.TCPSyn, 100, 0, 0),
			mk(false, decode.TCPSyn|decode.TCPAck, 500, 101, 0),
			mk(true, decode.TCPAck, 101, 501, 0),
			mk(true, decode.TCPAck|decode.TCPPsh, 101, 501, 200),
			mk(false, decode.TCPAck|decode.TCPPsh, 501, 301, 1000),
			mk(true, decode.TCPAck|decode.TCPFin, 301, 1501, 0),
			mk(false, decode.TCPAck|decode.TCPFin, 1501, 302, 0),
			mk(true, decode.TCPAck, 302, 1502, 0),
		)
	}
	return pkts
}

// BenchmarkTablePacket measures the table alone: one op is one packet.
// Steady state must not allocate (flows are recycled through a free list).
func BenchmarkTablePacket(b *testing.B) {
	pkts := synthetic(4096)
	t := New(Config{Seed: 1})
	// warm up: one pass so the map, heap and free list reach their size
	span := pkts[len(pkts)-1].TS - pkts[0].TS + 60e9
	var shift int64
	run := func(i int) {
		p := pkts[i%len(pkts)]
		if i > 0 && i%len(pkts) == 0 {
			shift += span
		}
		p.TS += shift
		t.Packet(&p)
	}
	for i := 0; i < 3*len(pkts); i++ {
		run(i)
	}
	base := 3 * len(pkts)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run(base + i)
	}
}

// BenchmarkLiveFlowMemory reports the heap cost of one live connection (a
// TCP handshake, so both endpoints are in use), with its map entry and
// timers: the table holds b.N-independent 100k flows at once.
func BenchmarkLiveFlowMemory(b *testing.B) {
	const n = 100_000
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		t := New(Config{Seed: 1})
		b.StartTimer()
		var p decode.Packet
		p.N = 1
		l := &p.Layers[0]
		l.Session, l.DataOff, l.Window = true, 20, 1000
		ts := int64(1_700_000_000) * 1e9
		for i := 0; i < n; i++ {
			src := decode.AddrFrom4([]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
			dst := decode.AddrFrom4([]byte{192, 0, 2, 1})
			p.TS = ts + int64(i)
			l.Key = decode.Key{Src: src, Dst: dst, SrcPort: 40000, DstPort: 443, Proto: 6}
			l.Flags, l.Seq, l.Ack, l.PayloadLen, l.IPLen = decode.TCPSyn, 1, 0, 0, 40
			t.Packet(&p)
			l.Key = l.Key.Reverse()
			l.Flags, l.Seq, l.Ack = decode.TCPSyn|decode.TCPAck, 9, 2
			t.Packet(&p)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		if t.Len() != n {
			b.Fatalf("%d live flows, want %d", t.Len(), n)
		}
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/n, "heapB/flow")
		runtime.KeepAlive(t)
		b.StartTimer()
	}
}

// TestLayoutSizes pins the per-flow layout the memory figures rely on: a
// change that grows a Conn, the TCP state or a timer shows up here.
func TestLayoutSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"Conn", unsafe.Sizeof(Conn{}), 136},
		{"tcpState", unsafe.Sizeof(tcpState{}), 160},
		{"timer", unsafe.Sizeof(timer{}), 16},
	} {
		if c.got > c.want {
			t.Errorf("%s is %d bytes, budget %d", c.name, c.got, c.want)
		}
		if testing.Verbose() {
			t.Logf("%s: %d bytes (budget %d)", c.name, c.got, c.want)
		}
	}
}
