package scripts

import (
	"sync"
	"sync/atomic"
)

// Policy holds the current Program for several Runtimes (one per worker
// goroutine) and swaps it on Reload. Runtimes created with
// Options.Policy switch to the new program at their next Call. A Policy is
// safe for concurrent use.
type Policy struct {
	mu    sync.Mutex // serialises Reload
	cur   atomic.Pointer[Program]
	files []string
}

// NewPolicy compiles files into a Policy.
func NewPolicy(files []string) (*Policy, error) {
	p, err := Compile(files)
	if err != nil {
		return nil, err
	}
	pl := &Policy{files: append([]string(nil), files...)}
	pl.cur.Store(p)
	return pl, nil
}

// NewPolicyFromProgram returns a Policy starting with p.
func NewPolicyFromProgram(p *Program) *Policy {
	pl := &Policy{files: p.Files()}
	pl.cur.Store(p)
	return pl
}

// Program returns the current program.
func (pl *Policy) Program() *Program { return pl.cur.Load() }

// Reload compiles files (nil: the files of the last successful load, as on
// SIGHUP) and makes them current. If they fail to compile or their
// top-level code fails, Reload returns the error and the old program stays
// current.
func (pl *Policy) Reload(files []string) error {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if files == nil {
		files = pl.files
	}
	p, err := Compile(files)
	if err != nil {
		return err
	}
	pl.files = append([]string(nil), files...)
	pl.cur.Store(p)
	return nil
}
