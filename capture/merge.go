package capture

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// OpenAll opens several inputs and merges them into one Source in timestamp
// order. A path may be a capture file (see Open), "-" for standard input, or
// a directory, which stands for every capture file directly inside it,
// sorted by name. Within a directory, entries that cannot be opened as
// captures (not a capture, empty, unreadable) are skipped and reported to
// warn (which may be nil); subdirectories are ignored. A path named
// explicitly that cannot be opened is an error, as is a directory without
// any capture file.
//
// The merge is a heap over the inputs keyed by each input's next frame time.
// Equal timestamps keep input order (the order of paths, then of names in a
// directory). Frames of one file always come out in file order, even where
// that file's timestamps go backwards. With a single input, OpenAll returns
// that input's Source itself.
func OpenAll(paths []string, warn func(error)) (Source, error) {
	if warn == nil {
		warn = func(error) {}
	}
	if len(paths) == 0 {
		return nil, errors.New("capture: no input given")
	}
	size := bufSize
	if len(paths) > 1 {
		size = mergeBufSize
	}
	var srcs []Source
	fail := func(err error) (Source, error) {
		for _, s := range srcs {
			s.Close()
		}
		return nil, err
	}
	for _, p := range paths {
		if p == "-" {
			s, err := open(p, size)
			if err != nil {
				return fail(err)
			}
			srcs = append(srcs, s)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return fail(fmt.Errorf("capture: %w", err))
		}
		if !st.IsDir() {
			s, err := open(p, size)
			if err != nil {
				return fail(err)
			}
			srcs = append(srcs, s)
			continue
		}
		ents, err := os.ReadDir(p) // sorted by name
		if err != nil {
			return fail(fmt.Errorf("capture: %w", err))
		}
		found := 0
		for _, e := range ents {
			fp := filepath.Join(p, e.Name())
			if e.IsDir() {
				continue
			}
			if !e.Type().IsRegular() {
				// A symlink or special file: follow it, skip directories.
				if st, err := os.Stat(fp); err == nil && st.IsDir() {
					continue
				}
			}
			s, err := open(fp, mergeBufSize)
			if err != nil {
				warn(fmt.Errorf("%w (skipped)", err))
				continue
			}
			srcs = append(srcs, s)
			found++
		}
		if found == 0 {
			return fail(fmt.Errorf("capture: %s: directory holds no capture file", p))
		}
	}
	if len(srcs) == 1 {
		return srcs[0], nil
	}
	return Merge(srcs...), nil
}

// Merge merges Sources into one in timestamp order, as OpenAll does; it
// takes ownership of them (Close closes them all). A *ReadError from one
// Source is returned from Next, that Source is closed and dropped, and a
// further Next goes on with the others.
func Merge(srcs ...Source) Source {
	m := &merger{pending: make([]*mergeInput, len(srcs))}
	for i, s := range srcs {
		m.pending[i] = &mergeInput{src: s, idx: i}
	}
	m.all = append([]*mergeInput(nil), m.pending...)
	return m
}

type mergeInput struct {
	src  Source
	cur  Frame // the next frame of src, not yet returned
	idx  int   // input order, the tie-breaker
	done bool  // src closed
}

func (in *mergeInput) close() error {
	if in.done {
		return nil
	}
	in.done = true
	return in.src.Close()
}

type merger struct {
	pending []*mergeInput // not yet primed with a first frame
	heap    []*mergeInput // min-heap by (cur.TS, idx)
	last    *mergeInput   // whose cur was returned by the previous Next
	all     []*mergeInput
	closed  bool
}

func less(a, b *mergeInput) bool {
	if a.cur.TS != b.cur.TS {
		return a.cur.TS < b.cur.TS
	}
	return a.idx < b.idx
}

func (m *merger) Next() (Frame, error) {
	if m.closed {
		return Frame{}, errClosedMerge
	}
	for len(m.pending) > 0 {
		in := m.pending[0]
		m.pending = m.pending[1:]
		f, err := in.src.Next()
		if err != nil {
			in.close()
			if err == io.EOF {
				continue
			}
			return Frame{}, err
		}
		in.cur = f
		m.push(in)
	}
	if in := m.last; in != nil {
		m.last = nil
		f, err := in.src.Next()
		if err != nil {
			m.pop()
			in.close()
			if err != io.EOF {
				return Frame{}, err
			}
		} else {
			in.cur = f
			m.down(0)
		}
	}
	if len(m.heap) == 0 {
		return Frame{}, io.EOF
	}
	m.last = m.heap[0]
	return m.last.cur, nil
}

var errClosedMerge = fmt.Errorf("capture: merged input: %w", errClosed)

func (m *merger) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	var first error
	for _, in := range m.all {
		if err := in.close(); err != nil && first == nil {
			first = err
		}
	}
	m.heap, m.pending, m.last = nil, nil, nil
	return first
}

func (m *merger) push(in *mergeInput) {
	m.heap = append(m.heap, in)
	i := len(m.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(m.heap[i], m.heap[p]) {
			break
		}
		m.heap[i], m.heap[p] = m.heap[p], m.heap[i]
		i = p
	}
}

// pop removes the root.
func (m *merger) pop() {
	n := len(m.heap) - 1
	m.heap[0] = m.heap[n]
	m.heap[n] = nil
	m.heap = m.heap[:n]
	if n > 0 {
		m.down(0)
	}
}

func (m *merger) down(i int) {
	h := m.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		j := l
		if r := l + 1; r < len(h) && less(h[r], h[l]) {
			j = r
		}
		if !less(h[j], h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}
