package zeeklog

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// oneConn runs a short TCP exchange through a flow table and returns the
// removed connection.
func oneConn(t *testing.T) *flow.Conn {
	t.Helper()
	tbl := flow.New(flow.Config{Seed: 7})
	src := decode.AddrFrom4([]byte{192, 168, 1, 2})
	dst := decode.AddrFrom4([]byte{203, 0, 114, 9})
	ts := int64(1700000000123456000)
	send := func(fromOrig bool, flags uint8, seq, ack, n uint32) {
		var p decode.Packet
		ts += 1500000
		p.TS, p.N = ts, 1
		l := &p.Layers[0]
		l.Session, l.DataOff, l.Window = true, 20, 100
		l.Key = decode.Key{Src: src, Dst: dst, SrcPort: 50000, DstPort: 443, Proto: 6}
		if !fromOrig {
			l.Key = l.Key.Reverse()
		}
		l.Flags, l.Seq, l.Ack, l.PayloadLen, l.IPLen = flags, seq, ack, n, 40+n
		tbl.Packet(&p)
	}
	send(true, decode.TCPSyn, 1, 0, 0)
	send(false, decode.TCPSyn|decode.TCPAck, 9, 2, 0)
	send(true, decode.TCPAck, 2, 10, 5)
	send(true, decode.TCPAck|decode.TCPFin, 7, 10, 0)
	send(false, decode.TCPAck|decode.TCPFin, 10, 8, 0)
	tbl.Flush()
	evs := tbl.Events()
	if len(evs) != 1 || evs[0].Kind != flow.EventClosed {
		t.Fatalf("want one closed event, got %d", len(evs))
	}
	return evs[0].Conn
}

func TestTSV(t *testing.T) {
	c := oneConn(t)
	var buf bytes.Buffer
	w := NewConnWriter(&buf, Options{OpenTime: time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)})
	if err := w.Write(c); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2023-11-14-22-13-20\n" +
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount\n"
	got := buf.String()
	if !strings.HasPrefix(got, want) {
		t.Fatalf("header:\n%s\nwant:\n%s", got, want)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	row := strings.Split(lines[8], "\t")
	if len(row) != 22 {
		t.Fatalf("row has %d fields: %q", len(row), lines[8])
	}
	check := map[int]string{0: "1700000000.124956", 2: "192.168.1.2", 3: "50000", 4: "203.0.114.9", 5: "443", 6: "tcp", 7: "-",
		8: "0.006000", 9: "5", 10: "0", 11: "SF", 12: "T", 13: "F", 14: "0", 15: "ShDFf", 16: "3", 17: "125", 18: "2", 19: "80", 20: "-", 21: "6"}
	for i, v := range check {
		if row[i] != v {
			t.Errorf("field %d: got %q, want %q", i, row[i], v)
		}
	}
	if !strings.HasPrefix(row[1], "C") || len(row[1]) < 10 {
		t.Errorf("uid %q is not Zeek-style", row[1])
	}
	if !strings.HasPrefix(lines[9], "#close\t2023-11-14-22-13-20") {
		t.Errorf("close line %q: want the last record's packet time", lines[9])
	}
}

func TestJSON(t *testing.T) {
	c := oneConn(t)
	var buf bytes.Buffer
	w := NewConnWriter(&buf, Options{Format: JSON})
	w.Write(c)
	w.Close()
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	for k, v := range map[string]any{"id.orig_h": "192.168.1.2", "id.resp_p": 443.0, "proto": "tcp", "conn_state": "SF",
		"history": "ShDFf", "orig_bytes": 5.0, "local_orig": true, "local_resp": false, "ip_proto": 6.0} {
		if m[k] != v {
			t.Errorf("%s: got %v, want %v", k, m[k], v)
		}
	}
	if _, ok := m["service"]; ok {
		t.Error("unset service must be omitted in JSON")
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{"-": `\x2d`, "a\tb": `a\x09b`, "é": `\xc3\xa9`, `a\b`: `a\x5cb`, "ok": "ok"} {
		if got := string(appendEscaped(nil, in)); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestLocalNets(t *testing.T) {
	w := NewConnWriter(&bytes.Buffer{}, Options{})
	for a, want := range map[string]bool{"10.1.2.3": true, "8.8.8.8": false, "fe80::1": true, "2606:4700::1": false} {
		var addr decode.Addr
		ip := mustAddr(a)
		if ip.Is4() {
			b := ip.As4()
			addr = decode.AddrFrom4(b[:])
		} else {
			b := ip.As16()
			addr = decode.AddrFrom16(b[:])
		}
		if got := w.IsLocal(addr); got != want {
			t.Errorf("%s: got %v", a, got)
		}
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
