// Package hooks is flowlog's form of Zeek's connection removal hooks
// (scripts/base/protocols/conn/removal-hooks.zeek): a function registered on
// one connection runs once when that connection is removed, so finalization
// code costs nothing for the connections that do not need it.
//
// # Usage
//
//	t.Packet(&pkt)
//	for _, ev := range t.Events() {
//		if ev.Kind == flow.EventOpened && wanted(ev.Conn) {
//			hooks.Register(ev.Conn, "mine", func(c *flow.Conn) {
//				c.SetField("mine", "done")
//			})
//		}
//	}
//
// A hook runs on every removal path (inactivity timeout, TCP close or reset
// delay, 5-tuple reuse, eviction when the table is full, Flush at end of
// input) inside the Table call that removes the connection: after the record
// is final (conn_state, history, sizes, duration no longer change) and before
// the EventClosed that carries it, so fields a hook adds with Conn.SetField
// appear in that record.
//
// # Differences from Zeek
//
//   - Zeek keys hooks by the hook value itself and keeps them in a set, so
//     their order is unspecified; flowlog keys them by name and runs them in
//     registration order.
//   - Zeek runs the hooks in connection_state_remove at priority -3, and any
//     connection_state_remove handler of higher priority has already run;
//     flowlog has no other handlers, only the hooks.
//   - A hook registered while the hooks of its connection are running (from
//     another hook) also runs; one unregistered then does not.
package hooks
