package events

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// spool is an on-disk FIFO of event lines: segment files
// <dir>/<seq>.jsonl appended in order, and a cursor file naming the segment
// and byte offset of the next undelivered line. Every event is written
// before it is delivered, so a receiver outage, a crash or a SIGTERM loses
// nothing that was accepted; a restart on the same directory resumes from
// the cursor, in order. It is bounded: past MaxBytes the oldest segment is
// dropped and its undelivered lines counted.
type spool struct {
	mu       sync.Mutex
	dir      string
	maxBytes int64
	segMax   int64

	w      *os.File // current segment being appended
	wSeq   uint64
	wSize  int64
	segs   []uint64 // sequence numbers of segments on disk, ascending
	sizes  map[uint64]int64
	total  int64
	rSeq   uint64 // cursor: segment and offset of the next line to deliver
	rOff   int64
	queued int // lines written and not yet delivered (approximate across restarts)

	dropped uint64 // lines dropped because the spool was full
	notify  chan struct{}
}

const cursorFile = "cursor"

func openSpool(dir string, maxBytes int64) (*spool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s := &spool{dir: dir, maxBytes: maxBytes, segMax: 1 << 20, sizes: map[uint64]int64{}, notify: make(chan struct{}, 1)}
	if s.segMax > maxBytes/4 && maxBytes > 0 {
		s.segMax = max(maxBytes/4, 4096)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".jsonl") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(name, ".jsonl"), 10, 64)
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		s.segs = append(s.segs, n)
		s.sizes[n] = info.Size()
		s.total += info.Size()
	}
	sort.Slice(s.segs, func(i, j int) bool { return s.segs[i] < s.segs[j] })
	if b, err := os.ReadFile(filepath.Join(dir, cursorFile)); err == nil {
		fmt.Sscanf(string(b), "%d %d", &s.rSeq, &s.rOff)
	}
	if len(s.segs) > 0 && s.rSeq < s.segs[0] {
		s.rSeq, s.rOff = s.segs[0], 0
	}
	if len(s.segs) > 0 {
		s.wSeq = s.segs[len(s.segs)-1] + 1
	} else {
		s.wSeq = max(s.rSeq, 1)
		s.rSeq = s.wSeq
	}
	// count lines still queued
	for _, seg := range s.segs {
		off := int64(0)
		if seg == s.rSeq {
			off = s.rOff
		} else if seg < s.rSeq {
			continue
		}
		s.queued += s.countLines(seg, off)
	}
	return s, nil
}

func (s *spool) segPath(seq uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d.jsonl", seq))
}

func (s *spool) countLines(seq uint64, off int64) int {
	b, err := os.ReadFile(s.segPath(seq))
	if err != nil || off >= int64(len(b)) {
		return 0
	}
	return bytes.Count(b[off:], []byte{'\n'})
}

// append writes one line (without trailing newline) to the spool.
func (s *spool) append(line []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil || s.wSize+int64(len(line))+1 > s.segMax {
		if s.w != nil {
			s.w.Close()
			s.w = nil
			s.wSeq++
		}
		f, err := os.OpenFile(s.segPath(s.wSeq), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		s.w, s.wSize = f, 0
		s.segs = append(s.segs, s.wSeq)
		s.sizes[s.wSeq] = 0
	}
	buf := make([]byte, 0, len(line)+1)
	buf = append(append(buf, line...), '\n')
	if _, err := s.w.Write(buf); err != nil {
		return err
	}
	s.wSize += int64(len(buf))
	s.sizes[s.wSeq] += int64(len(buf))
	s.total += int64(len(buf))
	s.queued++
	for s.maxBytes > 0 && s.total > s.maxBytes && len(s.segs) > 1 {
		s.dropOldest()
	}
	select {
	case s.notify <- struct{}{}:
	default:
	}
	return nil
}

// dropOldest removes the oldest segment (the spool is full).
func (s *spool) dropOldest() {
	seq := s.segs[0]
	if seq >= s.rSeq {
		off := int64(0)
		if seq == s.rSeq {
			off = s.rOff
		}
		n := s.countLines(seq, off)
		s.dropped += uint64(n)
		s.queued -= n
	}
	os.Remove(s.segPath(seq))
	s.total -= s.sizes[seq]
	delete(s.sizes, seq)
	s.segs = s.segs[1:]
	if s.rSeq <= seq {
		s.rSeq, s.rOff = s.segs[0], 0
		s.saveCursor()
	}
}

// peek returns the next undelivered line, or nil if none.
func (s *spool) peek() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.rSeq > s.wSeq || (len(s.segs) == 0) {
			return nil, nil
		}
		f, err := os.Open(s.segPath(s.rSeq))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && s.rSeq < s.wSeq {
				s.rSeq, s.rOff = s.rSeq+1, 0
				continue
			}
			if errors.Is(err, os.ErrNotExist) {
				return nil, nil
			}
			return nil, err
		}
		if _, err := f.Seek(s.rOff, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		line, err := bufio.NewReader(f).ReadBytes('\n')
		f.Close()
		if err == nil {
			return line[:len(line)-1], nil
		}
		// end of this segment: move on if a later one exists
		if s.rSeq < s.wSeq {
			old := s.rSeq
			s.rSeq, s.rOff = s.rSeq+1, 0
			s.removeSeg(old)
			continue
		}
		return nil, nil
	}
}

func (s *spool) removeSeg(seq uint64) {
	if seq == s.wSeq {
		return
	}
	os.Remove(s.segPath(seq))
	s.total -= s.sizes[seq]
	delete(s.sizes, seq)
	for i, v := range s.segs {
		if v == seq {
			s.segs = append(s.segs[:i], s.segs[i+1:]...)
			break
		}
	}
}

// ack marks the line returned by peek as delivered.
func (s *spool) ack(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rOff += int64(n) + 1
	s.queued--
	s.saveCursor()
}

func (s *spool) saveCursor() {
	tmp := filepath.Join(s.dir, cursorFile+".tmp")
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d %d\n", s.rSeq, s.rOff)), 0o644); err == nil {
		os.Rename(tmp, filepath.Join(s.dir, cursorFile))
	}
}

func (s *spool) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queued
}

func (s *spool) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w != nil {
		err := s.w.Close()
		s.w = nil
		return err
	}
	return nil
}
