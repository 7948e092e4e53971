package applog

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

func addr(s string) decode.Addr { return decode.Addr(netip.MustParseAddr(s).As16()) }

func sampleDNS() *DNSRecord {
	return &DNSRecord{
		TS: 1300000000123456000, UID: flow.UID{1, 2}, OrigH: addr("::ffff:10.0.0.1"), OrigP: 5353,
		RespH: addr("2001:db8::53"), RespP: 53, Proto: "udp", TransID: 4242, RTT: 54238000, HasRTT: true,
		Query: "a,b.example", HasQuery: true, QClass: 1, QClassName: "C_INTERNET", QType: 16, QTypeName: "TXT", HasQType: true,
		Rcode: 0, HasRcode: true, RD: true, RA: true, Z: 2,
		Answers: []string{"TXT 3 a,b", "tab\there", "-"}, TTLs: []uint32{52, 0, 3600},
		Opcode: 0, HasOpcode: true, OpcodeName: "query",
	}
}

func TestDNSWriterTSV(t *testing.T) {
	var b bytes.Buffer
	w := NewDNSWriter(&b, Options{OpenTime: time.Unix(1300000000, 0)})
	if err := w.Write(sampleDNS()); err != nil {
		t.Fatal(err)
	}
	unset := &DNSRecord{TS: 1300000001e9, UID: flow.UID{3, 4}, OrigH: addr("::ffff:10.0.0.1"), RespH: addr("::ffff:10.0.0.2"),
		Proto: "tcp", TransID: 1, Answers: []string{}, TTLs: []uint32{}}
	w.Write(unset)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n#open\t2011-03-13-07-06-40\n" +
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected\topcode\topcode_name\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool\tcount\tstring\n" +
		"1300000000.123456\tC12\t10.0.0.1\t5353\t2001:db8::53\t53\tudp\t4242\t0.054238\ta,b.example\t1\tC_INTERNET\t16\tTXT\t0\tNOERROR\tF\tF\tT\tT\t2\tTXT 3 a\\x2cb,tab\\x09here,\\x2d\t52.000000,0.000000,3600.000000\tF\t0\tquery\n" +
		"1300000001.000000\tC34\t10.0.0.1\t0\t10.0.0.2\t0\ttcp\t1\t-\t-\t-\t-\t-\t-\t-\t-\tF\tF\tF\tF\t0\t(empty)\t(empty)\tF\t-\t-\n" +
		"#close\t2011-03-13-07-06-41\n"
	if got := b.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestDNSWriterJSON(t *testing.T) {
	var b bytes.Buffer
	w := NewDNSWriter(&b, Options{Format: JSON})
	w.Write(sampleDNS())
	w.Write(&DNSRecord{TS: 1e18, Proto: "udp", OrigH: addr("::ffff:10.0.0.1"), RespH: addr("::ffff:10.0.0.2")})
	w.Close()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatalf("%v: %s", err, lines[0])
	}
	if m["query"] != "a,b.example" || m["rtt"] != 0.054238 || m["RD"] != true || m["id.resp_h"] != "2001:db8::53" {
		t.Fatalf("fields %v", m)
	}
	if ans := m["answers"].([]any); len(ans) != 3 || ans[1] != "tab\there" {
		t.Fatalf("answers %v", m["answers"])
	}
	if ttl := m["TTLs"].([]any); ttl[0] != 52.0 {
		t.Fatalf("TTLs %v", m["TTLs"])
	}
	var m2 map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &m2); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rtt", "query", "answers", "rcode"} {
		if _, has := m2[k]; has {
			t.Errorf("unset %s written in JSON", k)
		}
	}
}

func TestSSLWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewSSLWriter(&b, Options{})
	w.Write(&SSLRecord{TS: 1e18, UID: flow.UID{9, 9}, OrigH: addr("::ffff:10.0.0.1"), OrigP: 5000,
		RespH: addr("::ffff:10.0.0.2"), RespP: 443, Version: VersionTLSv13, HasVersion: true, ServerName: "example.com"})
	w.Write(&SSLRecord{TS: 1e18, UID: flow.UID{9, 9}, OrigH: addr("::ffff:10.0.0.1"), OrigP: 5001,
		RespH: addr("::ffff:10.0.0.2"), RespP: 443})
	w.Close()
	rows := []string{}
	for _, l := range strings.Split(b.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			rows = append(rows, l)
		}
	}
	if len(rows) != 2 || rows[0] != "1000000000.000000\tC99\t10.0.0.1\t5000\t10.0.0.2\t443\tTLSv13\texample.com" ||
		rows[1] != "1000000000.000000\tC99\t10.0.0.1\t5001\t10.0.0.2\t443\t-\t-" {
		t.Fatalf("rows %q", rows)
	}
	if !strings.Contains(b.String(), "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tserver_name\n") {
		t.Fatal("header")
	}
}

func TestVersionName(t *testing.T) {
	for v, want := range map[uint16]string{0x0303: "TLSv12", 0x0304: "TLSv13", 0x7f17: "TLSv13-draft23",
		0xfefd: "DTLSv12", 0xfeff: "DTLSv10", 0x0300: "SSLv3", 0x0002: "SSLv2", 0x1234: "unknown-4660"} {
		if got := VersionName(v); got != want {
			t.Errorf("VersionName(%#x) = %q, want %q", v, got, want)
		}
	}
}
