package flow

import (
	"github.com/flowlog/flowlog/decode"
)

// This file is the table's side of Zeek's conn framework (hooks/,
// thresholds/, polling/, contents/ build on it). A connection that uses none
// of it has a nil ext and costs one pointer test per packet.

// Watcher sees every packet of a connection after the table has processed
// and counted it (Zeek's ConnSize thresholds, contents extraction). It runs
// synchronously inside Packet and must not keep l or anything it points to.
type Watcher interface {
	OnPacket(t *Table, c *Conn, isOrig bool, l *decode.Layer)
}

// RemovalHook runs once when its connection is removed (timeout, close,
// reuse, end of input), after the record is final and before the
// EventClosed that carries it (Zeek's Conn::RemovalHook).
type RemovalHook interface {
	OnRemove(c *Conn)
}

// TimerFunc is a callback scheduled with Table.Schedule.
type TimerFunc interface {
	// Fire runs when packet time reaches the scheduled time, if the
	// connection is still alive.
	Fire(t *Table, c *Conn, now int64)
}

// Field is an extra (name, value) a framework user attaches to a record.
type Field struct{ Name, Value string }

// Ext is the per-connection state of the conn framework.
type Ext struct {
	watchers []Watcher
	hooks    []namedHook
	// Fields are extra fields added to the record (by removal hooks, policy).
	Fields []Field
	// Any is free for framework packages keyed by their own types.
	Any map[any]any
}

type namedHook struct {
	name string
	h    RemovalHook
}

// Ext returns the connection's framework state, creating it.
func (c *Conn) Ext() *Ext {
	if c.ext == nil {
		c.ext = &Ext{}
	}
	return c.ext
}

// HasExt reports whether the connection uses the framework at all.
func (c *Conn) HasExt() bool { return c.ext != nil }

// AddWatcher attaches w to every later packet of c.
func (c *Conn) AddWatcher(w Watcher) {
	e := c.Ext()
	e.watchers = append(e.watchers, w)
}

// RemoveWatcher detaches w.
func (c *Conn) RemoveWatcher(w Watcher) {
	if c.ext == nil {
		return
	}
	ws := c.ext.watchers
	for i := range ws {
		if ws[i] == w {
			c.ext.watchers = append(ws[:i], ws[i+1:]...)
			return
		}
	}
}

// RegisterHook registers a named removal hook; it returns false (and
// changes nothing) if a hook of that name is already registered, as Zeek's
// Conn::register_removal_hook.
func (c *Conn) RegisterHook(name string, h RemovalHook) bool {
	e := c.Ext()
	for _, nh := range e.hooks {
		if nh.name == name {
			return false
		}
	}
	e.hooks = append(e.hooks, namedHook{name, h})
	return true
}

// UnregisterHook removes the named hook and reports whether it was there.
func (c *Conn) UnregisterHook(name string) bool {
	if c.ext == nil {
		return false
	}
	for i, nh := range c.ext.hooks {
		if nh.name == name {
			c.ext.hooks = append(c.ext.hooks[:i], c.ext.hooks[i+1:]...)
			return true
		}
	}
	return false
}

// SetField sets an extra record field (replacing one of the same name).
func (c *Conn) SetField(name, value string) {
	e := c.Ext()
	for i := range e.Fields {
		if e.Fields[i].Name == name {
			e.Fields[i].Value = value
			return
		}
	}
	e.Fields = append(e.Fields, Field{name, value})
}

// Field returns an extra field's value.
func (c *Conn) Field(name string) (string, bool) {
	if c.ext == nil {
		return "", false
	}
	for _, f := range c.ext.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// Removed reports whether the connection has been removed from the table.
func (c *Conn) Removed() bool { return c.removed }

// Alive reports whether c is still the same live connection as when gen was
// taken (see Gen): framework callbacks use it to stop silently once a
// connection is gone, since Conn structs are recycled.
func (c *Conn) Alive(gen uint32) bool { return !c.removed && c.gen == gen }

// Gen returns the connection's generation, for Alive.
func (c *Conn) Gen() uint32 { return c.gen }

type userTimer struct {
	at  int64
	seq uint64
	c   *Conn
	gen uint32
	fn  TimerFunc
}

type userTimerHeap []userTimer

func (h userTimerHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h *userTimerHeap) push(t userTimer) {
	*h = append(*h, t)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *userTimerHeap) pop() userTimer {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = userTimer{}
	s = s[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// Schedule runs fn.Fire when packet time reaches at (ns), if c is still the
// same live connection then. Timers due at the same time fire in the order
// they were scheduled. An at in the past fires on the next Packet or Advance.
func (t *Table) Schedule(c *Conn, at int64, fn TimerFunc) {
	t.seq++
	t.user.push(userTimer{at: at, seq: t.seq, c: c, gen: c.gen, fn: fn})
}

func (t *Table) fireUser(now int64) {
	for len(t.user) > 0 && t.user[0].at <= now {
		u := t.user.pop()
		if u.c.gen != u.gen || u.c.removed {
			continue
		}
		u.fn.Fire(t, u.c, now)
	}
}

func (t *Table) runHooks(c *Conn) {
	if c.ext == nil {
		return
	}
	for len(c.ext.hooks) > 0 {
		h := c.ext.hooks[0]
		c.ext.hooks = c.ext.hooks[1:]
		h.h.OnRemove(c)
	}
}

func (t *Table) watch(c *Conn, isOrig bool, l *decode.Layer) {
	for _, w := range c.ext.watchers {
		w.OnPacket(t, c, isOrig, l)
	}
}
