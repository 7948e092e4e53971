package scripts

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
)

// Defaults for Options.
const (
	DefaultTimeout       = 50 * time.Millisecond
	DefaultInitTimeout   = time.Second
	DefaultMaxCallStack  = 1024
	DefaultMaxStringLen  = 16 << 20
	DefaultMaxArrayLen   = 1 << 22
	DefaultMaxEventBytes = 64 << 10
)

// Options configure a Runtime. The zero value is usable.
type Options struct {
	// Timeout bounds one Call (all handlers for the event together);
	// default DefaultTimeout. InitTimeout bounds each file's top-level
	// code; default DefaultInitTimeout.
	Timeout, InitTimeout time.Duration
	// Locks is the lock table behind flowlog.lock/unlock. Share one table
	// between all Runtimes and the SensorSet; nil means a private table.
	Locks *LockTable
	// Policy, when set, is followed: before each Call the Runtime switches
	// to the Policy's current Program if it changed (see Policy.Reload).
	Policy *Policy
	// Log receives flowlog.log and console.log output with the caller's
	// "file:line:col"; nil discards it.
	Log func(source, msg string)
	// MaxCallStack bounds JavaScript call depth; default
	// DefaultMaxCallStack.
	MaxCallStack int
	// MaxStringLen and MaxArrayLen bound what the guarded built-ins may
	// build or walk in one native step (see the package doc); defaults
	// DefaultMaxStringLen (bytes) and DefaultMaxArrayLen (elements).
	MaxStringLen, MaxArrayLen int
	// MaxEventBytes bounds the JSON text of one flowlog.event payload;
	// default DefaultMaxEventBytes.
	MaxEventBytes int
	// Seed seeds Math.random, so replays are reproducible.
	Seed uint64
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.InitTimeout <= 0 {
		o.InitTimeout = DefaultInitTimeout
	}
	if o.MaxCallStack <= 0 {
		o.MaxCallStack = DefaultMaxCallStack
	}
	if o.MaxStringLen <= 0 {
		o.MaxStringLen = DefaultMaxStringLen
	}
	if o.MaxArrayLen <= 0 {
		o.MaxArrayLen = DefaultMaxArrayLen
	}
	if o.MaxEventBytes <= 0 {
		o.MaxEventBytes = DefaultMaxEventBytes
	}
	return o
}

// Stats counts a Runtime's work. Errors = Throws + Timeouts + Limits +
// Panics.
type Stats struct {
	Calls        uint64 // Call invocations
	Handlers     uint64 // handler invocations that returned normally
	Errors       uint64 // failed Calls
	Throws       uint64
	Timeouts     uint64
	Limits       uint64
	Panics       uint64
	Reloads      uint64 // successful program switches
	ReloadErrors uint64 // failed Reload/SetProgram (the old program stays)
}

// Runtime runs a Program's handlers for flow events. It owns one goja
// runtime and is not safe for concurrent use: give each worker goroutine
// its own. JavaScript state (variables a script keeps between flows) lives
// in the Runtime and is lost when it switches programs or recovers from a
// panic.
type Runtime struct {
	opts  Options
	locks *LockTable
	prog  *Program
	inst  *instance
	// broken is set after a Go panic; the next Call rebuilds inst.
	broken bool

	// The timeout timer is created once and re-armed per call.
	timer    *time.Timer
	mu       sync.Mutex // guards the fields below against the timer
	armedVM  *goja.Runtime
	deadline time.Time
	armedFor time.Duration // the budget of the armed call
	extended time.Duration // time given back because the timer fired late
	pending  bool          // the timer is set (possibly for an earlier call)
	timerAt  time.Time     // when it is due, while pending

	failedProg *Program // a Policy program that failed to instantiate here
	reloadErr  error

	calls, handled, errs, throws, timeouts, limits, panics, reloads, reloadErrs atomic.Uint64
}

// NewRuntime returns a Runtime running p (or, if p is nil, the current
// program of opts.Policy). It runs each file's top-level code, which
// registers the handlers; an error there is a *ScriptError of kind
// ErrInit.
func NewRuntime(p *Program, opts Options) (*Runtime, error) {
	if p == nil && opts.Policy != nil {
		p = opts.Policy.Program()
	}
	if p == nil {
		return nil, errors.New("flowlog/scripts: NewRuntime: no program")
	}
	r, err := newRuntime(p, opts)
	if err != nil {
		return nil, err
	}
	in, err := r.instantiate(p)
	if err != nil {
		r.Close()
		return nil, err
	}
	r.prog, r.inst = p, in
	return r, nil
}

func newRuntime(p *Program, opts Options) (*Runtime, error) {
	r := &Runtime{opts: opts.withDefaults(), prog: p}
	r.locks = r.opts.Locks
	if r.locks == nil {
		r.locks = NewLockTable()
	}
	r.timer = time.AfterFunc(time.Hour, r.onTimer)
	r.timer.Stop()
	return r, nil
}

// Close releases the Runtime's timer. Using the Runtime afterwards is an
// error.
func (r *Runtime) Close() { r.timer.Stop() }

// Program returns the program the Runtime runs.
func (r *Runtime) Program() *Program { return r.prog }

// Locks returns the Runtime's lock table.
func (r *Runtime) Locks() *LockTable { return r.locks }

// Stats returns the counters. It may be called from any goroutine.
func (r *Runtime) Stats() Stats {
	return Stats{
		Calls: r.calls.Load(), Handlers: r.handled.Load(), Errors: r.errs.Load(),
		Throws: r.throws.Load(), Timeouts: r.timeouts.Load(), Limits: r.limits.Load(), Panics: r.panics.Load(),
		Reloads: r.reloads.Load(), ReloadErrors: r.reloadErrs.Load(),
	}
}

// Reload compiles files and switches to them. If they fail to compile or
// their top-level code fails, Reload returns the error and the Runtime
// keeps running the old program (and its JavaScript state).
func (r *Runtime) Reload(files []string) error {
	p, err := Compile(files)
	if err != nil {
		r.reloadErrs.Add(1)
		return err
	}
	return r.SetProgram(p)
}

// SetProgram switches to p, a program compiled elsewhere (for example once
// for all workers). On error the old program stays.
func (r *Runtime) SetProgram(p *Program) error {
	in, err := r.instantiate(p)
	if err != nil {
		r.reloadErrs.Add(1)
		return err
	}
	r.prog, r.inst, r.broken = p, in, false
	r.reloads.Add(1)
	return nil
}

// LastReloadError returns the error of the last failed switch to a
// Policy's program (nil if none).
func (r *Runtime) LastReloadError() error { return r.reloadErr }

// Call runs the handlers registered for f.Event on a JavaScript copy of f
// and returns what they decided. Call does not keep f.
//
// If a handler throws, runs past Options.Timeout, exceeds the call-stack
// limit or panics, Call returns the zero Verdict (as if no script ran) and a
// *ScriptError naming the script position and f.UID; lock operations made
// during the call are undone, JavaScript variables the handlers changed
// are not.
func (r *Runtime) Call(f *Flow) (Verdict, error) {
	r.calls.Add(1)
	if pl := r.opts.Policy; pl != nil {
		if p := pl.Program(); p != r.prog && p != r.failedProg {
			if err := r.SetProgram(p); err != nil {
				r.failedProg, r.reloadErr = p, err
			}
		}
	}
	k, ok := kindOf(f.Event)
	if !ok {
		return Verdict{}, fmt.Errorf("flowlog/scripts: unknown flow event %q", f.Event)
	}
	if r.broken {
		in, err := r.instantiate(r.prog)
		if err != nil {
			return Verdict{}, err
		}
		r.inst, r.broken = in, false
	}
	in := r.inst
	if len(in.handlers[k]) == 0 {
		return Verdict{}, nil
	}
	return in.call(k, f)
}

// arm starts the timeout for vm. The timer is not stopped between calls
// (two timer operations per call would be a tenth of a typical call's
// cost): a firing meant for an earlier call re-arms itself for the current
// deadline, and arm resets it only when it is idle or due too late.
func (r *Runtime) arm(vm *goja.Runtime, d time.Duration) {
	now := time.Now()
	r.mu.Lock()
	r.armedVM = vm
	r.deadline = now.Add(d)
	r.armedFor, r.extended = d, 0
	reset := !r.pending || r.timerAt.After(r.deadline)
	if reset {
		r.pending, r.timerAt = true, r.deadline
	}
	r.mu.Unlock()
	if reset {
		r.timer.Reset(d)
	}
}

// disarm ends the timeout and clears any interrupt it raised. After it
// returns no Interrupt can reach vm until the next arm.
func (r *Runtime) disarm(vm *goja.Runtime) {
	r.mu.Lock()
	r.armedVM = nil
	r.mu.Unlock()
	vm.ClearInterrupt()
}

func (r *Runtime) onTimer() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = false
	if r.armedVM == nil {
		return
	}
	now := time.Now()
	if d := r.deadline.Sub(now); d > 0 {
		// A firing left over from an earlier arm: wait for this deadline.
		r.pending, r.timerAt = true, r.deadline
		r.timer.Reset(d)
		return
	}
	// If the timer itself ran late, the whole process was most likely not
	// running (CPU throttling, a paused VM): the handler did not get that
	// time either, so give it back, up to lateBudget times the budget in
	// total. An endless loop is still stopped, after at most
	// (1+lateBudget) budgets of time in which the process could run.
	if late := now.Sub(r.deadline); late > lateSlack && r.extended+late <= lateBudget*r.armedFor {
		r.extended += late
		r.deadline = now.Add(late)
		r.pending, r.timerAt = true, r.deadline
		r.timer.Reset(late)
		return
	}
	r.armedVM.Interrupt(timeoutMarker{})
}

// lateSlack is how late the timer may fire before the lateness counts as
// time the handler could not run; lateBudget bounds the time given back,
// in multiples of the call's budget.
const (
	lateSlack  = 2 * time.Millisecond
	lateBudget = 3
)

// instance is one goja runtime with a program's handlers registered.
type instance struct {
	r        *Runtime
	prog     *Program
	vm       *goja.Runtime
	handlers [numKinds][]handler
	initDone bool
	now      float64 // packet time of the current flow (seconds)

	stringify goja.Callable
	rangeErr  goja.Value

	// Methods of flow and patterns objects, created once.
	fnDrop, fnTag, fnSetThreshold, fnClearThreshold, fnWatch, fnExtract, fnRegisterRemoval, fnPatMatch goja.Value

	cs    callState
	stack [4]goja.StackFrame
	cache patternCache
	// patObjs maps the objects flowlog.patterns returned to their sets
	// (a map lookup instead of Object.Export, which allocates).
	patObjs map[*goja.Object]*jsPatterns
}

type handler struct {
	fn goja.Callable
	at pos
}

// callState is what handlers did during one call; its slices are reused.
type callState struct {
	active  bool
	kind    kind
	flow    *jsFlow
	drop    bool
	tags    []string
	events  []Event
	reqs    []Request
	journal []lockUndo
}

type lockUndo struct {
	id   string
	prev float64
	had  bool
}

func (r *Runtime) instantiate(p *Program) (in *instance, err error) {
	in = &instance{r: r, prog: p, vm: goja.New()}
	vm := in.vm
	vm.SetMaxCallStackSize(r.opts.MaxCallStack)
	vm.SetTimeSource(func() time.Time { return floatTime(in.now) })
	rng := rand.New(rand.NewPCG(r.opts.Seed, r.opts.Seed^0x9e3779b97f4a7c15))
	vm.SetRandSource(rng.Float64)
	if err := in.installGuards(); err != nil {
		return nil, err
	}
	in.installAPI()
	for i, gp := range p.progs {
		if err := in.runInit(p.names[i], gp); err != nil {
			return nil, err
		}
	}
	in.initDone = true
	return in, nil
}

func floatTime(ts float64) time.Time {
	sec, frac := math.Modf(ts)
	return time.Unix(int64(sec), int64(frac*1e9))
}

func (in *instance) runInit(name string, gp *goja.Program) (err error) {
	r := in.r
	r.arm(in.vm, r.opts.InitTimeout)
	defer func() {
		r.disarm(in.vm)
		if x := recover(); x != nil {
			err = &ScriptError{Kind: ErrInit, File: name, Msg: fmt.Sprintf("panic: %v", x)}
		}
	}()
	if _, e := in.vm.RunProgram(gp); e != nil {
		se := in.scriptError(e, pos{file: name}, "", "")
		se.Kind = ErrInit
		if se.File == "" {
			se.File = name
		}
		return se
	}
	return nil
}

// call runs the handlers of kind k on f.
func (in *instance) call(k kind, f *Flow) (v Verdict, err error) {
	r := in.r
	hs := in.handlers[k]
	cs := &in.cs
	cs.reset(k)
	jf := &jsFlow{in: in, f: *f, live: true}
	if len(f.Tags) > 0 {
		jf.f.Tags = slices.Clone(f.Tags)
	}
	obj := in.vm.NewDynamicObject(jf)
	jf.obj = obj
	cs.flow, cs.active = jf, true
	in.now = f.TS

	n := 0
	var failed *handler
	var panicked any
	r.arm(in.vm, r.opts.Timeout)
	func() {
		defer func() {
			if x := recover(); x != nil {
				panicked = x
				if n < len(hs) {
					failed = &hs[n]
				}
			}
		}()
		for n < len(hs) {
			h := &hs[n]
			ret, e := h.fn(goja.Undefined(), obj)
			if e != nil {
				err, failed = e, h
				return
			}
			if k == kindPoll && ret != nil && !goja.IsUndefined(ret) && !goja.IsNull(ret) {
				in.addPollNext(ret)
			}
			n++
		}
	}()
	r.disarm(in.vm)
	jf.live, cs.active = false, false
	r.handled.Add(uint64(n))

	if panicked != nil || err != nil {
		in.rollback()
		r.errs.Add(1)
		at := pos{}
		if failed != nil {
			at = failed.at
		}
		var se *ScriptError
		if panicked != nil {
			r.panics.Add(1)
			r.broken = true
			se = &ScriptError{Kind: ErrPanic, File: at.file, Line: at.line, Column: at.col,
				Msg: fmt.Sprintf("Go panic: %v", panicked)}
			if pe, ok := panicked.(error); ok {
				se.Err = pe
			}
		} else {
			se = in.scriptError(err, at, f.Event, f.UIDText())
			switch se.Kind {
			case ErrTimeout:
				r.timeouts.Add(1)
			case ErrLimit:
				r.limits.Add(1)
			default:
				r.throws.Add(1)
			}
		}
		se.Event, se.UID = f.Event, f.UIDText()
		return Verdict{}, se
	}

	v.Handlers = n
	v.Drop = cs.drop
	if len(cs.tags) > 0 {
		v.Tags = slices.Clone(cs.tags)
	}
	if len(cs.events) > 0 {
		v.Events = slices.Clone(cs.events)
	}
	if len(cs.reqs) > 0 {
		v.Requests = slices.Clone(cs.reqs)
	}
	return v, nil
}

func (cs *callState) reset(k kind) {
	cs.kind = k
	cs.drop = false
	cs.flow = nil
	clear(cs.tags)
	cs.tags = cs.tags[:0]
	clear(cs.events)
	cs.events = cs.events[:0]
	clear(cs.reqs)
	cs.reqs = cs.reqs[:0]
	clear(cs.journal)
	cs.journal = cs.journal[:0]
}

// rollback undoes the lock operations of a failed call.
func (in *instance) rollback() {
	j := in.cs.journal
	for i := len(j) - 1; i >= 0; i-- {
		in.r.locks.restore(j[i].id, j[i].prev, j[i].had)
	}
}

// scriptError converts a goja error into a *ScriptError; at is the
// fallback position (the handler's registration).
func (in *instance) scriptError(err error, at pos, event, uid string) *ScriptError {
	se := &ScriptError{Kind: ErrThrow, File: at.file, Line: at.line, Column: at.col, Event: event, UID: uid, Err: err}
	var (
		ie *goja.InterruptedError
		so *goja.StackOverflowError
		ex *goja.Exception
	)
	var st []goja.StackFrame
	switch {
	case errors.As(err, &ie):
		se.Kind = ErrTimeout
		limit := in.r.opts.Timeout
		if !in.initDone {
			limit = in.r.opts.InitTimeout
		}
		se.Msg = fmt.Sprintf("interrupted after %v (endless loop or too slow)", limit)
		st = ie.Stack()
	case errors.As(err, &so):
		se.Kind = ErrLimit
		se.Msg = fmt.Sprintf("call stack deeper than %d", in.r.opts.MaxCallStack)
		st = so.Stack()
	case errors.As(err, &ex):
		se.Msg = "uncaught " + ex.Value().String()
		st = ex.Stack()
	default:
		se.Msg = err.Error()
	}
	if file, line, col, ok := framePos(st); ok {
		se.File, se.Line, se.Column = file, line, col
	}
	return se
}

// caller returns the script position of the JavaScript code calling the
// current native function.
func (in *instance) caller() pos {
	st := in.vm.CaptureCallStack(3, in.stack[:0])
	file, line, col, _ := framePos(st)
	clear(in.stack[:])
	return pos{file: file, line: line, col: col}
}

func (in *instance) throwType(format string, a ...any) {
	panic(in.vm.NewTypeError(fmt.Sprintf(format, a...)))
}

func (in *instance) throwRange(format string, a ...any) {
	if ctor, ok := goja.AssertConstructor(in.rangeErr); ok {
		obj, err := ctor(nil, in.vm.ToValue(fmt.Sprintf(format, a...)))
		if err == nil {
			panic(obj)
		}
	}
	in.throwType(format, a...)
}
