package flow

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/flowlog/flowlog/internal/flowtest"
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

func TestUnmix64(t *testing.T) {
	for _, x := range []uint64{0, 1, 2, 0x9E3779B97F4A7C15, 1<<63 + 12345, ^uint64(0)} {
		if got := unmix64(mix64(x)); got != x {
			t.Errorf("unmix64(mix64(%#x)) = %#x", x, got)
		}
	}
	if g, gi := uint64(uidGamma), uint64(uidGammaInv); g*gi != 1 {
		t.Error("uidGammaInv is not the inverse of uidGamma")
	}
}

// TestFlushStepOrder checks that a flush in small steps removes the same
// connections in the same (creation) order as one Flush, with uids that
// are all distinct, after slots were recycled.
func TestFlushStepOrder(t *testing.T) {
	var opened []UID
	feed := func(tb *Table) {
		opened = opened[:0]
		// 50 flows expire, then 100 new ones take their slots (the free
		// list hands them out last-first) and new ones: slot order is not
		// creation order.
		for i := 0; i < 150; i++ {
			ts, net := float64(i)*0.01, 0
			if i >= 50 {
				ts, net = 100+float64(i)*0.01, 1
			}
			tb.Packet(flowtest.UDP(ts, fmt.Sprintf("10.%d.0.%d:1000", net, i), "10.9.0.1:53", "q"))
			for _, e := range tb.Events() {
				if e.Kind == EventOpened && net == 1 {
					opened = append(opened, e.Conn.UID())
				}
			}
		}
	}
	whole := New(Config{Seed: 3})
	feed(whole)
	whole.Flush()
	var want []UID
	for _, e := range whole.Events() {
		want = append(want, e.Conn.UID())
	}
	steps := New(Config{Seed: 3})
	feed(steps)
	var got []UID
	n := 0
	for more := true; more; n++ {
		more = steps.FlushStep(7)
		for _, e := range steps.Events() {
			if e.Kind != EventClosed || e.Reason != ReasonFlush {
				t.Fatalf("event %v/%v in a flush", e.Kind, e.Reason)
			}
			got = append(got, e.Conn.UID())
		}
	}
	if len(want) != 100 || !slices.Equal(got, want) {
		t.Fatalf("FlushStep order differs from Flush: %d vs %d records\n%v\n%v", len(got), len(want), got[:5], want[:5])
	}
	if !slices.Equal(got, opened) {
		t.Fatal("flush order is not creation order")
	}
	seen := map[UID]bool{}
	for _, u := range got {
		if seen[u] {
			t.Fatalf("uid %s repeated", u)
		}
		seen[u] = true
	}
	if n < 100/7 {
		t.Errorf("%d steps for 100 connections by 7", n)
	}
}

// TestMinHeapChunks drives the chunked heap across several chunks, with
// pops and filters shrinking it, against a sorted reference.
func TestMinHeapChunks(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	var h minHeap[timer]
	var ref []int64
	check := func() {
		if h.len() != len(ref) {
			t.Fatalf("heap has %d elements, want %d", h.len(), len(ref))
		}
	}
	for round := 0; round < 4; round++ {
		for i := 0; i < 3*heapChunk+rng.Intn(heapChunk); i++ {
			k := rng.Int63n(1 << 40)
			h.push(timer{key: k})
			ref = append(ref, k)
		}
		check()
		slices.Sort(ref)
		for i := 0; i < len(ref)/2; i++ {
			if got := h.pop().key; got != ref[i] {
				t.Fatalf("pop %d = %d, want %d", i, got, ref[i])
			}
		}
		ref = ref[len(ref)/2:]
		check()
		if c := len(h.chunks); c > h.len()/heapChunk+2 {
			t.Errorf("%d chunks kept for %d elements", c, h.len())
		}
		// drop the odd keys
		h.filter(func(tm *timer) bool { return tm.key%2 == 0 })
		ref = slices.DeleteFunc(ref, func(k int64) bool { return k%2 != 0 })
		check()
	}
	slices.Sort(ref)
	for i := range ref {
		if got := h.pop().key; got != ref[i] {
			t.Fatalf("final pop %d = %d, want %d", i, got, ref[i])
		}
	}
	h.reset()
	if h.len() != 0 || len(h.chunks) != 1 {
		t.Errorf("reset left %d elements in %d chunks", h.len(), len(h.chunks))
	}
}

// TestRange visits every live connection once, none removed.
func TestRange(t *testing.T) {
	tb := New(Config{Seed: 1})
	for i := 0; i < 50; i++ {
		ts := float64(i)
		if i >= 25 {
			ts += 100 // the first 25 expire
		}
		tb.Packet(flowtest.UDP(ts, fmt.Sprintf("10.0.0.%d:1000", i), "10.9.0.1:53", "q"))
		tb.Events()
	}
	seen := map[UID]bool{}
	tb.Range(func(c *Conn) bool {
		if c.Removed() || seen[c.UID()] {
			t.Fatalf("Range gave %s twice or removed", c.UID())
		}
		seen[c.UID()] = true
		return true
	})
	if len(seen) != tb.Len() || tb.Len() != 25 {
		t.Fatalf("Range saw %d connections, %d live, want 25", len(seen), tb.Len())
	}
	n := 0
	tb.Range(func(*Conn) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("Range went on after false: %d calls", n)
	}
}
