package capture

import (
	"encoding/binary"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcap"
)

// testPacket is an IP packet (no link header) and, optionally, a VLAN tag.
type testPacket struct {
	name string
	ip   []byte
	v6   bool
	vlan uint16
}

func ipPacket(t testing.TB, src, dst string, proto layers.IPProtocol, sport, dport uint16) []byte {
	t.Helper()
	s, d := net.ParseIP(src), net.ParseIP(dst)
	var l4 gopacket.SerializableLayer
	var nl gopacket.NetworkLayer
	if s.To4() != nil {
		nl = &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: s.To4(), DstIP: d.To4()}
	} else {
		nl = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: s, DstIP: d}
	}
	switch proto {
	case layers.IPProtocolTCP:
		tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), SYN: true, Window: 1024}
		tcp.SetNetworkLayerForChecksum(nl)
		l4 = tcp
	default:
		udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
		udp.SetNetworkLayerForChecksum(nl)
		l4 = udp
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, nl.(gopacket.SerializableLayer), l4, gopacket.Payload("hello")); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// frameFor wraps an IP packet in the link header of linkType.
func frameFor(p testPacket, linkType int) []byte {
	etype := uint16(0x0800)
	if p.v6 {
		etype = 0x86dd
	}
	var h []byte
	switch linkType {
	case 1: // Ethernet
		h = make([]byte, 14)
		copy(h, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
		if p.vlan != 0 {
			binary.BigEndian.PutUint16(h[12:], 0x8100)
			tag := make([]byte, 4)
			binary.BigEndian.PutUint16(tag, p.vlan)
			binary.BigEndian.PutUint16(tag[2:], etype)
			h = append(h, tag...)
		} else {
			binary.BigEndian.PutUint16(h[12:], etype)
		}
	case 101, 228, 229: // raw IP, IPv4, IPv6
	case 113: // Linux cooked (SLL)
		h = make([]byte, 16)
		binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
		binary.BigEndian.PutUint16(h[4:], 6)
		binary.BigEndian.PutUint16(h[14:], etype)
	case 276: // Linux cooked v2 (SLL2)
		h = make([]byte, 20)
		binary.BigEndian.PutUint16(h[0:], etype)
		binary.BigEndian.PutUint32(h[4:], 2) // ifindex
		binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
		h[11] = 6
	case 0: // BSD loopback: AF_ in host (here little-endian) order
		h = make([]byte, 4)
		af := uint32(2)
		if p.v6 {
			// libpcap compiles "ip6" on DLT_NULL as the compiling host's
			// AF_INET6 (10 on Linux), not the BSD values 24, 28 or 30.
			af = 10
		}
		binary.LittleEndian.PutUint32(h, af)
	default:
		panic("link type")
	}
	return append(h, p.ip...)
}

func testPackets(t testing.TB) []testPacket {
	tcp, udp := layers.IPProtocolTCP, layers.IPProtocolUDP
	return []testPacket{
		{name: "https", ip: ipPacket(t, "10.0.0.1", "10.0.0.2", tcp, 1234, 443)},
		{name: "dns", ip: ipPacket(t, "10.0.0.1", "10.0.0.9", udp, 5353, 53)},
		{name: "ssh", ip: ipPacket(t, "10.0.0.3", "10.0.0.4", tcp, 22, 40000)},
		{name: "https6", ip: ipPacket(t, "2001:db8::1", "2001:db8::2", tcp, 1111, 443), v6: true},
		{name: "vlan-https", ip: ipPacket(t, "10.0.0.1", "10.0.0.2", tcp, 1234, 443), vlan: 100},
		{name: "discard", ip: ipPacket(t, "10.0.0.5", "10.0.0.1", udp, 9, 9)},
	}
}

func TestFilterExpressions(t *testing.T) {
	pkts := testPackets(t)
	for _, tc := range []struct {
		expr string
		want string // names of the matching packets
	}{
		{"tcp port 443", "https https6"},
		{"port 22", "ssh"},
		{"host 10.0.0.1 and udp", "dns discard"},
		{"vlan and tcp", "vlan-https"},
		{"ip6", "https6"},
		{"", "https dns ssh https6 vlan-https discard"},
		{"greater 60", "https6 vlan-https"}, // "len" is the wire length
	} {
		f, err := NewFilter(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		if f.String() != tc.expr {
			t.Errorf("String() = %q", f.String())
		}
		for _, lt := range []int{1, 101, 113, 276, 228, 229, 0} {
			perr := f.Prepare(lt)
			if tc.expr == "vlan and tcp" && lt != 1 {
				// VLAN tags exist only on Ethernet here: libpcap refuses.
				if perr == nil {
					t.Errorf("%q compiled for link type %d", tc.expr, lt)
				}
			} else if perr != nil {
				t.Errorf("%q for link type %d: %v", tc.expr, lt, perr)
			}
			var oracle *pcap.BPF
			if lt < 256 {
				oracle, err = pcap.NewBPF(layers.LinkType(linkTypeToDLT(lt)), FilterSnaplen, tc.expr)
				if err != nil && strings.Contains(err.Error(), "rejects all packets") {
					// Prepare accepts it as a filter that matches nothing.
					err = nil
				}
				if (err == nil) != (perr == nil) {
					t.Errorf("%q for link type %d: libpcap says %v, Prepare %v", tc.expr, lt, err, perr)
				}
			}
			var got []string
			for _, p := range pkts {
				if p.vlan != 0 && lt != 1 ||
					lt == 228 && p.v6 || lt == 229 && !p.v6 {
					continue
				}
				fr := frameFor(p, lt)
				m := f.Match(lt, fr, len(fr))
				if m {
					got = append(got, p.name)
				}
				if oracle != nil {
					if want := oracle.Matches(gopacket.CaptureInfo{CaptureLength: len(fr), Length: len(fr)}, fr); want != m {
						t.Errorf("%q link type %d packet %s: Match %v, libpcap %v", tc.expr, lt, p.name, m, want)
					}
				}
			}
			var want []string
			for _, n := range strings.Fields(tc.want) {
				if n == "vlan-https" && lt != 1 || n == "https6" && lt == 228 || n != "https6" && lt == 229 {
					continue
				}
				want = append(want, n)
			}
			if tc.expr == "greater 60" && lt != 1 {
				// Without the 14-byte Ethernet header only the IPv6 packet is long enough
				// (plus the cooked headers' extra bytes).
				continue
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%q on link type %d: matched %v, want %v", tc.expr, lt, got, want)
			}
		}
	}
}

// TestFilterWireLen: "len" and "greater" use the wire length, while loads
// past the captured bytes reject the packet.
func TestFilterWireLen(t *testing.T) {
	p := testPackets(t)[0]
	fr := frameFor(p, 1)
	big, err := NewFilter("greater 1000")
	if err != nil {
		t.Fatal(err)
	}
	if big.Match(1, fr, len(fr)) || !big.Match(1, fr, 1500) {
		t.Error("greater 1000 does not follow the wire length")
	}
	port, _ := NewFilter("tcp port 443")
	if !port.Match(1, fr, len(fr)) || port.Match(1, fr[:30], len(fr)) {
		t.Error("tcp port 443 on a frame snapped before the ports should not match")
	}
	if port.Match(1, nil, 0) {
		t.Error("empty frame matched")
	}
}

func TestFilterErrors(t *testing.T) {
	for _, expr := range []string{"tcp prot 443", "host 999.1.2.3", "port", "(tcp"} {
		_, err := NewFilter(expr)
		if err == nil {
			t.Errorf("%q: no error", expr)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, `capture: bad filter "`+expr+`": `) || len(msg) < len(expr)+25 || strings.Contains(msg, "\n") {
			t.Errorf("%q: unclear error %q", expr, msg)
		}
	}
	f, err := NewFilter("tcp")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Prepare(65000); err == nil || !strings.Contains(err.Error(), `filter "tcp" for link type 65000`) {
		t.Errorf("unknown link type: %v", err)
	}
	if f.Match(65000, []byte{1, 2, 3}, 3) {
		t.Error("matched on a link type the filter cannot compile for")
	}
	var nilf *Filter
	if !nilf.Match(1, nil, 0) {
		t.Error("nil filter should match everything")
	}
}

func TestCompileProgramRejects(t *testing.T) {
	ret := bpfInsn{Code: 0x06, K: 1}
	for _, tc := range []struct {
		name string
		prog []bpfInsn
		msg  string
	}{
		{"empty", nil, "0 instructions"},
		{"no return", []bpfInsn{{Code: 0x00, K: 1}}, "does not end with a return"},
		{"unknown opcode", []bpfInsn{{Code: 0x08}, ret}, "unknown opcode 0x08"},
		{"ret x", []bpfInsn{{Code: 0x0e}, ret}, "unknown opcode"},
		{"jump out", []bpfInsn{{Code: 0x15, Jt: 5}, ret}, "jump out"},
		{"ja out", []bpfInsn{{Code: 0x05, K: 0xffffffff}, ret}, "jump out"},
		{"div zero", []bpfInsn{{Code: 0x34, K: 0}, ret}, "division by zero"},
		{"mod zero", []bpfInsn{{Code: 0x94, K: 0}, ret}, "division by zero"},
		{"shift", []bpfInsn{{Code: 0x64, K: 32}, ret}, "shift by 32"},
		{"mem", []bpfInsn{{Code: 0x02, K: 16}, ret}, "scratch slot 16"},
		{"too long", make([]bpfInsn, maxInsns+1), "4097 instructions"},
	} {
		_, err := compileProgram(tc.prog)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.msg)
		}
	}
}

// TestInterpreterOps runs hand-written programs over the ALU, jump and
// indirect-load instructions libpcap's compiler rarely emits.
func TestInterpreterOps(t *testing.T) {
	pkt := []byte{0x45, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07}
	for _, tc := range []struct {
		name string
		prog []bpfInsn
		want uint32
	}{
		{"ld w abs", []bpfInsn{{Code: 0x20, K: 1}, {Code: 0x16}}, 0x01020304},
		{"ld h abs oob", []bpfInsn{{Code: 0x28, K: 7}, {Code: 0x16}}, 0},
		{"ld b ind", []bpfInsn{{Code: 0x01, K: 3}, {Code: 0x50, K: 2}, {Code: 0x16}}, 5},
		{"ld ind overflow", []bpfInsn{{Code: 0x01, K: 0xffffffff}, {Code: 0x50, K: 2}, {Code: 0x06, K: 9}}, 0},
		{"msh", []bpfInsn{{Code: 0xb1, K: 0}, {Code: 0x87}, {Code: 0x16}}, 20},
		{"len", []bpfInsn{{Code: 0x80}, {Code: 0x16}}, 1500},
		{"alu", []bpfInsn{{Code: 0x00, K: 10}, {Code: 0x24, K: 3}, {Code: 0x14, K: 2}, {Code: 0x94, K: 5}, {Code: 0xa4, K: 0xff}, {Code: 0x16}}, 3 ^ 0xff},
		{"div x zero", []bpfInsn{{Code: 0x01, K: 0}, {Code: 0x3c}, {Code: 0x06, K: 1}}, 0},
		{"lsh x 40", []bpfInsn{{Code: 0x00, K: 1}, {Code: 0x01, K: 40}, {Code: 0x6c}, {Code: 0x16}}, 0},
		{"neg", []bpfInsn{{Code: 0x00, K: 1}, {Code: 0x84}, {Code: 0x16}}, 0xffffffff},
		{"mem", []bpfInsn{{Code: 0x00, K: 7}, {Code: 0x02, K: 15}, {Code: 0x00, K: 0}, {Code: 0x61, K: 15}, {Code: 0x87}, {Code: 0x16}}, 7},
		{"jset", []bpfInsn{{Code: 0x00, K: 6}, {Code: 0x45, Jt: 1, K: 2}, {Code: 0x06, K: 0}, {Code: 0x06, K: 42}}, 42},
		{"ja", []bpfInsn{{Code: 0x05, K: 1}, {Code: 0x06, K: 0}, {Code: 0x06, K: 43}}, 43},
	} {
		p, err := compileProgram(tc.prog)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := p.run(pkt, 1500); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestFilterConcurrent(t *testing.T) {
	f, err := NewFilter("tcp port 443")
	if err != nil {
		t.Fatal(err)
	}
	pkts := testPackets(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				lt := []int{1, 101, 113, 276}[(g+i)%4]
				fr := frameFor(pkts[0], lt)
				if !f.Match(lt, fr, len(fr)) {
					t.Errorf("link type %d: no match", lt)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestFilterZeroAllocs(t *testing.T) {
	f, err := NewFilter("tcp port 443 or (vlan and udp)")
	if err != nil {
		t.Fatal(err)
	}
	fr := frameFor(testPackets(t)[0], 1)
	f.Match(113, fr, len(fr)) // compile a second link type
	if a := testing.AllocsPerRun(1000, func() { f.Match(1, fr, len(fr)) }); a != 0 {
		t.Errorf("Match: %.1f allocs", a)
	}
}
