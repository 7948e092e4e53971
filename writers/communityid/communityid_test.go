package communityid

import (
	"net/netip"
	"testing"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

type vector struct {
	proto      uint8
	src, dst   string
	sport      uint16
	dport      uint16
	seed       uint16
	want       string
	comment    string
	noTwoWayOK bool // one-way: the reversed tuple is a different flow
}

// specVectors are the "Default settings" and "A custom seed=1 value" tables
// of corelight/community-id-spec, baseline/README.md (commit c4ec2bc4).
// ICMP rows give the packet's type (sport) and code (dport).
var specVectors = []vector{
	{6, "1.2.3.4", "5.6.7.8", 1122, 3344, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=", "TCP out", false},
	{6, "5.6.7.8", "1.2.3.4", 3344, 1122, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=", "TCP back", false},
	{17, "1.2.3.4", "5.6.7.8", 1122, 3344, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", "UDP out", false},
	{17, "5.6.7.8", "1.2.3.4", 3344, 1122, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", "UDP back", false},
	{132, "1.2.3.4", "5.6.7.8", 1122, 3344, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=", "SCTP out", false},
	{132, "5.6.7.8", "1.2.3.4", 3344, 1122, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=", "SCTP back", false},
	{1, "1.2.3.4", "5.6.7.8", 8, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "ICMP echo request", false},
	{1, "5.6.7.8", "1.2.3.4", 0, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "ICMP echo reply", false},
	{1, "1.2.3.4", "5.6.7.8", 11, 0, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=", "ICMP time exceeded (one-way)", true},
	{58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 128, 0, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "ICMP6 echo request", false},
	{58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 129, 0, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "ICMP6 echo reply", false},
	{58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146, 0, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10=", "ICMP6 146 (one-way)", true},
	{46, "1.2.3.4", "5.6.7.8", 0, 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=", "RSVP out", false},
	{46, "5.6.7.8", "1.2.3.4", 0, 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=", "RSVP back", false},
	{46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "RSVP v6 out", false},
	{46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "RSVP v6 back", false},

	{6, "1.2.3.4", "5.6.7.8", 1122, 3344, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=", "seed 1 TCP", false},
	{6, "5.6.7.8", "1.2.3.4", 3344, 1122, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=", "seed 1 TCP back", false},
	{17, "1.2.3.4", "5.6.7.8", 1122, 3344, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=", "seed 1 UDP", false},
	{132, "1.2.3.4", "5.6.7.8", 1122, 3344, 1, "1:uitchpn5MMGAQKBJh7bIr/bAr7s=", "seed 1 SCTP", false},
	{1, "1.2.3.4", "5.6.7.8", 8, 0, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=", "seed 1 ICMP echo", false},
	{1, "5.6.7.8", "1.2.3.4", 0, 0, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=", "seed 1 ICMP reply", false},
	{1, "1.2.3.4", "5.6.7.8", 11, 0, 1, "1:1DD7cWGC/Yg91YGsQeni8du3pIA=", "seed 1 ICMP one-way", true},
	{58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 128, 0, 1, "1:IO27GQzPuCtNnwFvjWALMHu5tJE=", "seed 1 ICMP6 echo", false},
	{58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146, 0, 1, "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=", "seed 1 ICMP6 one-way", true},
	{46, "1.2.3.4", "5.6.7.8", 0, 0, 1, "1:/buhqeOmaRCopOZFy9HnoJd5XW8=", "seed 1 RSVP", false},
	{46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 0, 1, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=", "seed 1 RSVP v6", false},
}

// pcapVectors are corelight/community-id-spec baseline/baseline_deflt.json
// (commit c4ec2bc4): pycommunityid's output on pcaps/combined.pcap.gz. Their
// ICMP ports are already Zeek's mapped ports (type, counterpart or code),
// i.e. the form of conn.log's id.orig_p/id.resp_p; null ports are 0.
var pcapVectors = []vector{
	{58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "", false},
	{58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "", false},
	{58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck=", "", false},
	{58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck=", "", false},
	{58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=", "", true},
	{58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, 0, "1:hLZd0XGWojozrvxqE0dWB1iM6R0=", "", true},
	{58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "", false},
	{58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "", false},
	{58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, 0, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", "", false},
	{58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, 0, "1:pkvHqCL88/tg1k4cPigmZXUtL00=", "", false},
	{1, "192.168.0.89", "192.168.0.1", 8, 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "", false},
	{1, "192.168.0.1", "192.168.0.89", 0, 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "", false},
	{1, "10.0.0.1", "10.0.0.2", 11, 0, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=", "", true},
	{6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "", false},
	{6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "", false},
	{132, "192.168.170.8", "192.168.170.56", 7, 7, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "", false},
	{132, "192.168.170.56", "192.168.170.8", 7, 7, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "", false},
	{6, "128.232.110.120", "66.35.250.204", 34855, 80, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "", false},
	{6, "66.35.250.204", "128.232.110.120", 80, 34855, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "", false},
	{17, "192.168.1.52", "8.8.8.8", 54585, 53, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "", false},
	{17, "8.8.8.8", "192.168.1.52", 53, 54585, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "", false},
	{46, "10.1.12.1", "10.1.12.2", 0, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "", false},
	{46, "10.1.12.2", "10.1.12.1", 0, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "", false},
}

func TestSpecVectors(t *testing.T) {
	for _, set := range [][]vector{specVectors, pcapVectors} {
		for _, v := range set {
			src, dst := netip.MustParseAddr(v.src), netip.MustParseAddr(v.dst)
			if got := Hash(v.seed, src, dst, v.sport, v.dport, v.proto); got != v.want {
				t.Errorf("%s: %d %s:%d > %s:%d seed %d: got %s, want %s", v.comment, v.proto, v.src, v.sport, v.dst, v.dport, v.seed, got, v.want)
			}
		}
	}
}

// addr converts a netip.Addr to flowlog's decode.Addr.
func addr(a netip.Addr) decode.Addr {
	if a.Is4() {
		b := a.As4()
		return decode.AddrFrom4(b[:])
	}
	b := a.As16()
	return decode.AddrFrom16(b[:])
}

// conn builds a *flow.Conn the way flowlog's table would orient it: the
// first packet's sender is the originator, with Zeek's conn ports.
func conn(v vector) *flow.Conn {
	c := &flow.Conn{OrigH: addr(netip.MustParseAddr(v.src)), RespH: addr(netip.MustParseAddr(v.dst)), IPProto: v.proto}
	c.OrigP, c.RespP = v.sport, v.dport
	switch v.proto {
	case 6:
		c.Trans = flow.TransportTCP
	case 17:
		c.Trans = flow.TransportUDP
	case 1, 58:
		c.Trans = flow.TransportICMP
		// Zeek's conn ports: the type and the counterpart type (or the code).
		c.OrigP, c.RespP, _ = icmpPorts(v.proto == 58, v.sport, v.dport)
	default:
		c.Trans = flow.TransportUnknown
		c.OrigP, c.RespP = 0, 0
	}
	return c
}

// TestConn checks CommunityID on connections built from the same vectors
// (SCTP is not a flowlog transport and is left out).
func TestConn(t *testing.T) {
	for _, set := range [][]vector{specVectors, pcapVectors} {
		for _, v := range set {
			if v.proto == 132 {
				continue
			}
			if got := CommunityID(v.seed, conn(v)); got != v.want {
				t.Errorf("%s: %d %s:%d > %s:%d seed %d: got %s, want %s", v.comment, v.proto, v.src, v.sport, v.dst, v.dport, v.seed, got, v.want)
			}
		}
	}
}

// TestSymmetric: both directions of a two-way flow give the same ID; a
// one-way ICMP message does not get reordered.
func TestSymmetric(t *testing.T) {
	for _, v := range specVectors {
		src, dst := netip.MustParseAddr(v.src), netip.MustParseAddr(v.dst)
		a := Hash(v.seed, src, dst, v.sport, v.dport, v.proto)
		sp, dp := v.sport, v.dport
		if v.proto == 1 || v.proto == 58 {
			sp, dp, _ = icmpPorts(v.proto == 58, v.sport, v.dport)
		}
		b := Hash(v.seed, dst, src, dp, sp, v.proto)
		if (a == b) == v.noTwoWayOK {
			t.Errorf("%s: forward %s, reverse %s", v.comment, a, b)
		}
	}
}

func TestEqualAddressesOrderByPort(t *testing.T) {
	a := netip.MustParseAddr("127.0.0.1")
	x := Hash(0, a, a, 1, 256, 6)
	y := Hash(0, a, a, 256, 1, 6)
	if x != y {
		t.Errorf("same address, swapped ports: %s vs %s", x, y)
	}
}

func TestInvalid(t *testing.T) {
	v4, v6 := netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("::1")
	if got := Hash(0, v4, v6, 1, 2, 6); got != "" {
		t.Errorf("mixed families: %q", got)
	}
	if got := Hash(0, netip.Addr{}, v4, 1, 2, 6); got != "" {
		t.Errorf("invalid address: %q", got)
	}
	// An IPv4-mapped IPv6 address is IPv4.
	mapped := netip.AddrFrom16(v4.As16())
	if Hash(0, mapped, netip.MustParseAddr("5.6.7.8"), 1122, 3344, 6) != "1:wCb3OG7yAFWelaUydu0D+125CLM=" {
		t.Error("IPv4-mapped address not treated as IPv4")
	}
}

func TestAppendNoAlloc(t *testing.T) {
	c := conn(specVectors[0])
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = AppendConn(buf[:0], 0, c) }); n != 0 {
		t.Errorf("AppendConn allocates %v times", n)
	}
	if string(buf) != specVectors[0].want {
		t.Errorf("AppendConn: %s", buf)
	}
}

func BenchmarkAppendConn(b *testing.B) {
	c := conn(specVectors[0])
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendConn(buf[:0], 0, c)
	}
}

// FuzzHash: two-way flows hash the same from either side, one-way ICMP
// messages keep their direction, and Append never allocates.
func FuzzHash(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4}, []byte{5, 6, 7, 8}, uint16(1122), uint16(3344), uint8(6), uint16(0))
	f.Add([]byte{1, 2, 3, 4}, []byte{1, 2, 3, 4}, uint16(80), uint16(80), uint8(17), uint16(1))
	f.Add(make([]byte, 16), []byte{0xfe, 0x80, 15: 1}, uint16(128), uint16(0), uint8(58), uint16(0))
	f.Add([]byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}, uint16(11), uint16(0), uint8(1), uint16(7))
	f.Add([]byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}, uint16(0), uint16(0), uint8(46), uint16(0))
	f.Fuzz(func(t *testing.T, a, b []byte, sp, dp uint16, proto uint8, seed uint16) {
		src, ok1 := netip.AddrFromSlice(a)
		dst, ok2 := netip.AddrFromSlice(b)
		if !ok1 || !ok2 {
			return
		}
		h := Hash(seed, src, dst, sp, dp, proto)
		if src.Unmap().Is4() != dst.Unmap().Is4() {
			if h != "" {
				t.Fatalf("mixed families hashed: %s", h)
			}
			return
		}
		if len(h) != 30 || h[:2] != Prefix {
			t.Fatalf("malformed id %q", h)
		}
		rsp, rdp, oneWay := sp, dp, false
		switch proto {
		case protoICMP, protoICMPv6:
			rsp, rdp, oneWay = icmpPorts(proto == protoICMPv6, sp, dp)
		}
		if !oneWay {
			if r := Hash(seed, dst, src, rdp, rsp, proto); r != h {
				t.Fatalf("reverse %s != %s", r, h)
			}
		}
		buf := make([]byte, 0, 64)
		if n := testing.AllocsPerRun(1, func() { buf = Append(buf[:0], seed, src, dst, sp, dp, proto) }); n != 0 {
			t.Fatalf("Append allocates %v", n)
		}
	})
}
