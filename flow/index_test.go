package flow

import (
	"math/rand"
	"testing"
)

// TestIndexAgainstMap drives the open-addressing index with random inserts
// and deletes under heavily colliding tags (few distinct home slots, runs
// that wrap around the end) and checks every member stays findable and
// every removed one is gone, as a Go map says.
func TestIndexAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 50; round++ {
		ix := newIndex()
		ref := map[uint32]uint32{} // ref -> tag
		next := uint32(1)
		find := func(tag, r uint32) bool {
			for i := ix.home(tag); ; i = (i + 1) & ix.mask {
				s := ix.slots[i]
				if s == 0 {
					return false
				}
				if uint32(s>>32) == tag && uint32(s) == r {
					return true
				}
			}
		}
		for op := 0; op < 5000; op++ {
			if len(ref) > 0 && rng.Intn(3) == 0 {
				for r, tag := range ref {
					ix.remove(tag, r)
					delete(ref, r)
					if find(tag, r) {
						t.Fatalf("round %d op %d: removed ref %d still found", round, op, r)
					}
					break
				}
			} else {
				// tags crowd near the top slots, so runs wrap to slot 0
				tag := uint32(rng.Intn(8))<<20 | uint32(1020+rng.Intn(8))
				ix.insert(tag, next)
				ref[next] = tag
				next++
			}
			if ix.n != len(ref) {
				t.Fatalf("round %d op %d: index holds %d, want %d", round, op, ix.n, len(ref))
			}
		}
		for r, tag := range ref {
			if !find(tag, r) {
				t.Fatalf("round %d: ref %d (tag %#x) lost", round, r, tag)
			}
		}
	}
}
