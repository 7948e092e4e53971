// Package flow is flowlog's connection table: a deterministic state machine
// that turns decoded packets into Zeek conn.log records.
//
// # Usage
//
// The caller owns the loop. For each decoded frame it calls Packet, then
// reads Events; when the input is quiet it may call Advance with the current
// time so that timeouts fire; at the end of input it calls Flush.
//
//	t := flow.New(flow.Defaults())
//	for frame := range frames {
//		dec.Decode(frame.LinkType, frame.TS, frame.Data, frame.WireLen, &pkt)
//		t.Packet(&pkt)
//		for _, ev := range t.Events() {
//			if ev.Kind == flow.EventClosed {
//				w.Write(ev.Conn) // a final conn.log record
//			}
//		}
//	}
//	t.Flush()
//	// ... write t.Events() once more
//
// # Time
//
// Time is packet time (nanoseconds since the epoch), never the wall clock:
// a replay gives the same records in the same order every time. Timers
// (inactivity, TCP attempt/close/reset/linger) fire when Packet or Advance
// moves the clock past them, before the packet is processed, as Zeek's timer
// manager does.
//
// # Ownership and concurrency
//
// A Table is not safe for concurrent use: run one per worker goroutine and
// send both directions of a flow to the same worker (Hash is symmetric). The
// *Conn values in Events belong to the table and are valid until the next
// call into it; copy what must outlive that (Conn.CopyTo). Packet does not
// keep the decode.Packet or anything it points to. The one state tables
// share is the table of service column values (Conn.SetService), which is
// safe for concurrent use.
//
// # Memory
//
// Connections live in a slab of fixed chunks (a *Conn never moves while
// its connection lives, and is recycled after removal; free Conns are
// linked through themselves) found through an open-addressing index keyed
// by a seeded, direction-symmetric hash. A Conn is 136 bytes: its uid is
// one word (a seeded bijection of the creation number, which also orders
// the end-of-input flush), its inactivity timeout a byte indexing the
// table's few distinct values, its flags bits, its packet, IP byte and
// payload counters 32 bits (with high words in connRare past 4 Gi), its service
// column two bytes (an index into a process-wide table of the few
// distinct values). TCP connections add a pooled TCP state; only tunnelled
// connections, histories over 8 letters, counters past 4 Gi and users of
// the conn framework (Ext) add a connRare.
// Timers are 16-byte entries of a heap kept in fixed chunks (it grows
// without copying). A table-wide Analyzer (names' service detection and
// SNI tracking) keeps its per-connection state itself, behind a 4-byte ref.
// FlushStep empties a large table in bounded batches. TestLayoutSizes pins
// the sizes.
//
// # Semantics
//
// The rules follow Zeek's own code: TCPSessionAdapter.cc and TCP_Endpoint
// for TCP states, history letters and sizes from sequence numbers; the UDP
// and ICMP analyzers; ConnSize for packet and IP byte counts; Conn.cc for
// history and flips; conn_state() of base/protocols/conn/main.zeek (ConnState
// here). Two application analyzers flip UDP connections from their first
// messages, and the table applies their rules itself (udpAnalyzerFlip): DNS
// (a response from the originator first) and NTP (a server message from
// the originator, a client message from the responder). Where flowlog departs from Zeek it says so next to the code.
package flow
