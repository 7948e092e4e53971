//go:build linux

package sensor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/sensor/vethtest"
	"github.com/flowlog/flowlog/zeeklog"
)

// requirePrivileged skips t unless live capture tests can run here.
func requirePrivileged(t testing.TB) {
	t.Helper()
	if err := Privileged(); err != nil {
		t.Skipf("SKIPPED (privileged test): %v", err)
	}
	if err := vethtest.Check(); err != nil {
		t.Skipf("SKIPPED (privileged test): %v", err)
	}
}

// logSink formats records as conn.log (TSV) into memory.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
	cw  *zeeklog.ConnWriter
	n   int
}

func newLogSink() *logSink {
	s := &logSink{}
	s.cw = zeeklog.NewConnWriter(&s.buf, zeeklog.Options{OpenTime: time.Unix(0, 0).UTC()})
	return s
}

func (s *logSink) records(evs []flow.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range evs {
		if evs[i].Kind == flow.EventClosed {
			s.cw.Write(evs[i].Conn)
			s.n++
		}
	}
}

// lines closes the writer and returns the record lines.
func (s *logSink) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cw.Close()
	var out []string
	for _, l := range strings.Split(s.buf.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// running is a sensor started in the capture namespace of a pair.
type running struct {
	s      *Sensor
	cancel context.CancelFunc
	done   chan error
}

func startSensor(t testing.TB, p *vethtest.Pair, cfg Config) *running {
	t.Helper()
	cfg.Capture.Interface = p.CaptureIf
	if cfg.Warn == nil {
		cfg.Warn = func(m string) { t.Logf("sensor warning: %s", m) }
	}
	var s *Sensor
	err := vethtest.Do(p.CaptureNS, func() error {
		var err error
		s, err = New(cfg)
		return err
	})
	if err != nil {
		t.Fatalf("sensor.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the sensor and waits for Run (at most 30s).
func (r *running) stop(t testing.TB) error {
	t.Helper()
	if r.done == nil {
		return nil
	}
	r.cancel()
	select {
	case err := <-r.done:
		r.done = nil
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("sensor did not stop within 30s")
	}
	return nil
}

// waitKernel waits until the kernel counters of the sensor stop moving
// (every frame sent has been queued), at most d.
func (r *running) waitQuiet(d time.Duration) {
	deadline := time.Now().Add(d)
	last := uint64(1<<64 - 1)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		n := r.s.Stats().Packets
		if n == last {
			return
		}
		last = n
	}
}

func runCmd(args ...string) ([]byte, error) {
	return exec.Command(args[0], args[1:]...).CombinedOutput()
}

// readPcap returns the frames of an Ethernet capture.
func readPcap(t testing.TB, path string) [][]byte {
	t.Helper()
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var frames [][]byte
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.LinkType != 1 {
			t.Fatalf("%s: link type %d: only Ethernet captures can be replayed on a veth", path, f.LinkType)
		}
		frames = append(frames, append([]byte(nil), f.Data...))
	}
	return frames
}

// offline runs a capture through the -r pipeline (one decoder, one table)
// and returns the conn.log record lines.
func offline(t testing.TB, path string, tc flow.Config, dopt decode.Options) []string {
	t.Helper()
	return offlineWith(t, path, nil, tc)
}

// offlineWith is offline with a filter (nil: none) and default decoding.
func offlineWith(t testing.TB, path string, filter *capture.Filter, tc flow.Config) []string {
	t.Helper()
	dopt := decode.Options{}
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	sink := newLogSink()
	table := flow.New(tc)
	dec := decode.New(dopt)
	var pkt decode.Packet
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !filter.Match(f.LinkType, f.Data, f.WireLen) {
			continue
		}
		dec.Decode(f.LinkType, f.TS, f.Data, f.WireLen, &pkt)
		pkt.Num = f.Num
		table.Packet(&pkt)
		sink.records(table.Events())
	}
	table.Flush()
	sink.records(table.Events())
	return sink.lines()
}

// normalize drops the columns that depend on time or randomness (ts, uid,
// duration; tunnel_parents becomes the number of parents) and sorts the
// records.
func normalize(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) > 8 {
			f[0], f[1], f[8] = "", "", ""
		}
		if len(f) > 20 && f[20] != "-" {
			f[20] = fmt.Sprintf("%d parents", len(strings.Split(f[20], ",")))
		}
		out = append(out, strings.Join(f, "\t"))
	}
	sort.Strings(out)
	return out
}

// diffLines returns the lines only in a and only in b.
func diffLines(a, b []string) (onlyA, onlyB []string) {
	count := map[string]int{}
	for _, l := range a {
		count[l]++
	}
	for _, l := range b {
		count[l]--
	}
	for _, l := range a {
		if count[l] > 0 {
			onlyA = append(onlyA, l)
			count[l]--
		}
	}
	for l, n := range count {
		for ; n < 0; n++ {
			onlyB = append(onlyB, l)
		}
	}
	sort.Strings(onlyB)
	return
}

// scrape returns the sensor's Prometheus metrics text.
func scrape(t testing.TB, s *Sensor) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
