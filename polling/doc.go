// Package polling is flowlog's form of Zeek's ConnPolling
// (scripts/base/protocols/conn/polling.zeek): call a function on a
// connection at intervals of packet time, the function choosing the next
// interval, until it says stop, a call limit is reached, or the connection
// is gone.
//
// # Usage
//
//	for _, ev := range t.Events() {
//		if ev.Kind == flow.EventOpened {
//			polling.Watch(t, ev.Conn, func(c *flow.Conn, cnt int) time.Duration {
//				if c.RespIPBytes > 1<<20 {
//					report(c)
//					return -1 // stop
//				}
//				return 10 * time.Second
//			}, 30, 10*time.Second)
//		}
//	}
//
// # Time
//
// Polls are Table.Schedule timers: they fire when packet time (a packet of
// any connection, or Table.Advance) reaches them, never by the wall clock,
// so a replay polls at the same points every time. A poll that falls due
// between two packets runs when the second one arrives, before it is
// processed, as Zeek's timers do. The next poll is scheduled from the time
// the callback ran (Zeek's network_time), not from the time the poll was
// due. Table.Flush drops pending polls: no poll runs at end of input.
//
// # Differences from Zeek
//
//   - Zeek's cnt argument is a counter whose first value the caller picks,
//     and the callback alone decides when to stop. Here count is the most
//     calls (0 or less: no limit) and the callback gets 0, 1, 2, ... (Zeek
//     scripts usually start the counter at 0).
//   - Zeek reschedules a zero interval at the same network time; flowlog
//     polls again at the first packet time after it (a zero interval would
//     otherwise run the callback without end at one instant). An initial
//     interval of 0 or less polls at the next call into the table.
//   - Zeek looks the connection up by its 5-tuple at each poll, so a poll
//     may land on a new connection that reused the 5-tuple; flowlog's polls
//     belong to one connection and stop silently once it is removed.
package polling
