//go:build linux

package capture

import (
	"testing"

	"golang.org/x/sys/unix"
)

// runFanout runs the FanoutAddr program on an L3 packet of the given
// ethertype with the package's interpreter. The interpreter has no
// ancillary loads, so the first instruction (ld proto) becomes ld #proto.
func runFanout(t *testing.T, prog []unix.SockFilter, ethertype uint32, l3 []byte) uint32 {
	t.Helper()
	raw := make([]bpfInsn, len(prog))
	for i, in := range prog {
		raw[i] = bpfInsn{Code: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	if raw[0].Code != 0x20 || raw[0].K != skfAdProtocol {
		t.Fatalf("program does not start with ld proto: %+v", raw[0])
	}
	raw[0] = bpfInsn{Code: 0x00, K: ethertype}
	p, err := compileProgram(raw)
	if err != nil {
		t.Fatal(err)
	}
	return p.run(l3, uint32(len(l3)))
}

func TestAddrHashProgramSymmetric(t *testing.T) {
	prog := addrHashProgram()
	if len(prog) > 255 {
		t.Fatalf("program too long: %d", len(prog))
	}
	spread := map[uint32]int{}
	for i := 0; i < 256; i++ {
		v4 := make([]byte, 40)
		v4[0] = 0x45
		copy(v4[12:], []byte{198, 18, byte(i), 7})
		copy(v4[16:], []byte{192, 0, 2, byte(i * 3)})
		rev := append([]byte(nil), v4...)
		copy(rev[12:], v4[16:20])
		copy(rev[16:], v4[12:16])
		a, b := runFanout(t, prog, 0x0800, v4), runFanout(t, prog, 0x0800, rev)
		if a != b {
			t.Fatalf("IPv4 %d: %#x vs reverse %#x", i, a, b)
		}
		spread[a%2]++
		// The same behind a second VLAN tag left in the data.
		tagged := append([]byte{0, 100, 0x08, 0x00}, v4...)
		if c := runFanout(t, prog, 0x8100, tagged); c != a {
			t.Fatalf("tagged IPv4 %d: %#x, untagged %#x", i, c, a)
		}
		v6 := make([]byte, 60)
		v6[0] = 0x60
		for j := 8; j < 40; j++ {
			v6[j] = byte(i*7 + j)
		}
		rev6 := append([]byte(nil), v6...)
		copy(rev6[8:24], v6[24:40])
		copy(rev6[24:40], v6[8:24])
		if a, b := runFanout(t, prog, 0x86dd, v6), runFanout(t, prog, 0x86dd, rev6); a != b {
			t.Fatalf("IPv6 %d: %#x vs reverse %#x", i, a, b)
		}
	}
	if spread[0] < 64 || spread[1] < 64 {
		t.Errorf("poor spread over 2 sockets: %v", spread)
	}
	if got := runFanout(t, prog, 0x0806, make([]byte, 28)); got != 0 {
		t.Errorf("ARP: %d, want 0", got)
	}
}

func TestKernelProgramVLANPrefix(t *testing.T) {
	raw, err := compileExpr(linkTypeEthernet, "tcp port 80")
	if err != nil {
		t.Fatal(err)
	}
	k := kernelProgram(linkTypeEthernet, raw)
	if len(k) != len(raw)+3 || k[0].K != skfAdVLANTagPresent || k[1].Jt != 1 || k[2].Op != 0x06 {
		t.Fatalf("unexpected prefix: %+v", k[:3])
	}
	for i, in := range raw {
		if k[i+3].Op != in.Code || k[i+3].K != in.K || k[i+3].Jt != in.Jt || k[i+3].Jf != in.Jf {
			t.Fatalf("instruction %d changed", i)
		}
	}
	if r := kernelProgram(101, raw); len(r) != len(raw) {
		t.Errorf("raw IP program got a VLAN prefix")
	}
}

func TestParseFanoutMode(t *testing.T) {
	for in, want := range map[string]FanoutMode{"": FanoutHash, "hash": FanoutHash, "ADDR": FanoutAddr} {
		if got, err := ParseFanoutMode(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseFanoutMode("cpu"); err == nil {
		t.Errorf("cpu accepted")
	}
}
