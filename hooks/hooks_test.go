package hooks

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/flowlog/flowlog/decode"
	"github.com/flowlog/flowlog/flow"
)

// snapshot is what a record says, taken inside a hook and again from the
// EventClosed: they must be equal (the record was final when the hook ran).
type snapshot struct {
	state, history string
	duration       float64
	origPkts       uint64
	respPkts       uint64
	origBytes      uint64
	respBytes      uint64
}

func snap(c *flow.Conn) snapshot {
	o, r := c.Sizes()
	return snapshot{c.State(), c.History(), c.Duration(), c.OrigPkts(), c.RespPkts(), o, r}
}

// recorder registers hooks on every opened connection and checks what they
// see.
type recorder struct {
	tb     *testing.T
	tbl    *flow.Table
	calls  []string            // "uid:name" in call order
	inHook map[string]snapshot // uid -> snapshot taken by the first hook
	closed []flow.Event
	states map[string]snapshot // uid -> snapshot at EventClosed
	reason map[string]flow.Reason
}

func newRecorder(tb *testing.T, cfg flow.Config) *recorder {
	return &recorder{tb: tb, tbl: flow.New(cfg), inHook: map[string]snapshot{},
		states: map[string]snapshot{}, reason: map[string]flow.Reason{}}
}

func (r *recorder) hook(name string) func(*flow.Conn) {
	return func(c *flow.Conn) {
		uid := c.UID().String()
		r.calls = append(r.calls, uid+":"+name)
		if _, ok := r.inHook[uid]; !ok {
			r.inHook[uid] = snap(c)
		}
		for _, ev := range r.tbl.Events() {
			if ev.Kind == flow.EventClosed && ev.Conn == c {
				r.tb.Errorf("hook %s of %s: EventClosed already queued", name, uid)
			}
		}
		c.SetField("hook_"+name, "ran")
	}
}

func (r *recorder) events() {
	for _, ev := range r.tbl.Events() {
		switch ev.Kind {
		case flow.EventOpened:
			c := ev.Conn
			for _, n := range []string{"a", "b", "c"} {
				if !Register(c, n, r.hook(n)) {
					r.tb.Fatalf("Register(%s) = false on a new connection", n)
				}
			}
			if Register(c, "b", r.hook("dup")) {
				r.tb.Errorf("second Register(b) = true")
			}
		case flow.EventClosed:
			uid := ev.Conn.UID().String()
			r.states[uid] = snap(ev.Conn)
			r.reason[uid] = ev.Reason
			for _, n := range []string{"a", "b", "c"} {
				if v, ok := ev.Conn.Field("hook_" + n); !ok || v != "ran" {
					r.tb.Errorf("%s: field hook_%s = %q, %v in the closed record", uid, n, v, ok)
				}
			}
			if _, ok := ev.Conn.Field("hook_dup"); ok {
				r.tb.Errorf("%s: the refused duplicate hook ran", uid)
			}
		}
	}
}

func (r *recorder) packets(ps ...*decode.Packet) {
	for _, p := range ps {
		r.tbl.Packet(p)
		r.events()
	}
}

func (r *recorder) advance(ts float64) { r.tbl.Advance(sec(ts)); r.events() }
func (r *recorder) flush()             { r.tbl.Flush(); r.events() }

// check verifies that every connection was removed once for want, and that
// its hooks ran once each, in order, on the final record.
func (r *recorder) check(want flow.Reason, n int) {
	r.tb.Helper()
	if len(r.states) != n {
		r.tb.Fatalf("%d connections closed, want %d", len(r.states), n)
	}
	var wantCalls []string
	seen := map[string]bool{}
	for _, call := range r.calls {
		uid := call[:len(call)-2]
		if !seen[uid] {
			seen[uid] = true
			for _, h := range []string{"a", "b", "c"} {
				wantCalls = append(wantCalls, uid+":"+h)
			}
		}
	}
	if !reflect.DeepEqual(r.calls, wantCalls) {
		r.tb.Errorf("hook calls %v, want %v", r.calls, wantCalls)
	}
	for uid, s := range r.states {
		if r.reason[uid] != want {
			r.tb.Errorf("%s removed for reason %d, want %d", uid, r.reason[uid], want)
		}
		if h, ok := r.inHook[uid]; !ok {
			r.tb.Errorf("%s: no hook ran", uid)
		} else if h != s {
			r.tb.Errorf("%s: hook saw %+v, record is %+v", uid, h, s)
		}
	}
}

func TestRemovalPaths(t *testing.T) {
	const c, s = "10.0.0.1:40000", "10.0.0.2:80"
	t.Run("tcp-close", func(t *testing.T) {
		r := newRecorder(t, flow.Config{Seed: 1})
		r.packets(session(10, c, s)...)
		if len(r.calls) != 0 {
			t.Fatalf("hooks ran before removal: %v", r.calls)
		}
		r.advance(30)
		r.check(flow.ReasonClosed, 1)
		for _, st := range r.states {
			if st.state != "SF" || st.history != "ShADdFf" {
				t.Errorf("record %+v, want SF ShADdFf", st)
			}
		}
	})
	t.Run("inactivity", func(t *testing.T) {
		r := newRecorder(t, flow.Config{Seed: 1})
		r.packets(udp(10, "10.0.0.1:5353", "10.0.0.2:53", "q"), udp(10.5, "10.0.0.2:53", "10.0.0.1:5353", "answer"))
		r.advance(50)
		if len(r.calls) != 0 {
			t.Fatalf("hooks ran before the timeout: %v", r.calls)
		}
		r.advance(100)
		r.check(flow.ReasonInactivity, 1)
		for _, st := range r.states {
			if st.state != "SF" || st.history != "Dd" || st.origBytes != 1 || st.respBytes != 6 {
				t.Errorf("record %+v", st)
			}
		}
	})
	t.Run("reuse", func(t *testing.T) {
		r := newRecorder(t, flow.Config{Seed: 1})
		r.packets(session(10, c, s)...)
		// A new SYN with another ISN before the close delay passed.
		r.packets(tcp(11, c, s, "S", 90000, 0, ""))
		if len(r.states) != 1 {
			t.Fatalf("%d closed after the reusing SYN, want 1", len(r.states))
		}
		r.check(flow.ReasonReuse, 1)
		for _, st := range r.states {
			if st.history != "ShADdFf" {
				t.Errorf("reused record %+v", st)
			}
		}
	})
	t.Run("flush", func(t *testing.T) {
		r := newRecorder(t, flow.Config{Seed: 1})
		r.packets(session(10, c, s)[:5]...)
		r.packets(udp(10.2, "10.0.0.1:5353", "10.0.0.2:53", "q"))
		r.flush()
		r.check(flow.ReasonFlush, 2)
	})
	t.Run("evicted", func(t *testing.T) {
		r := newRecorder(t, flow.Config{Seed: 1, MaxFlows: 1})
		r.packets(udp(10, "10.0.0.1:5353", "10.0.0.2:53", "q"))
		r.packets(udp(11, "10.0.0.1:5354", "10.0.0.2:53", "q"))
		r.check(flow.ReasonEvicted, 1)
	})
}

func TestUnregister(t *testing.T) {
	tbl := flow.New(flow.Config{Seed: 1})
	var ran []string
	tbl.Packet(udp(1, "10.0.0.1:1000", "10.0.0.2:53", "q"))
	c := tbl.Events()[0].Conn
	if Unregister(c, "x") {
		t.Error("Unregister of a name never registered = true")
	}
	for _, n := range []string{"x", "y", "z"} {
		n := n
		if !Register(c, n, func(*flow.Conn) { ran = append(ran, n) }) {
			t.Fatalf("Register(%s) = false", n)
		}
	}
	if Register(c, "w", nil) {
		t.Error("Register with a nil function = true")
	}
	if !Unregister(c, "y") {
		t.Error("Unregister(y) = false")
	}
	if Unregister(c, "y") {
		t.Error("second Unregister(y) = true")
	}
	// Unregistered, a name may be registered again: it then runs last.
	if !Register(c, "y", func(*flow.Conn) { ran = append(ran, "y2") }) {
		t.Error("Register(y) after Unregister = false")
	}
	tbl.Advance(sec(100))
	if got := fmt.Sprint(ran); got != "[x z y2]" {
		t.Errorf("hooks ran %s, want [x z y2]", got)
	}
	// Runs once: the next connection on the same 5-tuple has no hooks.
	ran = nil
	tbl.Packet(udp(200, "10.0.0.1:1000", "10.0.0.2:53", "q"))
	tbl.Flush()
	if len(ran) != 0 {
		t.Errorf("hooks ran again on a new connection: %v", ran)
	}
}

// A hook may register or unregister other hooks of its connection.
func TestHookChangesHooks(t *testing.T) {
	tbl := flow.New(flow.Config{Seed: 1})
	var ran []string
	tbl.Packet(udp(1, "10.0.0.1:1000", "10.0.0.2:53", "q"))
	c := tbl.Events()[0].Conn
	Register(c, "first", func(c *flow.Conn) {
		ran = append(ran, "first")
		Unregister(c, "second")
		Register(c, "late", func(*flow.Conn) { ran = append(ran, "late") })
	})
	Register(c, "second", func(*flow.Conn) { ran = append(ran, "second") })
	tbl.Flush()
	if got := fmt.Sprint(ran); got != "[first late]" {
		t.Errorf("hooks ran %s, want [first late]", got)
	}
}
