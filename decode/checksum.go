package decode

import (
	"encoding/binary"
	"math/bits"
)

// Internet checksums (RFC 1071), as Zeek's in_cksum / ip_in_cksum compute
// them (src/net_util.cc). None of these keep their arguments.

// sum16 adds b as big-endian 16-bit words (odd trailing byte padded with
// zero) to the running 32-bit one's complement accumulator s.
func sum16(s uint64, b []byte) uint64 {
	if len(b) >= 16 {
		// The bulk as native 64-bit words with end-around carry: the one's
		// complement sum does not depend on byte order (RFC 1071 2(B)),
		// so the folded little-endian sum, byte-swapped, is the
		// big-endian one.
		var acc, c uint64
		for len(b) >= 32 {
			acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b), c)
			acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[8:]), c)
			acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[16:]), c)
			acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[24:]), c)
			b = b[32:]
		}
		for len(b) >= 8 {
			acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b), c)
			b = b[8:]
		}
		acc, c = bits.Add64(acc, c, 0)
		acc += c
		s += uint64(bits.ReverseBytes16(fold(acc)))
	}
	for len(b) >= 4 {
		s += uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	for len(b) >= 2 {
		s += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}

// fold reduces the accumulator to 16 bits. A correct checksum over data that
// includes its checksum field folds to 0xffff.
func fold(s uint64) uint16 {
	for s>>16 != 0 {
		s = (s & 0xffff) + (s >> 16)
	}
	return uint16(s)
}

// ipv4HeaderOK reports whether an IPv4 header (hdr is exactly IHL bytes)
// verifies.
func ipv4HeaderOK(hdr []byte) bool { return fold(sum16(0, hdr)) == 0xffff }

// pseudoSum returns the pseudo-header sum for a transport checksum: for IPv4
// src(4) dst(4) zero proto len(16); for IPv6 src(16) dst(16) len(32) zero(3)
// next(8).
func pseudoSum(src, dst *Addr, v6 bool, proto uint8, length int) uint64 {
	var s uint64
	if v6 {
		s = sum16(s, src[:])
		s = sum16(s, dst[:])
		s += uint64(uint32(length) >> 16)
		s += uint64(uint32(length) & 0xffff)
	} else {
		s = sum16(s, src[12:16])
		s = sum16(s, dst[12:16])
		s += uint64(length & 0xffff)
	}
	s += uint64(proto)
	return s
}

// transportOK verifies a TCP, UDP or ICMPv6 checksum over seg (the whole
// transport segment as the IP header sizes it).
func transportOK(src, dst *Addr, v6 bool, proto uint8, seg []byte) bool {
	return fold(sum16(pseudoSum(src, dst, v6, proto, len(seg)), seg)) == 0xffff
}

// icmpOK verifies an ICMP (v4) checksum, which has no pseudo-header.
func icmpOK(seg []byte) bool { return fold(sum16(0, seg)) == 0xffff }
