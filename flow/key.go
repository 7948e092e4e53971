package flow

import (
	"encoding/binary"

	"github.com/flowlog/flowlog/decode"
)

// Hash returns a direction-symmetric hash of a flow 5-tuple, for spreading
// flows over workers: A->B and B->A hash alike. It combines the two
// endpoints with + (not ^) so that A->A flows do not all hash to one value.
// Not stable across versions: never persist it.
func Hash(k decode.Key) uint64 {
	return addrHash(&k.Src, k.SrcPort) + addrHash(&k.Dst, k.DstPort) + uint64(k.Proto)*0x9E3779B97F4A7C15
}

// flowHash is the table index's hash of a connection's endpoints: seeded,
// and direction-symmetric unless oneWay (one-way ICMP messages keep their
// direction, as Zeek's ConnKey does for them).
func flowHash(seed uint64, src, dst *decode.Addr, sp, dp uint16, proto uint8, oneWay bool) uint32 {
	a := addrHash(src, sp)
	b := addrHash(dst, dp)
	var h uint64
	if oneWay {
		h = a*0x9E3779B97F4A7C15 + b
	} else {
		h = a + b
	}
	h ^= seed + uint64(proto)*0xD6E8FEB86659FD93
	h ^= h >> 32
	h *= 0xD6E8FEB86659FD93
	h ^= h >> 29
	return uint32(h >> 32)
}

// addrHash hashes one endpoint (address and port).
func addrHash(a *decode.Addr, p uint16) uint64 {
	lo := binary.LittleEndian.Uint64(a[0:8])
	hi := binary.LittleEndian.Uint64(a[8:16])
	h := (lo ^ 0x2545F4914F6CDD1D) * 0x9E3779B97F4A7C15
	h ^= (hi + uint64(p)<<1) * 0xBF58476D1CE4E5B9
	return h ^ h>>31
}
