package scripts

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// ErrorKind classifies a ScriptError.
type ErrorKind uint8

// Error kinds.
const (
	// ErrSyntax: a file does not compile (Compile, Reload).
	ErrSyntax ErrorKind = iota + 1
	// ErrInit: a file's top-level code threw or timed out, or misused the
	// API there (an unknown event in flowlog.on, a bad pattern in
	// flowlog.patterns).
	ErrInit
	// ErrThrow: a handler threw (an uncaught exception, a TypeError from a
	// flowlog function, a RangeError from an allocation guard).
	ErrThrow
	// ErrTimeout: a handler ran past Options.Timeout and was interrupted.
	ErrTimeout
	// ErrLimit: the call-stack limit (Options.MaxCallStack) was hit.
	ErrLimit
	// ErrPanic: a Go panic during the call (for example an allocation too
	// large for the Go runtime). The Runtime rebuilds its JavaScript state
	// from the Program before the next call.
	ErrPanic
)

var errorKindNames = [...]string{"", "syntax error", "init error", "exception", "timeout", "limit", "panic"}

func (k ErrorKind) String() string {
	if int(k) < len(errorKindNames) && k != 0 {
		return errorKindNames[k]
	}
	return "error(" + strconv.Itoa(int(k)) + ")"
}

// ScriptError is an error from a policy script: where it happened (file,
// line, column of the throw, the running loop, or the syntax error) and, for
// handler calls, which flow and event.
type ScriptError struct {
	Kind         ErrorKind
	File         string
	Line, Column int
	// Event and UID name the flow event being handled ("" at init).
	Event, UID string
	Msg        string
	// Err is the underlying goja error, if any.
	Err error
}

func (e *ScriptError) Error() string {
	var b strings.Builder
	b.WriteString("flowlog/scripts: ")
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
			if e.Column > 0 {
				fmt.Fprintf(&b, ":%d", e.Column)
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Event != "" {
		fmt.Fprintf(&b, " (%s handler, uid %s)", e.Event, e.UID)
	}
	return b.String()
}

func (e *ScriptError) Unwrap() error { return e.Err }

// Pos returns "file:line:col".
func (e *ScriptError) Pos() string { return fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column) }

// timeoutMarker is the value the timer interrupts with.
type timeoutMarker struct{}

// framePos returns the position of the first frame that is script code.
func framePos(st []goja.StackFrame) (file string, line, col int, ok bool) {
	for i := range st {
		if st[i].SrcName() == "<native>" {
			continue
		}
		p := st[i].Position()
		if p.Filename == "" && p.Line == 0 {
			continue
		}
		return p.Filename, p.Line, p.Column, true
	}
	return "", 0, 0, false
}

// pos is a source position.
type pos struct {
	file      string
	line, col int
}

func (p pos) String() string { return p.file + ":" + strconv.Itoa(p.line) + ":" + strconv.Itoa(p.col) }
