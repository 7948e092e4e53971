package scripts

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// APIVersion is flowlog.version.
const APIVersion = "1"

// installAPI defines the global flowlog and console objects.
func (in *instance) installAPI() {
	vm := in.vm
	fn := func(f func(goja.FunctionCall) goja.Value) goja.Value { return vm.ToValue(f) }
	in.fnDrop = fn(in.nDrop)
	in.fnTag = fn(in.nTag)
	in.fnSetThreshold = fn(in.nSetThreshold)
	in.fnClearThreshold = fn(in.nClearThreshold)
	in.fnWatch = fn(in.nWatch)
	in.fnExtract = fn(in.nExtract)
	in.fnRegisterRemoval = fn(in.nRegisterRemoval)
	in.fnPatMatch = fn(in.nPatternsMatch)

	fl := vm.NewObject()
	set := func(o *goja.Object, name string, v goja.Value) {
		_ = o.DefineDataProperty(name, v, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	}
	set(fl, "on", fn(in.nOn))
	set(fl, "event", fn(in.nEvent))
	set(fl, "match", fn(in.nMatch))
	set(fl, "patterns", fn(in.nPatterns))
	set(fl, "matchHost", fn(in.nMatchHost))
	set(fl, "lock", fn(in.nLock))
	set(fl, "unlock", fn(in.nUnlock))
	set(fl, "locked", fn(in.nLocked))
	set(fl, "log", fn(in.nLog))
	set(fl, "version", vm.ToValue(APIVersion))
	_ = vm.GlobalObject().DefineDataProperty("flowlog", fl, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	console := vm.NewObject()
	for _, name := range []string{"log", "info", "warn", "error", "debug"} {
		set(console, name, fn(in.nLog))
	}
	_ = vm.Set("console", console)
}

func (in *instance) str(v goja.Value, what string) string {
	s, ok := v.(goja.String)
	if !ok || s.Length() == 0 {
		in.throwType("%s: want a non-empty string, got %s", what, describeJS(v))
	}
	return s.String()
}

func describeJS(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "undefined"
	}
	if goja.IsNull(v) {
		return "null"
	}
	if _, ok := v.(goja.String); ok {
		return strconv.Quote(v.String())
	}
	if o, ok := v.(*goja.Object); ok {
		return o.ClassName()
	}
	return v.String()
}

// flowlog.on(event, fn): register fn for event. Top level only.
func (in *instance) nOn(call goja.FunctionCall) goja.Value {
	if in.initDone {
		in.throwType("flowlog.on: register handlers at top level, not inside a handler")
	}
	ev := in.str(call.Argument(0), "flowlog.on(event, fn): event")
	k, ok := kindOf(ev)
	if !ok {
		in.throwType("flowlog.on: unknown event %q (opened, closed, threshold, poll, removal)", ev)
	}
	fn, ok := goja.AssertFunction(call.Argument(1))
	if !ok {
		in.throwType("flowlog.on(%q, fn): fn must be a function, got %s", ev, describeJS(call.Argument(1)))
	}
	in.handlers[k] = append(in.handlers[k], handler{fn: fn, at: in.caller()})
	return goja.Undefined()
}

// flowlog.event(name, payload, id): raise an event for the current flow.
func (in *instance) nEvent(call goja.FunctionCall) goja.Value {
	if !in.cs.active {
		in.throwType("flowlog.event: events are raised inside handlers")
	}
	name := in.str(call.Argument(0), "flowlog.event(name, payload, id): name")
	data := json.RawMessage("null")
	if p := call.Argument(1); !goja.IsUndefined(p) {
		out, err := in.stringify(goja.Undefined(), p)
		if err != nil {
			panic(err)
		}
		if !goja.IsUndefined(out) {
			s := out.String()
			if len(s) > in.r.opts.MaxEventBytes {
				in.throwRange("flowlog.event(%q): payload is %d bytes of JSON, more than %d", name, len(s), in.r.opts.MaxEventBytes)
			}
			data = json.RawMessage(s)
		}
	}
	var id string
	if a := call.Argument(2); !goja.IsUndefined(a) && !goja.IsNull(a) {
		id = in.str(a, "flowlog.event(name, payload, id): id")
	}
	f := &in.cs.flow.f
	in.cs.events = append(in.cs.events, Event{
		ID: id, Name: name, Source: in.caller().String(), UID: f.UIDText(), TS: f.TS, Data: data,
	})
	return goja.Undefined()
}

// flowArg returns the flow object v (any flow, live or kept from an
// earlier call).
func (in *instance) flowArg(v goja.Value, what string) *jsFlow {
	if o, ok := v.(*goja.Object); ok {
		if cur := in.cs.flow; cur != nil && o == cur.obj {
			return cur // the common case, without Export (which allocates)
		}
		if jf, ok := o.Export().(*jsFlow); ok {
			return jf
		}
	}
	in.throwType("%s: want a flow, got %s", what, describeJS(v))
	return nil
}

// flowlog.match(patterns, flow): does flow pass patterns (a string, an
// array of strings, or a flowlog.patterns object)?
func (in *instance) nMatch(call goja.FunctionCall) goja.Value {
	ps, _ := in.patternsArg(call.Argument(0), goja.Undefined(), "flowlog.match(patterns, flow)")
	jf := in.flowArg(call.Argument(1), "flowlog.match(patterns, flow)")
	return in.vm.ToValue(ps.Match(&jf.f))
}

// flowlog.matchHost(globs, name): does any of the host globs match name?
// (For matching one name, e.g. only the SNI, where flowlog.match would try
// the reverse-DNS name too.)
func (in *instance) nMatchHost(call goja.FunctionCall) goja.Value {
	ps, _ := in.patternsArg(call.Argument(0), goja.Undefined(), "flowlog.matchHost(globs, name)")
	if len(ps.addr) > 0 || len(ps.dsl) > 0 {
		in.throwType("flowlog.matchHost(globs, name): only host globs, got %q", ps.watchSrc)
	}
	name := call.Argument(1)
	if goja.IsUndefined(name) || goja.IsNull(name) {
		return in.vm.ToValue(false)
	}
	n := trimDot(name.String())
	for i := range ps.host {
		if n != "" && globMatch(&ps.host[i].host, n) {
			return in.vm.ToValue(true)
		}
	}
	return in.vm.ToValue(false)
}

// flowlog.patterns(watch, ignore): a compiled pattern set object with
// .match(flow).
func (in *instance) nPatterns(call goja.FunctionCall) goja.Value {
	_, obj := in.patternsArg(call.Argument(0), call.Argument(1), "flowlog.patterns(watch, ignore)")
	return obj
}

func (in *instance) nPatternsMatch(call goja.FunctionCall) goja.Value {
	o, _ := call.This.(*goja.Object)
	jp := in.patternsObj(o)
	if jp == nil {
		in.throwType("patterns.match: not called on a flowlog.patterns object")
	}
	jf := in.flowArg(call.Argument(0), "patterns.match(flow)")
	return in.vm.ToValue(jp.ps.Match(&jf.f))
}

// flowlog.lock(id, ttlSeconds): true if id was not locked and is now.
func (in *instance) nLock(call goja.FunctionCall) goja.Value {
	id := in.str(call.Argument(0), "flowlog.lock(id, ttl): id")
	ttl := 0.0
	if a := call.Argument(1); !goja.IsUndefined(a) && !goja.IsNull(a) {
		ttl = a.ToFloat()
		if math.IsNaN(ttl) || ttl < 0 {
			in.throwType("flowlog.lock(%q, ttl): ttl must be seconds >= 0 (0: until unlocked)", id)
		}
	}
	prev, had, ok := in.r.locks.lock(id, ttl, in.now)
	if ok && in.cs.active {
		in.cs.journal = append(in.cs.journal, lockUndo{id: id, prev: prev, had: had})
	}
	return in.vm.ToValue(ok)
}

// flowlog.unlock(id): true if id was locked.
func (in *instance) nUnlock(call goja.FunctionCall) goja.Value {
	id := in.str(call.Argument(0), "flowlog.unlock(id): id")
	prev, had := in.r.locks.unlock(id)
	if had && in.cs.active {
		in.cs.journal = append(in.cs.journal, lockUndo{id: id, prev: prev, had: had})
	}
	return in.vm.ToValue(had && in.now < prev)
}

// flowlog.locked(id): is id locked now (packet time)?
func (in *instance) nLocked(call goja.FunctionCall) goja.Value {
	id := in.str(call.Argument(0), "flowlog.locked(id): id")
	return in.vm.ToValue(in.r.locks.Locked(id, in.now))
}

// flowlog.log(...) and console.log(...).
func (in *instance) nLog(call goja.FunctionCall) goja.Value {
	logf := in.r.opts.Log
	if logf == nil {
		return goja.Undefined()
	}
	var b strings.Builder
	for i, a := range call.Arguments {
		if i > 0 {
			b.WriteByte(' ')
		}
		if o, ok := a.(*goja.Object); ok && o.ClassName() != "Function" && o.ClassName() != "Error" {
			if out, err := in.stringify(goja.Undefined(), a); err == nil && !goja.IsUndefined(out) {
				b.WriteString(out.String())
				continue
			}
		}
		b.WriteString(a.String())
		if b.Len() > 64<<10 {
			break
		}
	}
	logf(in.caller().String(), b.String())
	return goja.Undefined()
}

// patternsObj returns the set behind a flowlog.patterns object, or nil.
func (in *instance) patternsObj(o *goja.Object) *jsPatterns {
	if o == nil {
		return nil
	}
	if jp, ok := in.patObjs[o]; ok {
		return jp
	}
	jp, _ := o.Export().(*jsPatterns) // sets made after the cache filled up
	return jp
}

// jsPatterns is the object flowlog.patterns returns.
type jsPatterns struct {
	in *instance
	ps *PatternSet
}

func (j *jsPatterns) Get(key string) goja.Value {
	switch key {
	case "match":
		return j.in.fnPatMatch
	case "patterns", "ignore":
		src := j.ps.watchSrc
		if key == "ignore" {
			src = j.ps.ignoreSrc
		}
		vals := make([]any, len(src))
		for i, s := range src {
			vals[i] = s
		}
		return j.in.vm.NewArray(vals...)
	}
	return nil
}
func (j *jsPatterns) Set(string, goja.Value) bool { return false }
func (j *jsPatterns) Has(key string) bool {
	return key == "match" || key == "patterns" || key == "ignore"
}
func (j *jsPatterns) Delete(string) bool { return false }
func (j *jsPatterns) Keys() []string     { return []string{"patterns", "ignore"} }

// patternCache maps pattern lists (by a hash of their strings, verified on
// hit) to compiled sets, so flowlog.match(["..."], flow) inside a handler
// compiles its list once, not per flow.
type patternCache struct {
	m map[uint64]*cacheEntry
	n int
}

type cacheEntry struct {
	watch, ignore []string
	ps            *PatternSet
	obj           *goja.Object
	next          *cacheEntry
}

const (
	maxCachedSets   = 4096
	maxPatternsList = 100000
)

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return (h ^ 0x100) * fnvPrime // separator outside the byte range
}

// listLen returns the number of strings in v (a string, an array of
// strings, or undefined/null for none) and whether v is a single string.
func (in *instance) listLen(v goja.Value, what string) (n int64, single bool, arr *goja.Object) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return 0, false, nil
	}
	if _, ok := v.(goja.String); ok {
		return 1, true, nil
	}
	o, ok := v.(*goja.Object)
	if !ok || o.ClassName() != "Array" {
		in.throwType("%s: want a pattern string or an array of them, got %s", what, describeJS(v))
	}
	n = o.Get("length").ToInteger()
	if n > maxPatternsList {
		in.throwRange("%s: more than %d patterns", what, maxPatternsList)
	}
	return n, false, o
}

func (in *instance) listItem(v goja.Value, single bool, arr *goja.Object, i int64, what string) string {
	e := v
	if !single {
		e = arr.Get(strconv.FormatInt(i, 10))
	}
	s, ok := e.(goja.String)
	if !ok {
		in.throwType("%s: element %d is %s, not a string", what, i, describeJS(e))
	}
	return s.String()
}

func (in *instance) hashList(h uint64, v goja.Value, what string) uint64 {
	n, single, arr := in.listLen(v, what)
	h = (h ^ 0x101) * fnvPrime // list marker
	for i := int64(0); i < n; i++ {
		h = hashString(h, in.listItem(v, single, arr, i, what))
	}
	return h
}

func (in *instance) listEqual(v goja.Value, want []string, what string) bool {
	n, single, arr := in.listLen(v, what)
	if n != int64(len(want)) {
		return false
	}
	for i := int64(0); i < n; i++ {
		if in.listItem(v, single, arr, i, what) != want[i] {
			return false
		}
	}
	return true
}

func (in *instance) listStrings(v goja.Value, what string) []string {
	n, single, arr := in.listLen(v, what)
	out := make([]string, 0, n)
	for i := int64(0); i < n; i++ {
		out = append(out, in.listItem(v, single, arr, i, what))
	}
	return out
}

// patternsArg resolves a patterns argument: a flowlog.patterns object, or
// lists compiled through the cache.
func (in *instance) patternsArg(watch, ignore goja.Value, what string) (*PatternSet, *goja.Object) {
	if o, ok := watch.(*goja.Object); ok && (ignore == nil || goja.IsUndefined(ignore)) {
		if jp := in.patternsObj(o); jp != nil {
			return jp.ps, o
		}
	}
	h := in.hashList(fnvOffset, watch, what)
	h = in.hashList(h, ignore, what)
	c := &in.cache
	for e := c.m[h]; e != nil; e = e.next {
		if in.listEqual(watch, e.watch, what) && in.listEqual(ignore, e.ignore, what) {
			return e.ps, e.obj
		}
	}
	w, ig := in.listStrings(watch, what), in.listStrings(ignore, what)
	ps, err := CompilePatterns(w, ig)
	if err != nil {
		in.throwType("%s: %s", what, err)
	}
	e := &cacheEntry{watch: w, ignore: ig, ps: ps}
	jp := &jsPatterns{in: in, ps: ps}
	e.obj = in.vm.NewDynamicObject(jp)
	if c.n < maxCachedSets {
		if in.patObjs == nil {
			in.patObjs = map[*goja.Object]*jsPatterns{}
		}
		in.patObjs[e.obj] = jp
		if c.m == nil {
			c.m = map[uint64]*cacheEntry{}
		}
		e.next = c.m[h]
		c.m[h] = e
		c.n++
	}
	return ps, e.obj
}
