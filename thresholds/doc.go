// Package thresholds is flowlog's form of Zeek's connection thresholds
// (scripts/base/protocols/conn/thresholds.zeek over the ConnSize analyzer,
// src/analyzer/protocol/conn-size/ConnSize.cc): call a function once when a
// connection's byte count, packet count or duration reaches a value.
//
// # Usage
//
//	for _, ev := range t.Events() {
//		if ev.Kind == flow.EventOpened {
//			thresholds.Set(t, ev.Conn, thresholds.Bytes, thresholds.Resp, 1<<20,
//				func(c *flow.Conn, th thresholds.Threshold) { bulk(c) })
//		}
//	}
//
// # Semantics
//
//   - Bytes are IP bytes (conn.log orig_ip_bytes, resp_ip_bytes) and Packets
//     are packets (orig_pkts, resp_pkts), per direction (Orig, Resp) or
//     summed over both (Both), as the ConnSize analyzer counts them. A
//     threshold fires once, on the packet that brings the counter to it or
//     past it (counter >= value), and is then gone; Set it again to re-arm.
//   - Several thresholds may fire on one packet: each list in ascending
//     order, the lists in ConnSize's order (both-directions packets and
//     bytes, then the originator's bytes and packets, then the responder's,
//     then duration). Callbacks run synchronously, after the packet was
//     counted, and may Set and Delete thresholds; one they set that is
//     already reached fires in the same round.
//   - Setting a threshold already reached fires it at once, inside Set (as
//     Zeek's SetByteAndPacketThreshold checks right away). Setting one that
//     is pending replaces its callback; Delete stops one from firing.
//     A zero value is refused, as in Zeek.
//   - Thresholds belong to roles: when a TCP connection's roles flip, its
//     counters flip with them (ConnSize::FlipRoles) and the Orig thresholds
//     watch the new originator.
//
// # Duration
//
// A Duration threshold d fires once packet time passes the connection's
// start plus d (Zeek's test: network_time - start_time > d). Zeek checks
// it only when the connection's next packet arrives, so on an idle
// connection it fires late or never; flowlog schedules it on the table's
// packet-time timers (Table.Schedule), so it fires as soon as any packet or
// Table.Advance moves time past the deadline, before that packet is
// processed, whether or not the packet belongs to the connection. It
// never fires after the connection is removed; Table.Flush drops it.
//
// # Cost
//
// A connection without thresholds costs nothing. One with byte or packet
// thresholds has a flow.Watcher that keeps the smallest pending value of
// each list, so a packet that fires nothing costs one call and six
// comparisons, however many thresholds are set; once none is left the
// watcher is detached (from a timer at the current time, that is, at the
// start of the next Table call: a watcher must not detach itself while
// the table runs its watchers). Duration thresholds cost nothing per
// packet. The per-connection state is allocated by the first Set and
// kept in the connection's flow.Ext.
//
// # Differences from Zeek
//
//   - Zeek raises events, queued and run after the packet; flowlog calls
//     the callback given to Set, synchronously.
//   - Zeek's both-directions packet thresholds are global
//     (ConnThreshold::generic_packet_thresholds, one event each when
//     orig_pkts + resp_pkts equals it); flowlog's are per connection, like
//     the others, and Both also works for bytes.
//   - Zeek keeps only the smallest threshold of a list in the analyzer and
//     re-arms the next from the event handler, so the events of one packet
//     for different lists interleave; flowlog fires a whole list before
//     the next.
//   - Duration: see above (flowlog fires when time passes, not on the next
//     packet of the connection).
package thresholds
