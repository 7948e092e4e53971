// Package applog writes Zeek's ssl.log and dns.log: trackers that are
// flow watchers producing the records, and writers in Zeek's ASCII (TSV)
// and JSON formats.
//
// # Usage
//
//	sslw := applog.NewSSLWriter(sslFile, applog.Options{OpenTime: start})
//	dnsw := applog.NewDNSWriter(dnsFile, applog.Options{Format: applog.JSON})
//	st := &applog.SSLTracker{OnRecord: func(r *applog.SSLRecord) { sslw.Write(r) }}
//	dt := &applog.DNSTracker{OnRecord: func(r *applog.DNSRecord) { dnsw.Write(r) }}
//	for each frame {
//		table.Packet(&pkt)
//		for _, ev := range table.Events() {
//			if ev.Kind == flow.EventOpened {
//				st.Attach(table, ev.Conn, &pkt)
//				dt.Attach(table, ev.Conn, &pkt)
//			}
//		}
//	}
//	table.Flush()
//	sslw.Close(); dnsw.Close()
//
// # ssl.log
//
// One row per connection where a ClientHello or ServerHello was seen: TLS
// over TCP on any port, also after STARTTLS-style plaintext (a ClientHello
// starting a later segment), QUIC (the client Initial through the tls
// package; the server's Initial is decrypted here with its RFC 9001/9369
// Initial keys to read the ServerHello) and DTLS. Columns: ts uid id.*
// version server_name. version is the ServerHello's (its
// supported_versions extension for TLS 1.3) as Zeek prints it (TLSv12,
// TLSv13, DTLSv12, TLSv13-draft23; unset without a ServerHello);
// server_name is the ClientHello's SNI. The record is written when the
// ServerHello is seen, or when the connection is removed. SSLRecord also
// carries the JA3 and JA4 fingerprints for callers that want them.
//
// # dns.log
//
// The DNS tracker runs on Zeek's DNS ports (53/udp, 53/tcp, 137/udp,
// 5353/udp, 5355/udp; configurable) and follows
// base/protocols/dns/main.zeek: queries and replies paired by transaction
// id in order (pending queue limits of 50), unmatched ones logged when
// the connection is removed, multicast (mDNS) messages logged alone,
// dynamic updates ("pre:", "del:", "add:" answers) and notifies, NetBIOS
// name decoding and NBSTAT on port 137, Zeek's flip of a connection whose
// first message is a reply. All of Zeek's default dns.log columns are
// written: ts uid id.* proto trans_id rtt query qclass qclass_name qtype
// qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected opcode
// opcode_name.
//
// # Format
//
// The writers follow Zeek's ASCII writer: the #separator ... #types header
// lines, "-" for unset, "(empty)" for an empty string or container, ","
// between container elements, non-printable bytes, tab, backslash and
// (inside containers) "," escaped as \xNN, times and intervals with six
// decimals, and #close with the latest record's time (or Options.Clock).
// JSON is Zeek's LogAscii::use_json=T: one object per line, unset fields
// left out, containers as arrays.
//
// # Ownership and concurrency
//
// The trackers copy what they keep from packets (bounded: a ClientHello
// per connection through the tls assemblers, at most 16 KiB of a server's
// first TLS bytes, one DNS message per TCP direction) and run on the flow
// table's goroutine: they are not safe for concurrent use, nor are the
// writers.
package applog
