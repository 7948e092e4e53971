package capture

import (
	"encoding/binary"
	"fmt"
	"io"
)

// pcapReader reads classic libpcap savefiles: microsecond and nanosecond
// magic, either byte order, and Kuznetzov's "modified" format (24-byte record
// headers). It is a hand-written zero-copy reader: Data points into the
// read buffer.
type pcapReader struct {
	name     string
	w        *window
	closer   io.Closer
	big      bool  // big-endian file
	fracMul  int64 // 1000 for µs, 1 for ns
	hdrLen   int   // record header length: 16, or 24 (Kuznetzov)
	swapLen  int   // 0: never; 1: always (v2.0-2.2); 2: when caplen > len (v2.3)
	linkType int
	snaplen  uint32
	num      uint64
	err      error
}

func (r *pcapReader) u32(b []byte) uint32 {
	if r.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *pcapReader) u16(b []byte) uint16 {
	if r.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func newPcapReader(name string, w *window, closer io.Closer) (*pcapReader, error) {
	if err := w.need(24); err != nil {
		if isEOF(err) {
			return nil, fmt.Errorf("capture: %s: truncated pcap file header (%d of 24 bytes)", name, w.avail())
		}
		return nil, fmt.Errorf("capture: %s: reading pcap file header: %v", name, err)
	}
	h := w.take(24)
	r := &pcapReader{name: name, w: w, closer: closer, hdrLen: 16}
	switch binary.LittleEndian.Uint32(h) {
	case magicMicro:
		r.fracMul = 1000
	case magicNano:
		r.fracMul = 1
	case magicKuznetzov:
		r.fracMul, r.hdrLen = 1000, 24
	default:
		r.big = true
		switch binary.BigEndian.Uint32(h) {
		case magicMicro:
			r.fracMul = 1000
		case magicNano:
			r.fracMul = 1
		default: // magicKuznetzov; newReader checked
			r.fracMul, r.hdrLen = 1000, 24
		}
	}
	// Versions as libpcap reads them: caplen and len were interchanged at
	// 2.3, and some 2.3 writers (and DG/UX's "543.0") used the old order.
	major, minor := r.u16(h[4:]), r.u16(h[6:])
	switch {
	case major < 2:
		return nil, fmt.Errorf("capture: %s: unsupported archaic pcap version %d.%d", name, major, minor)
	case major == 543, major == 2 && minor < 3:
		r.swapLen = 1
	case major == 2 && minor == 3:
		r.swapLen = 2
	}
	r.snaplen = r.u32(h[16:])
	// The upper bits of the link-type field carry FCS information.
	r.linkType = int(r.u32(h[20:]) & 0xffff)
	return r, nil
}

func (r *pcapReader) Next() (Frame, error) {
	if r.err != nil {
		return Frame{}, r.err // io.EOF after a *ReadError, or the closed error
	}
	w := r.w
	hl := r.hdrLen
	if w.hi-w.lo < hl {
		if err := w.fill(hl); err != nil {
			if err == io.EOF && w.avail() == 0 {
				return Frame{}, io.EOF
			}
			return Frame{}, r.fail(err)
		}
	}
	h := w.buf[w.lo : w.lo+hl]
	sec, frac := r.u32(h[0:]), r.u32(h[4:])
	caplen, wirelen := r.u32(h[8:]), r.u32(h[12:])
	if r.swapLen == 1 || (r.swapLen == 2 && caplen > wirelen) {
		caplen, wirelen = wirelen, caplen
	}
	if caplen > MaxCaplen {
		return Frame{}, r.fail(fmt.Errorf("captured length %d exceeds the maximum of %d (snaplen %d)", caplen, MaxCaplen, r.snaplen))
	}
	n := hl + int(caplen)
	if w.hi-w.lo < n {
		if err := w.fill(n); err != nil {
			return Frame{}, r.fail(err)
		}
	}
	start := w.lo + hl
	w.lo += n
	r.num++
	return Frame{
		TS:       int64(sec)*1e9 + int64(frac)*r.fracMul,
		LinkType: r.linkType,
		Data:     w.buf[start:w.lo:w.lo],
		WireLen:  int(wirelen),
		Num:      r.num,
		Input:    r.name,
	}, nil
}

// fail returns the *ReadError for the record at the read position; later
// calls to Next return io.EOF.
func (r *pcapReader) fail(err error) error {
	r.err = io.EOF
	return readErr(r.name, r.num+1, r.w.offset(), err)
}

func (r *pcapReader) Close() error {
	r.err = fmt.Errorf("capture: %s: %w", r.name, errClosed)
	c := r.closer
	r.closer = nil
	r.w.buf = nil
	return closeInput(c)
}
