package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// rec is one frame to write into a test capture.
type rec struct {
	ts   int64 // ns
	data []byte
	wire int // 0: len(data)
	ifc  int // pcapng interface
}

func (r rec) wireLen() int {
	if r.wire == 0 {
		return len(r.data)
	}
	return r.wire
}

// testRecs returns n frames with distinct contents and rising times; sizes
// vary from 0 to 99 bytes so that some records are not 4-byte aligned.
func testRecs(n int, start int64) []rec {
	recs := make([]rec, n)
	for i := range recs {
		d := make([]byte, (i*37)%100)
		for j := range d {
			d[j] = byte(i*7 + j)
		}
		recs[i] = rec{ts: start + int64(i)*1_234_567_891, data: d}
		if i%3 == 1 {
			recs[i].wire = len(d) + 100 // snapped frame
		}
	}
	return recs
}

// pcapBytes hand-writes a classic pcap file.
func pcapBytes(order binary.ByteOrder, nano bool, linkType uint32, recs []rec) []byte {
	var b bytes.Buffer
	h := make([]byte, 24)
	magic := uint32(magicMicro)
	if nano {
		magic = magicNano
	}
	order.PutUint32(h[0:], magic)
	order.PutUint16(h[4:], 2)
	order.PutUint16(h[6:], 4)
	order.PutUint32(h[16:], 65535)
	order.PutUint32(h[20:], linkType)
	b.Write(h)
	for _, r := range recs {
		rh := make([]byte, 16)
		order.PutUint32(rh[0:], uint32(r.ts/1e9))
		frac := r.ts % 1e9
		if !nano {
			frac /= 1000
		}
		order.PutUint32(rh[4:], uint32(frac))
		order.PutUint32(rh[8:], uint32(len(r.data)))
		order.PutUint32(rh[12:], uint32(r.wireLen()))
		b.Write(rh)
		b.Write(r.data)
	}
	return b.Bytes()
}

// ngb builds pcapng files by hand.
type ngb struct {
	order binary.ByteOrder
	b     bytes.Buffer
	ends  []int    // offsets where blocks end
	types []uint32 // block types
}

func pad4(n int) int { return (n + 3) &^ 3 }

func (g *ngb) block(typ uint32, body []byte) {
	n := 12 + pad4(len(body))
	h := make([]byte, 8)
	g.order.PutUint32(h, typ)
	g.order.PutUint32(h[4:], uint32(n))
	g.b.Write(h)
	g.b.Write(body)
	g.b.Write(make([]byte, pad4(len(body))-len(body)))
	g.b.Write(h[4:8])
	g.ends = append(g.ends, g.b.Len())
	g.types = append(g.types, typ)
}

func (g *ngb) opt(code uint16, val []byte) []byte {
	o := make([]byte, 4+pad4(len(val)))
	g.order.PutUint16(o, code)
	g.order.PutUint16(o[2:], uint16(len(val)))
	copy(o[4:], val)
	return o
}

func (g *ngb) shb() {
	body := make([]byte, 16)
	g.order.PutUint32(body, ngByteOrderMagic)
	g.order.PutUint16(body[4:], 1)
	g.order.PutUint16(body[6:], 0)
	g.order.PutUint64(body[8:], ^uint64(0))
	body = append(body, g.opt(4, []byte("flowlog test"))...) // shb_userappl
	body = append(body, 0, 0, 0, 0)                          // opt_endofopt
	g.block(ngSHB, body)
}

func (g *ngb) idb(linkType uint16, snap uint32, opts ...[]byte) {
	body := make([]byte, 8)
	g.order.PutUint16(body, linkType)
	g.order.PutUint32(body[4:], snap)
	body = append(body, g.opt(2, []byte("eth0"))...) // if_name
	for _, o := range opts {
		body = append(body, o...)
	}
	if len(opts) > 0 {
		body = append(body, 0, 0, 0, 0)
	}
	g.block(ngIDB, body)
}

func (g *ngb) tsresol(v byte) []byte { return g.opt(9, []byte{v}) }

func (g *ngb) tsoffset(sec int64) []byte {
	v := make([]byte, 8)
	g.order.PutUint64(v, uint64(sec))
	return g.opt(14, v)
}

func (g *ngb) epb(ifc uint32, ts uint64, data []byte, wire int) {
	body := make([]byte, 20)
	g.order.PutUint32(body, ifc)
	g.order.PutUint32(body[4:], uint32(ts>>32))
	g.order.PutUint32(body[8:], uint32(ts))
	g.order.PutUint32(body[12:], uint32(len(data)))
	g.order.PutUint32(body[16:], uint32(wire))
	body = append(body, data...)
	body = append(body, make([]byte, pad4(len(data))-len(data))...)
	body = append(body, g.opt(1, []byte("pkt comment"))...) // opt_comment
	body = append(body, 0, 0, 0, 0)
	g.block(ngEPB, body)
}

func (g *ngb) pb(ifc uint16, ts uint64, data []byte, wire int) {
	body := make([]byte, 20)
	g.order.PutUint16(body, ifc)
	g.order.PutUint32(body[4:], uint32(ts>>32))
	g.order.PutUint32(body[8:], uint32(ts))
	g.order.PutUint32(body[12:], uint32(len(data)))
	g.order.PutUint32(body[16:], uint32(wire))
	body = append(body, data...)
	g.block(ngPB, body)
}

func (g *ngb) spb(data []byte, wire int) {
	body := make([]byte, 4)
	g.order.PutUint32(body, uint32(wire))
	body = append(body, data...)
	g.block(ngSPB, body)
}

func gzipBytes(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// frameCopy is a Frame whose Data is a copy.
func frameCopy(f Frame) Frame {
	f.Data = append([]byte{}, f.Data...)
	return f
}

// readAll reads frames (copied) until an error, which it returns (io.EOF at
// a clean end).
func readAll(t testing.TB, s Source) ([]Frame, error) {
	t.Helper()
	var fs []Frame
	for {
		f, err := s.Next()
		if err != nil {
			return fs, err
		}
		fs = append(fs, frameCopy(f))
		if len(fs) > 10_000_000 {
			t.Fatal("runaway reader")
		}
	}
}

// mustReadAll reads a whole Source and fails on anything but io.EOF.
func mustReadAll(t testing.TB, s Source) []Frame {
	t.Helper()
	fs, err := readAll(t, s)
	if err != io.EOF {
		t.Fatalf("after %d frames: got error %v, want io.EOF", len(fs), err)
	}
	return fs
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkFrames compares frames read against the records written.
func checkFrames(t *testing.T, got []Frame, want []rec, linkTypes []int, input string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i, f := range got {
		w := want[i]
		lt := linkTypes[0]
		if w.ifc < len(linkTypes) {
			lt = linkTypes[w.ifc]
		}
		if f.TS != w.ts || f.LinkType != lt || !bytes.Equal(f.Data, w.data) ||
			f.WireLen != w.wireLen() || f.Num != uint64(i+1) || f.Input != input {
			t.Fatalf("frame %d: got TS=%d LT=%d len=%d wire=%d num=%d input=%q; want TS=%d LT=%d len=%d wire=%d num=%d input=%q",
				i, f.TS, f.LinkType, len(f.Data), f.WireLen, f.Num, f.Input,
				w.ts, lt, len(w.data), w.wireLen(), i+1, input)
		}
	}
}

func asReadError(err error) *ReadError {
	var re *ReadError
	if errors.As(err, &re) {
		return re
	}
	return nil
}

// ngBytes writes recs as a one-interface (Ethernet, ns) pcapng file.
func ngBytes(recs []rec) []byte {
	g := &ngb{order: binary.LittleEndian}
	g.shb()
	g.idb(1, 0, g.tsresol(9))
	for _, r := range recs {
		g.epb(0, uint64(r.ts), r.data, r.wireLen())
	}
	return g.b.Bytes()
}
