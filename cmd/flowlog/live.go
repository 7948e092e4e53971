package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/sensor"
)

// LiveOptions are the values of the live-capture flags (flowlog -i IFACE).
type LiveOptions struct {
	// Fanout is --fanout: "hash" (default: the kernel's symmetric 5-tuple
	// hash, IPv4 defragmented first) or "addr" (symmetric hash of the outer
	// address pair: exact for IPv6 fragments and UDP tunnels, less even).
	Fanout string
	// RingMB is --ring-mb: the capture ring of each worker in MiB (default
	// 64), made of BlockKB blocks.
	RingMB int
	// BlockKB is --block-kb: the TPACKET_V3 block size in KiB (default
	// 1024; a power of two times the page size). It bounds the largest
	// frame captured whole.
	BlockKB int
	// StatsInterval is --stats-interval: how often a JSON line of counters
	// goes to the stats log (default 10s).
	StatsInterval time.Duration
	// StatsLog is --stats-log: the stats log path (default
	// OUTDIR/flowlog_stats.log, appended to; "none": no stats log).
	StatsLog string
	// MetricsAddr is --metrics ADDR: serve Prometheus metrics on
	// http://ADDR/metrics ("" : no server).
	MetricsAddr string
	// MaxFlows is the per-worker bound on live connections. 0 takes
	// Config.MaxFlows (--max-flows), and if that is 0 too, the default
	// from available memory (sensor.DefaultMaxFlows). Negative: unbounded.
	MaxFlows int
	// IdleAdvance is how long a worker waits without packets before it
	// advances its timers on the wall clock (default 1s).
	IdleAdvance time.Duration
	// NoPromisc is --no-promisc: leave the interface's promiscuous mode
	// alone.
	NoPromisc bool
	// Hangup, if set, runs on SIGHUP on the writer goroutine (no record is
	// being written meanwhile): the place for log rotation and policy
	// reload. Nil: SIGHUP is reported on stderr and otherwise ignored.
	Hangup func(out *outputs)
}

// runLive captures on iface until SIGINT or SIGTERM, then stops capture,
// drains the rings, flushes every worker's table, writes everything and
// returns 0. SIGHUP calls opts.Hangup. A second SIGINT/SIGTERM during the
// shutdown kills the process at once (the default action).
func runLive(cfg *Config, iface string, bpf string, workers int, opts LiveOptions, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigc)
	var hup func()
	var mu sync.Mutex
	go func() {
		for sig := range sigc {
			if sig == syscall.SIGHUP {
				mu.Lock()
				h := hup
				mu.Unlock()
				if h != nil {
					h()
				}
				continue
			}
			cancel()
			signal.Reset(syscall.SIGINT, syscall.SIGTERM)
		}
	}()
	return runLiveCtx(ctx, cfg, iface, bpf, workers, opts, stderr, func(f func()) {
		mu.Lock()
		hup = f
		mu.Unlock()
	})
}

// syncWriter serializes writes to stderr from the workers' warnings.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// runLiveCtx is runLive with the stop signal as a context and the SIGHUP
// handler handed to setHangup (tests drive it directly).
func runLiveCtx(ctx context.Context, cfg *Config, iface, bpf string, workers int, opts LiveOptions, stderr io.Writer, setHangup func(func())) int {
	stderr = &syncWriter{w: stderr}
	if iface == "" {
		fmt.Fprintln(stderr, "flowlog: -i: no interface given")
		return exitBadArgs
	}
	if workers <= 0 {
		workers = 1
	}
	if bpf == "" {
		bpf = cfg.Filter
	}
	mode, err := capture.ParseFanoutMode(opts.Fanout)
	if err != nil {
		fmt.Fprintf(stderr, "flowlog: --fanout: %v\n", err)
		return exitBadArgs
	}
	tcfg, err := tableConfig(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "flowlog: %v\n", err)
		return exitBadArgs
	}
	tcfg.MaxFlows = opts.MaxFlows
	if tcfg.MaxFlows == 0 {
		tcfg.MaxFlows = cfg.MaxFlows // 0 here: sensor's default from memory
	}
	blockKB, ringMB := opts.BlockKB, opts.RingMB
	if blockKB <= 0 {
		blockKB = capture.DefaultBlockSize >> 10
	}
	if ringMB <= 0 {
		ringMB = capture.DefaultBlockSize * capture.DefaultNumBlocks >> 20
	}
	if blockKB&(blockKB-1) != 0 || blockKB < 4 {
		fmt.Fprintf(stderr, "flowlog: --block-kb %d: want a power of two, at least 4\n", blockKB)
		return exitBadArgs
	}
	nblocks := ringMB << 10 / blockKB
	if nblocks < 2 {
		fmt.Fprintf(stderr, "flowlog: --ring-mb %d: want at least two %d KiB blocks\n", ringMB, blockKB)
		return exitBadArgs
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		fmt.Fprintf(stderr, "flowlog: output directory: %v\n", err)
		return exitBadArgs
	}

	var out *outputs
	scfg := sensor.Config{
		Capture: capture.LiveOptions{
			Interface: iface, Filter: bpf, Fanout: mode,
			BlockSize: blockKB << 10, NumBlocks: nblocks, NoPromisc: opts.NoPromisc,
		},
		Workers:       workers,
		Table:         tcfg,
		Decode:        decode.Options{IgnoreChecksums: cfg.IgnoreChecksums},
		IdleAdvance:   opts.IdleAdvance,
		StatsInterval: opts.StatsInterval,
		MetricsAddr:   opts.MetricsAddr,
		Records:       func(evs []flow.Event) { out.events(evs) },
		Flush: func() {
			for _, w := range out.zeek {
				w.Flush()
			}
			// the Arrow stream's consumer sees each second's records
			if f, ok := out.stream.(interface{ Flush() error }); ok {
				f.Flush()
			}
		},
		Hangup: func() {
			if opts.Hangup != nil {
				opts.Hangup(out)
				return
			}
			fmt.Fprintln(stderr, "flowlog: SIGHUP: no log rotation configured; ignored")
		},
		Warn: func(msg string) { fmt.Fprintf(stderr, "flowlog: warning: %s\n", msg) },
	}
	ln, err := newLiveNames(cfg, &out)
	if err != nil {
		fmt.Fprintf(stderr, "flowlog: %v\n", err)
		return exitBadArgs
	}
	defer ln.close()
	scfg.Worker = ln.worker
	// Open the capture before touching any log: a bad interface, filter or
	// permission leaves an existing conn.log alone.
	s, err := sensor.New(scfg)
	if err != nil {
		fmt.Fprintf(stderr, "flowlog: %v\n", err)
		return exitBadArgs
	}
	var statsFile *os.File
	if opts.StatsLog != "none" {
		path := opts.StatsLog
		if path == "" {
			path = filepath.Join(cfg.OutDir, "flowlog_stats.log")
		}
		statsFile, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			s.Close()
			fmt.Fprintf(stderr, "flowlog: stats log: %v\n", err)
			return exitBadArgs
		}
		defer statsFile.Close()
	}
	out, err = newOutputs(cfg)
	if err == nil {
		err = out.openAppLogs()
	}
	if err == nil && cfg.polShared != nil {
		out.skip = dropped // records the workers' policies dropped
	}
	if err != nil {
		s.Close()
		fmt.Fprintf(stderr, "flowlog: output: %v\n", err)
		return exitBadArgs
	}
	if statsFile != nil {
		s.SetStatsLog(statsFile)
	}
	if setHangup != nil {
		setHangup(s.Hangup)
	}
	sc := s.Config()
	if !cfg.Quiet {
		mf := "unbounded"
		if sc.Table.MaxFlows > 0 {
			mf = fmt.Sprint(sc.Table.MaxFlows)
		}
		metrics := ""
		if a := s.MetricsAddr(); a != "" {
			metrics = ", metrics on http://" + a + "/metrics"
		}
		fmt.Fprintf(stderr, "flowlog: capturing on %s: %d workers (fanout %s), ring %d MiB per worker, max flows %s per worker%s\n",
			iface, workers, mode, sc.Capture.BlockSize*sc.Capture.NumBlocks>>20, mf, metrics)
	}
	status := exitOK
	if err := s.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "flowlog: %v\n", err)
		status = exitWarn
	}
	if err := out.closeAppLogs(); err != nil {
		fmt.Fprintf(stderr, "flowlog: writing output: %v\n", err)
		status = exitBadArgs
	}
	if err := out.close(); err != nil {
		fmt.Fprintf(stderr, "flowlog: writing output: %v\n", err)
		status = exitBadArgs
	}
	if !cfg.Quiet {
		printLiveSummary(stderr, s.Stats())
	}
	return status
}

func printLiveSummary(w io.Writer, sn sensor.Snapshot) {
	var parts []string
	for k, n := range sn.Anomalies {
		if a := decode.Anomaly(k); n > 0 && a != decode.AnomalyNone {
			parts = append(parts, fmt.Sprintf("%s=%d", a, n))
		}
	}
	sort.Strings(parts)
	an := "none"
	if len(parts) > 0 {
		an = strings.Join(parts, " ")
	}
	peak := 0
	for _, ws := range sn.Workers {
		peak += ws.MaxActive
	}
	k := sn.Kernel
	fmt.Fprintf(w, "flowlog: %s: %d packets, %d bytes, %d flows (peak %d, evicted %d), %d records; kernel: %d queued, %d dropped, %d queue freezes, %d before start; anomalies: %s; %.0f packets/s\n",
		sn.Interface, sn.Packets, sn.Bytes, sn.Created, peak, sn.Evicted, sn.Records,
		k.Packets, k.Drops, k.QueueFreezes, k.Startup, an, float64(sn.Packets)/max(sn.Uptime.Seconds(), 1e-9))
}
