package service

import (
	"net/netip"
	"testing"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// conv builds packets of one TCP or UDP conversation between a client and
// a server.
type conv struct {
	ts         int64
	cli, srv   decode.Addr
	cport, sp  uint16
	proto      uint8
	cseq, sseq uint32
}

func newConv(proto uint8, cport, sport uint16) *conv {
	return &conv{ts: 1e18, proto: proto, cport: cport, sp: sport, cseq: 1000, sseq: 5000,
		cli: decode.Addr(netip.MustParseAddr("::ffff:10.0.0.1").As16()),
		srv: decode.Addr(netip.MustParseAddr("::ffff:192.0.2.80").As16())}
}

// pkt returns a packet from the client (fromCli) or the server.
func (v *conv) pkt(fromCli bool, flags uint8, payload []byte) *decode.Packet {
	v.ts += 1e6
	p := &decode.Packet{TS: v.ts, N: 1}
	l := &p.Layers[0]
	l.Session = true
	l.Key = decode.Key{Src: v.cli, Dst: v.srv, SrcPort: v.cport, DstPort: v.sp, Proto: v.proto}
	seq := &v.cseq
	if !fromCli {
		l.Key = l.Key.Reverse()
		seq = &v.sseq
	}
	l.Payload = payload
	l.PayloadLen = uint32(len(payload))
	l.HdrLen = 20
	if v.proto == decode.ProtoTCP {
		l.Flags = flags
		l.Seq = *seq
		l.DataOff = 20
		l.IPLen = uint32(40 + len(payload))
		*seq += uint32(len(payload))
		if flags&(decode.TCPSyn|decode.TCPFin) != 0 {
			*seq++
		}
	} else {
		l.UDPLen = uint16(8 + len(payload))
		l.IPLen = uint32(28 + len(payload))
	}
	return p
}

// run feeds the packets through a table with the detector attached and
// returns the services of the (single) connection when it is flushed.
func run(t testing.TB, d *Detector, pkts []*decode.Packet) string {
	tb := flow.New(flow.Config{Seed: 1, LikelyServerPorts: map[flow.PortProto]bool{}})
	var got string
	events := func(p *decode.Packet) {
		for _, ev := range tb.Events() {
			if ev.Kind == flow.EventOpened {
				d.Attach(tb, ev.Conn, p)
			} else {
				got = Of(ev.Conn)
			}
		}
	}
	for _, p := range pkts {
		tb.Packet(p)
		events(p)
	}
	tb.Flush()
	events(nil)
	return got
}

func tcpSession(port uint16, msgs ...string) []*decode.Packet {
	v := newConv(decode.ProtoTCP, 40000, port)
	ps := []*decode.Packet{
		v.pkt(true, decode.TCPSyn, nil),
		v.pkt(false, decode.TCPSyn|decode.TCPAck, nil),
		v.pkt(true, decode.TCPAck, nil),
	}
	// msgs alternate: "C:..." from the client, "S:..." from the server.
	for _, m := range msgs {
		ps = append(ps, v.pkt(m[0] == 'C', decode.TCPAck|decode.TCPPsh, []byte(m[2:])))
	}
	return ps
}

// clientHello is a minimal TLS 1.2 ClientHello record with SNI.
func clientHello(sni string) []byte {
	ext := []byte{0, 0, 0, byte(len(sni) + 5), 0, byte(len(sni) + 3), 0, 0, byte(len(sni))}
	ext = append(ext, sni...)
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...)
	body = append(body, 0, 0, 2, 0x13, 0x01, 1, 0, byte(len(ext)>>8), byte(len(ext)))
	body = append(body, ext...)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{22, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

func TestDetectTCP(t *testing.T) {
	for _, tc := range []struct {
		name string
		port uint16
		msgs []string
		want string
	}{
		{"http odd port", 9999, []string{"C:GET / HTTP/1.1\r\nHost: x\r\n\r\n", "S:HTTP/1.1 200 OK\r\n\r\n"}, HTTP},
		{"http request only, port 80", 80, []string{"C:GET / HTTP/1.1\r\nHost: x\r\n\r\n"}, HTTP},
		{"http request only, odd port", 9999, []string{"C:GET / HTTP/1.1\r\nHost: x\r\n\r\n"}, ""},
		{"websocket", 8888, []string{"C:GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", "S:HTTP/1.1 101 Switching\r\n\r\n"},
			"http,websocket"},
		{"tls odd port", 4444, []string{"C:" + string(clientHello("example.com")), "S:\x16\x03\x03\x00\x05\x02\x00\x00\x01\x00"}, SSL},
		{"tls then http reply", 80, []string{"C:" + string(clientHello("example.com")), "S:HTTP/1.1 400 Bad\r\n\r\n"}, ""},
		{"ssh", 2222, []string{"C:SSH-2.0-OpenSSH_9\r\n", "S:SSH-2.0-srv\r\n"}, SSH},
		{"ssh half duplex", 22, []string{"C:SSH-2.0-OpenSSH_9\r\n"}, ""},
		{"smtp starttls", 25, []string{"S:220 mx ESMTP\r\n", "C:EHLO me\r\n", "S:250-mx\r\n250 STARTTLS\r\n",
			"C:STARTTLS\r\n", "S:220 go\r\n", "C:" + string(clientHello("mx"))}, "smtp,ssl"},
		{"ftp", 21, []string{"S:220 hi\r\n", "C:USER a\r\n", "S:331 pw\r\n"}, FTP},
		{"ftp violation", 21, []string{"S:220 hi\r\n", "C:USER a\r\n", "S:331 pw\r\n", "C:SYST\r\n", "S:no code\r\n"}, ""},
		{"pop3", 110, []string{"S:+OK ready\r\n", "C:USER a\r\n", "S:+OK\r\n"}, POP3},
		{"imap", 143, []string{"S:* OK ready\r\n", "C:a1 CAPABILITY\r\n", "S:* CAPABILITY IMAP4rev1\r\n"}, IMAP},
		{"redis", 7000, []string{"C:*1\r\n$4\r\nPING\r\n", "S:+PONG\r\n"}, Redis},
		{"postgres ssl", 15432, []string{"C:\x00\x00\x00\x08\x04\xd2\x16\x2f", "S:S", "C:" + string(clientHello("db"))}, "postgresql,ssl"},
		{"nothing", 1234, []string{"C:hello\r\n", "S:world\r\n"}, ""},
	} {
		got := run(t, New(Config{}), tcpSession(tc.port, tc.msgs...))
		if got != tc.want {
			t.Errorf("%s: service %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestFTPDataExpected(t *testing.T) {
	d := New(Config{})
	tb := flow.New(flow.Config{Seed: 1, LikelyServerPorts: map[flow.PortProto]bool{}})
	services := map[uint16]string{}
	feed := func(ps ...*decode.Packet) {
		for _, p := range ps {
			tb.Packet(p)
			for _, ev := range tb.Events() {
				if ev.Kind == flow.EventOpened {
					d.Attach(tb, ev.Conn, p)
				} else {
					services[ev.Conn.RespP] = Of(ev.Conn)
				}
			}
		}
	}
	feed(tcpSession(21, "S:220 hi\r\n", "C:USER a\r\n", "S:331 pw\r\n", "C:PASV\r\n",
		"S:227 Entering Passive Mode (192,0,2,80,200,10).\r\n")...)
	data := newConv(decode.ProtoTCP, 40001, 200*256+10)
	feed(data.pkt(true, decode.TCPSyn, nil), data.pkt(false, decode.TCPSyn|decode.TCPAck, nil),
		data.pkt(false, decode.TCPAck, []byte("some file")))
	tb.Flush()
	for _, ev := range tb.Events() {
		services[ev.Conn.RespP] = Of(ev.Conn)
	}
	if services[21] != FTP || services[200*256+10] != FTPData {
		t.Fatalf("services %v", services)
	}
}

func TestDetectUDP(t *testing.T) {
	dnsQuery := []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1}
	v := newConv(decode.ProtoUDP, 40000, 5300)
	if got := run(t, New(Config{}), []*decode.Packet{v.pkt(true, 0, dnsQuery)}); got != DNS {
		t.Fatalf("DNS on an odd port: %q", got)
	}
	v = newConv(decode.ProtoUDP, 40000, 5300)
	if got := run(t, New(Config{}), []*decode.Packet{v.pkt(true, 0, []byte("random bytes that are not a protocol"))}); got != "" {
		t.Fatalf("noise: %q", got)
	}
	// Enabled limits what is reported.
	v = newConv(decode.ProtoUDP, 40000, 53)
	d := New(Config{Enabled: func(s string) bool { return s != DNS }})
	if got := run(t, d, []*decode.Packet{v.pkt(true, 0, dnsQuery)}); got != "" {
		t.Fatalf("disabled DNS reported: %q", got)
	}
}

// TestDetaches: once decided, the detector leaves the connection.
func TestDetaches(t *testing.T) {
	d := New(Config{})
	ps := tcpSession(9999, "C:GET / HTTP/1.1\r\n\r\n", "S:HTTP/1.1 200 OK\r\n\r\n")
	v := newConv(decode.ProtoTCP, 40000, 9999)
	v.cseq, v.sseq = ps[len(ps)-2].Layers[0].Seq+20, ps[len(ps)-1].Layers[0].Seq+19
	for i := 0; i < 50; i++ {
		ps = append(ps, v.pkt(i%2 == 0, decode.TCPAck, []byte("more data")))
	}
	run(t, d, ps)
	if a, dt := d.Stats(); a != 1 || dt != 1 {
		t.Fatalf("attached %d, detached %d", a, dt)
	}
	// A connection of nothing known is given up after MaxPackets.
	d = New(Config{MaxPackets: 10})
	ps = tcpSession(1234)
	v = newConv(decode.ProtoTCP, 40000, 1234)
	v.cseq, v.sseq = 1001, 5001
	for i := 0; i < 50; i++ {
		ps = append(ps, v.pkt(i%2 == 0, decode.TCPAck, []byte{byte(i), 0xff, 0xfe}))
	}
	run(t, d, ps)
	if a, dt := d.Stats(); a != 1 || dt != 1 {
		t.Fatalf("attached %d, detached %d", a, dt)
	}
}

// BenchmarkDetectorPacket measures the table plus the detector per packet
// over HTTP conversations (handshake, request, response, then data until
// the detector has left), against the table alone.
func BenchmarkDetectorPacket(b *testing.B) {
	for _, withDet := range []bool{false, true} {
		name := "table-only"
		if withDet {
			name = "table+detector"
		}
		b.Run(name, func(b *testing.B) {
			tb := flow.New(flow.Config{Seed: 1, LikelyServerPorts: map[flow.PortProto]bool{}})
			d := New(Config{})
			var convs [][]*decode.Packet
			for i := 0; i < 64; i++ {
				v := newConv(decode.ProtoTCP, uint16(20000+i), 8080)
				ps := []*decode.Packet{
					v.pkt(true, decode.TCPSyn, nil), v.pkt(false, decode.TCPSyn|decode.TCPAck, nil),
					v.pkt(true, decode.TCPAck, nil),
					v.pkt(true, decode.TCPAck|decode.TCPPsh, []byte("GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n")),
					v.pkt(false, decode.TCPAck|decode.TCPPsh, []byte("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")),
				}
				for k := 0; k < 11; k++ {
					ps = append(ps, v.pkt(false, decode.TCPAck, make([]byte, 1000)))
				}
				convs = append(convs, ps)
			}
			n := 0
			shift := int64(0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c := convs[(i/16)%len(convs)]
				p := c[i%16]
				if i%(16*len(convs)) == 0 {
					shift += 3600e9 // all conversations time out: new connections
				}
				p.TS += shift
				tb.Packet(p)
				p.TS -= shift
				if withDet {
					for _, ev := range tb.Events() {
						if ev.Kind == flow.EventOpened {
							d.Attach(tb, ev.Conn, p)
						}
					}
				}
				n++
			}
		})
	}
}
