package flow

// timerKind names the Zeek timers the table emulates.
type timerKind uint8

const (
	timerInactivity   timerKind = iota // Connection::InactivityTimer
	timerAttempt                       // TCP AttemptTimer (tcp_attempt_delay)
	timerExpire                        // TCP ExpireTimer (tcp_SYN_timeout, then tcp_session_timer)
	timerPartialClose                  // TCP PartialCloseTimer
	timerDelete                        // TCP DeleteTimer / ConnDeleteTimer after a full close
	timerReset                         // TCP ResetTimer (tcp_reset_delay)
	timerInterim                       // Config.Interim snapshots
)

// timer is one pending Zeek timer, 16 bytes: the due time rounded up to a
// multiple of 8 ns with the kind in the low 3 bits (far below Zeek's own
// timer resolution: its times are doubles, about 0.2 µs apart today), and
// the connection's slab ref and generation. Equal due times pop in kind
// order; replays stay deterministic.
type timer struct {
	key int64
	ref uint32
	gen uint32
}

func makeTimer(at int64, kind timerKind, ref, gen uint32) timer {
	return timer{key: (at+7)&^7 | int64(kind), ref: ref, gen: gen}
}

// at is the time the timer fires (its due time, rounded up to 8 ns).
func (tm timer) at() int64 { return tm.key &^ 7 }

func (tm timer) kind() timerKind { return timerKind(tm.key & 7) }

func (a timer) before(b timer) bool { return a.key < b.key }

// minHeap is a binary min-heap of values that order themselves, typed (one
// instantiation per element type) to avoid container/heap's interface
// boxing on the per-packet path. Its storage is a list of fixed chunks
// (the first grows up to one chunk by doubling): a heap of millions of
// timers grows without copying itself or leaving its old arrays behind,
// and gives memory back as it shrinks.
type minHeap[T interface{ before(T) bool }] struct {
	chunks [][]T
	n      int
}

const (
	heapChunkBits = 12
	heapChunk     = 1 << heapChunkBits
)

func (h *minHeap[T]) len() int { return h.n }

func (h *minHeap[T]) at(i int) *T { return &h.chunks[i>>heapChunkBits][i&(heapChunk-1)] }

// top returns the least element (the heap must not be empty).
func (h *minHeap[T]) top() *T { return &h.chunks[0][0] }

func (h *minHeap[T]) push(x T) {
	i := h.n
	switch c := i >> heapChunkBits; {
	case c == 0 && len(h.chunks) == 0:
		h.chunks = append(h.chunks, make([]T, 0, 64))
		fallthrough
	case c == 0 && i == len(h.chunks[0]):
		h.chunks[0] = append(h.chunks[0], x) // grows by doubling up to a chunk
	case c == len(h.chunks):
		h.chunks = append(h.chunks, make([]T, heapChunk))
	}
	h.n++
	if len(h.chunks) == 1 { // the common case: one chunk, a plain slice
		s := h.chunks[0]
		s[i] = x
		for i > 0 {
			p := (i - 1) / 2
			if !s[i].before(s[p]) {
				break
			}
			s[i], s[p] = s[p], s[i]
			i = p
		}
		return
	}
	*h.at(i) = x
	for i > 0 {
		p := (i - 1) / 2
		xi, xp := h.at(i), h.at(p)
		if !(*xi).before(*xp) {
			break
		}
		*xi, *xp = *xp, *xi
		i = p
	}
}

func (h *minHeap[T]) pop() T {
	top := *h.top()
	h.n--
	last := h.at(h.n)
	*h.top() = *last
	var zero T
	*last = zero
	h.down(0)
	h.shrink()
	return top
}

// shrink drops the chunks beyond the one in use and one spare.
func (h *minHeap[T]) shrink() {
	for c := len(h.chunks); c > 2 && h.n < (c-2)<<heapChunkBits; c-- {
		h.chunks[c-1] = nil
		h.chunks = h.chunks[:c-1]
	}
}

// reset empties the heap, keeping its first chunk.
func (h *minHeap[T]) reset() {
	if len(h.chunks) > 0 {
		clear(h.chunks[0])
		h.chunks = h.chunks[:1]
	}
	h.n = 0
}

// empty removes every element, keeping all chunks for reuse (their old
// contents are overwritten by later pushes).
func (h *minHeap[T]) empty() { h.n = 0 }

// filter keeps the elements keep accepts and restores the heap order.
func (h *minHeap[T]) filter(keep func(*T) bool) {
	n := 0
	for i := 0; i < h.n; i++ {
		if x := h.at(i); keep(x) {
			*h.at(n) = *x
			n++
		}
	}
	var zero T
	for i := n; i < h.n; i++ {
		*h.at(i) = zero
	}
	h.n = n
	h.shrink()
	for i := n/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// down restores the heap order below i.
func (h *minHeap[T]) down(i int) {
	n := h.n
	if len(h.chunks) == 1 {
		s := h.chunks[0][:n]
		for {
			l := 2*i + 1
			if l >= n {
				return
			}
			m := l
			if r := l + 1; r < n && s[r].before(s[l]) {
				m = r
			}
			if !s[m].before(s[i]) {
				return
			}
			s[i], s[m] = s[m], s[i]
			i = m
		}
	}
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m, xm := l, h.at(l)
		if r := l + 1; r < n {
			if xr := h.at(r); (*xr).before(*xm) {
				m, xm = r, xr
			}
		}
		xi := h.at(i)
		if !(*xm).before(*xi) {
			return
		}
		*xi, *xm = *xm, *xi
		i = m
	}
}

// timerHeap holds the table's own (Zeek) timers.
type timerHeap = minHeap[timer]

// timerFIFO is a queue of timers scheduled in due order: a timer whose due
// time is no earlier than the last one queued joins it at O(1), and the
// queue pops in order without the heap's O(log n) sifting through memory
// spread over the whole heap. The TCP ExpireTimer, re-armed every
// tcp_session_timer (6 s) of packet time for every live TCP connection,
// is scheduled that way (now + a constant, and now never goes back): with
// many long-lived connections it is most of the table's timer work.
// Storage is fixed chunks, like minHeap's.
type timerFIFO struct {
	chunks [][]timer
	head   int // index of the first timer in chunks[0]
	n      int
	spare  []timer // an emptied chunk kept for reuse
}

func (q *timerFIFO) len() int { return q.n }

// first returns the earliest timer (the queue must not be empty).
func (q *timerFIFO) first() *timer { return &q.chunks[0][q.head] }

// last returns the latest timer (the queue must not be empty).
func (q *timerFIFO) last() *timer {
	i := q.head + q.n - 1
	return &q.chunks[i>>heapChunkBits][i&(heapChunk-1)]
}

func (q *timerFIFO) push(x timer) {
	i := q.head + q.n
	if c := i >> heapChunkBits; c == len(q.chunks) {
		ch := q.spare
		q.spare = nil
		if ch == nil {
			ch = make([]timer, heapChunk)
		}
		q.chunks = append(q.chunks, ch)
	}
	q.chunks[i>>heapChunkBits][i&(heapChunk-1)] = x
	q.n++
}

func (q *timerFIFO) pop() timer {
	x := q.chunks[0][q.head]
	q.head++
	q.n--
	if q.head == heapChunk || q.n == 0 {
		q.dropHead()
	}
	return x
}

// dropHead retires the first chunk once it is used up (or the queue is
// empty), keeping one spare.
func (q *timerFIFO) dropHead() {
	if q.n == 0 {
		q.head = 0
		if len(q.chunks) > 1 {
			clear(q.chunks[1:])
			q.chunks = q.chunks[:1]
		}
		return
	}
	q.spare = q.chunks[0]
	copy(q.chunks, q.chunks[1:])
	q.chunks[len(q.chunks)-1] = nil
	q.chunks = q.chunks[:len(q.chunks)-1]
	q.head = 0
}

// filter keeps the timers keep accepts, in order.
func (q *timerFIFO) filter(keep func(*timer) bool) {
	n := 0
	for i := 0; i < q.n; i++ {
		j := q.head + i
		x := &q.chunks[j>>heapChunkBits][j&(heapChunk-1)]
		if keep(x) {
			k := q.head + n
			q.chunks[k>>heapChunkBits][k&(heapChunk-1)] = *x
			n++
		}
	}
	q.n = n
	used := (q.head + q.n + heapChunk - 1) >> heapChunkBits
	if used < 1 {
		used = 1
	}
	for c := used; c < len(q.chunks); c++ {
		q.chunks[c] = nil
	}
	if len(q.chunks) > used {
		q.chunks = q.chunks[:used]
	}
	if q.n == 0 {
		q.head = 0
	}
}

// reset empties the queue, keeping one chunk.
func (q *timerFIFO) reset() {
	q.head, q.n = 0, 0
	if len(q.chunks) > 1 {
		clear(q.chunks[1:])
		q.chunks = q.chunks[:1]
	}
}
