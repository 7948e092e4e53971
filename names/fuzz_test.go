package names

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
	"github.com/flowlog/flowlog/names/applog"
)

// FuzzWatchers drives every watcher (service detection, ssl.log and
// dns.log trackers, passive DNS) with arbitrary payloads: the input is cut
// into segments, each sent by the client or the server of a TCP or UDP
// connection on a port that selects a parser (HTTP, TLS, DNS, QUIC, FTP,
// STARTTLS). Nothing may panic, and every connection comes out at Flush.
func FuzzWatchers(f *testing.F) {
	f.Add([]byte("\x00\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00\x81HTTP/1.1 200 OK\r\n"), uint16(443), true)
	f.Add([]byte("\x00\x00\x1d\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x03com\x00\x00\x01\x00\x01"), uint16(53), false)
	f.Add([]byte("\x80220 hi\r\n\x00USER a\r\n\x80227 ok (1,2,3,4,5,6)\r\n\x00AUTH TLS\r\n"), uint16(21), true)
	f.Add([]byte("\x00\xc3\x00\x00\x00\x01\x08\x01\x02\x03\x04\x05\x06\x07\x08\x00\x00\x44\xd0"), uint16(443), false)
	f.Fuzz(func(t *testing.T, in []byte, port uint16, tcp bool) {
		var ssl, dns int
		n := New(Config{Service: true, PassiveDNS: true,
			OnSSL: func(*applog.SSLRecord) { ssl++ }, OnDNS: func(*applog.DNSRecord) { dns++ }})
		tb := flow.New(flow.Config{Seed: 1})
		cli := decode.Addr(netip.MustParseAddr("::ffff:10.0.0.1").As16())
		srv := decode.Addr(netip.MustParseAddr("::ffff:10.0.0.2").As16())
		proto := uint8(decode.ProtoUDP)
		if tcp {
			proto = decode.ProtoTCP
		}
		ts := int64(1e18)
		seq := [2]uint32{1000, 9000}
		opened, closed := 0, 0
		count := func(p *decode.Packet) {
			n.Events(tb, p)
			for _, ev := range tb.Events() {
				if ev.Kind == flow.EventOpened {
					opened++
				} else {
					closed++
				}
			}
		}
		send := func(fromSrv bool, flags uint8, payload []byte) {
			ts += 1e6
			p := &decode.Packet{TS: ts, N: 1}
			l := &p.Layers[0]
			l.Session = true
			l.Key = decode.Key{Src: cli, Dst: srv, SrcPort: 40000, DstPort: port, Proto: proto}
			k := 0
			if fromSrv {
				l.Key = l.Key.Reverse()
				k = 1
			}
			l.Payload, l.PayloadLen = payload, uint32(len(payload))
			if tcp {
				l.Flags, l.Seq, l.DataOff, l.IPLen = flags, seq[k], 20, uint32(40+len(payload))
				seq[k] += uint32(len(payload))
				if flags&decode.TCPSyn != 0 {
					seq[k]++
				}
			} else {
				l.UDPLen, l.IPLen = uint16(8+len(payload)), uint32(28+len(payload))
			}
			tb.Packet(p)
			count(p)
		}
		if tcp {
			send(false, decode.TCPSyn, nil)
			send(true, decode.TCPSyn|decode.TCPAck, nil)
		}
		// Segments: a length byte (high bit: from the server), then data.
		for len(in) > 0 && opened < 1000 {
			h := in[0]
			in = in[1:]
			l := int(h & 0x7f)
			if h&0x7f == 0x7f && len(in) >= 2 {
				l = int(binary.BigEndian.Uint16(in))
				in = in[2:]
			}
			l = min(l, len(in))
			if l == 0 && len(in) > 0 {
				l = len(in)
			}
			send(h&0x80 != 0, decode.TCPAck|decode.TCPPsh, in[:l])
			in = in[l:]
		}
		tb.Flush()
		count(nil)
		if opened != closed {
			t.Fatalf("opened %d, closed %d", opened, closed)
		}
		_, _ = ssl, dns
	})
}
