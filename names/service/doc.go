// Package service detects the application protocols of connections from
// their payload, not their port, and names them as Zeek's conn.log service
// column does: ssl, quic, dtls, http, websocket, ssh, smtp, ftp, ftp-data,
// pop3, imap, irc, irc-dcc-data, xmpp, mysql, postgresql, redis, dns,
// krb, krb_tcp, ldap_tcp, ldap_udp, ntlm, gssapi, syslog, syslog_tcp, rdp,
// rdpeudp, modbus, dce_rpc, smb, dhcp, ntp, snmp, sip, and the tunnels
// vxlan, geneve, teredo, ayiya, gtpv1.
//
// # Usage
//
//	d := service.New(service.Config{})       // one per flow table
//	for each frame {
//		table.Packet(&pkt)
//		for _, ev := range table.Events() {
//			switch ev.Kind {
//			case flow.EventOpened:
//				d.Attach(table, ev.Conn, &pkt) // pkt: the packet that opened it
//			case flow.EventClosed:
//				svc := service.Of(ev.Conn)     // "ssl", "smtp,ssl", "" ...
//			}
//		}
//	}
//
// # Cost
//
// Attach adds a flow.Watcher (one small struct, recycled) to the
// connection. It looks at the first Config.MaxBytes (1024) in-order
// payload bytes of each TCP direction (the first 8 datagrams of each UDP
// direction), classifies them after each new segment, and removes itself
// as soon as the answer is known, or after Config.MaxPackets (24)
// packets. Protocols that can switch to TLS later (STARTTLS in SMTP, POP3,
// IMAP, FTP AUTH TLS, IRC, XMPP, LDAP, MySQL and PostgreSQL SSL requests,
// HTTP CONNECT) are then watched for up to Config.UpgradePackets (64)
// more packets for a ClientHello starting a segment, which costs a few
// byte comparisons per packet. FTP and IRC control connections stay
// watched (up to 4096 packets) to learn the data connections they announce
// (PASV/PORT/EPSV/EPRT, DCC SEND): those get ftp-data and irc-dcc-data
// when they open. After detaching, a connection costs nothing.
//
// Start (the API names.Names uses) returns a UDP connection's detector as
// a Small, 31 bits the owner keeps in a word of its own, and Step runs it
// on the next datagram; only a QUIC or DTLS handshake in progress turns
// it into a State. TCP prefixes are held in arrays of 64, 256 or 1024
// bytes recycled by size, and given back once the detector only watches
// control lines.
//
// # Zeek's semantics
//
// The rules follow what Zeek's analyzers confirm on, checked against the
// Zeek parity corpus (TestZeekParityService): a valid ClientHello
// confirms ssl, and a server answering with something that is not TLS
// removes it again (Zeek's protocol violation); HTTP needs the response
// status line, except on Zeek's HTTP ports where the request suffices;
// SSH needs both banners (the server's may follow other text); LDAP
// confirms on the server's first message, so a SASL bind's NTLM or
// Kerberos (ntlm; krb,gssapi) can come first; Teredo needs valid packets
// both ways (Zeek's Tunnel::delay_teredo_confirmation); FTP replies
// without a 3-digit code and POP3 replies without +OK/-ERR are protocol
// violations that remove the service. Where Zeek is port-based only
// (DNS, NTP, DHCP, modbus, MySQL), the payload is checked too, on any port
// for DNS, DHCP and MySQL.
//
// Several services are joined by "," in the order they were confirmed
// ("smtp,ssl", "quic,ssl", "http,websocket", "ntlm,ldap_tcp"). Zeek joins
// its c$service set in the set's iteration order; every multi-service row
// of the corpus has it in confirmation order, which is what is produced
// here.
//
// Config.Enabled restricts the services reported, to mimic a Zeek run
// with only some analyzers loaded (zeek -b).
//
// # Concurrency
//
// A Detector and its watchers belong to one flow table and its goroutine;
// nothing here is safe for concurrent use. Of reads the connection's
// field and is as safe as reading the Conn.
package service
