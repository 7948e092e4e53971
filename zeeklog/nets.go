package zeeklog

import (
	"encoding/binary"
	"net/netip"

	"github.com/flowlog/flowlog/decode"
)

// Nets is a set of networks (Zeek's Site::local_nets) built for the
// per-record membership checks of local_orig/local_resp: IPv4 prefixes are
// a mask and a compare each, IPv6 prefixes are checked with netip, and an
// address is only checked against the prefixes of its family.
type Nets struct {
	v4 []v4net
	v6 []netip.Prefix
}

type v4net struct{ net, mask uint32 }

// NewNets returns the set of the given prefixes.
func NewNets(list []netip.Prefix) *Nets {
	n := &Nets{}
	for _, p := range list {
		p = p.Masked()
		if !p.Addr().Is4() {
			n.v6 = append(n.v6, p)
			continue
		}
		mask := ^uint32(0)
		if p.Bits() < 32 {
			mask = ^(^uint32(0) >> p.Bits())
		}
		b := p.Addr().As4()
		n.v4 = append(n.v4, v4net{binary.BigEndian.Uint32(b[:]), mask})
	}
	return n
}

// Contains reports whether a is in one of the networks.
func (n *Nets) Contains(a decode.Addr) bool {
	if a.Is4() {
		return n.contains4(binary.BigEndian.Uint32(a[12:]))
	}
	return n.contains6(netip.AddrFrom16(a))
}

// ContainsIP is Contains for a netip.Addr.
func (n *Nets) ContainsIP(ip netip.Addr) bool {
	if ip.Is4() || ip.Is4In6() {
		b := ip.Unmap().As4()
		return n.contains4(binary.BigEndian.Uint32(b[:]))
	}
	return n.contains6(ip)
}

func (n *Nets) contains4(x uint32) bool {
	for _, v := range n.v4 {
		if x&v.mask == v.net {
			return true
		}
	}
	return false
}

func (n *Nets) contains6(ip netip.Addr) bool {
	for _, p := range n.v6 {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
