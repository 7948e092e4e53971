package flow

import (
	"flag"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/flowlog/flowlog/decode"
)

var update = flag.Bool("update", false, "rewrite testdata/*.txt expected output (review the diff carefully)")

// TestDataDriven runs the scripts in testdata/*.txt. Each case is a block of
// commands, a line "----", and the expected output (the events and dumps the
// commands produce), ended by a blank line. Commands:
//
//	# comment
//	tcp  T SRC:PORT > DST:PORT FLAGS seq=N ack=N len=N [win=N] [badsum]
//	udp  T SRC:PORT > DST:PORT len=N [badsum]
//	icmp T SRC > DST type=N code=N len=N
//	ip   T SRC > DST proto=N len=N          (any other IP protocol)
//	advance T                               (fire timers due by T)
//	flush                                   (end of input)
//
// T is seconds (float). FLAGS is a string of S A F R P U (or "." for none).
func TestDataDriven(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no testdata/*.txt")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { runScript(t, file) })
	}
}

func runScript(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var out strings.Builder
	tbl := New(Config{Seed: 1})
	i := 0
	for i < len(lines) {
		// a case: commands until "----"
		var cmds []string
		for i < len(lines) && lines[i] != "----" {
			cmds = append(cmds, lines[i])
			i++
		}
		if i >= len(lines) {
			for _, c := range cmds {
				out.WriteString(c + "\n")
			}
			break
		}
		i++ // skip ----
		var expected []string
		for i < len(lines) && lines[i] != "" {
			expected = append(expected, lines[i])
			i++
		}
		for i < len(lines) && lines[i] == "" {
			i++
		}
		var got []string
		for n, c := range cmds {
			if c == "" || strings.HasPrefix(c, "#") {
				continue
			}
			if c == "reset" {
				tbl = New(Config{Seed: 1})
				continue
			}
			res, err := runCmd(tbl, c)
			if err != nil {
				t.Fatalf("%s: command %d %q: %v", file, n+1, c, err)
			}
			got = append(got, res...)
		}
		for _, c := range cmds {
			out.WriteString(c + "\n")
		}
		out.WriteString("----\n")
		for _, g := range got {
			out.WriteString(g + "\n")
		}
		out.WriteString("\n")
		if !*update && strings.Join(got, "\n") != strings.Join(expected, "\n") {
			t.Errorf("%s: case ending at line %d:\ncommands:\n  %s\ngot:\n  %s\nwant:\n  %s", file, i,
				strings.Join(cmds, "\n  "), strings.Join(got, "\n  "), strings.Join(expected, "\n  "))
		}
	}
	if *update {
		if err := os.WriteFile(file, []byte(strings.TrimRight(out.String(), "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func parseTime(s string) (int64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	return int64(f*1e9 + 0.5), nil
}

func parseEndpoint(s string) (decode.Addr, uint16, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return addrOf(ap.Addr()), ap.Port(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return decode.Addr{}, 0, fmt.Errorf("bad endpoint %q", s)
	}
	return addrOf(a), 0, nil
}

func addrOf(a netip.Addr) decode.Addr {
	if a.Is4() {
		b := a.As4()
		return decode.AddrFrom4(b[:])
	}
	b := a.As16()
	return decode.AddrFrom16(b[:])
}

func kv(fields []string) map[string]string {
	m := map[string]string{}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if ok {
			m[k] = v
		} else {
			m[f] = ""
		}
	}
	return m
}

func atoi(m map[string]string, k string) int {
	n, _ := strconv.Atoi(m[k])
	return n
}

func runCmd(tbl *Table, c string) ([]string, error) {
	f := strings.Fields(c)
	switch f[0] {
	case "advance":
		ts, err := parseTime(f[1])
		if err != nil {
			return nil, err
		}
		tbl.Advance(ts)
		return describe(tbl.Events()), nil
	case "flush":
		tbl.Flush()
		return describe(tbl.Events()), nil
	case "tcp", "udp", "icmp", "ip":
	default:
		return nil, fmt.Errorf("unknown command %q", f[0])
	}
	if len(f) < 5 || f[3] != ">" {
		return nil, fmt.Errorf("want: %s T SRC > DST ...", f[0])
	}
	ts, err := parseTime(f[1])
	if err != nil {
		return nil, err
	}
	src, sp, err := parseEndpoint(f[2])
	if err != nil {
		return nil, err
	}
	dst, dp, err := parseEndpoint(f[4])
	if err != nil {
		return nil, err
	}
	var p decode.Packet
	p.TS = ts
	p.N = 1
	l := &p.Layers[0]
	l.Session = true
	l.Key = decode.Key{Src: src, Dst: dst, SrcPort: sp, DstPort: dp}
	hdr := uint32(20)
	if !src.Is4() {
		hdr = 40
		l.IPv6 = true
	}
	l.HdrLen = hdr
	rest := f[5:]
	switch f[0] {
	case "tcp":
		if len(rest) < 1 {
			return nil, fmt.Errorf("tcp: missing flags")
		}
		for _, ch := range rest[0] {
			switch ch {
			case 'S':
				l.Flags |= decode.TCPSyn
			case 'A':
				l.Flags |= decode.TCPAck
			case 'F':
				l.Flags |= decode.TCPFin
			case 'R':
				l.Flags |= decode.TCPRst
			case 'P':
				l.Flags |= decode.TCPPsh
			case 'U':
				l.Flags |= decode.TCPUrg
			case '.':
			default:
				return nil, fmt.Errorf("bad flag %q", ch)
			}
		}
		m := kv(rest[1:])
		l.Key.Proto = decode.ProtoTCP
		l.Seq = uint32(atoi(m, "seq"))
		l.Ack = uint32(atoi(m, "ack"))
		l.PayloadLen = uint32(atoi(m, "len"))
		l.Window = 1024
		if _, ok := m["win"]; ok {
			l.Window = uint16(atoi(m, "win"))
		}
		l.DataOff = 20
		_, l.BadChecksum = m["badsum"]
		l.IPLen = hdr + 20 + l.PayloadLen
	case "udp":
		m := kv(rest)
		l.Key.Proto = decode.ProtoUDP
		l.PayloadLen = uint32(atoi(m, "len"))
		l.UDPLen = uint16(l.PayloadLen + 8)
		_, l.BadChecksum = m["badsum"]
		l.IPLen = hdr + 8 + l.PayloadLen
	case "icmp":
		m := kv(rest)
		l.Key.Proto = decode.ProtoICMP
		if l.IPv6 {
			l.Key.Proto = decode.ProtoICMPv6
		}
		l.Key.SrcPort = uint16(atoi(m, "type"))
		l.Key.DstPort = uint16(atoi(m, "code"))
		l.PayloadLen = uint32(atoi(m, "len"))
		l.IPLen = hdr + 8 + l.PayloadLen
	case "ip":
		m := kv(rest)
		l.Key.Proto = uint8(atoi(m, "proto"))
		l.PayloadLen = uint32(atoi(m, "len"))
		l.IPLen = hdr + l.PayloadLen
	}
	tbl.Packet(&p)
	return describe(tbl.Events()), nil
}

var reasonNames = [...]string{"inactivity", "closed", "reuse", "flush", "evicted"}

// describe prints events as conn.log-like lines.
func describe(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		c := ev.Conn
		switch ev.Kind {
		case EventOpened:
			out = append(out, fmt.Sprintf("opened %s %s:%d > %s:%d", c.Trans, c.OrigH, c.OrigP, c.RespH, c.RespP))
		case EventClosed:
			o, r := c.Sizes()
			dur := "-"
			bytes := "- -"
			if d := c.Duration(); d > 0 {
				dur = strconv.FormatFloat(d, 'f', 6, 64)
				bytes = fmt.Sprintf("%d %d", o, r)
			}
			h := c.History()
			if h == "" {
				h = "-"
			}
			out = append(out, fmt.Sprintf("closed(%s) %s %s:%d > %s:%d %s %s dur=%s bytes=%s pkts=%d/%d ipbytes=%d/%d missed=%d",
				reasonNames[ev.Reason], c.Trans, c.OrigH, c.OrigP, c.RespH, c.RespP, c.State(), h, dur, bytes,
				c.OrigPkts(), c.RespPkts(), c.OrigIPBytes(), c.RespIPBytes(), c.MissedBytes()))
		}
	}
	return out
}

func TestConnStateTable(t *testing.T) {
	// Zeek's documented conn_state values (base/protocols/conn/main.zeek).
	cases := []struct {
		os, rs  EndpointState
		o, r    uint64
		history string
		want    string
	}{
		{StateSynSent, StateInactive, 0, 0, "S", "S0"},
		{StateEstablished, StateEstablished, 0, 0, "ShA", "S1"},
		{StateClosed, StateClosed, 1, 1, "ShAdDaFf", "SF"},
		{StateSynSent, StateReset, 0, 0, "Sr", "REJ"},
		{StateReset, StateReset, 0, 0, "SR", "REJ"},
		{StateClosed, StateEstablished, 0, 0, "ShAF", "S2"},
		{StateEstablished, StateClosed, 0, 0, "ShAf", "S3"},
		{StateReset, StateEstablished, 0, 0, "ShAR", "RSTO"},
		{StateEstablished, StateReset, 0, 0, "ShAr", "RSTR"},
		{StateReset, StateInactive, 0, 0, "SR", "RSTOS0"},
		{StateReset, StateInactive, 0, 0, "DR", "OTH"},
		{StatePartial, StateReset, 0, 0, "Dr", "RSTRH"},
		{StateClosed, StateInactive, 0, 0, "SF", "SH"},
		{StateInactive, StateClosed, 0, 0, "hf", "SHR"},
		{StatePartial, StatePartial, 0, 0, "Dd", "OTH"},
	}
	for i, c := range cases {
		if got := ConnState(TransportTCP, c.os, c.rs, c.o, c.r, c.history); got != c.want {
			t.Errorf("case %d (%s/%s %q): got %s, want %s", i, c.os, c.rs, c.history, got, c.want)
		}
	}
	udp := []struct {
		os, rs EndpointState
		want   string
	}{
		{StateActive, StateActive, "SF"}, {StateActive, StateInactive, "S0"},
		{StateInactive, StateActive, "SHR"}, {StateInactive, StateInactive, "OTH"},
	}
	for _, c := range udp {
		if got := ConnState(TransportUDP, c.os, c.rs, 0, 0, ""); got != c.want {
			t.Errorf("udp %s/%s: got %s want %s", c.os, c.rs, got, c.want)
		}
	}
	if got := ConnState(TransportICMP, StateActive, StateActive, 0, 0, ""); got != "OTH" {
		t.Errorf("icmp: got %s, want OTH", got)
	}
}

func TestHashSymmetric(t *testing.T) {
	a, _, _ := parseEndpoint("10.0.0.1")
	b, _, _ := parseEndpoint("10.0.0.2")
	k := decode.Key{Src: a, Dst: b, SrcPort: 1234, DstPort: 80, Proto: 6}
	if Hash(k) != Hash(k.Reverse()) {
		t.Fatal("Hash is not direction-symmetric")
	}
	k2 := decode.Key{Src: a, Dst: a, SrcPort: 1, DstPort: 1, Proto: 6}
	k3 := decode.Key{Src: b, Dst: b, SrcPort: 1, DstPort: 1, Proto: 6}
	if Hash(k2) == Hash(k3) {
		t.Fatal("A->A flows collide")
	}
}

func TestMaxFlowsEvictsHalfOpenFirst(t *testing.T) {
	tbl := New(Config{Seed: 1, MaxFlows: 100})
	var p decode.Packet
	p.N = 1
	l := &p.Layers[0]
	l.Session, l.DataOff = true, 20
	ts := int64(1e18)
	srv := addrOf(netip.MustParseAddr("192.0.2.1"))
	// 50 established connections
	for i := 0; i < 50; i++ {
		cli := addrOf(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}))
		ts += 1000
		p.TS = ts
		l.Key = decode.Key{Src: cli, Dst: srv, SrcPort: 1000, DstPort: 80, Proto: 6}
		l.Flags, l.Seq = decode.TCPSyn, 1
		tbl.Packet(&p)
		l.Key = l.Key.Reverse()
		l.Flags, l.Seq, l.Ack = decode.TCPSyn|decode.TCPAck, 5, 2
		tbl.Packet(&p)
	}
	// a SYN flood of 10,000 sources
	evictedEstablished := 0
	for i := 0; i < 10000; i++ {
		src := addrOf(netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)}))
		ts += 1000
		p.TS = ts
		l.Key = decode.Key{Src: src, Dst: srv, SrcPort: uint16(i), DstPort: 80, Proto: 6}
		l.Flags, l.Seq, l.Ack = decode.TCPSyn, 1, 0
		tbl.Packet(&p)
		for _, ev := range tbl.Events() {
			if ev.Kind == EventClosed && ev.Reason == ReasonEvicted && !halfOpen(ev.Conn) {
				evictedEstablished++
			}
		}
		if tbl.Len() > 100 {
			t.Fatalf("table holds %d > MaxFlows", tbl.Len())
		}
	}
	if tbl.Stats().Evicted < 9900 {
		t.Errorf("evicted %d, want about 9950", tbl.Stats().Evicted)
	}
	if evictedEstablished > 0 {
		t.Errorf("%d established connections evicted while half-open ones were available", evictedEstablished)
	}
}

// TestFloodKeepsTimersBounded: under a SYN flood far past MaxFlows, the
// timers of evicted connections are dropped, so the table's memory stays
// proportional to MaxFlows, not to the number of sources.
func TestFloodKeepsTimersBounded(t *testing.T) {
	const max = 2000
	tbl := New(Config{Seed: 1, MaxFlows: max})
	var p decode.Packet
	p.N = 1
	l := &p.Layers[0]
	l.Session, l.DataOff = true, 20
	srv := addrOf(netip.MustParseAddr("192.0.2.1"))
	for i := 0; i < 200_000; i++ {
		p.TS = int64(1e18) + int64(i)*4000
		l.Key = decode.Key{Src: addrOf(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})), Dst: srv, SrcPort: uint16(i >> 16), DstPort: 80, Proto: 6}
		l.Flags, l.Seq = decode.TCPSyn, uint32(i)
		tbl.Packet(&p)
	}
	if tbl.Len() > max {
		t.Fatalf("%d live flows > %d", tbl.Len(), max)
	}
	if n := tbl.timerCount(); n > 4*max+1024 {
		t.Errorf("%d pending timers for %d live flows: evicted flows' timers kept", n, tbl.Len())
	}
	if n := len(tbl.fifo); n > 2*max+1 {
		t.Errorf("eviction queue holds %d entries", n)
	}
}

// TestUDPAnalyzerFlips: the role flips Zeek's DNS and NTP analyzers make
// from a connection's first messages.
func TestUDPAnalyzerFlips(t *testing.T) {
	dnsResp := make([]byte, 40)
	dnsResp[2] = 0x81 // QR, RD
	dnsQuery := make([]byte, 40)
	ntp := func(mode byte) []byte { p := make([]byte, 48); p[0] = 4<<3 | mode; return p }
	type pkt struct {
		src, dst string
		payload  []byte
	}
	for _, c := range []struct {
		name       string
		pkts       []pkt
		orig, hist string
	}{
		{"dns response first", []pkt{{"10.0.0.1:40000", "10.0.0.2:53", dnsResp}}, "10.0.0.2:53", "D^"},
		{"dns query first", []pkt{{"10.0.0.1:40000", "10.0.0.2:53", dnsQuery}, {"10.0.0.2:53", "10.0.0.1:40000", dnsResp}}, "10.0.0.1:40000", "Dd"},
		{"dns response to multicast", []pkt{{"10.0.0.1:5353", "224.0.0.251:5353", dnsResp}}, "10.0.0.1:5353", "D"},
		{"dns header too short", []pkt{{"10.0.0.1:40000", "10.0.0.2:53", dnsResp[:11]}}, "10.0.0.1:40000", "D"},
		{"dns only the first message", []pkt{{"10.0.0.1:40000", "10.0.0.2:53", dnsQuery}, {"10.0.0.1:40000", "10.0.0.2:53", dnsResp}}, "10.0.0.1:40000", "D"},
		{"dns analyzer not on this port", []pkt{{"10.0.0.1:40000", "10.0.0.2:5000", dnsResp}}, "10.0.0.1:40000", "D"},
		{"ntp server message first", []pkt{{"10.0.0.2:123", "10.0.0.1:123", ntp(4)}, {"10.0.0.1:123", "10.0.0.2:123", ntp(3)}}, "10.0.0.1:123", "D^"},
		{"ntp client first", []pkt{{"10.0.0.1:123", "10.0.0.2:123", ntp(3)}, {"10.0.0.2:123", "10.0.0.1:123", ntp(4)}}, "10.0.0.1:123", "Dd"},
		{"ntp short message", []pkt{{"10.0.0.2:123", "10.0.0.1:123", ntp(4)[:47]}}, "10.0.0.2:123", "D"},
	} {
		tbl := New(Config{Seed: 1})
		var p decode.Packet
		p.N = 1
		l := &p.Layers[0]
		var conn *Conn
		for i, x := range c.pkts {
			src, dst := netip.MustParseAddrPort(x.src), netip.MustParseAddrPort(x.dst)
			*l = decode.Layer{Session: true}
			l.Key = decode.Key{Src: addrOf(src.Addr()), Dst: addrOf(dst.Addr()), SrcPort: src.Port(), DstPort: dst.Port(), Proto: 17}
			l.Payload = x.payload
			l.PayloadLen = uint32(len(x.payload))
			l.UDPLen = uint16(len(x.payload) + 8)
			l.IPLen = 20 + uint32(l.UDPLen)
			p.TS = int64(1e18) + int64(i)*1e6
			tbl.Packet(&p)
			for _, ev := range tbl.Events() {
				if ev.Kind == EventOpened {
					conn = ev.Conn
				}
			}
		}
		if conn == nil {
			t.Fatalf("%s: no connection", c.name)
		}
		orig := netip.AddrPortFrom(conn.OrigH.Netip(), conn.OrigP).String()
		if orig != c.orig || conn.History() != c.hist {
			t.Errorf("%s: orig %s history %q, want %s %q", c.name, orig, conn.History(), c.orig, c.hist)
		}
	}
}

// TestCountersPast32Bits: packet and IP byte counts are 32-bit in the Conn
// with their high words in the rare state; they carry, read back whole
// and move with a TCP flip.
func TestCountersPast32Bits(t *testing.T) {
	tbl := New(Config{Seed: 1})
	c := &Conn{}
	c.origPkts, c.origIPBytes = math.MaxUint32, math.MaxUint32-10
	l := &decode.Layer{IPLen: 1500}
	tbl.count(c, true, l)
	if got, want := c.OrigPkts(), uint64(1)<<32; got != want {
		t.Errorf("orig packets %d, want %d", got, want)
	}
	if got, want := c.OrigIPBytes(), uint64(math.MaxUint32-10+1500); got != want {
		t.Errorf("orig IP bytes %d, want %d", got, want)
	}
	tbl.count(c, false, l)
	if c.RespPkts() != 1 || c.RespIPBytes() != 1500 {
		t.Errorf("resp %d packets %d bytes, want 1 and 1500", c.RespPkts(), c.RespIPBytes())
	}
	c.tcp = &tcpState{}
	c.flip()
	if c.RespPkts() != 1<<32 || c.OrigPkts() != 1 || c.RespIPBytes() != math.MaxUint32-10+1500 || c.OrigIPBytes() != 1500 {
		t.Errorf("after a TCP flip: orig %d/%d resp %d/%d", c.OrigPkts(), c.OrigIPBytes(), c.RespPkts(), c.RespIPBytes())
	}
	var d Conn
	d.SetCounts(5<<32+1, 2, 7<<32, 3)
	if d.OrigPkts() != 5<<32+1 || d.RespPkts() != 2 || d.OrigIPBytes() != 7<<32 || d.RespIPBytes() != 3 {
		t.Errorf("SetCounts: %d %d %d %d", d.OrigPkts(), d.RespPkts(), d.OrigIPBytes(), d.RespIPBytes())
	}
}

// TestServiceColumn: the interned service column reads back what was set,
// and AddService joins in order.
func TestServiceColumn(t *testing.T) {
	var c Conn
	if c.Service() != "" {
		t.Fatalf("new conn service %q", c.Service())
	}
	c.AddService("smtp")
	c.AddService("ssl")
	if c.Service() != "smtp,ssl" {
		t.Errorf("service %q, want smtp,ssl", c.Service())
	}
	c.SetService("quic,ssl")
	var d Conn
	d.SetService("quic,ssl")
	if c.Service() != "quic,ssl" || c.svc != d.svc {
		t.Errorf("service %q (id %d, other %d)", c.Service(), c.svc, d.svc)
	}
	c.SetService("")
	if c.Service() != "" || c.svc != 0 {
		t.Errorf("cleared service %q", c.Service())
	}
	if n := testing.AllocsPerRun(100, func() { d.SetService(""); d.AddService("quic"); d.AddService("ssl") }); n != 0 {
		t.Errorf("AddService of a known combination allocates %.0f times", n)
	}
}

// TestPayloadSums: non-TCP payload sums are 32 bits in the Conn, carry
// into the rare state past 4 GiB, and may go negative as Zeek's do (a UDP
// length field under 8).
func TestPayloadSums(t *testing.T) {
	var c Conn
	c.addPayload(0, -8)
	if got := c.payloadLen(0); got != -8 {
		t.Errorf("after -8: %d", got)
	}
	if o, _ := c.Sizes(); o != 0 {
		t.Errorf("negative sum reported as %d", o)
	}
	c.addPayload(0, 20)
	if got := c.payloadLen(0); got != 12 {
		t.Errorf("after +20: %d", got)
	}
	for i := 0; i < 70000; i++ {
		c.addPayload(1, 65527)
	}
	if got, want := c.payloadLen(1), int64(70000)*65527; got != want {
		t.Errorf("resp sum %d, want %d", got, want)
	}
	if o, r := c.Sizes(); o != 12 || r != uint64(70000)*65527 {
		t.Errorf("Sizes %d %d", o, r)
	}
}

// TestServiceConcurrent: tables in several goroutines share the service
// intern table (run with -race).
func TestServiceConcurrent(t *testing.T) {
	names := []string{"dns", "ssl", "http", "quic", "smtp", "ntp", "krb", "gssapi"}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				var c Conn
				a, b := names[(i+g)%len(names)], names[(i*3+g)%len(names)]
				c.AddService(a)
				c.AddService(b)
				if want := a + "," + b; c.Service() != want {
					t.Errorf("service %q, want %q", c.Service(), want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

// TestTimerFIFO: the expire-timer queue pops in order across chunks,
// filters in place and empties.
func TestTimerFIFO(t *testing.T) {
	var q timerFIFO
	const n = 3*heapChunk + 17
	next := uint32(0)
	for i := 0; i < n; i++ {
		q.push(timer{key: int64(i) << 3, ref: uint32(i)})
		if i%3 == 2 { // interleave pops with pushes
			if x := q.pop(); x.ref != next {
				t.Fatalf("pop %d, want %d", x.ref, next)
			}
			next++
		}
	}
	q.filter(func(x *timer) bool { return x.ref%2 == 0 })
	prev := int64(-1)
	for q.len() > 0 {
		if q.last().ref%2 != 0 {
			t.Fatalf("last %d kept by the filter", q.last().ref)
		}
		x := q.pop()
		if x.ref%2 != 0 || x.key <= prev {
			t.Fatalf("popped %d (key %d after %d)", x.ref, x.key, prev)
		}
		prev = x.key
	}
	q.push(timer{key: 8, ref: 1})
	q.reset()
	if q.len() != 0 || len(q.chunks) > 1 {
		t.Fatalf("after reset: %d timers, %d chunks", q.len(), len(q.chunks))
	}
}

// TestUDPBadChecksumLetters: UDP bad checksums add C (c for the responder)
// at 1, 10, 100 ... per side, from counters kept in the table, dropped
// when the connection goes.
func TestUDPBadChecksumLetters(t *testing.T) {
	tbl := New(Config{Seed: 1})
	var p decode.Packet
	p.N = 1
	l := &p.Layers[0]
	var conn *Conn
	send := func(i int, src, dst string, bad bool) {
		s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
		*l = decode.Layer{Session: true, BadChecksum: bad, UDPLen: 20, PayloadLen: 12, IPLen: 40}
		l.Key = decode.Key{Src: addrOf(s.Addr()), Dst: addrOf(d.Addr()), SrcPort: s.Port(), DstPort: d.Port(), Proto: 17}
		p.TS = int64(1e18) + int64(i)*1e6
		tbl.Packet(&p)
		for _, ev := range tbl.Events() {
			if ev.Kind == EventOpened {
				conn = ev.Conn
			}
		}
	}
	send(0, "10.0.0.1:4000", "10.0.0.2:9999", false)
	for i := 1; i <= 10; i++ {
		send(i, "10.0.0.1:4000", "10.0.0.2:9999", true)
	}
	send(11, "10.0.0.2:9999", "10.0.0.1:4000", true)
	if h := conn.History(); h != "DCCc" {
		t.Errorf("history %q, want DCCc", h)
	}
	if conn.rare != nil {
		t.Errorf("bad checksums gave the connection a connRare")
	}
	if len(tbl.udpChk) != 1 {
		t.Fatalf("%d counter entries, want 1", len(tbl.udpChk))
	}
	tbl.Flush()
	if len(tbl.udpChk) != 0 {
		t.Errorf("%d counter entries after the flush", len(tbl.udpChk))
	}
}
