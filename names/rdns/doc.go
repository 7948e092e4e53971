// Package rdns resolves flow endpoints to names with reverse DNS (PTR)
// queries, asynchronously, with a per-address cache that honours a TTL.
//
// # Usage
//
//	ttl, err := rdns.ParseDuration("5m")        // "90s", "1h 30m", "2days", "60" (seconds)
//	r, err := rdns.New(rdns.Config{Server: "127.0.0.1:53", TTL: ttl})
//	defer r.Close()
//	name, ok := r.Lookup(addr) // never blocks: the cached name, or "" and a query is queued
//
// Lookup returns at once (microseconds: a map lookup under a mutex and a
// non-blocking channel send): with the cached name while its TTL runs
// (default 60s), with "" for a failure cached for NegTTL (default 5s: an
// NXDOMAIN, a reply without PTR, SERVFAIL, a timeout), and with "" for an
// unknown address, whose query it queues. MaxInFlight worker goroutines
// (default 16) send the queries, so at most that many are outstanding;
// when MaxQueue addresses already wait, Lookup starts nothing and a later
// Lookup tries again. Answers are stored in the cache by the workers.
//
// Queries go over UDP to Config.Server (default: the first nameserver of
// /etc/resolv.conf) with a random id, checked against the reply's id and
// question; a truncated reply is retried over TCP. A PTR reached through
// CNAMEs (RFC 2317 classless delegation) counts. Each query is bounded by
// Config.Timeout (default 2s); Close cancels the queries in flight.
//
// The cache is bounded by MaxEntries; cache expiry uses Config.Now (the
// wall clock by default), since answers arrive in real time, not packet
// time.
//
// # Concurrency
//
// A Resolver is safe for concurrent use: Lookup may be called from any
// number of goroutines (the packet path, writers) and one Resolver may
// serve several flow tables.
package rdns
