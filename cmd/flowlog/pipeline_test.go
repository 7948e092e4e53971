package main

import (
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

type frame struct {
	lt   int
	ts   int64
	data []byte
	wire int
}

func loadFrames(tb testing.TB, path string) []frame {
	tb.Helper()
	src, err := capture.Open(path)
	if err != nil {
		tb.Skipf("%s: %v", path, err)
	}
	defer src.Close()
	var out []frame
	for {
		f, err := src.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				tb.Logf("%s: %v", path, err)
			}
			break
		}
		out = append(out, frame{f.LinkType, f.TS, append([]byte(nil), f.Data...), f.WireLen})
	}
	return out
}

// BenchmarkPipeline measures decode + flow table per packet over the sample
// capture, replayed back to back with shifted times so that flows open, time
// out and are recycled: the steady state must not allocate.
func BenchmarkPipeline(b *testing.B) {
	frames := loadFrames(b, "../../testdata/pcaps/sample.pcap")
	if len(frames) == 0 {
		b.Skip("no frames")
	}
	span := frames[len(frames)-1].ts - frames[0].ts + 3600e9
	dec := decode.New(decode.Options{})
	tbl := flow.New(flow.Config{Seed: 1})
	var p decode.Packet
	var shift int64
	step := func(i int) {
		k := i % len(frames)
		if k == 0 && i > 0 {
			shift += span
		}
		f := &frames[k]
		dec.Decode(f.lt, f.ts+shift, f.data, f.wire, &p)
		tbl.Packet(&p)
	}
	for i := 0; i < 5*len(frames); i++ {
		step(i)
	}
	base := 5 * len(frames)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step(base + i)
	}
}

// TestMutatedCorpus replays the Zeek corpus traces (when present) and the
// generated captures through decode and the flow table with random byte
// flips and truncations: nothing may panic, and every flow must still come
// out at Flush.
func TestMutatedCorpus(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/pcaps/*.pcap")
	corpus, _ := filepath.Glob("../../../shared/zeek-parity/*/trace.pcap*")
	if len(corpus) == 0 {
		t.Log("../shared/zeek-parity not found: mutating only testdata/pcaps")
	}
	paths = append(paths, corpus...)
	rng := rand.New(rand.NewSource(1))
	total := 0
	for _, path := range paths {
		frames := loadFrames(t, path)
		for round := 0; round < 3; round++ {
			dec := decode.New(decode.Options{IgnoreChecksums: round == 2})
			tbl := flow.New(flow.Config{Seed: 1})
			var p decode.Packet
			opened, closed := 0, 0
			count := func() {
				for _, ev := range tbl.Events() {
					if ev.Kind == flow.EventOpened {
						opened++
					} else if ev.Kind == flow.EventClosed {
						closed++
					}
				}
			}
			for _, f := range frames {
				data := append([]byte(nil), f.data...)
				switch rng.Intn(4) {
				case 0: // flip a few bytes
					for k := 0; k < 1+rng.Intn(4) && len(data) > 0; k++ {
						data[rng.Intn(len(data))] ^= byte(1 << rng.Intn(8))
					}
				case 1: // truncate
					if len(data) > 0 {
						data = data[:rng.Intn(len(data))]
					}
				case 2: // random time jitter, also backwards
					f.ts += int64(rng.Intn(2e9)) - 1e9
				}
				dec.Decode(f.lt, f.ts, data, f.wire, &p)
				tbl.Packet(&p)
				count()
				total++
			}
			tbl.Flush()
			count()
			if opened != closed {
				t.Fatalf("%s round %d: %d flows opened, %d closed: flush lost flows", path, round, opened, closed)
			}
			if tbl.Len() != 0 {
				t.Fatalf("%s: %d flows left after Flush", path, tbl.Len())
			}
		}
	}
	t.Logf("%d mutated frames replayed from %d captures", total, len(paths))
}

// FuzzTable drives the flow table with arbitrary frames decoded as raw IP
// (the first byte picks IPv4/IPv6 framing time steps): no panic, and Flush
// always balances opened and closed flows.
func FuzzTable(f *testing.F) {
	for _, path := range []string{"../../testdata/pcaps/link-raw.pcap", "../../testdata/pcaps/sample.pcap"} {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		for i, fr := range loadFrames(f, path) {
			if i > 40 {
				break
			}
			f.Add(append([]byte{byte(fr.lt)}, fr.data...))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 {
			return
		}
		dec := decode.New(decode.Options{})
		tbl := flow.New(flow.Config{Seed: 1})
		var p decode.Packet
		opened, closed := 0, 0
		lt := int(in[0])
		data := in[1:]
		ts := int64(1e18)
		// Feed the input as several frames: each prefix, so one input
		// exercises a sequence of related packets.
		for n := 1; n <= len(data); n += 1 + len(data)/8 {
			ts += int64(data[n-1]) * 1e8
			dec.Decode(lt, ts, data[:n], n, &p)
			tbl.Packet(&p)
			for _, ev := range tbl.Events() {
				if ev.Kind == flow.EventOpened {
					opened++
				} else {
					closed++
				}
			}
		}
		tbl.Flush()
		closed += len(tbl.Events())
		if opened != closed {
			t.Fatalf("opened %d closed %d", opened, closed)
		}
	})
}

// BenchmarkConcurrentFlowMemory measures the flow table's memory per
// concurrent flow on the real mix of many-flows.pcap (one third TCP, the
// rest UDP, ICMP and other): every frame is fed with its time compressed to
// 1 ns apart, so no timer fires and every flow of the file is live at the
// end. Heap bytes (after a GC, index, timers and TCP state included) are
// divided by the live flows. The capture is built by `make bench`
// ($FLOWLOG_BENCHDIR, default ~/.cache/flowlog-bench); it skips without it.
func BenchmarkConcurrentFlowMemory(b *testing.B) {
	dir := os.Getenv("FLOWLOG_BENCHDIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "flowlog-bench")
	}
	path := filepath.Join(dir, "many-flows.pcap")
	if _, err := os.Stat(path); err != nil {
		b.Skipf("%s not built (make bench builds it): %v", path, err)
	}
	for it := 0; it < b.N; it++ {
		src, err := capture.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		tbl := flow.New(flow.Config{Seed: 1})
		dec := decode.New(decode.Options{})
		var p decode.Packet
		var ts int64 = 1_700_000_000e9
		for {
			f, err := src.Next()
			if err != nil {
				break
			}
			ts++
			dec.Decode(f.LinkType, ts, f.Data, f.WireLen, &p)
			tbl.Packet(&p)
		}
		src.Close()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		n := tbl.Len()
		if n == 0 {
			b.Fatal("no flows")
		}
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(n), "heapB/flow")
		b.ReportMetric(float64(n), "flows")
		runtime.KeepAlive(tbl)
	}
}
