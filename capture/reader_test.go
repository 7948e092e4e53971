package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

const t0 = int64(1_700_000_000_123_456_789)

func TestPcapVariants(t *testing.T) {
	for _, tc := range []struct {
		name  string
		order binary.ByteOrder
		nano  bool
	}{
		{"le-usec", binary.LittleEndian, false},
		{"le-nsec", binary.LittleEndian, true},
		{"be-usec", binary.BigEndian, false},
		{"be-nsec", binary.BigEndian, true},
	} {
		for _, gz := range []bool{false, true} {
			name := tc.name
			if gz {
				name += "-gzip"
			}
			t.Run(name, func(t *testing.T) {
				recs := testRecs(50, t0)
				if !tc.nano {
					for i := range recs {
						recs[i].ts -= recs[i].ts % 1000
					}
				}
				b := pcapBytes(tc.order, tc.nano, 1, recs)
				if gz {
					b = gzipBytes(b)
				}
				// From a file, through Open.
				p := writeFile(t, t.TempDir(), "trace.cap", b)
				s, err := Open(p)
				if err != nil {
					t.Fatal(err)
				}
				checkFrames(t, mustReadAll(t, s), recs, []int{1}, p)
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				// From a reader that returns one byte at a time.
				s, err = NewReader("mem", iotest.OneByteReader(bytes.NewReader(b)))
				if err != nil {
					t.Fatal(err)
				}
				checkFrames(t, mustReadAll(t, s), recs, []int{1}, "mem")
			})
		}
	}
}

// TestPcapgoWriters reads files written by gopacket's own pcap writers.
func TestPcapgoWriters(t *testing.T) {
	for _, nano := range []bool{false, true} {
		var buf bytes.Buffer
		var w *pcapgo.Writer
		if nano {
			w = pcapgo.NewWriterNanos(&buf)
		} else {
			w = pcapgo.NewWriter(&buf)
		}
		if err := w.WriteFileHeader(65536, layers.LinkTypeLinuxSLL); err != nil {
			t.Fatal(err)
		}
		recs := testRecs(20, t0)
		for i, r := range recs {
			if !nano {
				recs[i].ts -= r.ts % 1000
			}
			ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, r.ts), CaptureLength: len(r.data), Length: r.wireLen()}
			if err := w.WritePacket(ci, r.data); err != nil {
				t.Fatal(err)
			}
		}
		s, err := NewReader("pcapgo", &buf)
		if err != nil {
			t.Fatal(err)
		}
		checkFrames(t, mustReadAll(t, s), recs, []int{113}, "pcapgo")
	}
}

// buildNg writes a pcapng file with two sections (little- then big-endian),
// five interfaces of four link types and timestamp resolutions, skippable
// blocks, and Enhanced, Simple and obsolete Packet Blocks. It returns the
// file, the frames expected and the block end offsets.
func buildNg() ([]byte, []Frame, *ngb) {
	g := &ngb{order: binary.LittleEndian}
	var want []Frame
	add := func(ts int64, lt int, data []byte, wire int) {
		want = append(want, Frame{TS: ts, LinkType: lt, Data: data, WireLen: wire, Num: uint64(len(want) + 1)})
	}
	data := func(n int, seed byte) []byte {
		d := make([]byte, n)
		for i := range d {
			d[i] = seed + byte(i)
		}
		return d
	}
	g.shb()
	g.idb(1, 64)                                           // 0: Ethernet, µs
	g.idb(101, 0, g.tsresol(9))                            // 1: raw IP, ns
	g.idb(113, 0, g.tsresol(0x80|20))                      // 2: SLL, 2^-20 s
	g.idb(228, 0, g.tsresol(3), g.tsoffset(1_000_000_000)) // 3: IPv4, ms, +1e9 s
	g.epb(0, uint64(t0/1000), data(60, 1), 60)
	add(t0/1000*1000, 1, data(60, 1), 60)
	g.epb(1, uint64(t0+5), data(41, 2), 1500)
	add(t0+5, 101, data(41, 2), 1500)
	g.block(0x00000BAD, []byte("custom block, skipped"))
	g.block(5, make([]byte, 20)) // Interface Statistics Block, skipped
	raw2 := uint64(1_700_000_001)<<20 | 777_777
	hi, lo := bits.Mul64(777_777, 1e9)
	frac, _ := bits.Div64(hi, lo, 1<<20)
	g.epb(2, raw2, data(3, 3), 3)
	add(1_700_000_001*1e9+int64(frac), 113, data(3, 3), 3)
	g.epb(3, 700_000_002_500, data(20, 4), 20) // ms
	add(700_000_002_500*1e6+1_000_000_000*1e9, 228, data(20, 4), 20)
	g.spb(data(80, 5), 80) // iface 0 snaplen 64 cuts it; no timestamp
	add(1_700_000_002_500*1e6, 1, data(64, 5), 80)
	g.pb(1, uint64(t0+9), data(0, 0), 0) // empty frame
	add(t0+9, 101, []byte{}, 0)
	// A second section, big-endian, with its own interfaces.
	g.order = binary.BigEndian
	g.shb()
	g.idb(276, 0, g.tsresol(6)) // SLL2
	g.epb(0, uint64(t0/1000+7), data(33, 6), 40)
	add((t0/1000+7)*1000, 276, data(33, 6), 40)
	return g.b.Bytes(), want, g
}

func checkNg(t *testing.T, got, want []Frame, input string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		w.Input = input
		if g.TS != w.TS || g.LinkType != w.LinkType || !bytes.Equal(g.Data, w.Data) ||
			g.WireLen != w.WireLen || g.Num != w.Num || g.Input != w.Input {
			t.Errorf("frame %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestPcapngMultiInterface(t *testing.T) {
	b, want, _ := buildNg()
	// The SPB carries no timestamp: it gets the previous frame's.
	want[4].TS = want[3].TS
	for _, gz := range []bool{false, true} {
		in := b
		if gz {
			in = gzipBytes(b)
		}
		p := writeFile(t, t.TempDir(), "x.pcapng", in)
		s, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		checkNg(t, mustReadAll(t, s), want, p)
		s.Close()
		s, err = NewReader("-", iotest.HalfReader(bytes.NewReader(in)))
		if err != nil {
			t.Fatal(err)
		}
		checkNg(t, mustReadAll(t, s), want, "-")
	}
}

// TestPcapgoNgWriter reads a multi-interface file written by gopacket.
func TestPcapgoNgWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: layers.LinkTypeEthernet, SnapLength: 65535}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeRaw, SnapLength: 65535}); err != nil {
		t.Fatal(err)
	}
	recs := testRecs(30, t0)
	for i := range recs {
		recs[i].ifc = i % 2
		r := recs[i]
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, r.ts), CaptureLength: len(r.data), Length: r.wireLen(), InterfaceIndex: r.ifc}
		if err := w.WritePacket(ci, r.data); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	s, err := NewReader("ng", bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	checkFrames(t, mustReadAll(t, s), recs, []int{1, 101}, "ng")
}

func TestStdin(t *testing.T) {
	recs := testRecs(200, t0)
	b := gzipBytes(pcapBytes(binary.LittleEndian, true, 1, recs))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		// Write in small pieces, as a slow producer would.
		for len(b) > 0 {
			n := min(len(b), 333)
			w.Write(b[:n])
			b = b[n:]
		}
		w.Close()
	}()
	old := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = old; r.Close() }()
	s, err := Open("-")
	if err != nil {
		t.Fatal(err)
	}
	checkFrames(t, mustReadAll(t, s), recs, []int{1}, "-")
	s.Close()
}

// cutCase is a small capture and the offsets at which its records end.
type cutCase struct {
	name    string
	b       []byte
	hdrEnd  int   // end of the file header: cuts before it fail Open
	ends    []int // record (block) ends after the header
	packets []int // for each end, how many packets precede it
	frames  []Frame
}

func cutCases() []cutCase {
	var cs []cutCase
	for _, tc := range []struct {
		name  string
		order binary.ByteOrder
		nano  bool
	}{{"pcap-le-usec", binary.LittleEndian, false}, {"pcap-be-nsec", binary.BigEndian, true}} {
		recs := testRecs(6, t0)
		for i := range recs {
			if !tc.nano {
				recs[i].ts -= recs[i].ts % 1000
			}
		}
		b := pcapBytes(tc.order, tc.nano, 1, recs)
		c := cutCase{name: tc.name, b: b, hdrEnd: 24}
		off := 24
		for i, r := range recs {
			off += 16 + len(r.data)
			c.ends = append(c.ends, off)
			c.packets = append(c.packets, i+1)
			c.frames = append(c.frames, Frame{TS: r.ts, Data: r.data})
		}
		cs = append(cs, c)
	}
	b, want, g := buildNg()
	c := cutCase{name: "pcapng", b: b, hdrEnd: g.ends[0], frames: want}
	n := 0
	for i, e := range g.ends[1:] {
		switch g.types[i+1] {
		case ngEPB, ngSPB, ngPB:
			n++
		}
		c.ends = append(c.ends, e)
		c.packets = append(c.packets, n)
	}
	cs = append(cs, c)
	return cs
}

func TestTruncatedEveryOffset(t *testing.T) {
	for _, c := range cutCases() {
		t.Run(c.name, func(t *testing.T) {
			if got := c.packets[len(c.packets)-1]; got != len(c.frames) {
				t.Fatalf("test setup: %d packets, %d frames", got, len(c.frames))
			}
			for cut := 0; cut < len(c.b); cut++ {
				s, err := NewReader("cut", bytes.NewReader(c.b[:cut]))
				if cut < c.hdrEnd {
					if err == nil {
						t.Fatalf("cut %d: Open succeeded inside the file header", cut)
					}
					if !strings.HasPrefix(err.Error(), "capture: cut: ") || strings.Contains(err.Error(), "\n") {
						t.Fatalf("cut %d: bad error %q", cut, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("cut %d: %v", cut, err)
				}
				frames, err := readAll(t, s)
				// Complete records before the cut.
				whole, clean := 0, cut == c.hdrEnd
				for i, e := range c.ends {
					if e <= cut {
						whole = c.packets[i]
					}
					if e == cut {
						clean = true
					}
				}
				if len(frames) != whole {
					t.Fatalf("cut %d: got %d frames, want %d", cut, len(frames), whole)
				}
				for i, f := range frames {
					if !bytes.Equal(f.Data, c.frames[i].Data) || f.Num != uint64(i+1) {
						t.Fatalf("cut %d: frame %d differs", cut, i)
					}
				}
				if clean {
					if err != io.EOF {
						t.Fatalf("cut %d at a record boundary: got %v, want io.EOF", cut, err)
					}
					continue
				}
				re := asReadError(err)
				if re == nil {
					t.Fatalf("cut %d: got %v, want *ReadError", cut, err)
				}
				if re.Packet != uint64(whole+1) || re.File != "cut" || !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("cut %d: got %+v", cut, re)
				}
				want := fmt.Sprintf("capture: cut: packet %d (offset %d): truncated record: unexpected EOF", whole+1, re.Offset)
				if err.Error() != want {
					t.Fatalf("cut %d: got %q, want %q", cut, err, want)
				}
				// The input is finished.
				if _, err2 := s.Next(); err2 != io.EOF {
					t.Fatalf("cut %d: Next after the *ReadError returned %v", cut, err2)
				}
			}
		})
	}
}

// TestTruncatedGzip cuts gzip-compressed captures at every byte: a prefix of
// the frames comes out, then a *ReadError (or Open fails); never a panic.
func TestTruncatedGzip(t *testing.T) {
	for _, c := range cutCases() {
		t.Run(c.name, func(t *testing.T) {
			z := gzipBytes(c.b)
			for cut := 0; cut <= len(z); cut++ {
				s, err := NewReader("z", bytes.NewReader(z[:cut]))
				if err != nil {
					if cut == len(z) {
						t.Fatal(err)
					}
					continue
				}
				frames, err := readAll(t, s)
				for i, f := range frames {
					if !bytes.Equal(f.Data, c.frames[i].Data) {
						t.Fatalf("cut %d: frame %d differs", cut, i)
					}
				}
				if cut == len(z) {
					if err != io.EOF || len(frames) != len(c.frames) {
						t.Fatalf("whole file: %d frames, %v", len(frames), err)
					}
					continue
				}
				if re := asReadError(err); re == nil || re.Packet != uint64(len(frames)+1) {
					t.Fatalf("cut %d of %d: got %d frames and %v, want *ReadError", cut, len(z), len(frames), err)
				}
			}
		})
	}
}

func TestCorrupt(t *testing.T) {
	le := binary.LittleEndian
	pcapWith := func(caplen uint32) []byte {
		b := pcapBytes(le, false, 1, testRecs(3, t0))
		le.PutUint32(b[24+16+8:], caplen) // second record's caplen (first is 0 bytes)
		return b
	}
	ng := func(mod func(g *ngb)) []byte {
		g := &ngb{order: le}
		g.shb()
		g.idb(1, 0)
		g.epb(0, 1, []byte("first"), 5)
		mod(g)
		return g.b.Bytes()
	}
	for _, tc := range []struct {
		name   string
		b      []byte
		frames int
		msg    string
	}{
		{"pcap-absurd-caplen", pcapWith(0xfffffff0), 1, "captured length 4294967280 exceeds the maximum of 262144"},
		{"pcap-caplen-just-over", pcapWith(MaxCaplen + 1), 1, "exceeds the maximum"},
		{"ng-bad-block-length", ng(func(g *ngb) { g.b.Write([]byte{6, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0}) }), 1, "bad block length 7"},
		{"ng-huge-block-length", ng(func(g *ngb) { g.b.Write([]byte{6, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff, 0, 0, 0, 0}) }), 1, "exceeds the maximum"},
		{"ng-huge-unknown-block", ng(func(g *ngb) { g.b.Write([]byte{0x99, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff, 0, 0, 0, 0}) }), 1, "truncated record"},
		{"ng-bad-interface", ng(func(g *ngb) { g.epb(3, 1, []byte("x"), 1) }), 1, "packet on interface 3, but the section defines 1"},
		{"ng-trailer-mismatch", ng(func(g *ngb) {
			g.epb(0, 1, []byte("second"), 6)
			b := g.b.Bytes()
			b[len(b)-1] = 0x55
		}), 1, "block length mismatch"},
		{"ng-caplen-overruns", ng(func(g *ngb) {
			g.epb(0, 1, []byte("second"), 6)
			b := g.b.Bytes()
			le.PutUint32(b[g.ends[2]+20:], 200)
		}), 1, "captured length 200 overruns"},
		{"ng-bad-byte-order", ng(func(g *ngb) {
			g.shb()
			b := g.b.Bytes()
			copy(b[g.ends[2]+8:], "XXXX")
		}), 1, "bad byte-order magic"},
		{"ng-bad-tsresol", ng(func(g *ngb) { g.idb(1, 0, g.tsresol(0x80|64)) }), 1, "unsupported if_tsresol"},
		{"ng-bad-option", ng(func(g *ngb) {
			body := make([]byte, 8)
			body = append(body, 9, 0, 0xff, 0) // if_tsresol of length 255
			g.block(ngIDB, body)
		}), 1, "overruns the block"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewReader("bad", bytes.NewReader(tc.b))
			if err != nil {
				t.Fatal(err)
			}
			var ms, ms2 runtime.MemStats
			runtime.ReadMemStats(&ms)
			frames, err := readAll(t, s)
			runtime.ReadMemStats(&ms2)
			if len(frames) != tc.frames {
				t.Errorf("got %d frames, want %d", len(frames), tc.frames)
			}
			re := asReadError(err)
			if re == nil || re.Packet != uint64(tc.frames+1) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want a *ReadError for packet %d containing %q", err, tc.frames+1, tc.msg)
			}
			if grown := ms2.TotalAlloc - ms.TotalAlloc; grown > 4<<20 {
				t.Errorf("reading a corrupt file allocated %d bytes", grown)
			}
		})
	}
}

// TestCaplenOverSnaplen accepts records longer than the file's snaplen, as
// libpcap does, as long as they stay within MaxCaplen.
func TestCaplenOverSnaplen(t *testing.T) {
	recs := []rec{{ts: t0, data: make([]byte, 70000)}, {ts: t0 + 1, data: make([]byte, MaxCaplen)}}
	b := pcapBytes(binary.LittleEndian, true, 1, recs) // snaplen 65535
	s, err := NewReader("big", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	checkFrames(t, mustReadAll(t, s), recs, []int{1}, "big")
	s, err = NewReader("bigng", bytes.NewReader(ngBytes(recs)))
	if err != nil {
		t.Fatal(err)
	}
	checkFrames(t, mustReadAll(t, s), recs, []int{1}, "bigng")
}

func TestPcapOldVersions(t *testing.T) {
	recs := []rec{{ts: t0 - t0%1000, data: []byte("abcdef"), wire: 60}}
	for _, tc := range []struct {
		minor uint16
		swap  bool
	}{{2, true}, {3, true}, {3, false}, {4, false}} {
		b := pcapBytes(binary.LittleEndian, false, 1, recs)
		binary.LittleEndian.PutUint16(b[6:], tc.minor)
		if tc.swap { // old layout: len before caplen
			binary.LittleEndian.PutUint32(b[24+8:], 60)
			binary.LittleEndian.PutUint32(b[24+12:], 6)
		}
		s, err := NewReader("old", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		checkFrames(t, mustReadAll(t, s), recs, []int{1}, "old")
	}
	b := pcapBytes(binary.LittleEndian, false, 1, recs)
	binary.LittleEndian.PutUint16(b[4:], 1)
	if _, err := NewReader("v1", bytes.NewReader(b)); err == nil || !strings.Contains(err.Error(), "unsupported archaic pcap version 1.4") {
		t.Fatalf("got %v", err)
	}
}

func TestKuznetzov(t *testing.T) {
	recs := testRecs(4, t0)
	var b bytes.Buffer
	h := pcapBytes(binary.BigEndian, false, 1, nil)
	binary.BigEndian.PutUint32(h, magicKuznetzov)
	b.Write(h)
	for i := range recs {
		r := &recs[i]
		r.ts -= r.ts % 1000
		rh := make([]byte, 24)
		binary.BigEndian.PutUint32(rh[0:], uint32(r.ts/1e9))
		binary.BigEndian.PutUint32(rh[4:], uint32(r.ts%1e9/1000))
		binary.BigEndian.PutUint32(rh[8:], uint32(len(r.data)))
		binary.BigEndian.PutUint32(rh[12:], uint32(r.wireLen()))
		b.Write(rh)
		b.Write(r.data)
	}
	s, err := NewReader("k", &b)
	if err != nil {
		t.Fatal(err)
	}
	checkFrames(t, mustReadAll(t, s), recs, []int{1}, "k")
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		b    []byte
		msg  string
		is   error
	}{
		{"notes.txt", []byte("hello, this is not a capture\n"), "not a pcap or pcapng file (starts with 68 65 6c 6c)", ErrNotCapture},
		{"short", []byte{0xd4, 0xc3}, "not a pcap or pcapng file (only 2 bytes)", ErrNotCapture},
		{"empty.pcap", nil, "empty file", ErrEmpty},
		{"empty.pcap.gz", gzipBytes(nil), "empty file (after gzip decompression)", ErrEmpty},
		{"text.gz", gzipBytes([]byte("<html>")), "not a pcap or pcapng file (after gzip decompression) (starts with 3c 68 74 6d)", ErrNotCapture},
		{"trace.zst", []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0}, "zstd-compressed input is not supported", nil},
		{"hdr.pcap", pcapBytes(binary.LittleEndian, false, 1, nil)[:10], "truncated pcap file header (10 of 24 bytes)", nil},
		{"hdr.pcapng", func() []byte { g := &ngb{order: binary.LittleEndian}; g.shb(); return g.b.Bytes()[:20] }(), "truncated pcapng section header", nil},
		{"badgz", []byte{0x1f, 0x8b, 0, 0}, "bad gzip header", nil},
	} {
		p := writeFile(t, dir, tc.name, tc.b)
		_, err := Open(p)
		if err == nil {
			t.Errorf("%s: Open succeeded", tc.name)
			continue
		}
		want := "capture: " + p + ": " + tc.msg
		if !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %q, want %q", tc.name, err, want)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: %v is not %v", tc.name, err, tc.is)
		}
	}
	if _, err := Open(dir + "/missing.pcap"); err == nil || !strings.Contains(err.Error(), "missing.pcap: no such file") {
		t.Errorf("missing file: got %v", err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: got %v", err)
	}
	if os.Getuid() != 0 {
		p := writeFile(t, dir, "secret.pcap", pcapBytes(binary.LittleEndian, false, 1, nil))
		os.Chmod(p, 0)
		if _, err := Open(p); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("unreadable: got %v", err)
		}
	}
}

func TestClose(t *testing.T) {
	b, _, _ := buildNg()
	for _, in := range [][]byte{b, pcapBytes(binary.LittleEndian, false, 1, testRecs(3, t0))} {
		p := writeFile(t, t.TempDir(), "c", in)
		s, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Next(); err == nil || !strings.Contains(err.Error(), "closed") {
			t.Fatalf("Next after Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal("second Close:", err)
		}
	}
}

// TestZeroAllocs checks that Next does not allocate per frame.
func TestZeroAllocs(t *testing.T) {
	for name, b := range map[string][]byte{
		"pcap":   pcapBytes(binary.LittleEndian, false, 1, testRecs(1000, t0)),
		"pcapng": ngBytes(testRecs(1000, t0)),
	} {
		rd := bytes.NewReader(b)
		s, err := NewReader(name, rd)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(500, func() {
			if _, err := s.Next(); err == io.EOF {
				rd.Reset(b)
				s, _ = NewReader(name, rd)
			}
		})
		// Reopening at EOF allocates; spread over many frames it stays far below 1.
		if allocs >= 0.5 {
			t.Errorf("%s: %.2f allocs per Next", name, allocs)
		}
	}
}
