package main

// One-flow captures for every Zeek conn_state, history-letter captures,
// sequence wraparound and inactivity timeouts.

import (
	"fmt"
)

var (
	stClient = "192.0.2.10"
	stServer = "198.51.100.20"
)

func req(n int) []byte  { return filler(fmt.Sprintf("REQ %04d ", n), n) }
func resp(n int) []byte { return filler(fmt.Sprintf("RSP %04d ", n), n) }

// filler returns n bytes starting with prefix and continuing with a
// repeating printable pattern ending in CRLF.
func filler(prefix string, n int) []byte {
	b := make([]byte, n)
	pat := prefix + "abcdefghijklmnopqrstuvwxyz0123456789"
	for i := range b {
		b[i] = pat[i%len(pat)]
	}
	if n >= 2 {
		b[n-2], b[n-1] = '\r', '\n'
	}
	return b
}

// exchange: client request, server pure ACK, server response, client ACK.
func (s *tcpFlow) exchange(nreq, nresp int) {
	s.send(20, true, PSH|ACK, req(nreq))
	s.send(15, false, ACK, nil)
	s.send(5, false, PSH|ACK, resp(nresp))
	s.send(15, true, ACK, nil)
}

func stateFiles() []*File {
	var out []*File
	mk := func(state, desc string, build func(f *File)) {
		f := newFile("state-"+state+".pcap", "conn_state "+state, linkEth, frameEthernet)
		f.desc("%s", desc)
		build(f)
		out = append(out, f)
	}
	cli := func(p uint16) ep { return mkep(stClient, p) }
	srv := mkep(stServer, 9000)

	mk("S0", "SYN, then the same SYN retransmitted 1 s later; no reply.", func(f *File) {
		c := f.conn("tcp", cli(40001), srv, "S0", "S")
		c.Note = "retransmitted SYN has the same seq, so no second S (hist_last_SYN)"
		s := f.tcp(c, cli(40001), srv, 0x10000001, 0, 0)
		s.send(0, true, SYN, nil)
		s.send(1000, true, SYN, nil, rel(0))
		s.done()
	})
	mk("S1", "Handshake and one request/response, never closed.", func(f *File) {
		c := f.conn("tcp", cli(40002), srv, "S1", "ShADad")
		s := f.tcp(c, cli(40002), srv, 0x10000002, 0x80000002, 0)
		s.handshake()
		s.exchange(64, 128)
		s.done()
	})
	mk("SF", "Handshake, request/response, FIN from each side, final ACK.", func(f *File) {
		c := f.conn("tcp", cli(40003), srv, "SF", "ShADadFf")
		s := f.tcp(c, cli(40003), srv, 0x10000003, 0x80000003, 0)
		s.handshake()
		s.exchange(64, 128)
		s.closeAB()
		s.done()
	})
	mk("REJ", "SYN answered by RST-ACK (seq 0, as Linux sends).", func(f *File) {
		c := f.conn("tcp", cli(40004), srv, "REJ", "Sr")
		s := f.tcp(c, cli(40004), srv, 0x10000004, 0xffffffff, 0)
		s.send(0, true, SYN, nil)
		s.send(1, false, RST|ACK, nil)
		s.done()
	})
	mk("S2", "Established, originator FIN, responder only ACKs it.", func(f *File) {
		c := f.conn("tcp", cli(40005), srv, "S2", "ShADadF")
		s := f.tcp(c, cli(40005), srv, 0x10000005, 0x80000005, 0)
		s.handshake()
		s.exchange(64, 128)
		s.send(5, true, FIN|ACK, nil)
		s.send(12, false, ACK, nil)
		s.done()
	})
	mk("S3", "Established, responder FIN, originator only ACKs it.", func(f *File) {
		c := f.conn("tcp", cli(40006), srv, "S3", "ShADadf")
		s := f.tcp(c, cli(40006), srv, 0x10000006, 0x80000006, 0)
		s.handshake()
		s.exchange(64, 128)
		s.send(5, false, FIN|ACK, nil)
		s.send(12, true, ACK, nil)
		s.done()
	})
	mk("RSTO", "Established, originator aborts with RST-ACK.", func(f *File) {
		c := f.conn("tcp", cli(40007), srv, "RSTO", "ShADadR")
		s := f.tcp(c, cli(40007), srv, 0x10000007, 0x80000007, 0)
		s.handshake()
		s.exchange(64, 128)
		s.send(5, true, RST|ACK, nil)
		s.done()
	})
	mk("RSTR", "Established, responder aborts with RST-ACK.", func(f *File) {
		c := f.conn("tcp", cli(40008), srv, "RSTR", "ShADadr")
		s := f.tcp(c, cli(40008), srv, 0x10000008, 0x80000008, 0)
		s.handshake()
		s.exchange(64, 128)
		s.send(5, false, RST|ACK, nil)
		s.done()
	})
	mk("RSTOS0", "SYN, then RST (seq ISN+1) from the originator; no SYN-ACK.", func(f *File) {
		c := f.conn("tcp", cli(40009), srv, "RSTOS0", "SR")
		s := f.tcp(c, cli(40009), srv, 0x10000009, 0, 0)
		s.send(0, true, SYN, nil)
		s.send(3, true, RST, nil)
		s.done()
	})
	https := mkep(stServer, 443)
	mk("RSTRH", "First packet is a SYN-ACK from server port 443, then RST from the server; no SYN seen.", func(f *File) {
		// 443 is in likely_server_ports and 40010 is not, so Zeek flips at
		// connection creation (TCPAnalyzer::WantConnection).
		c := f.conn("tcp", cli(40010), https, "RSTRH", "^hr")
		s := f.tcp(c, https, cli(40010), 0x8000000a, 0x1000000a, 0)
		s.send(0, true, SYN|ACK, nil)
		s.send(50, true, RST, nil)
		s.done()
	})
	mk("SH", "SYN, then a bare FIN from the originator; no SYN-ACK.", func(f *File) {
		c := f.conn("tcp", cli(40011), srv, "SH", "SF")
		s := f.tcp(c, cli(40011), srv, 0x1000000b, 0, 0)
		s.send(0, true, SYN, nil)
		s.send(3, true, FIN, nil)
		s.done()
	})
	mk("SHR", "First packet is a SYN-ACK from server port 443, then FIN-ACK from the server; no SYN seen.", func(f *File) {
		c := f.conn("tcp", cli(40012), https, "SHR", "^hf")
		s := f.tcp(c, https, cli(40012), 0x8000000c, 0x1000000c, 0)
		s.send(0, true, SYN|ACK, nil)
		s.send(50, true, FIN|ACK, nil)
		s.done()
	})
	mk("OTH", "Midstream: data and ACKs both ways, no SYN, no FIN.", func(f *File) {
		c := f.conn("tcp", cli(40013), srv, "OTH", "DadA")
		s := f.tcp(c, cli(40013), srv, 0x1000000d, 0x8000000d, 0)
		s.send(0, true, PSH|ACK, req(64), ackv(0x8000000d+1))
		s.send(15, false, ACK, nil)
		s.send(5, false, PSH|ACK, resp(128))
		s.send(15, true, ACK, nil)
		s.done()
	})
	return out
}

func historyFiles() []*File {
	var out []*File
	cli := func(p uint16) ep { return mkep("192.0.2.30", p) }
	srv := mkep("198.51.100.30", 9000)

	// s/S h/H a/A d/D f/F r/R
	f := newFile("history-handshake.pcap", "history letters s S h H a A d D f F r R", linkEth, frameEthernet)
	f.desc("Flow 1: simultaneous open (both sides send a bare SYN, then both SYN-ACK) -> lower-case s from the responder.")
	f.desc("Flow 2: a lone SYN-ACK between two non-server ports (backscatter) -> upper-case H from the originator, no flip.")
	f.desc("Flow 3: normal close by FIN both ways (S h A D a d F f). Flow 4: originator RST (R). Flow 5: responder RST to a SYN (r).")
	{
		a, b := cli(40100), mkep("198.51.100.31", 40101)
		c := f.conn("tcp", a, b, "SF", "SsADadFf")
		c.Note = "the later SYN-ACKs repeat each side's SYN seq, so no extra H/h (same rel seq as hist_last_SYN)"
		s := f.tcp(c, a, b, 0x11000001, 0x81000001, 0)
		s.send(0, true, SYN, nil)
		s.send(10, false, SYN, nil)
		s.send(10, true, SYN|ACK, nil, rel(0))
		s.send(10, false, SYN|ACK, nil, rel(0))
		s.send(10, true, ACK, nil)
		s.exchange(40, 80)
		s.closeAB()
		s.done()
	}
	{
		a, b := mkep("198.51.100.32", 40102), cli(40103)
		c := f.conn("tcp", a, b, "OTH", "H")
		c.Note = "single packet: duration and byte counts unset; orig state SYN_ACK_SENT is not S0"
		s := f.tcp(c, a, b, 0x82000001, 0x12000001, 1000)
		s.send(0, true, SYN|ACK, nil)
		s.done()
	}
	{
		c := f.conn("tcp", cli(40104), srv, "SF", "ShADadFf")
		s := f.tcp(c, cli(40104), srv, 0x13000001, 0x83000001, 2000)
		s.handshake()
		s.exchange(40, 80)
		s.closeAB()
		s.done()
	}
	{
		c := f.conn("tcp", cli(40105), srv, "RSTO", "ShADadR")
		s := f.tcp(c, cli(40105), srv, 0x14000001, 0x84000001, 3000)
		s.handshake()
		s.exchange(40, 80)
		s.send(5, true, RST|ACK, nil)
		s.done()
	}
	{
		c := f.conn("tcp", cli(40106), srv, "REJ", "Sr")
		s := f.tcp(c, cli(40106), srv, 0x15000001, 0xffffffff, 4000)
		s.send(0, true, SYN, nil)
		s.send(1, false, RST|ACK, nil)
		s.done()
	}
	out = append(out, f)

	// c / C: bad checksums
	f = newFile("history-checksum.pcap", "history letters C c (bad checksums)", linkEth, frameEthernet)
	f.desc("Flow 1 (TCP): one originator data segment with a bad TCP checksum, then the same segment intact; same for one responder segment.")
	f.desc("Flow 2 (UDP): first datagram has a bad UDP checksum, then the same datagram intact, then a reply.")
	f.desc("Zeek drops a bad-checksum packet right after recording C/c: it is not counted in *_pkts/*_ip_bytes and does not move last_time (TCPAnalyzer::ValidateChecksum, UDPAnalyzer::DeliverPacket); baseline core.udp-corrupt shows 0 pkts for such packets.")
	{
		c := f.conn("tcp", cli(40200), srv, "SF", "ShACDacdFf")
		s := f.tcp(c, cli(40200), srv, 0x16000001, 0x86000001, 0)
		s.handshake()
		s.send(20, true, PSH|ACK, req(100), badsum(), rel(1))
		s.send(200, true, PSH|ACK, req(100))
		s.send(15, false, ACK, nil)
		s.send(5, false, PSH|ACK, resp(150), badsum(), rel(1))
		s.send(200, false, PSH|ACK, resp(150))
		s.send(15, true, ACK, nil)
		s.closeAB()
		s.done()
	}
	{
		a, b := cli(40201), mkep("198.51.100.30", 9999)
		c := f.conn("udp", a, b, "SF", "CDd")
		c.Note = "ts is the bad packet's time: the connection is created before the checksum check"
		f.udp(c, ms(1000), a, b, req(60), true, dgOpt{badsum: true})
		f.udp(c, ms(1500), a, b, req(60), true)
		f.udp(c, ms(1520), b, a, resp(90), false)
	}
	out = append(out, f)

	// g / G
	f = newFile("history-gap.pcap", "history letters G g (content gaps), missed_bytes", linkEth, frameEthernet)
	f.desc("Originator bytes 101-200 and responder bytes 51-100 are never captured; the peer later ACKs past each hole while both sides are ESTABLISHED, so the reassembler reports a gap (TCP_Reassembler::Gap -> TCP_Endpoint::Gap, content_gap -> missed_bytes).")
	f.desc("Assumes Zeek reassembles this connection, which it does by default (dpd_reassemble_first_packets=T in init-bare.zeek; all data is within the first few packets).")
	{
		c := f.conn("tcp", cli(40300), srv, "SF", "ShADaGdgFf")
		c.Missed = 150
		s := f.tcp(c, cli(40300), srv, 0x17000001, 0x87000001, 0)
		s.handshake()
		s.send(20, true, PSH|ACK, req(100))
		s.send(15, false, ACK, nil)
		s.send(5, true, PSH|ACK, req(100), dropped())
		s.send(5, true, PSH|ACK, req(100))
		s.send(15, false, ACK, nil) // acks 301: reveals the 100-byte hole -> G
		s.send(5, false, PSH|ACK, resp(50))
		s.send(5, false, PSH|ACK, resp(50), dropped())
		s.send(5, false, PSH|ACK, resp(50))
		s.send(15, true, ACK, nil) // acks 151: reveals the 50-byte hole -> g
		s.closeAB()
		s.done()
	}
	out = append(out, f)

	// t / T with the 1, 10, 100 repeat rule
	f = newFile("history-rexmit.pcap", "history letters T t (retransmissions), repeat rule", linkEth, frameEthernet)
	f.desc("The originator's first data segment is retransmitted 12 times (T recorded at the 1st and 10th: Connection::ScaledHistoryEntry with base 10); the responder's data segment is retransmitted once (t).")
	{
		c := f.conn("tcp", cli(40400), srv, "SF", "ShADTTadtFf")
		c.Note = "12 originator retransmissions: T at counts 1 and 10 only"
		s := f.tcp(c, cli(40400), srv, 0x18000001, 0x88000001, 0)
		s.handshake()
		s.send(20, true, PSH|ACK, req(200))
		for i := 0; i < 12; i++ {
			s.send(300, true, PSH|ACK, req(200), rel(1))
		}
		s.send(15, false, ACK, nil)
		s.send(5, false, PSH|ACK, resp(100))
		s.send(300, false, PSH|ACK, resp(100), rel(1))
		s.send(15, true, ACK, nil)
		s.closeAB()
		s.done()
	}
	out = append(out, f)

	// w / W
	f = newFile("history-zerowin.pcap", "history letters w W (zero window), repeat rule", linkEth, frameEthernet)
	f.desc("The responder advertises a zero window in 10 pure ACKs (w at the 1st and 10th), then opens it; later the originator advertises a zero window once (W).")
	{
		c := f.conn("tcp", cli(40500), srv, "SF", "ShADawwdWFf")
		c.Note = "first zero-window ACK is also the responder's first pure ACK: a then w (update_history runs before update_window)"
		s := f.tcp(c, cli(40500), srv, 0x19000001, 0x89000001, 0)
		s.handshake()
		s.send(20, true, PSH|ACK, req(100))
		for i := 0; i < 10; i++ {
			s.send(100, false, ACK, nil, winv(0))
		}
		s.send(100, false, ACK, nil)
		s.send(20, true, PSH|ACK, req(100))
		s.send(5, false, PSH|ACK, resp(80))
		s.send(15, true, ACK, nil, winv(0))
		s.send(100, true, ACK, nil)
		s.closeAB()
		s.done()
	}
	out = append(out, f)

	// i / I
	f = newFile("history-inconsistent.pcap", "history letters I i (FIN+RST in one packet)", linkEth, frameEthernet)
	f.desc("Flow 1: originator ends with FIN+RST+ACK (I). Flow 2: responder ends with FIN+RST+ACK (i). With RST set the FIN branch of UpdateEstablishedState is skipped and the endpoint goes to RESET.")
	{
		c := f.conn("tcp", cli(40600), srv, "RSTO", "ShADadI")
		s := f.tcp(c, cli(40600), srv, 0x1a000001, 0x8a000001, 0)
		s.handshake()
		s.exchange(50, 70)
		s.send(5, true, FIN|RST|ACK, nil)
		s.done()
	}
	{
		c := f.conn("tcp", cli(40601), srv, "RSTR", "ShADadi")
		s := f.tcp(c, cli(40601), srv, 0x1a000002, 0x8a000002, 1000)
		s.handshake()
		s.exchange(50, 70)
		s.send(5, false, FIN|RST|ACK, nil)
		s.done()
	}
	out = append(out, f)

	// q / Q
	f = newFile("history-multiflag.pcap", "history letters Q q (SYN+FIN)", linkEth, frameEthernet)
	f.desc("Flow 1: a lone SYN+FIN from the originator (Q). Flow 2: SYN answered by SYN+FIN+ACK (q).")
	{
		c := f.conn("tcp", cli(40700), srv, "SH", "Q")
		c.Note = "single packet: SYN makes orig SYN_SENT, FIN then CLOSED; resp INACTIVE -> SH"
		s := f.tcp(c, cli(40700), srv, 0x1b000001, 0, 0)
		s.send(0, true, SYN|FIN, nil)
		s.done()
	}
	{
		c := f.conn("tcp", cli(40701), srv, "S3", "Sq")
		c.Note = "responder: SYN-ACK makes both ESTABLISHED, its FIN then CLOSED"
		s := f.tcp(c, cli(40701), srv, 0x1b000002, 0x8b000002, 1000)
		s.send(0, true, SYN, nil)
		s.send(10, false, SYN|FIN|ACK, nil)
		s.done()
	}
	out = append(out, f)

	// ^ flips
	f = newFile("history-flip.pcap", "history letter ^ (direction flipped)", linkEth, frameEthernet)
	f.desc("Flow 1: first packet is a SYN-ACK from 198.51.100.33:80 (likely server port) to an ephemeral port -> flipped at creation, then a normal exchange and close.")
	f.desc("Flow 2: midstream, first packet is data from port 80 to an ephemeral port (source likely server, destination not) -> flipped.")
	f.desc("Flow 3: midstream, first packet is data from port 22 to port 8080; both are likely server ports, so Zeek flips only because it is not a SYN and 22 < 8080 (TCPAnalyzer::WantConnection).")
	f.desc("These rely on 22, 80 and 8080 being in likely_server_ports, which holds with the default scripts (SSH and HTTP analyzers loaded).")
	{
		web := mkep("198.51.100.33", 80)
		a := cli(40800)
		c := f.conn("tcp", a, web, "SF", "^hADadFf")
		c.Note = "originator becomes ESTABLISHED on its first pure ACK because the responder is already ESTABLISHED (UpdateInactiveState)"
		s := f.tcp(c, web, a, 0x8c000001, 0x1c000001, 0)
		s.send(0, true, SYN|ACK, nil)
		s.send(12, false, ACK, nil)
		s.send(5, false, PSH|ACK, []byte("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"))
		s.send(15, true, ACK, nil)
		s.send(5, true, PSH|ACK, httpResponse(200))
		s.send(15, false, ACK, nil)
		s.send(5, false, FIN|ACK, nil)
		s.send(12, true, FIN|ACK, nil)
		s.send(12, false, ACK, nil)
		s.done()
	}
	{
		web := mkep("198.51.100.34", 80)
		a := cli(40801)
		c := f.conn("tcp", a, web, "OTH", "^dADa")
		s := f.tcp(c, web, a, 0x8c000002, 0x1c000002, 1000)
		s.send(0, true, PSH|ACK, httpResponse(100))
		s.send(15, false, ACK, nil)
		s.send(5, false, PSH|ACK, []byte("GET /next HTTP/1.1\r\nHost: www.example.com\r\n\r\n"))
		s.send(15, true, ACK, nil)
		s.done()
	}
	{
		sshd := mkep("192.0.2.41", 22)
		b := mkep("198.51.100.41", 8080)
		c := f.conn("tcp", b, sshd, "OTH", "^dADa")
		c.Note = "orig is the 8080 side: both ports likely servers, not a SYN, src 22 < dst 8080"
		s := f.tcp(c, sshd, b, 0x8c000003, 0x1c000003, 2000)
		s.send(0, true, PSH|ACK, filler("\x00\x00\x00\x3c\x0a", 64))
		s.send(15, false, ACK, nil)
		s.send(5, false, PSH|ACK, filler("\x00\x00\x00\x2c\x06", 48))
		s.send(15, true, ACK, nil)
		s.done()
	}
	out = append(out, f)
	return out
}

func httpResponse(body int) []byte {
	b := filler("<html><body>", body)
	h := fmt.Sprintf("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n", body)
	return append([]byte(h), b...)
}

func seqwrapFile() *File {
	f := newFile("tcp-seqwrap.pcap", "sequence numbers wrapping past 2^32", linkEth, frameEthernet)
	f.desc("Flow 1: client ISN 0xffffff00 (its data crosses 2^32 in the second segment), server ISN 0xffffffff (its SYN-ACK takes the last value, data starts at seq 0). Byte counts must come out as 1000 and 2000.")
	f.desc("Zeek derivation for the server side: last_seq never wraps (UpdateLastSeq sees 0 -> 2001, no decrease) but ack_seq does (0xffffffff -> 0 bumps ack_wraps), so TCP_Endpoint::Size() takes ack_seq_64 = 2^32+2001, minus start 0xffffffff, minus SYN and FIN = 2000. This needs the final ACK of the FIN, which is in the capture.")
	f.desc("Flow 2: client ISN 0xfffffe00, three 200-byte segments; the middle one (crossing 2^32) is missing and the server ACKs past it -> G, missed_bytes 200, orig_bytes 600.")
	cli := mkep("192.168.1.80", 50900)
	srv := mkep("198.51.100.80", 9000)
	{
		c := f.conn("tcp", cli, srv, "SF", "ShADadFf")
		s := f.tcp(c, cli, srv, 0xffffff00, 0xffffffff, 0)
		s.handshake()
		for i := 0; i < 4; i++ {
			s.send(20, true, PSH|ACK, req(250))
			s.send(10, false, ACK, nil)
		}
		s.send(20, false, PSH|ACK, resp(1000))
		s.send(10, true, ACK, nil)
		s.send(5, false, PSH|ACK, resp(1000))
		s.send(10, true, ACK, nil)
		s.closeAB()
		s.done()
	}
	{
		cli2 := mkep("192.168.1.80", 50901)
		c := f.conn("tcp", cli2, srv, "SF", "ShADaGdFf")
		c.Missed = 200
		s := f.tcp(c, cli2, srv, 0xfffffe00, 0x20000000, 1000)
		s.handshake()
		s.send(20, true, PSH|ACK, req(200))
		s.send(10, false, ACK, nil)
		s.send(5, true, PSH|ACK, req(200), dropped())
		s.send(5, true, PSH|ACK, req(200))
		s.send(10, false, ACK, nil)
		s.send(5, false, PSH|ACK, resp(100))
		s.send(10, true, ACK, nil)
		s.closeAB()
		s.done()
	}
	return f
}

func timeoutFiles() []*File {
	var out []*File

	f := newFile("timeout-udp.pcap", "UDP inactivity timeout (1 min) splits a flow", linkEth, frameEthernet)
	f.desc("Request/reply at t=0, then the same 5-tuple again after 120 s of silence. udp_inactivity_timeout is 1 min, and Zeek expires timers before processing the next packet (run_state::detail::dispatch_packet -> expire_timers), so the second exchange is a new connection.")
	{
		a, b := mkep("192.168.1.50", 50500), mkep("198.51.100.50", 9999)
		c1 := f.conn("udp", a, b, "SF", "Dd")
		f.udp(c1, ms(0), a, b, req(32), true)
		f.udp(c1, ms(20), b, a, resp(48), false)
		c2 := f.conn("udp", a, b, "SF", "Dd")
		c2.Note = "new uid, same 5-tuple"
		f.udp(c2, ms(120000), a, b, req(32), true)
		f.udp(c2, ms(120020), b, a, resp(48), false)
	}
	out = append(out, f)

	f = newFile("timeout-tcp.pcap", "TCP inactivity timeout (5 min) splits a flow", linkEth, frameEthernet)
	f.desc("Handshake and one exchange, then 360 s of silence, then the client sends more data and both sides close. tcp_inactivity_timeout is 5 min, so the first connection is removed as S1 and the rest becomes a new, partial (no SYN) connection.")
	{
		a, b := mkep("192.168.1.51", 50600), mkep("198.51.100.51", 9000)
		c1 := f.conn("tcp", a, b, "S1", "ShADad")
		s := f.tcp(c1, a, b, 0x1d000001, 0x8d000001, 0)
		s.bytesFixed = true
		c1.origBytes, c1.respBytes = 40, 60
		s.handshake()
		s.exchange(40, 60)
		c2 := f.conn("tcp", a, b, "SF", "DaFfA")
		c2.origBytes, c2.respBytes = 40, 0
		c2.Note = "partial connection; the trailing A is the originator's first pure ACK in this connection"
		s.c = c2
		s.closed = [2]bool{}
		s.send(360000, true, PSH|ACK, req(40))
		s.send(15, false, ACK, nil)
		s.send(5, true, FIN|ACK, nil)
		s.send(12, false, FIN|ACK, nil)
		s.send(12, true, ACK, nil)
	}
	out = append(out, f)

	f = newFile("timeout-ssh.pcap", "port 22 gets a 1 h inactivity timeout: a 10 min pause does not split", linkEth, frameEthernet)
	f.desc("SSH banners, then 600 s of silence, then more data and a normal close. Conn::port_inactivity_timeouts gives 22/tcp 1 hr (scripts/base/protocols/conn/inactivity.zeek, set on connection_established), so this stays one connection.")
	{
		a, b := mkep("192.168.1.52", 50700), mkep("192.0.2.52", 22)
		c := f.conn("tcp", a, b, "SF", "ShAdDaFf")
		s := f.tcp(c, a, b, 0x1e000001, 0x8e000001, 0)
		s.synOpts = true
		s.handshake()
		s.send(5, false, PSH|ACK, []byte("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"))
		s.send(10, true, ACK, nil)
		s.send(5, true, PSH|ACK, []byte("SSH-2.0-OpenSSH_9.6\r\n"))
		s.send(10, false, ACK, nil)
		s.send(600000, true, PSH|ACK, filler("\x00\x00\x00\x1c\x0a\x15", 36))
		s.send(10, false, ACK, nil)
		s.send(5, false, PSH|ACK, filler("\x00\x00\x00\x1c\x0a\x15", 36))
		s.send(10, true, ACK, nil)
		s.closeAB()
		s.done()
	}
	out = append(out, f)
	return out
}
