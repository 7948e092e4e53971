package sensor

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/decode"
)

// Snapshot is the sensor's counters at one time. Workers publish their
// counters at least every 100ms of packet time and on every poll timeout,
// so a snapshot lags the workers by about that much.
type Snapshot struct {
	Time      time.Time
	Uptime    time.Duration
	Interface string
	Workers   []WorkerStats
	// Totals over the workers.
	Packets     uint64
	Bytes       uint64
	FlowsActive int
	Created     uint64
	Removed     uint64
	Evicted     uint64
	Anomalies   [decode.NumAnomalies]uint64
	Kernel      capture.LiveStats
	// Records delivered to Config.Records; WriterQueue is the number of
	// batches waiting for the writer.
	Records     uint64
	WriterQueue int64
}

// Stats returns the current counters. Safe to call from any goroutine.
func (s *Sensor) Stats() Snapshot {
	sn := Snapshot{Time: time.Now(), Interface: s.cfg.Capture.Interface}
	if st := s.started.Load(); st != 0 {
		sn.Uptime = sn.Time.Sub(time.Unix(0, st))
	}
	for _, w := range s.workers {
		ws := w.stats()
		sn.Workers = append(sn.Workers, ws)
		sn.Packets += ws.Packets
		sn.Bytes += ws.Bytes
		sn.FlowsActive += ws.FlowsActive
		sn.Created += ws.Created
		sn.Removed += ws.Removed
		sn.Evicted += ws.Evicted
		for k, n := range ws.Anomalies {
			sn.Anomalies[k] += n
		}
		sn.Kernel.Add(ws.Kernel)
	}
	sn.Records = s.records.Load()
	sn.WriterQueue = s.queued.Load()
	return sn
}

// statsLine is one line of the stats log.
type statsLine struct {
	TS        string            `json:"ts"`
	Uptime    float64           `json:"uptime_s"`
	Interface string            `json:"interface"`
	Workers   int               `json:"workers"`
	Kernel    kernelJSON        `json:"kernel"`
	Packets   uint64            `json:"packets"`
	Bytes     uint64            `json:"bytes"`
	PPS       float64           `json:"pps"`
	BPS       float64           `json:"bits_per_s"`
	Flows     int               `json:"flows_active"`
	Created   uint64            `json:"flows_created"`
	Evicted   uint64            `json:"flows_evicted"`
	Records   uint64            `json:"records"`
	Queue     int64             `json:"writer_queue"`
	Anomalies map[string]uint64 `json:"anomalies"`
	PerWorker []workerJSON      `json:"per_worker"`
}

type kernelJSON struct {
	Packets      uint64 `json:"packets"`
	Drops        uint64 `json:"drops"`
	QueueFreezes uint64 `json:"queue_freezes"`
	Startup      uint64 `json:"startup_discarded"`
	Filtered     uint64 `json:"filtered_in_process"`
	LinkDown     uint64 `json:"link_down"`
}

type workerJSON struct {
	Worker    int        `json:"worker"`
	Packets   uint64     `json:"packets"`
	Bytes     uint64     `json:"bytes"`
	Flows     int        `json:"flows_active"`
	MaxActive int        `json:"flows_peak"`
	MaxFlows  int        `json:"max_flows"`
	Created   uint64     `json:"flows_created"`
	Evicted   uint64     `json:"flows_evicted"`
	Kernel    kernelJSON `json:"kernel"`
}

func kjson(k capture.LiveStats) kernelJSON {
	return kernelJSON{Packets: k.Packets, Drops: k.Drops, QueueFreezes: k.QueueFreezes,
		Startup: k.Startup, Filtered: k.Filtered, LinkDown: k.LinkDown}
}

// writeStats writes one JSON line to Config.StatsLog and returns the
// snapshot it was made from (for the next line's rates).
func (s *Sensor) writeStats(prev Snapshot) Snapshot {
	sn := s.Stats()
	if s.cfg.StatsLog == nil {
		return sn
	}
	l := statsLine{
		TS: sn.Time.UTC().Format(time.RFC3339Nano), Uptime: sn.Uptime.Seconds(),
		Interface: sn.Interface, Workers: len(sn.Workers), Kernel: kjson(sn.Kernel),
		Packets: sn.Packets, Bytes: sn.Bytes, Flows: sn.FlowsActive, Created: sn.Created,
		Evicted: sn.Evicted, Records: sn.Records, Queue: sn.WriterQueue,
		Anomalies: map[string]uint64{},
	}
	since := time.Unix(0, s.started.Load())
	if !prev.Time.IsZero() {
		since = prev.Time
	}
	if el := sn.Time.Sub(since).Seconds(); el > 0 {
		l.PPS = float64(sn.Packets-prev.Packets) / el
		l.BPS = 8 * float64(sn.Bytes-prev.Bytes) / el
	}
	for k, n := range sn.Anomalies {
		if n > 0 && decode.Anomaly(k) != decode.AnomalyNone {
			l.Anomalies[decode.Anomaly(k).String()] = n
		}
	}
	for _, w := range sn.Workers {
		l.PerWorker = append(l.PerWorker, workerJSON{Worker: w.Worker, Packets: w.Packets, Bytes: w.Bytes,
			Flows: w.FlowsActive, MaxActive: w.MaxActive, MaxFlows: w.MaxFlows, Created: w.Created,
			Evicted: w.Evicted, Kernel: kjson(w.Kernel)})
	}
	b, _ := json.Marshal(l)
	s.cfg.StatsLog.Write(append(b, '\n'))
	return sn
}

// collector exposes a Snapshot to Prometheus at scrape time: the hot path
// never touches a Prometheus metric.
type collector struct {
	s *Sensor

	kPackets, kDrops, kFreezes, startup, filtered *prometheus.Desc
	packets, bytes, flows, maxFlows, created      *prometheus.Desc
	evicted, anomalies, records, queue            *prometheus.Desc
}

func newMetricsHandler(s *Sensor) http.Handler {
	w := []string{"worker"}
	c := &collector{
		s:         s,
		kPackets:  prometheus.NewDesc("flowlog_kernel_packets_total", "Frames the kernel queued for the worker's socket (PACKET_STATISTICS tp_packets, drops included).", w, nil),
		kDrops:    prometheus.NewDesc("flowlog_kernel_drops_total", "Frames the kernel dropped because the worker's ring was full (tp_drops).", w, nil),
		kFreezes:  prometheus.NewDesc("flowlog_kernel_queue_freezes_total", "TPACKET_V3 queue freezes of the worker's ring (tp_freeze_q_cnt).", w, nil),
		startup:   prometheus.NewDesc("flowlog_startup_discarded_total", "Frames queued before the capture was ready (filter attached, fanout complete), discarded.", w, nil),
		filtered:  prometheus.NewDesc("flowlog_filtered_in_process_total", "Frames rejected by the in-process BPF filter (VLAN-tagged frames; all frames when the kernel refused the filter).", w, nil),
		packets:   prometheus.NewDesc("flowlog_packets_total", "Frames decoded by the worker.", w, nil),
		bytes:     prometheus.NewDesc("flowlog_bytes_total", "Wire bytes of the frames decoded by the worker.", w, nil),
		flows:     prometheus.NewDesc("flowlog_flows_active", "Live connections in the worker's table.", w, nil),
		maxFlows:  prometheus.NewDesc("flowlog_flows_max", "The worker table's bound on live connections (--max-flows; 0: unbounded).", w, nil),
		created:   prometheus.NewDesc("flowlog_flows_created_total", "Connections created by the worker's table.", w, nil),
		evicted:   prometheus.NewDesc("flowlog_flows_evicted_total", "Connections evicted because the worker's table was full.", w, nil),
		anomalies: prometheus.NewDesc("flowlog_decode_anomalies_total", "Frames with a decode anomaly, by kind.", []string{"kind"}, nil),
		records:   prometheus.NewDesc("flowlog_records_total", "Connection records delivered to the writer.", nil, nil),
		queue:     prometheus.NewDesc("flowlog_writer_queue_batches", "Record batches waiting for the writer.", nil, nil),
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.kPackets, c.kDrops, c.kFreezes, c.startup, c.filtered,
		c.packets, c.bytes, c.flows, c.maxFlows, c.created, c.evicted, c.anomalies, c.records, c.queue} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	sn := c.s.Stats()
	counter := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	for _, w := range sn.Workers {
		id := strconv.Itoa(w.Worker)
		counter(c.kPackets, w.Kernel.Packets, id)
		counter(c.kDrops, w.Kernel.Drops, id)
		counter(c.kFreezes, w.Kernel.QueueFreezes, id)
		counter(c.startup, w.Kernel.Startup, id)
		counter(c.filtered, w.Kernel.Filtered, id)
		counter(c.packets, w.Packets, id)
		counter(c.bytes, w.Bytes, id)
		gauge(c.flows, float64(w.FlowsActive), id)
		gauge(c.maxFlows, float64(w.MaxFlows), id)
		counter(c.created, w.Created, id)
		counter(c.evicted, w.Evicted, id)
	}
	for k := 1; k < decode.NumAnomalies; k++ {
		counter(c.anomalies, sn.Anomalies[k], decode.Anomaly(k).String())
	}
	counter(c.records, sn.Records)
	gauge(c.queue, float64(sn.WriterQueue))
}
