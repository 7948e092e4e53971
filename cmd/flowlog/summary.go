package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// summary counts what a run saw, for the closing line on stderr.
type summary struct {
	start     time.Time
	frames    uint64
	bytes     uint64
	filtered  uint64
	damaged   int
	anomalies [decode.NumAnomalies]uint64
}

func (s *summary) print(w io.Writer, ts flow.Stats) {
	el := time.Since(s.start).Seconds()
	if el <= 0 {
		el = 1e-9
	}
	var parts []string
	for k, n := range s.anomalies {
		a := decode.Anomaly(k)
		if n == 0 || a == decode.AnomalyNone {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=%d", a, n))
	}
	sort.Strings(parts)
	an := "none"
	if len(parts) > 0 {
		an = strings.Join(parts, " ")
	}
	fmt.Fprintf(w, "flowlog: %d packets, %d bytes, %d flows (peak %d, evicted %d), %d filtered, anomalies: %s; %.0f packets/s\n",
		s.frames, s.bytes, ts.Created, ts.MaxActive, ts.Evicted, s.filtered, an, float64(s.frames)/el)
}

// progress prints a one-line status to a terminal during long replays.
type progress struct {
	w    io.Writer
	last time.Time
}

func newProgress(mode string, w io.Writer) *progress {
	switch mode {
	case "never":
		return nil
	case "always":
		return &progress{w: w, last: time.Now()}
	}
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err != nil {
		return nil
	}
	return &progress{w: w, last: time.Now()}
}

func (p *progress) update(s *summary, live int) {
	now := time.Now()
	if now.Sub(p.last) < time.Second {
		return
	}
	p.last = now
	el := now.Sub(s.start).Seconds()
	fmt.Fprintf(p.w, "\r%d packets, %.1f MB, %d live flows, %.0f packets/s   ", s.frames, float64(s.bytes)/1e6, live, float64(s.frames)/el)
}

func (p *progress) done() { fmt.Fprint(p.w, "\r\033[K") }
