// Package sensor is flowlog's live sensor: it captures on an interface (a
// SPAN or mirror port) with AF_PACKET, spreads the packets over worker
// goroutines, and turns them into the same conn.log records as a replay
// of the same traffic (flowlog -r), with bounded memory and every loss
// counted.
//
// # Usage
//
//	s, err := sensor.New(sensor.Config{
//		Capture: capture.LiveOptions{Interface: "eth1", Filter: "not port 22"},
//		Workers: 2,
//		Table:   tableConfig, // MaxFlows per worker; 0: DefaultMaxFlows
//		Records: out.events,  // called on the writer goroutine
//		Hangup:  rotate,      // after s.Hangup(), on the writer goroutine
//	})
//	if err != nil {
//		return err // no such interface, interface down, needs CAP_NET_RAW, bad filter
//	}
//	err = s.Run(ctx) // until ctx is cancelled; then drains and flushes everything
//
// The command (cmd/flowlog, live.go) cancels ctx on SIGINT/SIGTERM and calls
// Hangup on SIGHUP.
//
// # Goroutines and ownership
//
// One capture socket per worker, all in one fanout group (capture.OpenLive):
// the kernel sends both directions of a connection to the same socket
// (capture.FanoutHash: the kernel's symmetric flow hash, IPv4 fragments
// reassembled first; capture.FanoutAddr: a classic BPF program hashing the
// outer address pair). The filter is libpcap's compiled program, attached to
// every socket in the kernel.
//
// Each worker goroutine owns its socket (capture.LiveSource: the TPACKET_V3
// ring, zero-copy), its decode.Decoder and its flow.Table; nothing of them
// is shared, so there are no locks on the packet path. The worker loop:
//
//   - Next: the next frame from the ring (frames are processed where the
//     kernel put them, never copied, except VLAN-tagged frames, whose tag
//     the kernel took out and Next puts back);
//   - Decode, then Table.Packet: time is the packet's timestamp (the
//     kernel's receive time), so timers fire in packet time as in a replay;
//   - every connection the table closes (and every interim snapshot) is
//     copied by value into the worker's current batch, because the table
//     recycles its Conns on its next call;
//   - on a poll timeout (no frame for capture.LiveOptions.PollTimeout,
//     100ms by default) the worker ships its batch, publishes its counters,
//     and, once no packet came for Config.IdleAdvance (1s), advances its
//     table to the wall clock minus PollTimeout (Table.Advance): inactivity
//     timeouts fire on a quiet link, and no frame still in the ring can be
//     overtaken (a frame becomes readable at most BlockTimeout, 10ms, after
//     it arrived).
//
// A batch (256 records) goes to the writer when full, after FlushInterval
// (1s), on a poll timeout, and at shutdown. A single writer goroutine calls
// Config.Records for every batch, so the log writers (conn.log, one Zeek
// log with one header) are used by one goroutine only, and Config.Hangup
// runs there too, between batches: rotation never races a write. Records of
// different workers interleave batch by batch; within a worker they keep
// the table's order. A copied Conn is complete except for a history longer
// than 16 letters, whose spill slice the table may reuse: for such a record
// (and for an interim snapshot of a connection with extension state) the
// worker waits until the writer has delivered the batch before it calls
// the table again.
//
// Memory is bounded: each table holds at most Config.Table.MaxFlows live
// connections (per worker; default DefaultMaxFlows: half of the memory
// available at start, BytesPerFlow per connection, divided among the
// workers), evicting half-open connections first (flow.Config.MaxFlows);
// each worker has at most 8 batches in flight; the writer channel holds 4
// batches per worker. When the writer cannot keep up, workers block, their
// rings fill, and the kernel drops frames and counts them: never a silent
// loss. (Known gap, in package flow: the timers of evicted connections stay
// in the table's timer heap until due, about 48 bytes per eviction for up
// to the inactivity timeout, so a sustained flood grows memory beyond
// MaxFlows until the table drops stale timers on eviction.)
//
// # Stats
//
// Workers publish their counters (frames, bytes, live/created/evicted
// connections, decode anomalies by kind, and their socket's kernel
// statistics: frames queued, dropped, TPACKET_V3 queue freezes) every
// 100ms of packet time and on every poll timeout. Stats returns a Snapshot
// at any time; every Config.StatsInterval a JSON line goes to
// Config.StatsLog; MetricsHandler (and the server on Config.MetricsAddr)
// serves them to Prometheus, read at scrape time (flowlog_kernel_drops_total,
// flowlog_kernel_queue_freezes_total, flowlog_packets_total,
// flowlog_flows_active, flowlog_flows_evicted_total,
// flowlog_decode_anomalies_total{kind}, ... plus Go and process metrics).
//
// # Shutdown
//
// When ctx is cancelled (or a worker fails), in this order:
//
//  1. every worker detaches its socket (a reject-all filter: the kernel
//     stops queueing), reads what the ring already holds until a poll
//     timeout says it is empty, flushes its table (Table.Flush) and ships
//     its last batch;
//  2. when all workers are done, the writer channel is closed; the writer
//     delivers every remaining batch, calls Config.Flush, and returns;
//  3. the sockets are closed (their final kernel counters kept), a last
//     stats line is written, the metrics server stops;
//  4. Run returns; the caller closes its logs (#close) and exits 0.
//
// Every frame the kernel queued for the sensor after it started is decoded
// and every connection it opened is logged. Frames queued before every
// socket had its filter and had joined the fanout group (they could be
// unfiltered, or copied to two sockets) are discarded and counted
// (LiveStats.Startup).
//
// # Tests
//
// Tests named TestPrivileged* need root (or CAP_NET_RAW and CAP_NET_ADMIN,
// see Privileged) and iproute2; they skip otherwise. They build two network
// namespaces joined by a veth (package vethtest) and never address anything
// outside them.
package sensor
