// Package names gives every flow names: the services it speaks (conn.log's
// service column), the TLS server name and DNS queries it carries (ssl.log
// and dns.log), and names for its endpoints, from the DNS answers seen
// (passive DNS) or from reverse DNS lookups.
//
// It bundles the subpackages for one flow table:
//
//   - names/service: payload-based service detection, a per-connection
//     watcher that reads the first bytes of each direction and leaves.
//   - names/applog: the ssl.log and dns.log trackers and their Zeek ASCII
//     and JSON writers.
//   - names/dnsmsg: the DNS message parser (UDP and TCP) and Zeek's DNS
//     naming and answer formatting.
//   - names/pdns: the passive DNS cache (address -> name, TTLs in packet
//     time).
//   - names/rdns: the asynchronous reverse DNS resolver with its TTL cache,
//     and ParseDuration for human-friendly durations ("90s", "5m").
//
// # Usage
//
// One Names per flow table, fed from the table's goroutine:
//
//	r, _ := rdns.New(rdns.Config{TTL: ttl})      // optional; shared, safe for concurrent use
//	defer r.Close()
//	n := names.New(names.Config{
//		Service:    true,
//		PassiveDNS: true,
//		RDNS:       r,
//		OnSSL:      func(rec *applog.SSLRecord) { sslw.Write(rec) },
//		OnDNS:      func(rec *applog.DNSRecord) { dnsw.Write(rec) },
//	})
//	cw := zeeklog.NewConnWriter(f, zeeklog.Options{Extra: n.ConnColumns()}) // orig_name, resp_name
//	for each frame {
//		dec.Decode(lt, ts, data, wire, &pkt)
//		table.Packet(&pkt)
//		n.Events(table, &pkt)            // attach to the connections this packet opened
//		for _, ev := range table.Events() {
//			if ev.Kind == flow.EventClosed {
//				svc := names.Service(ev.Conn) // conn.log service ("" = unset)
//				cw.Write(ev.Conn)
//			}
//		}
//	}
//	table.Flush()
//	n.Events(table, nil)
//	... write the closing events as above
//
// Events must run after every Table call and before the next one: the
// table has already processed the packet that opened a connection, so
// Names hands that packet's layer to the new watchers itself.
//
// The service detector and the SSL tracker see a connection's later
// packets through the table: Names installs itself as the table's
// flow.Analyzer (one Names per table) and keeps their per-connection state
// in its own slots, found by the Conn's analyzer ref, so they cost no
// framework state (flow.Ext) per connection. A UDP connection whose only
// watcher is its service detector has no slot at all: the detector's
// state (service.Small: datagram counts and a few flags) is packed into
// the analyzer ref itself, until a QUIC or DTLS handshake spread over
// several datagrams needs a full State. The DNS tracker, which watches
// DNS ports only, attaches as an ordinary flow.Watcher.
//
// # Ownership
//
// Watchers never keep a decode.Layer or its payload past the call; what
// they need (the first bytes of a TCP direction, a ClientHello being
// reassembled) is copied, within fixed bounds. Records handed to OnSSL and
// OnDNS are the callee's to write; an SSLRecord is reused after the call.
// Connection results live on the flow.Conn (Conn.Service()) until
// the table recycles it after its EventClosed.
//
// # Concurrency
//
// Names, its watchers and trackers run on the flow table's goroutine and
// are not safe for concurrent use; run one per table. The passive DNS
// cache and the reverse DNS resolver are safe for concurrent use, so Name
// and the conn.log columns may be called from a writer goroutine, and one
// resolver may serve several tables. Reverse lookups never block the
// packet path: a miss returns at once and queues a query.
//
// # Names for an address
//
// Name prefers passive DNS (the name a client asked for when an unexpired
// A/AAAA answer gave this address, or a PTR answer seen on the wire) over
// reverse DNS (asked once per address, cached for the resolver's TTL,
// failures for its NegTTL). Opened starts the reverse lookups of a new
// connection's endpoints that passive DNS does not name, so the answers
// are usually cached by the time the connection is logged.
package names
