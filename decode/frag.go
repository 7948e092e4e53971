package decode

// IP fragment reassembly after Zeek's src/Frag.cc (FragReassembler) and
// src/Reassem.cc.
//
// Zeek's rules reproduced here:
//   - A datagram is keyed on (src, dst, id): FragmentManager::NextFragment
//     does not include the protocol, so neither do we.
//   - The rebuilt header is a copy of the header of the FIRST fragment that
//     arrived (for IPv6: its unfragmentable part), with only the length
//     rewritten; IPv6's next header comes from the offset-0 fragment.
//   - Bytes already held win over later overlapping bytes (the Reassembler
//     only fills holes); overlaps are reported, not fatal.
//   - The size is known once a fragment without MF arrived; a later fragment
//     that ends beyond it grows it. A datagram is delivered when the bytes
//     from 0 up to the size are contiguous. If a hole lies at or beyond the
//     size, the contiguous prefix is delivered (fragment_size_inconsistency).
//   - A delivered datagram is removed (FragReassemblerTracker), so it is
//     delivered exactly once; later duplicates start a new datagram.
//
// Departures (bounded memory): at most Options.MaxFragDatagrams datagrams are
// pending; when full, the one whose first fragment is oldest is dropped.
// Datagrams expire Options.FragTimeout after their first fragment, measured
// in packet time (Zeek's default frag_timeout of 0 keeps them forever).
// Datagrams longer than 65535 bytes are dropped (Zeek would wrap the 16-bit
// length field).

const (
	fragHdrRoom  = 512   // max bytes of copied (unfragmentable) header
	fragMaxData  = 65535 // max reassembled payload bytes
	fragMaxHoles = 64    // max disjoint byte ranges held per datagram
)

type fragKey struct {
	src, dst Addr
	id       uint32
	v6       bool
}

type fragSlot struct {
	used     bool
	key      fragKey
	first    int64 // packet time of the first fragment (ns)
	busyGen  uint64
	hdrLen   int
	nhPos    int // IPv6: offset in hdr of the next-header byte that named the fragment header
	next     uint8
	fragSize int // 0: not known yet
	niv      int
	iv       [fragMaxHoles][2]int32
	// buf holds the header right-aligned in buf[:fragHdrRoom] and the
	// payload from buf[fragHdrRoom:].
	buf []byte
}

type fragTable struct {
	slots   []fragSlot
	timeout int64
}

func (t *fragTable) init(n int, timeout int64) {
	t.slots = make([]fragSlot, n)
	t.timeout = timeout
}

// fragResult is what adding one fragment produced.
type fragResult uint8

const (
	fragHeld     fragResult = iota // kept; datagram not complete
	fragHeldBad                    // kept, but it overlapped held bytes inconsistently
	fragDropped                    // not usable (too large, too many holes)
	fragComplete                   // datagram rebuilt
)

// add files one fragment. hdr is the header to keep (IPv4: the whole
// header; IPv6: the unfragmentable part, with nhPos the offset of the
// next-header byte to patch), payload the fragment's data at byte offset
// off; more is the MF bit; next the IPv6 fragment header's next header.
// On fragComplete it returns the rebuilt datagram (header+payload), which
// lives in decoder memory until the next Decode. It copies what it keeps.
func (t *fragTable) add(gen uint64, ts int64, k fragKey, hdr []byte, nhPos int, next uint8,
	off int, more bool, payload []byte) (fragResult, []byte) {
	if len(t.slots) == 0 {
		return fragDropped, nil
	}
	upper := off + len(payload)
	if upper > fragMaxData || len(hdr) > fragHdrRoom {
		return fragDropped, nil
	}
	s := t.lookup(gen, ts, k)
	if !s.used {
		s.used = true
		s.key = k
		s.first = ts
		s.fragSize = 0
		s.niv = 0
		s.hdrLen = len(hdr)
		s.nhPos = nhPos
		s.next = next
		if s.buf == nil {
			s.buf = make([]byte, fragHdrRoom+fragMaxData)
		}
		copy(s.buf[fragHdrRoom-len(hdr):fragHdrRoom], hdr)
	}
	if off == 0 {
		// Frag.cc: "Make sure to use the first fragment header's next field."
		s.next = next
	}
	if !more {
		if s.fragSize == 0 || upper > s.fragSize {
			s.fragSize = upper
		}
	}
	if s.fragSize != 0 && upper > s.fragSize {
		s.fragSize = upper
	}
	res := fragHeld
	if len(payload) > 0 {
		bad, ok := s.insert(off, payload)
		if !ok {
			return fragDropped, nil
		}
		if bad {
			res = fragHeldBad
		}
	}
	if dg := s.complete(gen); dg != nil {
		return fragComplete, dg
	}
	return res, nil
}

// lookup finds the slot for k, expiring old datagrams, or picks a free (or
// the oldest) slot for a new one. Slots delivered during this Decode call
// (busyGen == gen) are not reused, so earlier layers stay valid.
func (t *fragTable) lookup(gen uint64, ts int64, k fragKey) *fragSlot {
	var free, oldest *fragSlot
	for i := range t.slots {
		s := &t.slots[i]
		if s.used && t.timeout > 0 && ts-s.first > t.timeout {
			s.used = false
		}
		if s.used {
			if s.key == k {
				return s
			}
			if oldest == nil || s.first < oldest.first {
				oldest = s
			}
			continue
		}
		if s.busyGen != gen && free == nil {
			free = s
		}
	}
	if free != nil {
		return free
	}
	if oldest != nil {
		oldest.used = false
		return oldest
	}
	// Every slot was delivered in this very call (nested fragments in
	// more tunnels than slots): overwrite the first one.
	s := &t.slots[0]
	s.used = false
	return s
}

// insert copies the parts of [off, off+len(p)) not yet held and merges the
// range into the sorted interval list. bad reports held bytes that differ.
func (s *fragSlot) insert(off int, p []byte) (bad, ok bool) {
	lo, hi := off, off+len(p)
	data := s.buf[fragHdrRoom:]
	pos := lo
	for i := 0; i < s.niv && pos < hi; i++ {
		a, b := int(s.iv[i][0]), int(s.iv[i][1])
		if b <= pos {
			continue
		}
		if a >= hi {
			break
		}
		if a > pos {
			copy(data[pos:a], p[pos-lo:a-lo])
			pos = a
		}
		end := min(b, hi)
		if !bytesEqual(data[pos:end], p[pos-lo:end-lo]) {
			bad = true
		}
		pos = end
	}
	if pos < hi {
		copy(data[pos:hi], p[pos-lo:])
	}
	// Merge [lo,hi) into the list, coalescing touching ranges.
	i := 0
	for i < s.niv && int(s.iv[i][1]) < lo {
		i++
	}
	j := i
	nlo, nhi := lo, hi
	for j < s.niv && int(s.iv[j][0]) <= hi {
		nlo = min(nlo, int(s.iv[j][0]))
		nhi = max(nhi, int(s.iv[j][1]))
		j++
	}
	// Replace iv[i:j] by one interval.
	removed := j - i
	if removed == 0 {
		if s.niv == fragMaxHoles {
			return bad, false
		}
		copy(s.iv[i+1:s.niv+1], s.iv[i:s.niv])
		s.niv++
	} else if removed > 1 {
		copy(s.iv[i+1:], s.iv[j:s.niv])
		s.niv -= removed - 1
	}
	s.iv[i] = [2]int32{int32(nlo), int32(nhi)}
	return bad, true
}

func bytesEqual(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// complete applies FragReassembler::BlockInserted and, when the datagram is
// whole, builds it and frees the slot.
func (s *fragSlot) complete(gen uint64) []byte {
	if s.niv == 0 || s.iv[0][0] > 0 || s.fragSize == 0 {
		return nil
	}
	contig := int(s.iv[0][1])
	if s.niv > 1 {
		// A hole after the first range.
		if contig < s.fragSize {
			return nil
		}
		s.fragSize = contig
	} else {
		if contig > s.fragSize {
			s.fragSize = contig
		}
		if contig < s.fragSize {
			return nil
		}
	}
	n := s.fragSize
	start := fragHdrRoom - s.hdrLen
	dg := s.buf[start : fragHdrRoom+n]
	if s.key.v6 {
		plen := s.hdrLen + n - 40
		dg[4], dg[5] = byte(plen>>8), byte(plen)
		dg[s.nhPos] = s.next
	} else {
		tl := s.hdrLen + n
		dg[2], dg[3] = byte(tl>>8), byte(tl)
	}
	s.used = false
	s.busyGen = gen
	return dg
}
