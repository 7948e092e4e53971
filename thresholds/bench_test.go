package thresholds

import (
	"testing"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// rec is one packet of the replay, kept pointer-free so that the
// benchmark's own input costs the garbage collector nothing.
type rec struct {
	ts       int64
	key      decode.Key
	flags    uint8
	seq, ack uint32
	n        uint32
}

// replay builds n TCP sessions over a rotating set of endpoints, as in
// flow's own benchmark: a handshake, rounds request/response exchanges
// (200 and 1000 bytes), and FINs: 6+2*rounds packets per connection.
func replay(n, rounds int) []rec {
	var rs []rec
	ts := int64(1_700_000_000) * 1e9
	for i := 0; i < n; i++ {
		src := decode.AddrFrom4([]byte{10, 0, byte(i >> 8), byte(i)})
		dst := decode.AddrFrom4([]byte{192, 0, 2, byte(i % 7)})
		sp := uint16(1024 + i%50000)
		mk := func(fromOrig bool, flags uint8, seq, ack uint32, n uint32) rec {
			ts += 1000
			k := decode.Key{Src: src, Dst: dst, SrcPort: sp, DstPort: 80, Proto: 6}
			if !fromOrig {
				k = k.Reverse()
			}
			return rec{ts, k, flags, seq, ack, n}
		}
		rs = append(rs,
			mk(true, decode.TCPSyn, 100, 0, 0),
			mk(false, decode.TCPSyn|decode.TCPAck, 500, 101, 0),
			mk(true, decode.TCPAck, 101, 501, 0))
		oseq, rseq := uint32(101), uint32(501)
		for r := 0; r < rounds; r++ {
			rs = append(rs,
				mk(true, decode.TCPAck|decode.TCPPsh, oseq, rseq, 200),
				mk(false, decode.TCPAck|decode.TCPPsh, rseq, oseq+200, 1000))
			oseq, rseq = oseq+200, rseq+1000
		}
		rs = append(rs,
			mk(true, decode.TCPAck|decode.TCPFin, oseq, rseq, 0),
			mk(false, decode.TCPAck|decode.TCPFin, rseq, oseq+1, 0),
			mk(true, decode.TCPAck, oseq+1, rseq+1, 0),
		)
	}
	return rs
}

// BenchmarkReplay is one packet per op through a flow.Table in a replay
// loop that decodes into one reused decode.Packet and reads the events
// after each packet. "none" uses no thresholds; "bytes" sets a resp byte
// threshold (never reached) on every connection when it opens;
// "bytes-fired" sets one that the first response reaches. "8pkt" are
// connections of 8 packets (the worst case: the per-connection cost is
// spread over few packets), "68pkt" of 68, the average of the bench-1g
// trace (73,942 flows, 5 million packets). The per-packet check
// is O(1): the difference from "none" is the per-connection Set (its
// allocations, and the garbage collector's share of them). cpu-ns/op is
// the process CPU time per op (GC workers included), steadier than ns/op
// on a loaded machine.
func BenchmarkReplay(b *testing.B) {
	cb := func(*flow.Conn, Threshold) {}
	for _, bc := range []struct {
		name   string
		rounds int
		value  uint64 // 0: no threshold
	}{
		{"8pkt/none", 1, 0},
		{"8pkt/bytes", 1, 1 << 30},
		{"8pkt/bytes-fired", 1, 1000},
		{"68pkt/none", 31, 0},
		{"68pkt/bytes", 31, 1 << 30},
		{"68pkt/bytes-fired", 31, 1000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rs := replay(4096, bc.rounds)
			t := flow.New(flow.Config{Seed: 1})
			span := rs[len(rs)-1].ts - rs[0].ts + 60e9
			var shift int64
			p := &decode.Packet{N: 1}
			l := &p.Layers[0]
			l.Session, l.DataOff, l.Window = true, 20, 1000
			run := func(i int) {
				j := i % len(rs)
				if i > 0 && j == 0 {
					shift += span
				}
				r := &rs[j]
				p.TS = r.ts + shift
				l.Key, l.Flags, l.Seq, l.Ack, l.PayloadLen, l.IPLen = r.key, r.flags, r.seq, r.ack, r.n, 40+r.n
				t.Packet(p)
				for _, ev := range t.Events() {
					if ev.Kind == flow.EventOpened && bc.value != 0 {
						Set(t, ev.Conn, Bytes, Resp, bc.value, cb)
					}
				}
			}
			for i := 0; i < 2*len(rs); i++ {
				run(i)
			}
			base := 2 * len(rs)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				run(base + i)
			}
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
