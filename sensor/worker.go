package sensor

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/flowlog/flowlog/capture"
	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// batchSize is the number of records a worker hands to the writer at once,
// and maxBatches how many batches of one worker may be in flight: together
// they bound the memory between the workers and the writer.
const (
	batchSize  = 256
	maxBatches = 8
)

// record is a copy of a connection taken when the table handed it out.
type record struct {
	kind   flow.EventKind
	reason flow.Reason
	conn   flow.Conn
}

// batch is a worker's block of records. It goes back to the worker's free
// list once the writer has delivered it.
type batch struct {
	recs  []record
	first int64 // wall clock (ns) when the first record was added
	free  chan *batch
	// done, when set, is signalled after delivery: the worker waits for it
	// before its next table call (see emit).
	done chan struct{}
}

func (b *batch) release() {
	b.recs = b.recs[:0] // each slot's Conn keeps its arrays for the next CopyTo
	if d := b.done; d != nil {
		b.done = nil
		d <- struct{}{}
	}
	b.free <- b // never blocks: the free list has room for every batch
}

// WorkerStats are one worker's counters.
type WorkerStats struct {
	Worker      int
	Packets     uint64 // frames decoded
	Bytes       uint64 // wire bytes of those frames
	FlowsActive int    // live connections in the table
	Created     uint64 // connections created
	Removed     uint64 // connections removed (records)
	Evicted     uint64 // connections evicted because the table was full
	MaxActive   int    // peak of FlowsActive
	MaxFlows    int    // the table's bound (0: unbounded)
	Anomalies   [decode.NumAnomalies]uint64
	Kernel      capture.LiveStats // the worker's socket
	LastPacket  int64             // packet time of the latest frame (ns)
	TableClock  int64             // the table's clock (ns)
}

type worker struct {
	s     *Sensor
	id    int
	src   *capture.LiveSource
	dec   *decode.Decoder
	table *flow.Table
	pkt   decode.Packet

	cur      *batch
	free     chan *batch
	nBatches int
	hook     func(t *flow.Table, p *decode.Packet) // Config.Worker's, or nil

	local WorkerStats

	mu  sync.Mutex // guards pub
	pub WorkerStats
}

func newWorker(s *Sensor, id int, src *capture.LiveSource, tc flow.Config) *worker {
	w := &worker{
		s:     s,
		id:    id,
		src:   src,
		dec:   decode.New(s.cfg.Decode),
		table: flow.New(tc),
		free:  make(chan *batch, maxBatches),
	}
	if s.cfg.Worker != nil {
		w.hook = s.cfg.Worker(id)
	}
	w.local.Worker = id
	w.local.MaxFlows = tc.MaxFlows
	w.pub = w.local
	return w
}

// run is the worker loop: read a frame, decode it, run it through the
// table, copy what the table closed into the current batch. On a poll
// timeout it ships the batch and, after IdleAdvance without packets,
// advances the table to the wall clock. When the sensor stops it detaches
// the socket, drains the ring, flushes the table and ships the last batch.
func (w *worker) run() {
	cfg := &w.s.cfg
	lag := cfg.Capture.PollTimeout.Nanoseconds()
	idle := cfg.IdleAdvance.Nanoseconds()
	flushNs := cfg.FlushInterval.Nanoseconds()
	const publishNs = int64(100 * time.Millisecond)
	// Packet timestamps are the kernel's wall clock, so they double as the
	// time of the latest activity: no clock read per frame.
	lastPacket := time.Now().UnixNano()
	lastPublish := lastPacket
	detached := false
	linkDown := false
	for {
		if !detached && w.s.stop.Load() {
			if err := w.src.Detach(); err != nil {
				w.s.warn(fmt.Sprintf("worker %d: detach: %v", w.id, err))
			}
			detached = true
		}
		f, err := w.src.Next()
		if err != nil {
			if errors.Is(err, capture.ErrTimeout) {
				if detached {
					break // the ring is empty: drained
				}
				now := time.Now().UnixNano()
				if now-lastPacket >= idle {
					w.table.Advance(now - lag)
					if w.hook != nil {
						w.hook(w.table, nil)
					}
					w.emit(w.table.Events())
				}
				w.ship()
				w.publish()
				lastPublish = now
				continue
			}
			if errors.Is(err, capture.ErrLinkDown) {
				if !linkDown {
					linkDown = true
					w.s.warn(fmt.Sprintf("worker %d: %v; waiting for it to come back", w.id, err))
				}
				if detached {
					break
				}
				continue
			}
			w.s.fail(fmt.Errorf("sensor: worker %d: %w", w.id, err))
			break
		}
		linkDown = false
		w.dec.Decode(f.LinkType, f.TS, f.Data, f.WireLen, &w.pkt)
		w.pkt.Num = f.Num
		w.local.Packets++
		w.local.Bytes += uint64(f.WireLen)
		w.local.Anomalies[w.pkt.Anomaly]++
		w.local.LastPacket = f.TS
		w.table.Packet(&w.pkt)
		if w.hook != nil {
			w.hook(w.table, &w.pkt)
		}
		w.emit(w.table.Events())
		if f.TS > lastPacket {
			lastPacket = f.TS
		}
		if w.cur != nil && lastPacket-w.cur.first >= flushNs {
			w.ship()
		}
		if lastPacket-lastPublish >= publishNs {
			w.publish()
			lastPublish = lastPacket
		}
	}
	if !detached {
		w.src.Detach()
	}
	for more := true; more; {
		more = w.table.FlushStep(4096)
		if w.hook != nil {
			w.hook(w.table, nil)
		}
		w.emit(w.table.Events())
	}
	w.ship()
	w.publish()
}

// emit copies the table's closed connections and interim snapshots into the
// current batch. The Conns belong to the table and are recycled on its next
// call, so each is copied deeply (Conn.CopyTo) into the batch slot, whose
// arrays are reused.
func (w *worker) emit(evs []flow.Event) {
	for i := range evs {
		ev := &evs[i]
		if ev.Kind != flow.EventClosed && ev.Kind != flow.EventInterim {
			continue
		}
		if w.cur != nil && len(w.cur.recs) == cap(w.cur.recs) {
			w.ship()
		}
		if w.cur == nil {
			w.cur = w.getBatch()
			w.cur.first = time.Now().UnixNano()
		}
		b := w.cur
		b.recs = b.recs[:len(b.recs)+1] // keeps the slot's arrays
		r := &b.recs[len(b.recs)-1]
		r.kind, r.reason = ev.Kind, ev.Reason
		ev.Conn.CopyTo(&r.conn) // deep: the table recycles the original
		if ev.Kind == flow.EventClosed {
			w.local.Removed++
		}
	}
}

// shipWait ships the current batch and, if wait, blocks until the writer
// has delivered it.
func (w *worker) shipWait(wait bool) {
	if !wait || w.cur == nil {
		w.ship()
		return
	}
	done := make(chan struct{}, 1)
	w.cur.done = done
	w.ship()
	<-done
}

// getBatch returns a free batch, allocating up to maxBatches; beyond that
// it waits for the writer to hand one back (backpressure: the ring then
// fills and the kernel counts drops, which the stats report).
func (w *worker) getBatch() *batch {
	select {
	case b := <-w.free:
		return b
	default:
	}
	if w.nBatches < maxBatches {
		w.nBatches++
		return &batch{recs: make([]record, 0, batchSize), free: w.free}
	}
	return <-w.free
}

// ship hands the current batch to the writer.
func (w *worker) ship() {
	b := w.cur
	if b == nil || (len(b.recs) == 0 && b.done == nil) {
		return
	}
	w.cur = nil
	w.s.queued.Add(1)
	w.s.out <- b
}

// publish makes the worker's counters visible to Stats.
func (w *worker) publish() {
	ts := w.table.Stats()
	w.local.FlowsActive = w.table.Len()
	w.local.Created = ts.Created
	w.local.Evicted = ts.Evicted
	w.local.MaxActive = ts.MaxActive
	w.local.TableClock = w.table.Now()
	if k, err := w.src.Stats(); err == nil {
		w.local.Kernel = k
	}
	w.mu.Lock()
	w.pub = w.local
	w.mu.Unlock()
}

// publishClosed refreshes the kernel counters after the socket closed (the
// last read of the kernel's statistics happens in Close).
func (w *worker) publishClosed() {
	k, _ := w.src.Stats()
	w.mu.Lock()
	w.pub.Kernel = k
	w.mu.Unlock()
}

func (w *worker) stats() WorkerStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pub
}
