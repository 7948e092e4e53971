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

// timer is one pending Zeek timer. Equal times pop in an order fixed by the
// sequence of heap operations, so replays stay deterministic without a
// tie-breaking field.
type timer struct {
	at   int64
	c    *Conn
	gen  uint32
	kind timerKind
}

// timerHeap is a binary min-heap ordered by (at, seq), typed to avoid the
// interface boxing of container/heap.
type timerHeap []timer

func (h timerHeap) less(i, j int) bool { return h[i].at < h[j].at }

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *timerHeap) pop() timer {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = timer{}
	s = s[:n]
	s.down(0)
	*h = s
	return top
}

// down restores the heap order below i.
func (h timerHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
