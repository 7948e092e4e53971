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
// boxing on the per-packet path.
type minHeap[T interface{ before(T) bool }] []T

func (h *minHeap[T]) push(x T) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].before(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *minHeap[T]) pop() T {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	var zero T
	s[n] = zero
	s = s[:n]
	s.down(0)
	*h = s
	return top
}

// down restores the heap order below i.
func (h minHeap[T]) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h[r].before(h[l]) {
			m = r
		}
		if !h[m].before(h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// timerHeap holds the table's own (Zeek) timers.
type timerHeap = minHeap[timer]
