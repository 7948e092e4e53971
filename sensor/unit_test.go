//go:build linux

package sensor

import (
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// TestEmitCopiesMatchDirect runs captures through a table twice: once
// writing each event as the table hands it out, once through a worker's
// emit (copies into batches) and the sensor's writer goroutine, which
// formats them while the table goes on recycling connections. The two
// conn.logs must be identical.
func TestEmitCopiesMatchDirect(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "pcaps", "*.pcap"))
	if len(paths) == 0 {
		t.Fatal("no captures")
	}
	for _, path := range paths {
		direct, viaWriter := newLogSink(), newLogSink()
		s := &Sensor{out: make(chan *batch, 4), hup: make(chan struct{}, 1)}
		s.cfg.Records = viaWriter.records
		s.cfg.FlushInterval = DefaultFlushInterval
		done := make(chan struct{})
		go func() { s.writer(); close(done) }()
		tc := flow.Defaults()
		tc.Seed = 1
		tc.Interim = 0
		w := &worker{s: s, table: flow.New(tc), dec: decode.New(decode.Options{}), free: make(chan *batch, maxBatches)}
		src, err := capture.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for {
			f, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				break // damaged test captures: what was read is enough
			}
			w.dec.Decode(f.LinkType, f.TS, f.Data, f.WireLen, &w.pkt)
			w.table.Packet(&w.pkt)
			direct.records(w.table.Events())
			w.emit(w.table.Events())
			if f.Num%3 == 0 {
				w.ship() // small batches: more recycling while in flight
			}
		}
		src.Close()
		w.table.Flush()
		direct.records(w.table.Events())
		w.emit(w.table.Events())
		w.ship()
		close(s.out)
		<-done
		a, b := strings.Join(direct.lines(), "\n"), strings.Join(viaWriter.lines(), "\n")
		if a != b {
			t.Errorf("%s: records differ:\ndirect:\n%s\nvia writer:\n%s", filepath.Base(path), a, b)
		}
	}
}

// TestLongHistoryWaits checks the path for histories longer than a Conn
// holds inline: the worker must wait for the writer before going on.
func TestLongHistoryWaits(t *testing.T) {
	var got []string
	s := &Sensor{out: make(chan *batch, 1), hup: make(chan struct{}, 1)}
	s.cfg.FlushInterval = DefaultFlushInterval
	s.cfg.Records = func(evs []flow.Event) {
		for _, ev := range evs {
			got = append(got, ev.Conn.History())
		}
	}
	done := make(chan struct{})
	go func() { s.writer(); close(done) }()
	tc := flow.Defaults()
	tc.Seed = 1
	w := &worker{s: s, table: flow.New(tc), free: make(chan *batch, maxBatches)}
	// Building a history of more than 16 letters takes a long crafted TCP
	// exchange; the wait path itself is the same for any record, so it is
	// forced here on a one-packet connection.
	var p decode.Packet
	p.N = 1
	l := &p.Layers[0]
	*l = decode.Layer{Session: true, IPLen: 40, DataOff: 20, Flags: decode.TCPSyn}
	l.Key = decode.Key{Src: decode.AddrFrom4([]byte{192, 0, 2, 9}), Dst: decode.AddrFrom4([]byte{192, 0, 2, 1}), SrcPort: 1234, DstPort: 80, Proto: 6}
	p.TS = 1e18
	w.table.Packet(&p)
	w.table.Flush()
	evs := w.table.Events()
	w.emit(evs)
	w.shipWait(true) // the wait path: returns only after delivery
	if len(got) != 1 || !strings.HasPrefix(got[0], "S") {
		t.Fatalf("delivered %q", got)
	}
	close(s.out)
	<-done
}

func TestDefaultMaxFlowsFormula(t *testing.T) {
	ring := int64(64 << 20)
	cases := []struct {
		workers int
		avail   int64
		want    int
	}{
		{1, 16 << 30, int((16<<30 - ring) / 2 / BytesPerFlow)},
		{2, 16 << 30, int((16<<30 - 2*ring) / 2 / BytesPerFlow / 2)},
		{4, 256 << 20, MinDefaultMaxFlows},
		{1, 1 << 50, MaxDefaultMaxFlows},
	}
	for _, c := range cases {
		if got := defaultMaxFlows(c.workers, ring, c.avail); got != c.want {
			t.Errorf("workers %d, avail %d: %d, want %d", c.workers, c.avail, got, c.want)
		}
	}
	if n := DefaultMaxFlows(2); n < MinDefaultMaxFlows || n > MaxDefaultMaxFlows {
		t.Errorf("DefaultMaxFlows(2) = %d", n)
	}
}

// TestFlowMemory checks BytesPerFlow against the live heap of a table full
// of half-open TCP connections (the SYN flood case): the constant must be
// at least twice the measured size, the Go collector's headroom.
func TestFlowMemory(t *testing.T) {
	const n = 50000
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	tc := flow.Defaults()
	tc.MaxFlows = n
	tb := flow.New(tc)
	var p decode.Packet
	p.N = 1
	for i := 0; i < n; i++ {
		l := &p.Layers[0]
		*l = decode.Layer{Session: true, IPLen: 40, DataOff: 20, Flags: decode.TCPSyn}
		l.Key = decode.Key{Src: decode.AddrFrom4([]byte{198, 18, byte(i >> 8), byte(i)}), Dst: decode.AddrFrom4([]byte{192, 0, 2, 1}),
			SrcPort: uint16(1024 + i>>16), DstPort: 80, Proto: 6}
		p.TS = 1e18 + int64(i)*1000
		tb.Packet(&p)
	}
	runtime.GC()
	runtime.ReadMemStats(&b)
	per := float64(b.HeapAlloc-a.HeapAlloc) / float64(tb.Len())
	runtime.KeepAlive(tb)
	t.Logf("%.0f bytes of live heap per half-open connection; BytesPerFlow %d", per, BytesPerFlow)
	if 2*per > BytesPerFlow {
		t.Errorf("BytesPerFlow %d is less than twice the measured %.0f bytes per flow", BytesPerFlow, per)
	}
}
