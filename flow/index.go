package flow

import "github.com/flowlog/flowlog/decode"

// The table keeps its connections in a slab (fixed-size chunks of Conn that
// never move, so a *Conn stays valid while the connection lives) and finds
// them through an open-addressing index of 8-byte slots. Compared with a Go
// map from a 40-byte key to *Conn this saves the key copy and the pointer
// per entry, the map's per-connection allocation and its size-class
// rounding: the per-flow memory the sensor pays on a SPAN port. The TCP
// state of TCP connections comes from a second slab.

// slabChunk is how many values one slab chunk holds.
const slabChunk = 1024

// slab stores values in chunks that never move; a value's ref is its
// position plus one (0 means none).
type slab[T any] struct {
	chunks [][]T
	next   uint32 // refs handed out so far
}

// alloc returns a never-used, zero value and its ref.
func (s *slab[T]) alloc() (*T, uint32) {
	i := s.next
	if int(i/slabChunk) == len(s.chunks) {
		s.chunks = append(s.chunks, make([]T, slabChunk))
	}
	s.next++
	return &s.chunks[i/slabChunk][i%slabChunk], i + 1
}

// at returns the value with the given ref.
func (s *slab[T]) at(ref uint32) *T {
	i := ref - 1
	return &s.chunks[i/slabChunk][i%slabChunk]
}

// index maps flow hashes to slab refs with linear probing. A slot holds
// the top 32 bits of the hash (which also give the slot's home position)
// and the ref; 0 is empty. Deletion shifts the following run back, so
// there are no tombstones. Load stays at most 3/4.
type index struct {
	slots []uint64
	mask  uint32
	n     int
}

func newIndex() index {
	return index{slots: make([]uint64, 1024), mask: 1023}
}

func (ix *index) home(tag uint32) uint32 { return tag & ix.mask }

// insert adds ref under hash tag (the caller has checked it is absent).
func (ix *index) insert(tag, ref uint32) {
	if (ix.n+1)*4 > len(ix.slots)*3 {
		ix.grow()
	}
	ix.put(tag, ref)
	ix.n++
}

func (ix *index) put(tag, ref uint32) {
	for i := ix.home(tag); ; i = (i + 1) & ix.mask {
		if ix.slots[i] == 0 {
			ix.slots[i] = uint64(tag)<<32 | uint64(ref)
			return
		}
	}
}

func (ix *index) grow() {
	old := ix.slots
	ix.slots = make([]uint64, 2*len(old))
	ix.mask = uint32(len(ix.slots) - 1)
	for _, s := range old {
		if s != 0 {
			ix.put(uint32(s>>32), uint32(s))
		}
	}
}

// remove deletes ref (stored under tag).
func (ix *index) remove(tag, ref uint32) {
	want := uint64(tag)<<32 | uint64(ref)
	i := ix.home(tag)
	for ix.slots[i] != want {
		if ix.slots[i] == 0 {
			return // not present
		}
		i = (i + 1) & ix.mask
	}
	// Backward-shift deletion: move later members of the run into the
	// hole when their home position allows it.
	for {
		ix.slots[i] = 0
		j := i
		for {
			j = (j + 1) & ix.mask
			s := ix.slots[j]
			if s == 0 {
				ix.n--
				return
			}
			h := ix.home(uint32(s >> 32))
			// s may move to i unless its home lies cyclically in (i, j].
			if (j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j)) {
				ix.slots[i] = s
				i = j
				break
			}
		}
	}
}

// matches reports whether c is the connection of a packet src:sp -> dst:dp.
func (c *Conn) matches(src, dst *decode.Addr, sp, dp uint16, proto uint8, oneWay bool) bool {
	if c.IPProto != proto || (c.cflags&cfOneWay != 0) != oneWay {
		return false
	}
	if c.OrigP == sp && c.RespP == dp && c.OrigH == *src && c.RespH == *dst {
		return true
	}
	return !oneWay && c.OrigP == dp && c.RespP == sp && c.OrigH == *dst && c.RespH == *src
}

// lookup finds the live connection of a packet, or nil.
func (t *Table) lookup(tag uint32, src, dst *decode.Addr, sp, dp uint16, proto uint8, oneWay bool) *Conn {
	ix := &t.index
	for i := ix.home(tag); ; i = (i + 1) & ix.mask {
		s := ix.slots[i]
		if s == 0 {
			return nil
		}
		if uint32(s>>32) == tag {
			if c := t.slab.at(uint32(s)); c.matches(src, dst, sp, dp, proto, oneWay) {
				return c
			}
		}
	}
}

// connTag is the index tag of a live connection (from its endpoints).
func (t *Table) connTag(c *Conn) uint32 {
	return flowHash(t.hashSeed, &c.OrigH, &c.RespH, c.OrigP, c.RespP, c.IPProto, c.cflags&cfOneWay != 0)
}
