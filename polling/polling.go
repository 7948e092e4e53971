package polling

import (
	"time"

	"github.com/flowlog/flowlog/flow"
)

// Callback is called at each poll with the connection and the number of
// earlier calls (0 on the first). It returns the interval to the next poll;
// a negative one stops polling.
type Callback func(c *flow.Conn, cnt int) (next time.Duration)

// poller is one Watch: the TimerFunc of its polls. It costs nothing per
// packet, only one timer while it waits.
type poller struct {
	cb    Callback
	cnt   int
	count int
}

// Watch polls c: cb runs interval after the current packet time t.Now(),
// then again at the interval it returns, until it returns a negative
// interval, it has run count times (count <= 0: no limit), or c is removed
// (Zeek's ConnPolling::watch). It does nothing if cb is nil or c is
// already removed.
func Watch(t *flow.Table, c *flow.Conn, cb Callback, count int, interval time.Duration) {
	if cb == nil || c.Removed() {
		return
	}
	if interval < 0 {
		interval = 0
	}
	t.Schedule(c, at(t.Now(), interval), &poller{cb: cb, count: count})
}

// Fire runs one poll (flow.TimerFunc). The table calls it only while the
// connection it was scheduled for is alive.
func (p *poller) Fire(t *flow.Table, c *flow.Conn, now int64) {
	n := p.cnt
	p.cnt++
	next := p.cb(c, n)
	if next < 0 || p.count > 0 && p.cnt >= p.count || c.Removed() {
		return
	}
	if next == 0 {
		next = 1 // the next packet time after now, not now again
	}
	t.Schedule(c, at(now, next), p)
}

// at is now+d, saturating.
func at(now int64, d time.Duration) int64 {
	if s := now + int64(d); s >= now {
		return s
	}
	return 1<<63 - 1
}
