// Package decode turns captured frames into the IP layers and transport
// headers that Zeek's packet analysis would see, so that flowlog's conn.log
// can match Zeek's exactly.
//
// # Usage
//
// One Decoder and one Packet per capture goroutine, reused for every frame:
//
//	d := decode.New(decode.Options{IgnoreChecksums: zeekC})
//	var p decode.Packet
//	for {
//		data, ci, err := src.ZeroCopyReadPacketData()
//		if err != nil {
//			break
//		}
//		p.Num++
//		d.Decode(linkType, ci.Timestamp.UnixNano(), data, ci.Length, &p)
//		counters[p.Anomaly]++
//		for i := 0; i < p.N; i++ {
//			l := &p.Layers[i]
//			if l.Session {
//				table.Packet(&p, i) // the flow table decides what to count
//			}
//		}
//	}
//
// A frame can carry several connections: with tunnels, Layers[0] is the
// outermost IP datagram and each further layer was carried (Layer.Tunnel
// says how) inside the one before it. Layer.Session says whether Zeek makes
// a connection of that layer: UDP tunnels (VXLAN, Geneve, Teredo, AYIYA,
// GTP-U, GRE over UDP) are connections themselves, IP-level tunnels (GRE,
// IP-in-IP) are not. A layer whose packet Zeek does not count has
// BadChecksum (history 'C'/'c') or SkipPacket set.
//
// # Buffer ownership
//
// Decode does not keep data. Layer.Payload points into data, or into a
// reassembly buffer owned by the Decoder when the datagram was rebuilt from
// fragments; either way it is valid only until the next Decode call. Copy
// what must outlive it. Decode resets every field of the Packet except Num.
//
// # Concurrency
//
// A Decoder holds fragment reassembly state and is not safe for concurrent
// use. Run one per capture goroutine; when sharding traffic across
// goroutines, make sure fragments of one datagram reach the same Decoder
// (shard on the address pair, not on ports).
//
// # Memory and speed
//
// Decode allocates nothing in steady state: it parses the bytes by hand
// (no gopacket.Packet objects), fills the caller's Packet, and keeps at most
// Options.MaxFragDatagrams pending datagrams, each with a 66 KiB buffer
// allocated the first time its slot is used.
//
// # What follows Zeek, and from where
//
// Link layers (src/packet_analysis/protocol/*, scripts/base/packet-protocols):
// Ethernet II and 802.3 with SNAP, Cisco FabricPath, 802.1Q/802.1ad/QinQ
// (first tag is VLAN, later ones overwrite the inner VLAN), MPLS (label stack,
// then IP), PPPoE session, PBB (the customer frame's MACs replace the
// backbone ones, as in Zeek), VN-Tag (followed only by a VLAN tag, as Zeek
// dispatches), BSD null/loop, Linux SLL and SLL2, PPP with or without HDLC
// framing, PPP serial, raw IP, 802.11 data frames with LLC/SNAP (protected
// QoS frames and non-data frames skipped) and radiotap. Every "N >= len"
// header check is Zeek's, so frames that end right after a header are
// truncated here too.
//
// IP (ip/IP.cc, IP.h): an IP datagram longer than the wire length is dropped
// (truncated_IP_len), one longer than the captured bytes is analyzed with
// what was captured; IPLen is always the header's length. The IPv4 header
// checksum is checked unless IgnoreChecksums. IPv4 total length 0
// (segmentation offload) is dropped, or with IgnoreChecksums analyzed with the
// captured length while IPLen stays 0, as Zeek counts it. IPv6 extension
// headers (hop-by-hop, routing, destination options, fragment, AH) are
// walked; ESP and Mobility end the chain; a type 0 routing header with
// segments left makes the last address the destination. ESP, Mobility, No
// Next Header and IGMP make no connection; other unknown protocols do, with
// ports 0.
//
// Fragments (Frag.cc): see frag.go. The datagram is delivered once, as one
// packet, when complete; a first fragment cut by snaplen is analyzed alone
// and other cut fragments are dropped.
//
// Transports (IPBasedAnalyzer.cc, tcp/TCP.cc, udp/UDP.cc, icmp/ICMP.cc): no
// connection when the IP payload length or the captured bytes are below the
// minimal header (20/8/8); a TCP data offset below 20 or options past the
// payload make a connection whose packet is skipped. TCP and ICMP checksums
// are checked when the whole segment was captured, UDP's also only when the
// whole frame was (checksum 0 means none over IPv4, is bad over IPv6, and
// VXLAN datagrams with checksum 0 are accepted). A bad UDP checksum stops
// tunnel decapsulation. UDPLen keeps the UDP length field Zeek counts bytes
// from.
//
// Tunnels (vxlan, geneve, teredo, ayiya, gtpv1, gre, erspan, iptunnel):
// VXLAN 4789, Geneve 6081 (options; Ethernet, IPv4 or IPv6 inside), Teredo
// 3544 and by detection (origin indication and authentication headers,
// bubbles, exact IPv6 length), AYIYA 5072 and by detection, GTPv1 2152/2123
// (G-PDU only, extension headers, exact inner length, no GTP in GTP), GRE
// over IP and over UDP 4754 (key, sequence, checksum, ack; transparent
// Ethernet bridging; ERSPAN I, II and III; MPLS; Aruba 802.11; PPTP enhanced
// GRE with PPP and exact inner length). Tunnel::max_depth (Options.
// MaxTunnelDepth, default 4 as in Zeek) is checked where Zeek checks it; VXLAN,
// Geneve, Teredo and AYIYA then give the carrying connection history 'X'
// (Layer.HistoryX). Inner Ethernet headers set the layer's own L2 fields and
// never the Packet's outer VLAN/MAC fields.
//
// # Where we depart from Zeek
//
//   - Zeek dispatches a UDP payload on the connection's responder port; a
//     stateless decoder does not know it, so the destination port is tried,
//     then the source port (all tunnel ports are likely server ports, so this
//     is what Zeek's role flipping yields in practice).
//   - Zeek stops decapsulating a connection for good after its tunnel
//     analyzer reported a protocol violation; the decoder judges every packet
//     on its own.
//   - Pending fragments are bounded (count, 64 KiB each, 64 holes) and expire
//     after Options.FragTimeout of packet time (Zeek keeps them forever by
//     default); datagrams over 65535 bytes are dropped instead of wrapping.
//   - DLT_NULL's address family is also accepted in big-endian order (Zeek
//     reads it little-endian only), and DLT_LOOP is supported.
//   - Link types Zeek would parse as raw IP by default (anything unknown) are
//     reported as AnomalyUnknownLinkType; FDDI and NFLOG are not decoded.
//   - Only the first subframe of an 802.11 A-MSDU frame is decoded.
//   - GRE payloads of protocol types Zeek has no analyzer for are reported as
//     non-IP.
package decode
