package pdns

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/flowlog/flowlog/names/dnsmsg"
)

func reply(t *testing.T, q string, qtype uint16, rcode int, rrs ...dns.RR) *dnsmsg.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(q, qtype)
	m.Response = true
	m.Rcode = rcode
	m.Answer = rrs
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := dnsmsg.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func a(name, ip string, ttl uint32) dns.RR {
	if netip.MustParseAddr(ip).Is4() {
		return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: 1, Ttl: ttl}, A: net.ParseIP(ip)}
	}
	return &dns.AAAA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: 1, Ttl: ttl}, AAAA: net.ParseIP(ip)}
}

const sec = int64(time.Second)

func TestObserveAndExpire(t *testing.T) {
	c := New(Config{})
	ts := int64(1e18)
	c.Observe(reply(t, "www.example.com.", dns.TypeA, 0,
		&dns.CNAME{Hdr: dns.RR_Header{Name: "www.example.com.", Rrtype: dns.TypeCNAME, Class: 1, Ttl: 300}, Target: "edge.cdn.net."},
		a("edge.cdn.net.", "192.0.2.10", 60),
		a("edge.cdn.net.", "2001:db8::10", 30)), ts)
	ip := netip.MustParseAddr("192.0.2.10")
	// The name asked for, not the CNAME target.
	if name, ok := c.Lookup(ip, ts+10*sec); !ok || name != "www.example.com" {
		t.Fatalf("Lookup = %q %v", name, ok)
	}
	// IPv4-mapped lookups find it too.
	if _, ok := c.Lookup(netip.AddrFrom16(ip.As16()), ts); !ok {
		t.Fatal("mapped address not found")
	}
	if name, ok := c.Lookup(netip.MustParseAddr("2001:db8::10"), ts+29*sec); !ok || name != "www.example.com" {
		t.Fatalf("AAAA Lookup = %q %v", name, ok)
	}
	// TTLs run in packet time.
	if _, ok := c.Lookup(netip.MustParseAddr("2001:db8::10"), ts+31*sec); ok {
		t.Fatal("AAAA entry outlived its TTL")
	}
	if _, ok := c.Lookup(ip, ts+61*sec); ok {
		t.Fatal("A entry outlived its TTL")
	}
	c.Advance(ts + 61*sec)
	if c.Len() != 0 {
		t.Fatalf("%d entries after expiry", c.Len())
	}
	// A later answer refreshes and renames.
	c.Observe(reply(t, "x.example.", dns.TypeA, 0, a("x.example.", "192.0.2.10", 100)), ts+70*sec)
	if name, _ := c.Lookup(ip, ts+100*sec); name != "x.example" {
		t.Fatalf("renamed: %q", name)
	}
}

func TestObserveIgnores(t *testing.T) {
	c := New(Config{})
	ts := int64(1e18)
	// NXDOMAIN replies, queries and answers without addresses teach nothing.
	c.Observe(reply(t, "nx.example.", dns.TypeA, dns.RcodeNameError, a("nx.example.", "192.0.2.1", 60)), ts)
	q := new(dns.Msg)
	q.SetQuestion("q.example.", dns.TypeA)
	b, _ := q.Pack()
	qm, _ := dnsmsg.Parse(b)
	c.Observe(qm, ts)
	c.Observe(reply(t, "example.", dns.TypeMX, 0, &dns.MX{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeMX, Class: 1, Ttl: 9}, Mx: "m."}), ts)
	if c.Len() != 0 {
		t.Fatalf("%d entries learned", c.Len())
	}
}

func TestPTR(t *testing.T) {
	c := New(Config{})
	ts := int64(1e18)
	c.Observe(reply(t, "10.2.0.192.in-addr.arpa.", dns.TypePTR, 0,
		&dns.PTR{Hdr: dns.RR_Header{Name: "10.2.0.192.in-addr.arpa.", Rrtype: dns.TypePTR, Class: 1, Ttl: 60}, Ptr: "host.example."}), ts)
	if name, ok := c.Lookup(netip.MustParseAddr("192.0.2.10"), ts); !ok || name != "host.example" {
		t.Fatalf("PTR Lookup = %q %v", name, ok)
	}
	v6 := netip.MustParseAddr("2001:db8::abcd")
	rn := ReverseName(v6)
	c.Observe(reply(t, rn, dns.TypePTR, 0,
		&dns.PTR{Hdr: dns.RR_Header{Name: rn, Rrtype: dns.TypePTR, Class: 1, Ttl: 60}, Ptr: "six.example."}), ts)
	if name, ok := c.Lookup(v6, ts); !ok || name != "six.example" {
		t.Fatalf("ip6.arpa PTR Lookup = %q %v", name, ok)
	}
}

func TestReverse(t *testing.T) {
	for _, s := range []string{"192.0.2.10", "10.0.0.1", "255.255.255.255", "2001:db8::1", "::1", "fe80::1:2:3:4"} {
		ip := netip.MustParseAddr(s)
		got, ok := ReverseAddr(ReverseName(ip))
		if !ok || got != ip {
			t.Errorf("%s: round trip %v %v (name %s)", s, got, ok, ReverseName(ip))
		}
	}
	if ReverseName(netip.MustParseAddr("192.0.2.10")) != "10.2.0.192.in-addr.arpa." {
		t.Fatal(ReverseName(netip.MustParseAddr("192.0.2.10")))
	}
	for _, bad := range []string{"1.2.3.in-addr.arpa", "1.2.3.256.in-addr.arpa", "01.2.3.4.in-addr.arpa", "x.ip6.arpa", "example.com"} {
		if _, ok := ReverseAddr(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestBounded(t *testing.T) {
	c := New(Config{MaxEntries: 10})
	ts := int64(1e18)
	for i := 0; i < 100; i++ {
		ip := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
		c.Observe(reply(t, "h.example.", dns.TypeA, 0, a("h.example.", ip.String(), uint32(1000+i))), ts)
	}
	if c.Len() != 10 {
		t.Fatalf("%d entries, want the bound 10", c.Len())
	}
	// The ones expiring first were evicted: the last ten remain.
	if _, ok := c.Lookup(netip.AddrFrom4([4]byte{10, 0, 0, 99}), ts); !ok {
		t.Fatal("newest entry evicted")
	}
	if st := c.Stats(); st.Evicted != 90 {
		t.Fatalf("stats %+v", st)
	}
}

func BenchmarkObserve(b *testing.B) {
	m := new(dns.Msg)
	m.SetQuestion("www.example.com.", dns.TypeA)
	m.Response = true
	m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "www.example.com.", Rrtype: dns.TypeA, Class: 1, Ttl: 60}, A: net.ParseIP("192.0.2.1")}}
	buf, _ := m.Pack()
	var msg dnsmsg.Msg
	msg.Parse(buf)
	c := New(Config{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c.Observe(&msg, int64(i))
	}
}
