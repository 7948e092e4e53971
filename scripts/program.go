package scripts

import (
	"errors"
	"fmt"
	"os"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// maxScriptFile bounds the size of one policy file.
const maxScriptFile = 4 << 20

// Source is one policy file given as text.
type Source struct {
	Name string // used in positions ("policy.js:12:5")
	Code string
}

// Program is a set of compiled policy files. It is immutable, holds no
// runtime state and is safe for concurrent use: any number of Runtimes can
// run it.
type Program struct {
	names   []string
	progs   []*goja.Program
	handles [numKinds]bool
}

// Files returns the names of the program's files, in run order.
func (p *Program) Files() []string { return p.names }

// Handles reports whether any file registers a handler for event (as found
// when Compile ran the top-level code). The caller can skip Call for
// events nobody handles, e.g. "removal" or "poll".
func (p *Program) Handles(event string) bool {
	k, ok := kindOf(event)
	return ok && p.handles[k]
}

// Compile reads and compiles policy files. They run in order in one global
// scope, like <script> tags. A syntax error is a *ScriptError with Kind
// ErrSyntax and the file:line:column of the first error. Compile also runs
// the top-level code once in a scratch runtime, so a file that throws, loops
// or misuses flowlog.on at top level is rejected here too (Kind ErrInit).
func Compile(files []string) (*Program, error) {
	srcs := make([]Source, 0, len(files))
	for _, name := range files {
		code, err := readScript(name)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, Source{Name: name, Code: code})
	}
	return CompileSources(srcs...)
}

func readScript(name string) (string, error) {
	st, err := os.Stat(name)
	if err != nil {
		return "", fmt.Errorf("flowlog/scripts: %w", err)
	}
	if st.Size() > maxScriptFile {
		return "", fmt.Errorf("flowlog/scripts: %s: larger than %d bytes", name, maxScriptFile)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("flowlog/scripts: %w", err)
	}
	return string(b), nil
}

// CompileSources is Compile for files given as text.
func CompileSources(srcs ...Source) (*Program, error) {
	if len(srcs) == 0 {
		return nil, errors.New("flowlog/scripts: no policy files")
	}
	p := &Program{}
	for _, s := range srcs {
		gp, err := compileOne(s)
		if err != nil {
			return nil, err
		}
		p.names = append(p.names, s.Name)
		p.progs = append(p.progs, gp)
	}
	// Trial run: instantiate once to catch top-level failures and learn
	// which events have handlers.
	r, err := newRuntime(nil, Options{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	in, err := r.instantiate(p)
	if err != nil {
		return nil, err
	}
	for k := range in.handlers {
		p.handles[k] = len(in.handlers[k]) > 0
	}
	return p, nil
}

func compileOne(s Source) (*goja.Program, error) {
	ast, err := parser.ParseFile(nil, s.Name, s.Code, 0, parser.WithDisableSourceMaps)
	if err != nil {
		se := &ScriptError{Kind: ErrSyntax, File: s.Name, Msg: err.Error(), Err: err}
		var list parser.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			e := list[0]
			se.Line, se.Column, se.Msg = e.Position.Line, e.Position.Column, e.Message
			if len(list) > 1 {
				se.Msg += fmt.Sprintf(" (and %d more errors)", len(list)-1)
			}
		}
		return nil, se
	}
	gp, err := goja.CompileAST(ast, false)
	if err != nil {
		se := &ScriptError{Kind: ErrSyntax, File: s.Name, Msg: err.Error(), Err: err}
		var ce *goja.CompilerSyntaxError
		var re *goja.CompilerReferenceError
		switch {
		case errors.As(err, &ce):
			se.Msg = ce.Message
			if ce.File != nil {
				p := ce.File.Position(ce.Offset)
				se.Line, se.Column = p.Line, p.Column
			}
		case errors.As(err, &re):
			se.Msg = re.Message
			if re.File != nil {
				p := re.File.Position(re.Offset)
				se.Line, se.Column = p.Line, p.Column
			}
		}
		return nil, se
	}
	return gp, nil
}
