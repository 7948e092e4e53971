package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// order renders frames as "input#num@ts" for comparison.
func order(fs []Frame) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, fmt.Sprintf("%s#%d@%d", filepath.Base(f.Input), f.Num, f.TS))
	}
	return strings.Join(parts, " ")
}

func tsRecs(tss ...int64) []rec {
	recs := make([]rec, len(tss))
	for i, ts := range tss {
		recs[i] = rec{ts: ts * 1000, data: []byte{byte(ts), byte(i)}}
	}
	return recs
}

func TestMergeOrder(t *testing.T) {
	dir := t.TempDir()
	// a and b interleave; they tie at 30 (a first: input order); b goes
	// backwards (50 after 60) and keeps file order; c is pcapng.
	a := writeFile(t, dir, "a.pcap", pcapBytes(binary.LittleEndian, true, 1, tsRecs(10, 30, 40, 70)))
	b := writeFile(t, dir, "b.pcap", pcapBytes(binary.BigEndian, false, 1, tsRecs(20, 30, 60, 50, 80)))
	c := writeFile(t, dir, "c.pcapng.gz", gzipBytes(ngBytes(tsRecs(5, 30, 45))))
	var warns []error
	s, err := OpenAll([]string{b, a, c}, func(err error) { warns = append(warns, err) })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := order(mustReadAll(t, s))
	want := "c.pcapng.gz#1@5000 a.pcap#1@10000 b.pcap#1@20000 b.pcap#2@30000 a.pcap#2@30000 c.pcapng.gz#2@30000 " +
		"a.pcap#3@40000 c.pcapng.gz#3@45000 b.pcap#3@60000 b.pcap#4@50000 a.pcap#4@70000 b.pcap#5@80000"
	if got != want {
		t.Errorf("merge order:\n got %s\nwant %s", got, want)
	}
	if len(warns) != 0 {
		t.Errorf("unexpected warnings %v", warns)
	}
	// Data stays valid until the next call, even across inputs.
	s2, err := OpenAll([]string{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for {
		f, err := s2.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if int64(f.Data[0]) != f.TS/1000 {
			t.Fatalf("frame %s#%d: data %v does not match ts %d", f.Input, f.Num, f.Data, f.TS)
		}
	}
}

func TestOpenAllDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "2.pcap", pcapBytes(binary.LittleEndian, false, 1, tsRecs(2, 4)))
	writeFile(t, dir, "1.pcapng.gz", gzipBytes(ngBytes(tsRecs(1, 3))))
	writeFile(t, dir, "README", []byte("not a capture"))
	writeFile(t, dir, "3-empty.pcap", nil)
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "sub"), "ignored.pcap", pcapBytes(binary.LittleEndian, false, 1, tsRecs(0)))
	var warns []string
	s, err := OpenAll([]string{dir}, func(err error) { warns = append(warns, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := order(mustReadAll(t, s))
	if want := "1.pcapng.gz#1@1000 2.pcap#1@2000 1.pcapng.gz#2@3000 2.pcap#2@4000"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	wantWarns := []string{
		"capture: " + filepath.Join(dir, "3-empty.pcap") + ": empty file (skipped)",
		"capture: " + filepath.Join(dir, "README") + ": not a pcap or pcapng file (starts with 6e 6f 74 20) (skipped)",
	}
	if strings.Join(warns, "\n") != strings.Join(wantWarns, "\n") {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(warns, "\n"), strings.Join(wantWarns, "\n"))
	}

	// A directory with no capture is an error; so is a missing path or none.
	empty := t.TempDir()
	writeFile(t, empty, "x.txt", []byte("text"))
	if _, err := OpenAll([]string{empty}, nil); err == nil || !strings.Contains(err.Error(), "no capture file") {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := OpenAll([]string{dir, filepath.Join(dir, "nope.pcap")}, nil); err == nil || !strings.Contains(err.Error(), "nope.pcap") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := OpenAll(nil, nil); err == nil {
		t.Error("no paths: no error")
	}
	// An explicit non-capture is an error, not a warning.
	if _, err := OpenAll([]string{filepath.Join(dir, "README")}, nil); !errors.Is(err, ErrNotCapture) {
		t.Errorf("explicit non-capture: %v", err)
	}
}

// TestMergeReadError: a damaged input reports a *ReadError, is dropped, and
// the merge goes on with the others.
func TestMergeReadError(t *testing.T) {
	dir := t.TempDir()
	bad := pcapBytes(binary.LittleEndian, false, 1, tsRecs(10, 20, 30, 40))
	bad = bad[:len(bad)-1]
	a := writeFile(t, dir, "bad.pcap", bad)
	b := writeFile(t, dir, "good.pcap", pcapBytes(binary.LittleEndian, false, 1, tsRecs(15, 25, 35, 45, 55)))
	s, err := OpenAll([]string{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var fs []Frame
	var rerrs []*ReadError
	for {
		f, err := s.Next()
		if err == io.EOF {
			break
		}
		if re := asReadError(err); re != nil {
			rerrs = append(rerrs, re)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, frameCopy(f))
	}
	if len(rerrs) != 1 || rerrs[0].File != a || rerrs[0].Packet != 4 {
		t.Fatalf("read errors: %v", rerrs)
	}
	want := "bad.pcap#1@10000 good.pcap#1@15000 bad.pcap#2@20000 good.pcap#2@25000 bad.pcap#3@30000 " +
		"good.pcap#3@35000 good.pcap#4@45000 good.pcap#5@55000"
	if got := order(fs); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close: %v", err)
	}
}

// TestMergeZeroAllocs checks the merge path adds no allocation per frame.
func TestMergeZeroAllocs(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 3 {
		recs := testRecs(3000, t0+int64(i))
		paths = append(paths, writeFile(t, dir, fmt.Sprint(i), pcapBytes(binary.LittleEndian, true, 1, recs)))
	}
	s, err := OpenAll(paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Next() // prime
	allocs := testing.AllocsPerRun(5000, func() {
		if _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.2f allocs per merged Next", allocs)
	}
}

// fakeSource yields frames at the given times and counts Close calls.
type fakeSource struct {
	ts     []int64
	n      int
	closed int
	err    error // returned after the frames, instead of io.EOF
}

func (s *fakeSource) Next() (Frame, error) {
	if s.n == len(s.ts) {
		if s.err != nil {
			return Frame{}, s.err
		}
		return Frame{}, io.EOF
	}
	s.n++
	return Frame{TS: s.ts[s.n-1], Num: uint64(s.n), Data: []byte{byte(s.n)}}, nil
}

func (s *fakeSource) Close() error { s.closed++; return nil }

// TestMergeCloses: each input is closed exactly once, as soon as it ends
// or fails, or when the merge is closed.
func TestMergeCloses(t *testing.T) {
	a := &fakeSource{ts: []int64{1, 2}}
	b := &fakeSource{ts: []int64{3}, err: &ReadError{File: "b", Packet: 2, Err: errTruncated}}
	c := &fakeSource{ts: []int64{0, 10, 20}}
	m := Merge(a, b, c)
	var got []int64
	var errs int
	for range 20 {
		f, err := m.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs++
			if b.closed != 1 {
				t.Errorf("damaged input not closed when reported")
			}
			continue
		}
		got = append(got, f.TS)
		if len(got) == 4 && c.closed != 0 {
			t.Error("c closed early")
		}
	}
	if fmt.Sprint(got) != "[0 1 2 3 10 20]" || errs != 1 {
		t.Errorf("got %v with %d errors", got, errs)
	}
	if a.closed != 1 || b.closed != 1 || c.closed != 1 {
		t.Errorf("closes after EOF: a=%d b=%d c=%d", a.closed, b.closed, c.closed)
	}
	m.Close()
	if a.closed != 1 || b.closed != 1 || c.closed != 1 {
		t.Errorf("closes after Close: a=%d b=%d c=%d", a.closed, b.closed, c.closed)
	}
	d := &fakeSource{ts: []int64{1, 2}}
	e := &fakeSource{ts: []int64{1, 2}}
	m = Merge(d, e)
	m.Next()
	m.Close()
	if d.closed != 1 || e.closed != 1 {
		t.Errorf("Close: d=%d e=%d", d.closed, e.closed)
	}
}
