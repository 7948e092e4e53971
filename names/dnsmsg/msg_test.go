package dnsmsg

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func pack(t testing.TB, m *dns.Msg) []byte {
	t.Helper()
	m.Compress = true
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hdr(name string, typ uint16, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: typ, Class: dns.ClassINET, Ttl: ttl}
}

func sampleReply(t testing.TB) []byte {
	m := new(dns.Msg)
	m.SetQuestion("WWW.Example.COM.", dns.TypeA)
	m.Response, m.RecursionAvailable, m.Authoritative = true, true, true
	m.Id = 0xbeef
	m.Answer = []dns.RR{
		&dns.CNAME{Hdr: hdr("www.example.com.", dns.TypeCNAME, 300), Target: "edge.cdn.example.net."},
		&dns.A{Hdr: hdr("edge.cdn.example.net.", dns.TypeA, 60), A: net.ParseIP("192.0.2.10")},
		&dns.AAAA{Hdr: hdr("edge.cdn.example.net.", dns.TypeAAAA, 60), AAAA: net.ParseIP("2001:db8::10")},
		&dns.MX{Hdr: hdr("example.com.", dns.TypeMX, 10), Preference: 5, Mx: "mail.example.com."},
		&dns.TXT{Hdr: hdr("example.com.", dns.TypeTXT, 10), Txt: []string{"v=spf1 -all", "second"}},
		&dns.NS{Hdr: hdr("example.com.", dns.TypeNS, 10), Ns: "ns1.example.com."},
		&dns.PTR{Hdr: hdr("10.2.0.192.in-addr.arpa.", dns.TypePTR, 10), Ptr: "edge.cdn.example.net."},
		&dns.SRV{Hdr: hdr("_x._tcp.example.com.", dns.TypeSRV, 10), Priority: 1, Weight: 2, Port: 443, Target: "srv.example.com."},
		&dns.SOA{Hdr: hdr("example.com.", dns.TypeSOA, 10), Ns: "ns1.example.com.", Mbox: "h.example.com.", Serial: 1},
		&dns.NAPTR{Hdr: hdr("example.com.", dns.TypeNAPTR, 10), Order: 100, Preference: 10, Flags: "s",
			Service: "SIP+D2T", Regexp: "", Replacement: "_sip._tcp.example.com."},
		&dns.DS{Hdr: hdr("example.com.", dns.TypeDS, 10), KeyTag: 1, Algorithm: 8, DigestType: 2, Digest: "abcd"},
		&dns.RRSIG{Hdr: hdr("example.com.", dns.TypeRRSIG, 10), TypeCovered: dns.TypeA, Algorithm: 13, SignerName: "example.com.", Signature: "AAAA"},
		&dns.DNSKEY{Hdr: hdr("example.com.", dns.TypeDNSKEY, 10), Flags: 257, Protocol: 3, Algorithm: 15, PublicKey: "AAAA"},
		&dns.NSEC{Hdr: hdr("a.example.com.", dns.TypeNSEC, 10), NextDomain: "b.example.com.", TypeBitMap: []uint16{1}},
		&dns.SSHFP{Hdr: hdr("example.com.", dns.TypeSSHFP, 10), Algorithm: 1, Type: 2, FingerPrint: "0a0b"},
		&dns.DNAME{Hdr: hdr("example.com.", dns.TypeDNAME, 10), Target: "example.org."},
		&dns.HINFO{Hdr: hdr("example.com.", dns.TypeHINFO, 10), Cpu: "x", Os: "y"},
	}
	return pack(t, m)
}

func TestParseAndZeekAnswers(t *testing.T) {
	m, err := Parse(sampleReply(t))
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != 0xbeef || !m.QR || !m.AA || !m.RA || m.Opcode != 0 || m.Rcode != 0 {
		t.Fatalf("header %+v", m.Header)
	}
	if len(m.Questions) != 1 || m.Questions[0].Name != "www.example.com" || m.Questions[0].Type != TypeA {
		t.Fatalf("questions %+v", m.Questions)
	}
	var got []string
	for i := range m.Records {
		s, handled := ZeekAnswer(m, &m.Records[i], false)
		if handled && s != "" {
			got = append(got, s)
		}
	}
	want := []string{
		"edge.cdn.example.net", "192.0.2.10", "2001:db8::10", "mail.example.com", "TXT 11 v=spf1 -all TXT 6 second",
		"ns1.example.com", "edge.cdn.example.net", "srv.example.com", "ns1.example.com",
		"NAPTR 100 10 s SIP+D2T _sip._tcp.example.com", "DS 8 2", "RRSIG 1 example.com", "DNSKEY 15",
		"NSEC a.example.com b.example.com", "SSHFP: 0a0b", "<unknown type=39>",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("answers\n got %q\nwant %q", got, want)
	}
	if a := m.Answers(); len(a) != 17 || a[1].TTL != 60 {
		t.Fatalf("answers %d", len(a))
	}
}

func TestQueryNotAnswered(t *testing.T) {
	m := new(dns.Msg)
	m.SetQuestion("example.com.", dns.TypeAAAA)
	msg, _ := Parse(pack(t, m))
	if msg.Err != nil || msg.QR || !msg.RD {
		t.Fatalf("%+v", msg.Header)
	}
	rr := RR{Section: Answer, Type: TypeA, Parsed: true}
	if _, handled := ZeekAnswer(msg, &rr, false); handled {
		t.Fatal("a query's records must not be answers")
	}
}

func TestNames(t *testing.T) {
	mk := func(body ...byte) []byte {
		return append([]byte{0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0}, body...)
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		want string
		err  error
	}{
		{"plain", mk(3, 'W', 'w', 'W', 2, 'e', 'x', 0, 0, 1, 0, 1), "www.ex", nil},
		{"root", mk(0, 0, 1, 0, 1), "", nil},
		// Pointer to itself (offset 12): a loop.
		{"self pointer", mk(0xc0, 12, 0, 1, 0, 1), "", ErrPointer},
		// Pointer forward: not allowed.
		{"forward pointer", mk(0xc0, 20, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0), "", ErrPointer},
		// Pointer past the end.
		{"pointer past end", mk(0xc0, 0xff, 0, 1, 0, 1), "", ErrPointer},
		{"label past end", mk(10, 'a', 'b'), "", ErrTruncated},
		{"no terminator", mk(1, 'a'), "", ErrTruncated},
		{"extended label", mk(0x41, 'a', 0, 0, 1, 0, 1), "", ErrName},
		{"cut pointer", mk(0xc0), "", ErrTruncated},
	} {
		m, err := Parse(tc.msg)
		if tc.err != nil {
			if !errors.Is(err, tc.err) || !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: err %v, want %v", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || len(m.Questions) != 1 || m.Questions[0].Name != tc.want {
			t.Errorf("%s: %v %+v", tc.name, err, m.Questions)
		}
	}
}

// TestPointerChainBounded: a long chain of backward pointers (each one
// pointing at the one before, the first at a real name) is cut at
// MaxPointers; a chain within the bound resolves.
func TestPointerChainBounded(t *testing.T) {
	build := func(n int) []byte {
		// Question "a"; answer 1 is a NULL record whose data holds the
		// chain; answer 2's owner is a pointer to the chain's end.
		msg := []byte{0, 1, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1,
			0xc0, 12, 0, 10, 0, 1, 0, 0, 0, 0, byte(2 * n >> 8), byte(2 * n)}
		prev := 12
		for i := 0; i < n; i++ {
			at := len(msg)
			msg = append(msg, 0xc0|byte(prev>>8), byte(prev))
			prev = at
		}
		return append(msg, 0xc0|byte(prev>>8), byte(prev), 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4)
	}
	m, err := Parse(build(MaxPointers - 1))
	if err != nil || len(m.Records) != 2 || m.Records[1].Name != "a" {
		t.Fatalf("chain within the bound: %v %+v", err, m.Records)
	}
	if _, err := Parse(build(200)); !errors.Is(err, ErrPointer) {
		t.Fatalf("200-pointer chain: err %v, want ErrPointer", err)
	}
}

func TestTruncatedEverywhere(t *testing.T) {
	b := sampleReply(t)
	for n := 0; n < len(b); n++ {
		m, err := Parse(b[:n])
		if err == nil && n < len(b) {
			// Only a cut exactly between records can parse, and then
			// the counts do not match what was kept.
			if len(m.Records) == int(m.ANCount)+int(m.NSCount)+int(m.ARCount) {
				t.Fatalf("cut at %d parsed whole", n)
			}
		}
	}
}

func TestDynamicUpdateFormats(t *testing.T) {
	m := new(dns.Msg)
	m.SetUpdate("example.org.")
	m.Response = true
	m.Id = 7
	m.Answer = []dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: "a.example.org.", Rrtype: dns.TypeCNAME, Class: dns.ClassNONE}}}
	m.Ns = []dns.RR{
		&dns.ANY{Hdr: dns.RR_Header{Name: "a.example.org.", Rrtype: dns.TypeAAAA, Class: dns.ClassANY}},
		&dns.ANY{Hdr: dns.RR_Header{Name: "a.example.org.", Rrtype: dns.TypeANY, Class: dns.ClassANY}},
		&dns.A{Hdr: hdr("a.example.org.", dns.TypeA, 1200), A: net.ParseIP("192.0.2.1")},
	}
	msg, err := Parse(pack(t, m))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range msg.Records {
		if s, ok := ZeekAnswer(msg, &msg.Records[i], false); ok && s != "" {
			got = append(got, s)
		}
	}
	want := "pre: NoRRSet CNAME a.example.org|del: RRSet AAAA|del: RRSet * a.example.org|add: A a.example.org 192.0.2.1"
	if strings.Join(got, "|") != want {
		t.Fatalf("got %q", got)
	}
}

func TestNames_Zeek(t *testing.T) {
	if QTypeName(1) != "A" || QTypeName(65534) != "query-65534" || QTypeName(255) != "*" {
		t.Fatal("qtype names")
	}
	if RcodeName(3) != "NXDOMAIN" || RcodeName(99) != "rcode-99" || RcodeName(8) != "NXRRSet" {
		t.Fatal("rcode names")
	}
	if ClassName(1) != "C_INTERNET" || ClassName(9) != "qclass-9" {
		t.Fatal("class names")
	}
	if OpcodeName(5, false) != "dynamic-update" || OpcodeName(5, true) != "netbios-registration" || OpcodeName(9, false) != "opcode-9" {
		t.Fatal("opcode names")
	}
	// "FHEPFCELEHFCEPFFFACACACACACACABN" is "WORKGROUP" padded, type 0x1d.
	if got := DecodeNetBIOSName("FHEPFCELEHFCEPFFFACACACACACACABN"); got != "WORKGROUP" {
		t.Fatalf("netbios %q", got)
	}
}

func TestStream(t *testing.T) {
	msgs := [][]byte{sampleReply(t), {0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1}}
	var stream []byte
	for _, m := range msgs {
		stream = append(stream, byte(len(m)>>8), byte(len(m)))
		stream = append(stream, m...)
	}
	for cut := 1; cut < len(stream); cut += 7 {
		var s Stream
		var got [][]byte
		fn := func(m []byte) { got = append(got, append([]byte(nil), m...)) }
		seq := uint32(1000)
		s.Add(seq, stream[:cut], fn)
		// A retransmission of the first part overlapping the second.
		s.Add(seq, stream[:min(cut+3, len(stream))], fn)
		s.Add(seq+uint32(cut), stream[cut:], fn)
		if len(got) != 2 || !bytes.Equal(got[0], msgs[0]) || !bytes.Equal(got[1], msgs[1]) {
			t.Fatalf("cut %d: got %d messages", cut, len(got))
		}
	}
	var s Stream
	n := 0
	s.Add(1, stream[:5], func([]byte) { n++ })
	s.Add(100, stream[5:], func([]byte) { n++ })
	if !s.Stopped() || n != 0 {
		t.Fatal("a gap must stop the stream")
	}
}

func BenchmarkParse(b *testing.B) {
	msg := sampleReply(b)
	var m Msg
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m.Parse(msg)
	}
}

func BenchmarkParseQuery(b *testing.B) {
	q := new(dns.Msg)
	q.SetQuestion("www.example.com.", dns.TypeA)
	msg := pack(b, q)
	var m Msg
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m.Parse(msg)
	}
}
