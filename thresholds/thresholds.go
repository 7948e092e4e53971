package thresholds

import (
	"math"
	"strconv"
	"time"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// Kind is what a threshold counts.
type Kind uint8

// Threshold kinds.
const (
	// Bytes counts IP bytes (conn.log orig_ip_bytes, resp_ip_bytes), as
	// Zeek's ConnSize analyzer does.
	Bytes Kind = iota + 1
	// Packets counts packets (orig_pkts, resp_pkts).
	Packets
	// Duration is packet time since the connection's first packet, in
	// nanoseconds; its Dir is ignored (reported as Both).
	Duration
)

func (k Kind) String() string {
	switch k {
	case Bytes:
		return "bytes"
	case Packets:
		return "packets"
	case Duration:
		return "duration"
	}
	return "invalid"
}

// Dir is the direction whose counter a threshold watches.
type Dir uint8

// Directions.
const (
	Orig Dir = iota + 1 // the originator's packets or bytes
	Resp                // the responder's
	Both                // the sum of both directions
)

func (d Dir) String() string {
	switch d {
	case Orig:
		return "orig"
	case Resp:
		return "resp"
	case Both:
		return "both"
	}
	return "invalid"
}

// Threshold identifies one threshold of a connection.
type Threshold struct {
	Kind  Kind
	Dir   Dir
	Value uint64 // bytes, packets, or nanoseconds (Duration)
}

// Duration returns Value as a time.Duration (meaningful for Duration).
func (th Threshold) Duration() time.Duration { return time.Duration(th.Value) }

// String is "resp bytes 3000", "both packets 10" or "duration 30s".
func (th Threshold) String() string {
	if th.Kind == Duration {
		return "duration " + th.Duration().String()
	}
	return th.Dir.String() + " " + th.Kind.String() + " " + strconv.FormatUint(th.Value, 10)
}

// Callback runs when a threshold is crossed, synchronously inside the Table
// call (or the Set call) that crossed it. c is live; the callback may call
// Set and Delete, on c or on other connections.
type Callback func(c *flow.Conn, th Threshold)

// The lists a connection's thresholds are kept in, in the order they are
// checked when several are due at once (Zeek's ConnSize order: the
// both-directions packet count, then bytes and packets of the orig, then of
// the resp, then duration).
const (
	lPktsBoth = iota
	lBytesBoth
	lBytesOrig
	lPktsOrig
	lBytesResp
	lPktsResp
	nCounters
	lDuration = nCounters
)

func listOf(k Kind, d Dir) (int, bool) {
	switch k {
	case Bytes:
		switch d {
		case Orig:
			return lBytesOrig, true
		case Resp:
			return lBytesResp, true
		case Both:
			return lBytesBoth, true
		}
	case Packets:
		switch d {
		case Orig:
			return lPktsOrig, true
		case Resp:
			return lPktsResp, true
		case Both:
			return lPktsBoth, true
		}
	case Duration:
		return lDuration, true
	}
	return 0, false
}

var listThreshold = [...]struct {
	k Kind
	d Dir
}{
	lPktsBoth:  {Packets, Both},
	lBytesBoth: {Bytes, Both},
	lBytesOrig: {Bytes, Orig},
	lPktsOrig:  {Packets, Orig},
	lBytesResp: {Bytes, Resp},
	lPktsResp:  {Packets, Resp},
	lDuration:  {Duration, Both},
}

type entry struct {
	list  uint8
	value uint64
	cb    Callback
}

// state is one connection's thresholds. It is the connection's watcher
// while it has byte or packet thresholds, and the TimerFunc of its duration
// deadlines and deferred detaching.
type state struct {
	next     [nCounters]uint64 // smallest pending value per counter list (MaxUint64: none)
	ents     []entry           // pending thresholds, sorted by (list, value)
	inl      [1]entry          // ents' first backing array: one threshold costs no more
	watching bool              // attached with AddWatcher
	detach   bool              // a timer to detach is pending
	firing   bool              // inside run
}

type stateKey struct{}

func lookup(c *flow.Conn) *state {
	if !c.HasExt() {
		return nil
	}
	s, _ := c.Ext().Value(stateKey{}).(*state)
	return s
}

func counter(c *flow.Conn, list int) uint64 {
	switch list {
	case lPktsBoth:
		return c.OrigPkts() + c.RespPkts()
	case lBytesBoth:
		return c.OrigIPBytes() + c.RespIPBytes()
	case lBytesOrig:
		return c.OrigIPBytes()
	case lPktsOrig:
		return c.OrigPkts()
	case lBytesResp:
		return c.RespIPBytes()
	case lPktsResp:
		return c.RespPkts()
	}
	return 0
}

// Set adds a threshold to c: cb runs once when the counter reaches value
// (counter >= value) or, for Duration, once packet time passes
// c.Start+value. A threshold already reached fires at once, inside Set.
// Setting a (kind, dir, value) that is pending replaces its callback.
// Set returns false, and changes nothing, for a zero value, a nil cb, an
// unknown kind or dir, or a connection already removed (Zeek's
// ConnThreshold::set_*_threshold).
func Set(t *flow.Table, c *flow.Conn, kind Kind, dir Dir, value uint64, cb Callback) bool {
	list, ok := listOf(kind, dir)
	if !ok || value == 0 || cb == nil || c.Removed() {
		return false
	}
	s := lookup(c)
	if s == nil {
		s = &state{}
		s.ents = s.inl[:0]
		for i := range s.next {
			s.next[i] = math.MaxUint64
		}
		c.Ext().SetValue(stateKey{}, s)
	}
	i, found := s.find(list, value)
	if found {
		s.ents[i].cb = cb
		return true
	}
	s.ents = append(s.ents, entry{})
	copy(s.ents[i+1:], s.ents[i:])
	s.ents[i] = entry{uint8(list), value, cb}
	if list < nCounters {
		if value < s.next[list] {
			s.next[list] = value
		}
		if !s.watching {
			c.AddWatcher(s)
			s.watching = true
		}
	} else if at, ok := deadline(c, value); ok && at > t.Now() {
		t.Schedule(c, at, s)
	}
	s.run(t, c)
	return true
}

// SetDuration is Set(t, c, Duration, Both, d, cb); d <= 0 is refused.
func SetDuration(t *flow.Table, c *flow.Conn, d time.Duration, cb Callback) bool {
	if d <= 0 {
		return false
	}
	return Set(t, c, Duration, Both, uint64(d), cb)
}

// Delete removes a pending threshold so that it never fires, and reports
// whether it was pending (Zeek's ConnThreshold::delete_*_threshold). Once
// c has no byte or packet threshold left, it stops watching c's packets
// (from the next call into t on).
func Delete(t *flow.Table, c *flow.Conn, kind Kind, dir Dir, value uint64) bool {
	list, ok := listOf(kind, dir)
	s := lookup(c)
	if !ok || s == nil {
		return false
	}
	i, found := s.find(list, value)
	if !found {
		return false
	}
	s.remove(i)
	s.idle(t, c)
	return true
}

// DeleteDuration is Delete(t, c, Duration, Both, d).
func DeleteDuration(t *flow.Table, c *flow.Conn, d time.Duration) bool {
	if d <= 0 {
		return false
	}
	return Delete(t, c, Duration, Both, uint64(d))
}

// Pending returns c's thresholds that have not fired, in the order they
// would fire if all were reached at once.
func Pending(c *flow.Conn) []Threshold {
	s := lookup(c)
	if s == nil {
		return nil
	}
	out := make([]Threshold, len(s.ents))
	for i, e := range s.ents {
		lt := listThreshold[e.list]
		out[i] = Threshold{lt.k, lt.d, e.value}
	}
	return out
}

// deadline is the first packet time at which a duration threshold is
// crossed: Zeek's ConnSize fires once network_time - start > threshold.
func deadline(c *flow.Conn, d uint64) (int64, bool) {
	if d >= uint64(math.MaxInt64-c.Start) {
		return 0, false
	}
	return c.Start + int64(d) + 1, true
}

// find returns where (list, value) is or would be inserted in s.ents.
func (s *state) find(list int, value uint64) (int, bool) {
	i := 0
	for i < len(s.ents) {
		e := s.ents[i]
		if int(e.list) > list || int(e.list) == list && e.value >= value {
			break
		}
		i++
	}
	return i, i < len(s.ents) && int(s.ents[i].list) == list && s.ents[i].value == value
}

func (s *state) remove(i int) {
	list := int(s.ents[i].list)
	copy(s.ents[i:], s.ents[i+1:])
	s.ents[len(s.ents)-1] = entry{}
	s.ents = s.ents[:len(s.ents)-1]
	if list < nCounters {
		s.next[list] = math.MaxUint64
		if j, _ := s.find(list, 0); j < len(s.ents) && int(s.ents[j].list) == list {
			s.next[list] = s.ents[j].value
		}
	}
}

// OnPacket is the per-packet check: O(1) unless a threshold is due.
func (s *state) OnPacket(t *flow.Table, c *flow.Conn, _ bool, _ *decode.Layer) {
	if c.OrigIPBytes() < s.next[lBytesOrig] && c.RespIPBytes() < s.next[lBytesResp] &&
		c.OrigPkts() < s.next[lPktsOrig] && c.RespPkts() < s.next[lPktsResp] &&
		c.OrigPkts()+c.RespPkts() < s.next[lPktsBoth] && c.OrigIPBytes()+c.RespIPBytes() < s.next[lBytesBoth] {
		return
	}
	s.run(t, c)
}

// Fire runs for duration deadlines and deferred detaching.
func (s *state) Fire(t *flow.Table, c *flow.Conn, _ int64) {
	s.detach = false
	s.run(t, c)
	if s.watching && !s.counting() {
		c.RemoveWatcher(s)
		s.watching = false
	}
}

// due returns the index of the first threshold due, or -1.
func (s *state) due(t *flow.Table, c *flow.Conn) int {
	for i, e := range s.ents {
		if i > 0 && s.ents[i-1].list == e.list {
			continue // only the smallest of each list can be the first due
		}
		if e.list < nCounters {
			if counter(c, int(e.list)) >= e.value {
				return i
			}
		} else if at, ok := deadline(c, e.value); ok && t.Now() >= at {
			return i
		}
	}
	return -1
}

// run fires every threshold due, one at a time, re-checking after each
// callback (which may set or delete thresholds). A nested call (Set from a
// callback) leaves the work to the running loop.
func (s *state) run(t *flow.Table, c *flow.Conn) {
	if s.firing {
		return
	}
	s.firing = true
	fired := false
	for {
		i := s.due(t, c)
		if i < 0 {
			break
		}
		e := s.ents[i]
		s.remove(i)
		fired = true
		lt := listThreshold[e.list]
		e.cb(c, Threshold{lt.k, lt.d, e.value})
	}
	s.firing = false
	if fired {
		s.idle(t, c)
	}
}

func (s *state) counting() bool {
	for _, e := range s.ents {
		if e.list < nCounters {
			return true
		}
	}
	return false
}

// idle stops watching packets once no byte or packet threshold is left.
// The watcher is detached from a timer at the current time (it fires at
// the start of the next call into the table), never from inside the
// table's watcher loop, which removing a watcher would disturb.
func (s *state) idle(t *flow.Table, c *flow.Conn) {
	if s.watching && !s.detach && !s.counting() {
		s.detach = true
		t.Schedule(c, t.Now(), s)
	}
}
