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

// Uids: the first word is mix64(uidBase + n*uidGamma) for the n-th uid of
// a table, a bijection of n (so uids never repeat); the second word, of 32
// bits as in Zeek's 96-bit uids, is derived from the first.
const (
	uidGamma    = 0x9E3779B97F4A7C15
	uidGammaInv = 0xF1DE83E19937733D // uidGamma * uidGammaInv == 1 (mod 2^64)
)

func uidFrom(u0 uint64) UID { return UID{u0, mix64(u0^0xD6E8FEB86659FD93) >> 32} }

// unmix64 inverts mix64.
func unmix64(z uint64) uint64 {
	z ^= z>>31 ^ z>>62
	z *= 0x319642B2D24D8EC3 // inverse of 0x94D049BB133111EB
	z ^= z>>27 ^ z>>54
	z *= 0x96DE1B173F119089 // inverse of 0xBF58476D1CE4E5B9
	z ^= z>>30 ^ z>>60
	return z
}
