// Package contents writes the data of chosen connections to files, one per
// direction, as Zeek's scripts/base/protocols/conn/contents.zeek does with
// set_contents_file: the reassembled TCP stream (and, a flowlog addition,
// the UDP payloads) that each side sent.
//
// # Usage
//
//	x := &contents.Extractor{Dir: "extract", Which: contents.Both,
//		Select: contents.SelectFunc(func(c *flow.Conn) bool { return c.RespP == 80 })}
//	for ... {
//		t.Packet(&pkt)
//		x.Events(t, t.Events()) // attaches to the selected new connections
//	}
//	t.Flush()
//
// Or attach to one connection: contents.Extract(t, c, dir, contents.Orig).
// Choosing connections by a BPF expression is the command's job; this
// package takes any Selector.
//
// # Files
//
// Files are named as Zeek's generate_extraction_filename names them, with
// Zeek's default prefix: contents_<orig_h>:<orig_p>-<resp_h>:<resp_p>_orig.dat
// and _resp.dat, IPv6 addresses in brackets ([2001:db8::1]:80), colons
// replaced by '-' on Windows. They are created (truncated) when extraction
// starts, so a later connection on the same 5-tuple overwrites them, as in
// Zeek; give each connection its own directory to keep every one.
//
// A TCP byte is written at its stream offset: its sequence number relative
// to the sender's initial sequence number, minus one for the SYN (Zeek's
// relative seq - 1). Retransmissions overwrite the same bytes and
// out-of-order segments land where they belong; bytes never seen stay as
// holes (zeros; sparse where the file system allows). A segment that would
// land more than 256 MiB past the furthest byte so far (a bogus sequence
// number) is dropped. A UDP direction is its datagram payloads appended in
// arrival order.
//
// # Memory and files
//
// Each extracted direction holds one open file while its connection lives
// and a write buffer of up to Extractor.Buffer bytes (16 KiB by default)
// that collects contiguous data; anything else is written at its offset
// with WriteAt, so out-of-order data costs no memory. Files are flushed
// and closed by a removal hook when the connection is removed (any reason,
// Flush included). Connections without extraction pay nothing.
//
// # Differences from Zeek
//
//   - Zeek attaches the files in connection_established, after the
//     handshake; flowlog attaches them when asked (Extractor.Events: when
//     the connection opens). The stream base is one past the SYN's
//     sequence number when the SYN (or the peer's SYN-ACK, which
//     acknowledges it) is seen after attaching, else the first sequence number seen; offset 0
//     of a file is then the first byte of the stream, or the first byte
//     seen, as with Zeek's contents_start_seq.
//   - The events of a Table call come after it: the packet that created a
//     connection has been processed before Extract can attach, so a payload
//     in that first packet (a partial TCP connection, the first UDP
//     datagram) is not in the file. A SYN carries no payload in practice.
//   - Zeek's TCP reassembler appends data in order and writes a
//     "\n<<gap N>>\n" marker for each hole; flowlog keeps every byte at its
//     stream offset instead, so offsets in the file are stream offsets.
//   - Packets the table does not analyze (bad checksums when checksums are
//     checked, malformed TCP headers) and the payload of RST segments are
//     not written, as Zeek does not deliver them. A payload cut by the
//     snaplen is written as far as it was captured (Zeek writes none of it).
//   - If the connection's roles flip after extraction began (a connection
//     first seen by its SYN-ACK flips on the next packet), each side's data
//     stays in its own file and the files are renamed to match the new
//     roles, so names always agree with conn.log. Which selects sides by
//     their role when extraction starts.
//   - Zeek supports contents files for TCP only; flowlog also extracts UDP.
package contents
