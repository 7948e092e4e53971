package zeeklog

import (
	"math/rand"
	"net/netip"
	"testing"

	"github.com/flowlog/flowlog/decode"
)

// TestNets checks Nets against netip.Prefix.Contains over Zeek's private
// address space and a few more, for random addresses of both families and
// addresses near each prefix.
func TestNets(t *testing.T) {
	list := append(PrivateAddressSpace(), netip.MustParsePrefix("1.2.3.4/32"), netip.MustParsePrefix("2001:db8::/32"))
	n := NewNets(list)
	ref := func(ip netip.Addr) bool {
		for _, p := range list {
			if p.Contains(ip) {
				return true
			}
		}
		return false
	}
	rng := rand.New(rand.NewSource(3))
	check := func(ip netip.Addr) {
		want := ref(ip)
		if got := n.ContainsIP(ip); got != want {
			t.Fatalf("ContainsIP(%v) = %v, want %v", ip, got, want)
		}
		if got := n.Contains(decode.Addr(ip.As16())); got != want {
			t.Fatalf("Contains(%v) = %v, want %v", ip, got, want)
		}
	}
	for i := 0; i < 50000; i++ {
		var b [16]byte
		rng.Read(b[:])
		p := list[rng.Intn(len(list))]
		if p.Addr().Is4() {
			var a [4]byte
			copy(a[:], b[:4])
			if i%2 == 0 {
				pa := p.Addr().As4()
				copy(a[:p.Bits()/8], pa[:p.Bits()/8])
			}
			check(netip.AddrFrom4(a))
		} else {
			if i%2 == 0 {
				pa := p.Addr().As16()
				copy(b[:p.Bits()/8], pa[:p.Bits()/8])
			}
			check(netip.AddrFrom16(b))
		}
	}
}
