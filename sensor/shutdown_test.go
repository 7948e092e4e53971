//go:build linux

package sensor

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/sensor/vethtest"
)

// sendPaced sends frames made by mk(i) for i < n, about pps per second, in
// batches, until n frames or stop is closed. It returns how many it sent.
func sendPaced(t testing.TB, snd *vethtest.Sender, n, pps int, stop <-chan struct{}, mk func(i int) []byte) int {
	const batch = 256
	start := time.Now()
	frames := make([][]byte, 0, batch)
	sent := 0
	for sent < n {
		select {
		case <-stop:
			return sent
		default:
		}
		frames = frames[:0]
		for j := 0; j < batch && sent+j < n; j++ {
			frames = append(frames, mk(sent+j))
		}
		if err := snd.Send(frames); err != nil {
			t.Error(err)
			return sent
		}
		sent += len(frames)
		if pps > 0 {
			if ahead := time.Duration(float64(sent)/float64(pps)*float64(time.Second)) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
	}
	return sent
}

// TestPrivilegedShutdownLosesNothing stops the sensor (context cancel, as
// SIGTERM does in the command) in the middle of a stream of one-packet UDP
// flows and checks that every frame the kernel handed to the sensor became
// a record: nothing read is lost, nothing queued in the ring is lost.
func TestPrivilegedShutdownLosesNothing(t *testing.T) {
	requirePrivileged(t)
	p := vethtest.New(t)
	snd, err := p.NewSender()
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	var mu sync.Mutex
	seen := map[string]int{}
	records := 0
	r := startSensor(t, p, Config{
		Workers: 2, Table: flow.Config{Seed: 3, MaxFlows: -1},
		Records: func(evs []flow.Event) {
			mu.Lock()
			defer mu.Unlock()
			for _, ev := range evs {
				if ev.Kind != flow.EventClosed {
					continue
				}
				records++
				c := ev.Conn
				seen[fmt.Sprintf("%s:%d>%s:%d", c.OrigH, c.OrigP, c.RespH, c.RespP)]++
				if c.OrigPkts() != 1 || c.RespPkts() != 0 {
					t.Errorf("record with %d/%d packets", c.OrigPkts(), c.RespPkts())
				}
			}
		},
	})
	const total = 150000
	mk := func(i int) []byte {
		return vethtest.UDP4([4]byte{198, 18, byte(i >> 8), byte(i)}, vethtest.CaptureIP, uint16(10000+i>>16), 5353, 60)
	}
	stopSend := make(chan struct{})
	sentc := make(chan int, 1)
	go func() { sentc <- sendPaced(t, snd, total, 50000, stopSend, mk) }()
	time.Sleep(800 * time.Millisecond)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	close(stopSend)
	sent := <-sentc
	st := r.s.Stats()
	t.Logf("sent %d frames (stopped mid-stream), kernel queued %d (drops %d), startup-discarded %d, decoded %d, records %d",
		sent, st.Kernel.Packets, st.Kernel.Drops, st.Kernel.Startup, st.Packets, records)
	if st.Kernel.Drops != 0 {
		t.Errorf("kernel dropped %d frames at 50k frames/s", st.Kernel.Drops)
	}
	if st.Packets == 0 || st.Packets >= uint64(total) {
		t.Fatalf("decoded %d frames: the stop was not mid-stream", st.Packets)
	}
	for _, w := range st.Workers {
		k := w.Kernel
		if k.Received != k.Packets-k.Drops {
			t.Errorf("worker %d: kernel queued %d frames, %d read: the ring was not drained", w.Worker, k.Packets-k.Drops, k.Received)
		}
		if k.Received-k.Startup-k.Filtered != w.Packets {
			t.Errorf("worker %d: read %d frames (startup %d), decoded %d", w.Worker, k.Received, k.Startup, w.Packets)
		}
	}
	if uint64(records) != st.Packets || st.Records != st.Packets {
		t.Errorf("%d records (%d counted) for %d decoded one-packet flows", records, st.Records, st.Packets)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("flow %s logged %d times", k, n)
		}
	}
}

// TestPrivilegedSYNFlood sends a SYN flood from about a million distinct
// sources (bounded to 60s) to a sensor whose tables hold 20000 flows per
// worker, and checks that the tables stay within the bound, the evictions
// are counted (stats and metrics), every connection is logged, and the Go
// heap stays bounded.
func TestPrivilegedSYNFlood(t *testing.T) {
	requirePrivileged(t)
	if testing.Short() {
		t.Skip("SKIPPED in -short: 1M-frame flood")
	}
	p := vethtest.New(t)
	snd, err := p.NewSender()
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	const maxFlows = 20000
	var records uint64
	r := startSensor(t, p, Config{
		Workers: 2, Table: flow.Config{Seed: 5, MaxFlows: maxFlows},
		Capture: capture.LiveOptions{NumBlocks: 32},
		Records: func(evs []flow.Event) {
			for _, ev := range evs {
				if ev.Kind == flow.EventClosed {
					records++
				}
			}
		},
	})
	runtime.GC()
	// The live heap as of the latest GC cycle: what the sensor keeps, not
	// the garbage the sender makes.
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak uint64
	stopMem := make(chan struct{})
	memDone := make(chan struct{})
	go func() {
		defer close(memDone)
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stopMem:
				return
			case <-tk.C:
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > peak {
					peak = v
				}
			}
		}
	}()
	// 1,048,576 distinct sources: 131072 addresses of 198.18.0.0/15 times 8
	// source ports, all to 192.0.2.1:80.
	const total = 1 << 20
	mk := func(i int) []byte {
		a := i >> 3
		src := [4]byte{198, 18 + byte(a>>16), byte(a >> 8), byte(a)}
		return vethtest.TCP4(src, vethtest.CaptureIP, uint16(40000+i&7), 80, 0x02, uint32(i), 0, nil)
	}
	stopSend := make(chan struct{})
	go func() { <-time.After(60 * time.Second); close(stopSend) }()
	start := time.Now()
	sent := sendPaced(t, snd, total, 0, stopSend, mk)
	el := time.Since(start)
	r.waitQuiet(5 * time.Second)
	mid := r.s.Stats()
	body := scrape(t, r.s)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	close(stopMem)
	<-memDone
	st := r.s.Stats()
	t.Logf("sent %d SYNs in %v (%.0f/s); kernel queued %d, drops %d; decoded %d; created %d, evicted %d, records %d; heap peak %.1f MiB over %.1f MiB at start",
		sent, el.Round(time.Millisecond), float64(sent)/el.Seconds(), st.Kernel.Packets, st.Kernel.Drops, st.Packets,
		st.Created, st.Evicted, records, float64(peak-min(peak, base))/(1<<20), float64(base)/(1<<20))
	for _, w := range st.Workers {
		if w.MaxActive > maxFlows {
			t.Errorf("worker %d: %d live flows, bound %d", w.Worker, w.MaxActive, maxFlows)
		}
		if w.Created > maxFlows && w.Evicted < w.Created-maxFlows {
			t.Errorf("worker %d: created %d, evicted only %d", w.Worker, w.Created, w.Evicted)
		}
	}
	if st.Packets < total/2 {
		t.Errorf("only %d of %d SYNs decoded", st.Packets, total)
	}
	if st.Evicted == 0 || mid.Evicted == 0 {
		t.Errorf("no evictions reported")
	}
	if records != st.Created {
		t.Errorf("%d records for %d connections", records, st.Created)
	}
	if !strings.Contains(body, `flowlog_flows_evicted_total{worker="0"}`) || strings.Contains(body, `flowlog_flows_evicted_total{worker="0"} 0`+"\n") {
		t.Errorf("metrics do not report evictions:\n%s", grepLines(body, "evicted"))
	}
	// What the bound allows: 2 workers * 20000 flows * BytesPerFlow (61
	// MiB, GC headroom included), plus 16 MiB for batches and decoders.
	// The table drops the timers of evicted connections (compactTimers), so
	// nothing grows with the number of evictions.
	bound := uint64(2*maxFlows*BytesPerFlow + 16<<20)
	grow := peak - min(peak, base)
	t.Logf("live heap grew by %.1f MiB during a flood of %d sources (%d evicted): bound %.1f MiB",
		float64(grow)/(1<<20), st.Created, st.Evicted, float64(bound)/(1<<20))
	if grow > bound {
		t.Errorf("live heap grew by %.1f MiB during the flood, more than %.1f MiB", float64(grow)/(1<<20), float64(bound)/(1<<20))
	}
}
