//go:build linux

package sensor

import (
	"strings"
	"testing"
	"time"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/sensor/vethtest"
)

// TestPrivilegedFanoutSymmetric checks, on the running kernel, that both
// directions of every connection reach the same worker in both fanout
// modes: each flow must give exactly one record, with packets from both
// sides, and the flows must be spread over both workers.
func TestPrivilegedFanoutSymmetric(t *testing.T) {
	requirePrivileged(t)
	for _, mode := range []capture.FanoutMode{capture.FanoutHash, capture.FanoutAddr} {
		t.Run(mode.String(), func(t *testing.T) {
			p := vethtest.New(t)
			sink := newLogSink()
			r := startSensor(t, p, Config{
				Workers: 2, Capture: capture.LiveOptions{Fanout: mode},
				Table: flow.Config{Seed: 1, MaxFlows: -1}, Records: sink.records,
			})
			snd, err := p.NewSender()
			if err != nil {
				t.Fatal(err)
			}
			defer snd.Close()
			const flows = 3000
			var frames [][]byte
			for i := 0; i < flows; i++ {
				c := [4]byte{198, 18, byte(i >> 8), byte(i)}
				srv := vethtest.CaptureIP
				sp := uint16(20000 + i%30000)
				switch i % 3 {
				case 0: // TCP handshake and close
					frames = append(frames,
						vethtest.TCP4(c, srv, sp, 80, 0x02, 1000, 0, nil),
						vethtest.TCP4(srv, c, 80, sp, 0x12, 5000, 1001, nil),
						vethtest.TCP4(c, srv, sp, 80, 0x10, 1001, 5001, nil),
						vethtest.TCP4(c, srv, sp, 80, 0x11, 1001, 5001, nil),
						vethtest.TCP4(srv, c, 80, sp, 0x11, 5001, 1002, nil),
						vethtest.TCP4(c, srv, sp, 80, 0x10, 1002, 5002, nil))
				case 1: // UDP request and response
					frames = append(frames,
						vethtest.UDP4(c, srv, sp, 53, 60),
						vethtest.UDP4(srv, c, 53, sp, 120))
				case 2: // ICMP echo and reply
					frames = append(frames,
						vethtest.ICMP4Echo(c, srv, uint16(i), 1, false),
						vethtest.ICMP4Echo(srv, c, uint16(i), 1, true))
				}
			}
			if err := snd.Send(frames); err != nil {
				t.Fatal(err)
			}
			r.waitQuiet(5 * time.Second)
			if err := r.stop(t); err != nil {
				t.Fatal(err)
			}
			st := r.s.Stats()
			lines := sink.lines()
			t.Logf("frames sent %d, decoded %d (worker 0: %d, worker 1: %d), records %d, kernel drops %d",
				len(frames), st.Packets, st.Workers[0].Packets, st.Workers[1].Packets, len(lines), st.Kernel.Drops)
			if st.Packets != uint64(len(frames)) {
				t.Errorf("decoded %d frames, sent %d", st.Packets, len(frames))
			}
			if len(lines) != flows {
				t.Errorf("%d records for %d flows: some flow was split across workers", len(lines), flows)
			}
			oneSided := 0
			for _, l := range lines {
				f := strings.Split(l, "\t")
				if f[18] == "0" || f[16] == "0" { // resp_pkts, orig_pkts
					oneSided++
					if oneSided <= 5 {
						t.Errorf("one-sided record: %s", l)
					}
				}
			}
			if oneSided > 0 {
				t.Errorf("%d one-sided records", oneSided)
			}
			for _, w := range st.Workers {
				if w.Packets < uint64(len(frames))/5 {
					t.Errorf("worker %d got %d of %d frames: fanout does not spread", w.Worker, w.Packets, len(frames))
				}
			}
		})
	}
}

// TestPrivilegedOpenErrors checks the one-line errors for a missing and a
// down interface.
func TestPrivilegedOpenErrors(t *testing.T) {
	requirePrivileged(t)
	p := vethtest.New(t)
	err := vethtest.Do(p.CaptureNS, func() error {
		_, err := New(Config{Capture: capture.LiveOptions{Interface: "nosuch0"}})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "no such interface") {
		t.Errorf("missing interface: got %v", err)
	}
	t.Logf("missing: %v", err)
	err = vethtest.Do(p.CaptureNS, func() error {
		_, err := New(Config{Capture: capture.LiveOptions{Interface: p.CaptureIf, Filter: "tcp port"}})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "bad filter") {
		t.Errorf("bad filter: got %v", err)
	}
	t.Logf("bad filter: %v", err)
	if out, err := runCmd("ip", "-n", p.CaptureNS, "link", "set", p.CaptureIf, "down"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	err = vethtest.Do(p.CaptureNS, func() error {
		_, err := New(Config{Capture: capture.LiveOptions{Interface: p.CaptureIf}})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "is down") {
		t.Errorf("down interface: got %v", err)
	}
	t.Logf("down: %v", err)
}
