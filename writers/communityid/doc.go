// Package communityid computes Community ID v1 flow hashes
// (https://github.com/corelight/community-id-spec), the string that lets
// Zeek, Suricata, Wireshark and other monitors' records of one flow be
// joined: "1:" followed by the base64 of a SHA-1 over the seed, the ordered
// endpoints, the IP protocol and the ports.
//
// # Usage
//
// For a conn.log record, as Zeek's
// policy/protocols/conn/community-id-logging.zeek adds it:
//
//	id := communityid.CommunityID(0, c) // c is a removed *flow.Conn
//
// For a tuple seen in a packet (ICMP type and code in the port arguments):
//
//	id := communityid.Hash(0, src, dst, sport, dport, proto)
//
// Append and AppendConn append to a caller's buffer and do not allocate;
// Hash and CommunityID allocate the returned string.
//
// # Semantics
//
// TCP, UDP and SCTP hash their ports; ICMP and ICMPv6 map the type and code
// to ports as Zeek does (request/reply types pair with their counterpart
// type, other types are one-way and keep their direction); other protocols
// hash the addresses and protocol only. The ordering puts the numerically
// smaller address (then port) first. CommunityID takes a connection's
// conn.log endpoints and ports, exactly what Zeek's community_id_v1(c$id)
// hashes; see CommunityID for ICMP and for protocols Zeek leaves unnamed.
// The tests check the spec's published vectors (baseline/ of
// corelight/community-id-spec).
//
// # Ownership and concurrency
//
// The functions are pure: they keep nothing of their arguments and are safe
// for concurrent use.
package communityid
