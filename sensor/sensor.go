package sensor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// Config configures a Sensor. Zero values take the defaults documented on
// each field.
type Config struct {
	// Capture says where and how to capture: Interface (required), Filter
	// (tcpdump syntax, attached in the kernel), Fanout mode, ring geometry
	// (BlockSize, NumBlocks: the ring of each worker is
	// BlockSize*NumBlocks), BlockTimeout, PollTimeout. Sockets is set to
	// Workers.
	Capture capture.LiveOptions
	// Workers is the number of capture workers (default 1). Each has its
	// own socket in the fanout group, decode.Decoder and flow.Table.
	Workers int
	// Table is the flow table configuration of every worker. MaxFlows is
	// per worker; 0 means DefaultMaxFlows(Workers). A negative MaxFlows
	// means unbounded. Each worker's Seed is derived from Table.Seed so
	// that uids never collide across workers.
	Table flow.Config
	// Decode configures every worker's decoder.
	Decode decode.Options
	// IdleAdvance: when a worker has seen no packet for this long, it
	// advances its table to the wall clock (minus PollTimeout, so that no
	// frame still in the ring is overtaken), so that inactivity timeouts
	// fire on a quiet link (default 1s).
	IdleAdvance time.Duration
	// FlushInterval bounds how long a closed connection's record waits in a
	// worker's batch before going to the writer (default 1s).
	FlushInterval time.Duration
	// Records receives every closed connection (flow.EventClosed) and
	// interim snapshot (flow.EventInterim), in batches, always on the
	// writer goroutine and never concurrently with itself or Hangup. The
	// Conns are valid only during the call. Within one worker the order is
	// the table's; batches of different workers interleave.
	Records func(evs []flow.Event)
	// Flush, if set, is called on the writer goroutine at most every
	// FlushInterval when records were delivered since the last call, and
	// once at the end: the place to flush buffered log writers so that a
	// quiet link's records reach the disk.
	Flush func()
	// Worker, if set, is called once per worker at start; the func it
	// returns runs on that worker's goroutine after every Table.Packet
	// (with the packet) and after Advance and Flush (with nil), before the
	// table's events are shipped: per-worker analysis such as service
	// detection attaches to new connections there.
	Worker func(id int) func(t *flow.Table, p *decode.Packet)
	// Hangup is called on the writer goroutine after Sensor.Hangup (the
	// command calls it on SIGHUP): rotate logs, reload policy. No Records
	// call runs at the same time.
	Hangup func()
	// StatsInterval is how often a JSON line of counters goes to StatsLog
	// (default 10s). A last line is written at shutdown.
	StatsInterval time.Duration
	// StatsLog receives the JSON lines (nil: none).
	StatsLog io.Writer
	// MetricsAddr, if set, is the host:port of an HTTP server that serves
	// Prometheus metrics on /metrics. New listens at once, so that a busy
	// port is reported before capture starts.
	MetricsAddr string
	// Warn receives non-fatal problems (interface without carrier, kernel
	// refused the filter, interface went down). Nil: discarded.
	Warn func(msg string)
}

// Sensor is a live capture: workers reading a fanout group, a writer
// goroutine, stats. Create with New, start with Run.
type Sensor struct {
	cfg     Config
	live    *capture.Live
	workers []*worker
	out     chan *batch
	hup     chan struct{}
	stop    atomic.Bool
	started atomic.Int64 // Run's start, ns since the epoch

	records     atomic.Uint64
	queued      atomic.Int64
	metricsLn   net.Listener
	metricsSrv  *http.Server
	metricsHand http.Handler

	errMu sync.Mutex
	err   error
	ran   atomic.Bool
}

// Defaults of Config fields.
const (
	DefaultIdleAdvance   = time.Second
	DefaultFlushInterval = time.Second
	DefaultStatsInterval = 10 * time.Second
)

// New opens the capture sockets (and the metrics listener) and prepares the
// workers. Errors are one line: no such interface, interface down, no
// permission (CAP_NET_RAW), bad filter, metrics address in use. New must
// run in the network namespace of the interface; the sockets keep working
// from any thread afterwards.
func New(cfg Config) (*Sensor, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Workers > 1024 {
		return nil, fmt.Errorf("sensor: %d workers is too many", cfg.Workers)
	}
	if cfg.IdleAdvance <= 0 {
		cfg.IdleAdvance = DefaultIdleAdvance
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.StatsInterval <= 0 {
		cfg.StatsInterval = DefaultStatsInterval
	}
	if cfg.Table.MaxFlows == 0 {
		cfg.Table.MaxFlows = DefaultMaxFlows(cfg.Workers)
	} else if cfg.Table.MaxFlows < 0 {
		cfg.Table.MaxFlows = 0
	}
	if cfg.Records == nil {
		cfg.Records = func([]flow.Event) {}
	}
	cfg.Capture.Sockets = cfg.Workers
	s := &Sensor{cfg: cfg, hup: make(chan struct{}, 1)}
	if cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return nil, fmt.Errorf("sensor: metrics address %s: %v", cfg.MetricsAddr, err)
		}
		s.metricsLn = ln
	}
	live, err := capture.OpenLive(cfg.Capture)
	if err != nil {
		if s.metricsLn != nil {
			s.metricsLn.Close()
		}
		return nil, err
	}
	s.live = live
	s.cfg.Capture = live.Options
	for _, w := range live.Warnings {
		s.warn(w)
	}
	s.out = make(chan *batch, 4*cfg.Workers)
	for i, src := range live.Sources {
		tc := cfg.Table
		// splitmix64 streams 2^40 steps apart: no uid is ever drawn twice.
		tc.Seed = cfg.Table.Seed + uint64(i)<<40*0x9E3779B97F4A7C15
		s.workers = append(s.workers, newWorker(s, i, src, tc))
	}
	s.metricsHand = newMetricsHandler(s)
	return s, nil
}

// Close releases the sockets and the metrics listener of a Sensor whose Run
// was never called (Run releases them itself).
func (s *Sensor) Close() error {
	if s.ran.Swap(true) {
		return nil
	}
	if s.metricsLn != nil {
		s.metricsLn.Close()
	}
	return s.live.Close()
}

// SetStatsLog sets Config.StatsLog; call it before Run.
func (s *Sensor) SetStatsLog(w io.Writer) { s.cfg.StatsLog = w }

// Interface returns the capture interface.
func (s *Sensor) Interface() string { return s.cfg.Capture.Interface }

// Config returns the configuration with defaults applied (MaxFlows is the
// per-worker bound in force; 0 means unbounded).
func (s *Sensor) Config() Config { return s.cfg }

// Live returns the capture (link type, fanout, start time, warnings).
func (s *Sensor) Live() *capture.Live { return s.live }

// MetricsHandler serves the Prometheus metrics (also served on
// Config.MetricsAddr when set).
func (s *Sensor) MetricsHandler() http.Handler { return s.metricsHand }

// MetricsAddr returns the address the metrics server listens on (useful
// with port 0), or "".
func (s *Sensor) MetricsAddr() string {
	if s.metricsLn == nil {
		return ""
	}
	return s.metricsLn.Addr().String()
}

// Hangup asks the writer goroutine to call Config.Hangup. It never blocks;
// requests made while one is pending are merged.
func (s *Sensor) Hangup() {
	select {
	case s.hup <- struct{}{}:
	default:
	}
}

func (s *Sensor) warn(msg string) {
	if s.cfg.Warn != nil {
		s.cfg.Warn(msg)
	}
}

func (s *Sensor) fail(err error) {
	s.errMu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.errMu.Unlock()
	s.stop.Store(true)
}

// Run captures until ctx is cancelled (or a worker fails), then shuts down
// without losing anything: every worker detaches its socket, drains what
// the kernel had already queued, flushes its table; the writer delivers
// every record; a last stats line is written; the sockets and the metrics
// server are closed. It returns nil after a clean shutdown, or the first
// worker error (after the same shutdown). Run may be called once.
func (s *Sensor) Run(ctx context.Context) error {
	if !s.ran.CompareAndSwap(false, true) {
		return errors.New("sensor: Run called twice")
	}
	s.started.Store(time.Now().UnixNano())
	if s.metricsLn != nil {
		mux := http.NewServeMux()
		mux.Handle("/metrics", s.metricsHand)
		s.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go s.metricsSrv.Serve(s.metricsLn)
	}

	writerDone := make(chan struct{})
	go func() {
		s.writer()
		close(writerDone)
	}()

	var wg sync.WaitGroup
	for _, w := range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run()
		}()
	}
	workersDone := make(chan struct{})
	go func() {
		wg.Wait()
		close(workersDone)
	}()

	ticker := time.NewTicker(s.cfg.StatsInterval)
	defer ticker.Stop()
	var last Snapshot
	stopped := false
loop:
	for {
		select {
		case <-ctx.Done():
			if !stopped {
				stopped = true
				s.stop.Store(true)
			}
			<-workersDone
			break loop
		case <-workersDone:
			break loop
		case <-ticker.C:
			last = s.writeStats(last)
		}
	}
	// Every worker has flushed its table and sent its last batch.
	close(s.out)
	<-writerDone
	s.live.Close() // final kernel counters are kept by the sources
	for _, w := range s.workers {
		w.publishClosed()
	}
	s.writeStats(last)
	if s.metricsSrv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s.metricsSrv.Shutdown(sctx)
		cancel()
	}
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// writer is the single goroutine that calls Config.Records and
// Config.Hangup.
func (s *Sensor) writer() {
	evs := make([]flow.Event, 0, batchSize)
	deliver := func(b *batch) {
		evs = evs[:0]
		for i := range b.recs {
			r := &b.recs[i]
			evs = append(evs, flow.Event{Kind: r.kind, Reason: r.reason, Conn: &r.conn})
		}
		if len(evs) > 0 {
			s.cfg.Records(evs)
		}
		clear(evs)
		s.records.Add(uint64(len(b.recs)))
		s.queued.Add(-1)
		b.release()
	}
	tick := time.NewTicker(s.cfg.FlushInterval)
	defer tick.Stop()
	dirty := false
	flush := func() {
		if dirty && s.cfg.Flush != nil {
			s.cfg.Flush()
		}
		dirty = false
	}
	defer flush()
	for {
		select {
		case b, ok := <-s.out:
			if !ok {
				return
			}
			deliver(b)
			dirty = true
		case <-tick.C:
			flush()
		case <-s.hup:
			// Deliver what is already queued first, so that records the
			// workers produced before the hangup land in the old file.
			for n := len(s.out); n > 0; n-- {
				b, ok := <-s.out
				if !ok {
					break
				}
				deliver(b)
				dirty = true
			}
			flush()
			if s.cfg.Hangup != nil {
				s.cfg.Hangup()
			}
		}
	}
}
