package tls

// reasm reassembles a byte range [0, limit) from pieces written at arbitrary
// offsets, in any order, with overlaps. Bytes at or beyond limit are dropped.
// At most maxHoles (128) disjoint covered intervals are tracked; a write that
// would need more fails, so a hostile peer cannot make the interval list
// grow without bound. The buffer grows on demand, never beyond limit.
type reasm struct {
	buf   []byte
	ivs   []interval // sorted, disjoint, non-adjacent covered ranges
	limit int
}

type interval struct{ lo, hi int }

const maxHoles = 128

func (r *reasm) reset(limit int) {
	r.buf = r.buf[:0]
	r.ivs = r.ivs[:0]
	r.limit = limit
}

// write stores p at offset off (off >= 0). It returns errTooFragmented when
// the covered set would need more than maxHoles intervals; the data is then
// not stored.
func (r *reasm) write(off int, p []byte) error {
	if off < 0 || off >= r.limit || len(p) == 0 {
		return nil
	}
	if len(p) > r.limit-off {
		p = p[:r.limit-off]
	}
	lo, hi := off, off+len(p)
	// Find the insertion window: intervals overlapping or adjacent to
	// [lo, hi) are merged.
	i := 0
	for i < len(r.ivs) && r.ivs[i].hi < lo {
		i++
	}
	j := i
	for j < len(r.ivs) && r.ivs[j].lo <= hi {
		j++
	}
	if i == j && len(r.ivs) >= maxHoles {
		return errTooFragmented
	}
	if hi > len(r.buf) {
		if hi > cap(r.buf) {
			n := max(2*cap(r.buf), hi, 512)
			n = min(n, r.limit)
			nb := make([]byte, len(r.buf), n)
			copy(nb, r.buf)
			r.buf = nb
		}
		r.buf = r.buf[:hi]
	}
	copy(r.buf[lo:hi], p)
	if i == j {
		r.ivs = append(r.ivs, interval{})
		copy(r.ivs[i+1:], r.ivs[i:])
		r.ivs[i] = interval{lo, hi}
		return nil
	}
	m := interval{min(lo, r.ivs[i].lo), max(hi, r.ivs[j-1].hi)}
	r.ivs[i] = m
	r.ivs = append(r.ivs[:i+1], r.ivs[j:]...)
	return nil
}

// contiguous returns the length of the covered prefix starting at 0.
func (r *reasm) contiguous() int {
	if len(r.ivs) == 0 || r.ivs[0].lo != 0 {
		return 0
	}
	return r.ivs[0].hi
}

// shift drops the first n bytes, renumbering offsets so that n becomes 0.
func (r *reasm) shift(n int) {
	if n <= 0 {
		return
	}
	if n >= len(r.buf) {
		r.buf = r.buf[:0]
		r.ivs = r.ivs[:0]
		return
	}
	copy(r.buf, r.buf[n:])
	r.buf = r.buf[:len(r.buf)-n]
	k := 0
	for _, iv := range r.ivs {
		if iv.hi <= n {
			continue
		}
		iv.lo = max(iv.lo-n, 0)
		iv.hi -= n
		r.ivs[k] = iv
		k++
	}
	r.ivs = r.ivs[:k]
}

// shiftRight inserts n uncovered bytes at the front, renumbering offsets so
// that 0 becomes n. The caller ensures len(buf)+n <= limit.
func (r *reasm) shiftRight(n int) {
	if n <= 0 {
		return
	}
	old := len(r.buf)
	if old+n > cap(r.buf) {
		nb := make([]byte, old+n, min(max(2*cap(r.buf), old+n, 512), max(r.limit, old+n)))
		copy(nb[n:], r.buf)
		r.buf = nb
	} else {
		r.buf = r.buf[:old+n]
		copy(r.buf[n:], r.buf[:old])
	}
	clear(r.buf[:n])
	for i := range r.ivs {
		r.ivs[i].lo += n
		r.ivs[i].hi += n
	}
}

// runEnd returns the end of the covered interval containing p, or p when p
// is not covered.
func (r *reasm) runEnd(p int) int {
	for _, iv := range r.ivs {
		if iv.lo <= p && p < iv.hi {
			return iv.hi
		}
		if iv.lo > p {
			break
		}
	}
	return p
}
