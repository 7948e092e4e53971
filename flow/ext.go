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

// Analyzer is a Watcher for the whole table that keeps its per-connection
// state itself, found by a ref the connection carries (SetAnalyzerRef): the
// cheap way to watch most connections (service detection), with no
// framework state per connection. It sees a connection's packets while
// the connection's ref is set, before the connection's own Watchers.
// Release runs when a connection with a ref is removed, after its removal
// hooks and before its EventClosed, to free the state. A table has at
// most one Analyzer (SetAnalyzer).
type Analyzer interface {
	Watcher
	Release(c *Conn)
}

// SetAnalyzer installs the table's Analyzer (see Analyzer).
func (t *Table) SetAnalyzer(a Analyzer) { t.analyzer = a }

// TableAnalyzer returns the table's Analyzer (nil: none).
func (t *Table) TableAnalyzer() Analyzer { return t.analyzer }

// SetAnalyzerRef sets (r > 0) or clears (0) the reference of c's state in
// the table's Analyzer; it may be called from the Analyzer's OnPacket.
func (c *Conn) SetAnalyzerRef(r uint32) { c.anaRef = r }

// AnalyzerRef returns c's Analyzer state reference (0: none).
func (c *Conn) AnalyzerRef() uint32 { return c.anaRef }

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

// Ext is the per-connection state of the conn framework. It is recycled
// with its Conn; never keep a pointer to it across calls into the Table.
type Ext struct {
	watchers  []Watcher
	iterating bool // watch is running: RemoveWatcher only clears slots
	hooks     []namedHook
	// Fields are extra fields added to the record (by removal hooks, policy).
	Fields []Field
	// per-package values: one inline pair (the common case), then a slice
	k0, v0 any
	kv     []extKV
}

type extKV struct{ k, v any }

// Value returns the value a package stored under its key k (use an
// unexported key type, as with context.Context).
func (e *Ext) Value(k any) any {
	if e.k0 == k && k != nil {
		return e.v0
	}
	for _, p := range e.kv {
		if p.k == k {
			return p.v
		}
	}
	return nil
}

// SetValue stores v under k.
func (e *Ext) SetValue(k, v any) {
	if e.k0 == nil || e.k0 == k {
		e.k0, e.v0 = k, v
		return
	}
	for i := range e.kv {
		if e.kv[i].k == k {
			e.kv[i].v = v
			return
		}
	}
	e.kv = append(e.kv, extKV{k, v})
}

// reset empties e for reuse, keeping slice capacity.
func (e *Ext) reset() {
	clear(e.watchers)
	clear(e.hooks)
	clear(e.Fields)
	clear(e.kv)
	*e = Ext{watchers: e.watchers[:0], hooks: e.hooks[:0], Fields: e.Fields[:0], kv: e.kv[:0]}
}

type namedHook struct {
	name string
	h    RemovalHook
}

// Ext returns the connection's framework state, creating it.
func (c *Conn) Ext() *Ext {
	r := c.rareState()
	if r.ext == nil {
		r.ext = &Ext{}
	}
	c.cflags |= cfExtUsed
	return r.ext
}

// HasExt reports whether the connection uses the framework at all.
func (c *Conn) HasExt() bool { return c.cflags&cfExtUsed != 0 }

// AddWatcher attaches w to every later packet of c.
func (c *Conn) AddWatcher(w Watcher) {
	e := c.Ext()
	e.watchers = append(e.watchers, w)
}

// RemoveWatcher detaches w. It is safe to call from a watcher's OnPacket.
func (c *Conn) RemoveWatcher(w Watcher) {
	if c.cflags&cfExtUsed == 0 {
		return
	}
	ws := c.rare.ext.watchers
	for i := range ws {
		if ws[i] == w {
			if c.rare.ext.iterating {
				ws[i] = nil // compacted when the loop ends
			} else {
				c.rare.ext.watchers = append(ws[:i], ws[i+1:]...)
			}
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
	if c.cflags&cfExtUsed == 0 {
		return false
	}
	for i, nh := range c.rare.ext.hooks {
		if nh.name == name {
			c.rare.ext.hooks = append(c.rare.ext.hooks[:i], c.rare.ext.hooks[i+1:]...)
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
	if c.cflags&cfExtUsed == 0 {
		return "", false
	}
	for _, f := range c.rare.ext.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// Removed reports whether the connection has been removed from the table.
func (c *Conn) Removed() bool { return c.cflags&cfRemoved != 0 }

// Alive reports whether c is still the same live connection as when gen was
// taken (see Gen): framework callbacks use it to stop silently once a
// connection is gone, since Conn structs are recycled.
func (c *Conn) Alive(gen uint32) bool { return c.cflags&cfRemoved == 0 && c.gen == gen }

// Gen returns the connection's generation, for Alive.
func (c *Conn) Gen() uint32 { return c.gen }

type userTimer struct {
	at  int64
	seq uint64
	c   *Conn
	gen uint32
	fn  TimerFunc
}

// before orders user timers by time, then by scheduling order.
func (a userTimer) before(b userTimer) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

type userTimerHeap = minHeap[userTimer]

// Schedule runs fn.Fire when packet time reaches at (ns), if c is still the
// same live connection then. Timers due at the same time fire in the order
// they were scheduled. An at in the past fires on the next Packet or Advance.
func (t *Table) Schedule(c *Conn, at int64, fn TimerFunc) {
	t.seq++
	t.user.push(userTimer{at: at, seq: t.seq, c: c, gen: c.gen, fn: fn})
}

func (t *Table) fireUser(u userTimer, now int64) {
	if u.c.gen != u.gen || u.c.cflags&cfRemoved != 0 {
		return
	}
	u.fn.Fire(t, u.c, now)
}

func (t *Table) runHooks(c *Conn) {
	if c.cflags&cfExtUsed == 0 {
		return
	}
	for len(c.rare.ext.hooks) > 0 {
		h := c.rare.ext.hooks[0]
		c.rare.ext.hooks = c.rare.ext.hooks[1:]
		h.h.OnRemove(c)
	}
}

func (t *Table) watch(c *Conn, isOrig bool, l *decode.Layer) {
	e := c.rare.ext
	e.iterating = true
	for i := 0; i < len(e.watchers); i++ { // watchers may be added meanwhile
		if w := e.watchers[i]; w != nil {
			w.OnPacket(t, c, isOrig, l)
		}
	}
	e.iterating = false
	n := 0
	for _, w := range e.watchers {
		if w != nil {
			e.watchers[n] = w
			n++
		}
	}
	clear(e.watchers[n:])
	e.watchers = e.watchers[:n]
}
