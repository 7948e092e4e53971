package flow

import (
	"bytes"

	"github.com/flowlog/flowlog/decode"
)

// connKey identifies a connection in the table. It is direction-symmetric:
// both directions of a flow map to the same key (the endpoint with the
// smaller address, then port, comes first), except for one-way ICMP
// messages, whose key keeps the packet's direction as Zeek's ConnKey does.
type connKey struct {
	a, b   decode.Addr
	pa, pb uint16
	proto  uint8
	oneWay bool
}

func makeKey(src, dst decode.Addr, sp, dp uint16, proto uint8, oneWay bool) connKey {
	if !oneWay {
		c := bytes.Compare(src[:], dst[:])
		if c > 0 || (c == 0 && sp > dp) {
			src, dst, sp, dp = dst, src, dp, sp
		}
	}
	return connKey{a: src, b: dst, pa: sp, pb: dp, proto: proto, oneWay: oneWay}
}

// Hash returns a direction-symmetric hash of a flow 5-tuple, for spreading
// flows over workers: A->B and B->A hash alike. It combines the two
// endpoints with + (not ^) so that A->A flows do not all hash to one value.
// Not stable across versions: never persist it.
func Hash(k decode.Key) uint64 {
	return endpointHash(k.Src, k.SrcPort) + endpointHash(k.Dst, k.DstPort) + uint64(k.Proto)*0x9E3779B97F4A7C15
}

func endpointHash(a decode.Addr, p uint16) uint64 {
	var h uint64 = 1469598103934665603
	for _, x := range a {
		h ^= uint64(x)
		h *= 1099511628211
	}
	h ^= uint64(p)
	h *= 1099511628211
	return h ^ h>>29
}
