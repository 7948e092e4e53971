package hooks

import "github.com/flowlog/flowlog/flow"

// Func adapts a function to flow.RemovalHook.
type Func func(c *flow.Conn)

// OnRemove calls f(c).
func (f Func) OnRemove(c *flow.Conn) { f(c) }

// Register arranges for fn to run once when c is removed (Zeek's
// Conn::register_removal_hook). It returns false, and changes nothing, if a
// hook named name is already registered on c, or if fn is nil.
func Register(c *flow.Conn, name string, fn func(*flow.Conn)) bool {
	if fn == nil {
		return false
	}
	return c.RegisterHook(name, Func(fn))
}

// Unregister removes the hook named name from c (Zeek's
// Conn::unregister_removal_hook) and reports whether it was registered.
func Unregister(c *flow.Conn, name string) bool {
	return c.UnregisterHook(name)
}
