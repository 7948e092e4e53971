// Package pdns is a passive DNS cache: the DNS answers seen on the wire
// name the addresses they answer, for their TTLs, in packet time.
//
// # Usage
//
//	c := pdns.New(pdns.Config{})
//	// for every DNS message parsed (see applog.DNSTracker.OnMessage):
//	c.Observe(msg, packetTime)
//	// when logging a connection:
//	name, ok := c.Lookup(addr, packetTime)
//
// An A or AAAA answer names its address with the name the client asked
// for (the question, traced back through CNAME answers), so a CDN address
// is named "www.example.com", not "edge123.cdn.net"; a PTR answer for a
// reverse name names the address the reverse name encodes. Replies with an
// error rcode teach nothing. Entries expire at packet time + TTL (clamped
// to [MinTTL, MaxTTL]); the cache holds at most MaxEntries addresses and
// drops the one expiring first when full.
//
// # Concurrency
//
// A Cache is safe for concurrent use: Observe runs on the packet path,
// Lookup may run on writer goroutines. Observe does not keep the message.
package pdns
